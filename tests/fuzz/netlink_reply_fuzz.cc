// One received NETLINK_AUDIT datagram through the parsing AuditSocket::collect
// does (kernel::scan_reply over kernel::walk_datagram), then every payload it
// collected through the decoders of NetlinkControl (decode_status,
// decode_features, check_listed_rule), and through read_event_datagram, the
// reading AuditSocket::receive makes in event mode.
//
// Input: [mode][datagram]. mode bit 0: the socket is in events mode; bit 1:
// wait with a stop type (bit 3: AUDIT_GET_FEATURE, else AUDIT_GET); bit 2:
// wait for another sequence number than the first header's (the kernel
// echoes the request's, so the seeds answer it).
//
// Checked beyond the sanitizers: the walk is the one the libc's NLMSG_OK and
// NLMSG_NEXT make, every message lies inside the datagram; the payloads
// collected are, in order, those of the messages carrying seq, byte for byte,
// up to the one that ended the wait; an ack or error ends it with its errno
// (-EBADMSG when too short for one) and nothing else does but NLMSG_DONE and
// the stop type; a decoded status or feature set holds the payload's bytes;
// a listed rule accepted packs back to the same bytes, its strings inside
// the payload, and every refusal is -EBADMSG; auditctl's printer (plain and
// -i) and key matcher on an accepted rule: its keys are those of its key
// strings, each found by key_matches, a longer word not.
#include <errno.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <libaudit.h>

#include "netlink_reply.h"
#include "rule.h"

namespace kernel = bpfaudit::kernel;
namespace rules = bpfaudit::rules;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The walk as the libc macros make it, over an aligned copy. NLMSG_OK
// compares the u32 nlmsg_len with the int length it is given (an unsigned
// one would wrap where NLMSG_NEXT steps past the end).
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wsign-compare"
std::vector<kernel::NetlinkMessage> libc_walk(const std::uint8_t* d, std::size_t n) {
  std::vector<std::uint32_t> aligned((n + 3) / 4 + 1, 0);
  if (n) std::memcpy(aligned.data(), d, n);  // d is null for an empty datagram
  const auto* base = reinterpret_cast<const std::uint8_t*>(aligned.data());
  std::vector<kernel::NetlinkMessage> out;
  int len = static_cast<int>(n);
  for (auto* h = reinterpret_cast<const nlmsghdr*>(base); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
    out.push_back({h->nlmsg_type, h->nlmsg_flags, h->nlmsg_seq,
                   static_cast<std::size_t>(reinterpret_cast<const std::uint8_t*>(h) - base),
                   h->nlmsg_len});
  return out;
}
#pragma clang diagnostic pop

void check_payload(const std::vector<std::uint8_t>& p) {
  auto status = kernel::decode_status(p);
  check(status.ok() == (p.size() >= kernel::kMinStatusBytes));
  if (status.ok()) {
    check(status->length == p.size());
    std::size_t n = std::min(p.size(), sizeof(audit_status));
    check(std::memcmp(&status->status, p.data(), n) == 0);
    audit_status zero{};
    check(std::memcmp(reinterpret_cast<const char*>(&status->status) + n,
                      reinterpret_cast<const char*>(&zero) + n, sizeof zero - n) == 0);
  } else {
    check(status.code() == -EBADMSG);
  }
  auto features = kernel::decode_features(p);
  check(features.ok() == (p.size() >= sizeof(audit_features)));
  if (features.ok())
    check(std::memcmp(&*features, p.data(), sizeof(audit_features)) == 0);
  else
    check(features.code() == -EBADMSG);
  auto rule = kernel::check_listed_rule(p);
  if (!rule.ok()) {
    check(rule.code() == -EBADMSG);
    return;
  }
  check(rule->head.field_count <= AUDIT_MAX_FIELDS);
  check(sizeof(audit_rule_data) + rule->head.buflen == p.size());
  const char* lo = reinterpret_cast<const char*>(p.data()) + sizeof(audit_rule_data);
  const char* at = lo;
  for (auto s : rule->strings) {  // back to back, inside the buffer
    check(s.data() == at && s.size() <= p.size() - (at - reinterpret_cast<const char*>(p.data())));
    at += s.size();
  }
  check(at == lo + rule->head.buflen);
  check(kernel::pack_listed_rule(*rule) == p);

  // What auditctl does with a rule it listed (ctl.cc: -l, -l -i, -l -k and
  // -D -k): the printer and the key matcher read the rule's own bytes by
  // the lengths it gives. The keys, from the strings as checked above:
  // rule_keys splits each key field's whole string at 0x01; key_matches
  // is stock's strstr on the string up to a NUL.
  rules::Rule listed(p);
  std::vector<std::string> keys;
  std::vector<std::string_view> c_strings;
  std::size_t longest = 0;
  for (std::uint32_t i = 0, si = 0; i < rule->head.field_count; ++i) {
    std::uint32_t field = rule->head.fields[i] & ~AUDIT_OPERATORS;
    if (!kernel::is_string_field(field)) continue;
    std::string_view s = rule->strings[si++];
    if (field != AUDIT_FILTERKEY) continue;
    for (std::size_t b = 0; b <= s.size();) {
      std::size_t e = std::min(s.find('\x01', b), s.size());
      if (e > b) keys.emplace_back(s.substr(b, e - b));
      b = e + 1;
    }
    std::string_view c = s.substr(0, std::min(s.find('\0'), s.size()));
    c_strings.push_back(c);
    longest = std::max(longest, c.size());
  }
  check(rules::rule_keys(listed) == keys);
  for (auto c : c_strings) {
    // Every key up to the string's NUL is found; a longer word is not.
    for (std::size_t b = 0; b <= c.size();) {
      std::size_t e = std::min(c.find('\x01', b), c.size());
      if (e > b) check(rules::key_matches(listed, std::string(c.substr(b, e - b))));
      b = e + 1;
    }
  }
  check(!rules::key_matches(listed, std::string(longest + 1, 'k')));
  for (bool interpret : {false, true}) {
    rules::PrintOptions po;
    po.interpret = interpret;
    po.host_machine = MACH_86_64;
    std::string text = rules::print_rules({listed}, po);
    check(!text.empty() && text.back() == '\n');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::uint8_t mode = data[0];
  // The datagram in a buffer of its exact size, so that any read past it is
  // one ASan sees.
  std::vector<std::uint8_t> dgram(data + 1, data + size);
  const std::uint8_t* d = dgram.data();
  const std::size_t n = dgram.size();

  auto walk = kernel::walk_datagram(d, n);
  auto want = libc_walk(d, n);
  check(walk.messages.size() == want.size());
  std::size_t end = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& m = walk.messages[i];
    check(m.type == want[i].type && m.flags == want[i].flags && m.seq == want[i].seq &&
          m.offset == want[i].offset && m.length == want[i].length);
    check(m.length >= NLMSG_HDRLEN && m.offset <= n && m.length <= n - m.offset);
    check(m.offset == (i ? NLMSG_ALIGN(end) : 0));
    end = m.offset + m.length;
  }
  // What is left is past the last message's aligned end, or nothing.
  check(walk.rest <= n);
  if (walk.rest) check(n - walk.rest == (want.empty() ? 0 : NLMSG_ALIGN(end)));

  std::uint32_t first_seq = 0;
  if (n >= sizeof(nlmsghdr)) std::memcpy(&first_seq, d + offsetof(nlmsghdr, nlmsg_seq), 4);
  int seq = static_cast<int>(first_seq + ((mode & 4) ? 1 : 0));
  std::uint16_t stop = (mode & 2) ? ((mode & 8) ? AUDIT_GET_FEATURE : AUDIT_GET) : 0;
  bool events = mode & 1;
  std::vector<kernel::Reply> out;
  auto step = kernel::scan_reply(d, n, seq, stop, events, out);
  using Kind = kernel::ReplyStep::Kind;

  // AuditSocket::receive's reading of a datagram (event mode): a record is
  // a datagram with a header of no control type, its text the bytes past
  // the header up to the first NUL.
  auto ev = kernel::read_event_datagram(reinterpret_cast<const char*>(d), n);
  if (n < NLMSG_HDRLEN) {
    check(step.kind == Kind::kIgnored && out.empty() && !step.answered);
    check(!ev.record && ev.type == 0 && ev.payload.empty());
    return 0;
  }
  std::uint16_t first_type;
  std::memcpy(&first_type, d + offsetof(nlmsghdr, nlmsg_type), 2);
  check(ev.type == first_type && ev.record == !kernel::is_control(first_type));
  if (ev.record) {
    std::string_view body(reinterpret_cast<const char*>(d) + NLMSG_HDRLEN, n - NLMSG_HDRLEN);
    check(ev.payload.data() == body.data() &&
          ev.payload.size() == std::min(body.find('\0'), body.size()));
  } else {
    check(ev.payload.empty());
  }
  if (step.kind == Kind::kEvent) {
    check(events && !kernel::is_control(first_type) && out.empty());
    check(step.event_type == first_type);
    const char* text = reinterpret_cast<const char*>(d) + NLMSG_HDRLEN;
    check(step.event_payload.data() == text && step.event_payload.size() <= n - NLMSG_HDRLEN);
    check(step.event_payload.find('\0') == std::string_view::npos);
    check(step.event_payload.data() == ev.payload.data() &&
          step.event_payload.size() == ev.payload.size());
    return 0;
  }
  check(!(events && !kernel::is_control(first_type)));

  // The model: the messages carrying seq, in order, until one ends the wait.
  std::size_t got = 0;
  bool answered = false;
  bool finished = false;
  int rc = 0;
  for (const auto& m : want) {
    if (static_cast<int>(m.seq) != seq) continue;
    answered = true;
    if (m.type == NLMSG_DONE) {
      finished = true;
      break;
    }
    std::size_t plen = m.length - NLMSG_HDRLEN;
    const std::uint8_t* payload = d + m.offset + NLMSG_HDRLEN;
    if (m.type == NLMSG_ERROR) {
      if (plen < sizeof(int)) {
        finished = true;
        rc = -EBADMSG;
        break;
      }
      int e;
      std::memcpy(&e, payload, sizeof e);
      if (e == 0 && stop) continue;
      finished = true;
      rc = e;
      break;
    }
    check(got < out.size());
    check(out[got].first == m.type);
    check(out[got].second == std::vector<std::uint8_t>(payload, payload + plen));
    ++got;
    if (stop && m.type == stop) {
      finished = true;
      break;
    }
  }
  check(got == out.size());
  check(step.answered == answered);
  check((step.kind == Kind::kFinished) == finished);
  if (finished) check(step.rc == rc);

  for (const auto& [type, payload] : out) check_payload(payload);
  return 0;
}
