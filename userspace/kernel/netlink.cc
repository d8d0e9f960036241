#include <errno.h>
#include <libaudit.h>

#include <algorithm>
#include <cstring>

#include "control.h"

namespace bpfaudit::kernel {

int NetlinkControl::ensure_open() {
  if (sock_.fd() >= 0) return 0;
  auto s = AuditSocket::open_control();
  if (!s.ok()) return s.code();
  sock_ = std::move(*s);
  return 0;
}

namespace {

// Sends a request whose answer is one message of reply_type (the kernel queues it
// before acking, but may send it from another context, so wait for the message);
// returns that message's payload.
base::Result<std::vector<uint8_t>> query(AuditSocket& sock, uint16_t type, uint16_t reply_type) {
  using R = base::Result<std::vector<uint8_t>>;
  int seq = sock.send(type, nullptr, 0, false);
  if (seq < 0) return R::fail(seq);
  std::vector<AuditSocket::Reply> got;
  int rc = sock.collect(seq, got, reply_type);
  if (rc < 0) return R::fail(rc);
  if (got.empty() || got.back().first != reply_type) return R::fail(-ENODATA);
  return std::move(got.back().second);
}

}  // namespace

base::Result<Status> NetlinkControl::get_status() {
  if (int e = ensure_open()) return base::Error{e, {}};
  auto r = query(sock_, AUDIT_GET, AUDIT_GET);
  if (!r.ok()) return r.error();
  return decode_status(*r);
}

base::Result<audit_features> NetlinkControl::get_features() {
  if (int e = ensure_open()) return base::Error{e, {}};
  auto r = query(sock_, AUDIT_GET_FEATURE, AUDIT_GET_FEATURE);
  if (!r.ok()) return r.error();
  return decode_features(*r);
}

int NetlinkControl::set_status(const audit_status& s) {
  if (int e = ensure_open()) return e;
  return sock_.request(AUDIT_SET, &s, sizeof(s));
}

int NetlinkControl::set_feature(const audit_features& f) {
  if (int e = ensure_open()) return e;
  return sock_.request(AUDIT_SET_FEATURE, &f, sizeof(f));
}

int NetlinkControl::add_rule(const RuleBytes& rule) {
  if (int e = ensure_open()) return e;
  return sock_.request(AUDIT_ADD_RULE, rule.data(), rule.size());
}

int NetlinkControl::delete_rule(const RuleBytes& rule) {
  if (int e = ensure_open()) return e;
  return sock_.request(AUDIT_DEL_RULE, rule.data(), rule.size());
}

base::Result<std::vector<RuleBytes>> NetlinkControl::list_rules() {
  using R = base::Result<std::vector<RuleBytes>>;
  if (int e = ensure_open()) return R::fail(e);
  int seq = sock_.send(AUDIT_LIST_RULES, nullptr, 0, false);
  if (seq < 0) return R::fail(seq);
  std::vector<AuditSocket::Reply> got;
  int rc = sock_.collect(seq, got);
  if (rc < 0) return R::fail(rc);
  std::vector<RuleBytes> out;
  for (auto& [t, b] : got) {
    if (t != AUDIT_LIST_RULES) continue;
    // The printer and the key matcher read the strings by the lengths the
    // rule gives: a rule whose lengths do not hold is refused whole.
    if (auto checked = check_listed_rule(b); !checked.ok()) return checked.error();
    out.push_back(std::move(b));
  }
  return out;
}

int NetlinkControl::trim_subtrees() {
  if (int e = ensure_open()) return e;
  return sock_.request(AUDIT_TRIM, nullptr, 0);
}

int NetlinkControl::make_equivalent(const std::string& mount_point, const std::string& subtree) {
  if (int e = ensure_open()) return e;
  std::vector<uint8_t> buf(2 * sizeof(uint32_t) + mount_point.size() + subtree.size());
  uint32_t sizes[2] = {static_cast<uint32_t>(mount_point.size()),
                       static_cast<uint32_t>(subtree.size())};
  std::memcpy(buf.data(), sizes, sizeof(sizes));
  std::memcpy(buf.data() + sizeof(sizes), mount_point.data(), mount_point.size());
  std::memcpy(buf.data() + sizeof(sizes) + mount_point.size(), subtree.data(), subtree.size());
  return sock_.request(AUDIT_MAKE_EQUIV, buf.data(), buf.size());
}

int NetlinkControl::user_message(const std::string& text) {
  // libaudit formats the standard user record (exe, hostname, addr, terminal, res)
  // exactly as stock -m does; reuse it rather than re-deriving those fields.
  int fd = audit_open();
  if (fd < 0) return -errno;
  int rc = audit_log_user_message(fd, AUDIT_USER, text.c_str(), nullptr, nullptr, nullptr, 1);
  int e = errno;
  audit_close(fd);
  return rc > 0 ? 0 : (e ? -e : -EIO);
}

}  // namespace bpfaudit::kernel
