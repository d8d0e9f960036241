#include "netlink_reply.h"

#include <errno.h>
#include <libaudit.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#ifndef AUDIT_REPLACE
#define AUDIT_REPLACE 1329
#endif

namespace bpfaudit::kernel {

bool is_control(int type) {
  if (type == NLMSG_NOOP || type == NLMSG_DONE || type == NLMSG_ERROR) return true;
  if (type == AUDIT_GET || type == AUDIT_REPLACE) return true;
  if (type >= AUDIT_WATCH_INS && type <= AUDIT_WATCH_LIST) return true;
  if (type >= AUDIT_ADD_RULE && type <= AUDIT_GET_FEATURE) return true;
  if (type >= AUDIT_FIRST_DAEMON && type <= AUDIT_LAST_DAEMON) return true;
  return false;
}

std::string_view event_payload(const char* dgram, std::size_t n) {
  std::string_view p(dgram + NLMSG_HDRLEN, n - NLMSG_HDRLEN);
  if (auto z = p.find('\0'); z != std::string_view::npos) p = p.substr(0, z);
  return p;
}

EventDatagram read_event_datagram(const char* dgram, std::size_t n) {
  EventDatagram ev;
  if (n < NLMSG_HDRLEN) return ev;
  // Copied out: the buffer need not be aligned for nlmsghdr.
  std::uint16_t type;
  std::memcpy(&type, dgram + offsetof(nlmsghdr, nlmsg_type), sizeof type);
  ev.type = type;
  if (is_control(type)) return ev;
  ev.record = true;
  ev.payload = event_payload(dgram, n);
  return ev;
}

DatagramWalk walk_datagram(const std::uint8_t* dgram, std::size_t n) {
  // Headers are copied out: a datagram buffer need not be aligned for
  // nlmsghdr (the fuzzer's is not).
  DatagramWalk w;
  std::size_t at = 0;
  while (n - at >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, dgram + at, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > n - at) break;
    w.messages.push_back({h.nlmsg_type, h.nlmsg_flags, h.nlmsg_seq, at, h.nlmsg_len});
    // NLMSG_NEXT: the next header is aligned; past the end ends the walk.
    std::size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= n - at) {
      at = n;
      break;
    }
    at += step;
  }
  w.rest = n - at;
  return w;
}

ReplyStep scan_reply(const std::uint8_t* dgram, std::size_t n, int seq, std::uint16_t stop_type,
                     bool events, std::vector<Reply>& out) {
  ReplyStep step;
  if (n < NLMSG_HDRLEN) return step;
  if (events) {
    auto ev = read_event_datagram(reinterpret_cast<const char*>(dgram), n);
    if (ev.record) {
      step.kind = ReplyStep::Kind::kEvent;
      step.event_type = ev.type;
      step.event_payload = ev.payload;
      return step;
    }
  }
  for (const auto& m : walk_datagram(dgram, n).messages) {
    if (static_cast<int>(m.seq) != seq) continue;
    step.answered = true;
    if (m.type == NLMSG_DONE) {
      step.kind = ReplyStep::Kind::kFinished;
      step.rc = 0;
      return step;
    }
    const std::uint8_t* payload = dgram + m.offset + NLMSG_HDRLEN;
    std::size_t payload_len = m.length - std::min<std::size_t>(m.length, NLMSG_HDRLEN);
    if (m.type == NLMSG_ERROR) {
      // The kernel's netlink_ack always sends the errno and the request's
      // header (at least 20 bytes); only the errno is read.
      int e;
      if (payload_len < sizeof e) {
        step.kind = ReplyStep::Kind::kFinished;
        step.rc = -EBADMSG;
        return step;
      }
      std::memcpy(&e, payload, sizeof e);
      if (e == 0 && stop_type) continue;
      step.kind = ReplyStep::Kind::kFinished;
      step.rc = e;  // 0 = ack; positive = value returned by the kernel handler
      return step;
    }
    out.emplace_back(m.type, std::vector<std::uint8_t>(payload, payload + payload_len));
    if (stop_type && m.type == stop_type) {
      step.kind = ReplyStep::Kind::kFinished;
      step.rc = 0;
      return step;
    }
  }
  return step;
}

base::Result<Status> decode_status(const std::vector<std::uint8_t>& payload) {
  if (payload.size() < kMinStatusBytes) return base::Error{-EBADMSG, {}};
  Status s;
  std::memcpy(&s.status, payload.data(), std::min(payload.size(), sizeof s.status));
  s.length = payload.size();
  return s;
}

base::Result<audit_features> decode_features(const std::vector<std::uint8_t>& payload) {
  audit_features f{};
  if (payload.size() < sizeof f) return base::Error{-EBADMSG, {}};
  std::memcpy(&f, payload.data(), sizeof f);
  return f;
}

bool is_string_field(std::uint32_t field) {
  return (field >= AUDIT_SUBJ_USER && field <= AUDIT_OBJ_LEV_HIGH && field != AUDIT_PPID) ||
         field == AUDIT_WATCH || field == AUDIT_DIR || field == AUDIT_FILTERKEY ||
         field == AUDIT_EXE;
}

base::Result<ListedRule> check_listed_rule(const std::vector<std::uint8_t>& payload) {
  ListedRule r;
  if (payload.size() < sizeof r.head) return base::Error{-EBADMSG, {}};
  std::memcpy(&r.head, payload.data(), sizeof r.head);
  const std::size_t buflen = payload.size() - sizeof r.head;
  if (r.head.field_count > AUDIT_MAX_FIELDS || r.head.buflen != buflen)
    return base::Error{-EBADMSG, {}};
  const char* buf = reinterpret_cast<const char*>(payload.data()) + sizeof r.head;
  std::size_t off = 0;
  for (std::uint32_t i = 0; i < r.head.field_count; ++i) {
    if (!is_string_field(r.head.fields[i] & ~AUDIT_OPERATORS)) continue;
    std::size_t len = r.head.values[i];
    if (len > buflen - off) return base::Error{-EBADMSG, {}};
    r.strings.emplace_back(buf + off, len);
    off += len;
  }
  if (off != buflen) return base::Error{-EBADMSG, {}};
  return r;
}

std::vector<std::uint8_t> pack_listed_rule(const ListedRule& rule) {
  std::vector<std::uint8_t> out(sizeof rule.head);
  std::memcpy(out.data(), &rule.head, sizeof rule.head);
  for (auto s : rule.strings) out.insert(out.end(), s.begin(), s.end());
  return out;
}

}  // namespace bpfaudit::kernel
