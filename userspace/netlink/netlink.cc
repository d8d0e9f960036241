#include <errno.h>
#include <libaudit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "control.h"

namespace bpfaudit::netlink {

namespace {

// Stock waits up to 4 s for a reply; the kernel answers in microseconds, so a stall
// that long means the request was lost.
constexpr int kReplyTimeoutMs = 4000;
constexpr size_t kRecvBuf = 1 << 16;

}  // namespace

NetlinkSocket& NetlinkSocket::operator=(NetlinkSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    seq_ = o.seq_;
    o.fd_ = -1;
  }
  return *this;
}

NetlinkSocket::~NetlinkSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<NetlinkSocket> NetlinkSocket::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
  if (fd < 0) return Expected<NetlinkSocket>::fail(-errno);
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    int e = errno;
    ::close(fd);
    return Expected<NetlinkSocket>::fail(-e);
  }
  Expected<NetlinkSocket> r;
  r.value.emplace(fd);
  return r;
}

int NetlinkSocket::send(uint16_t type, const void* data, size_t len, bool ack) {
  std::vector<uint8_t> buf(NLMSG_SPACE(len), 0);
  auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
  nlh->nlmsg_len = NLMSG_LENGTH(len);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
  nlh->nlmsg_seq = ++seq_;
  if (len) std::memcpy(NLMSG_DATA(nlh), data, len);
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = ::sendto(fd_, buf.data(), nlh->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&addr),
                 sizeof(addr));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  return static_cast<int>(nlh->nlmsg_seq);
}

int NetlinkSocket::collect(int seq, std::vector<std::pair<uint16_t, std::vector<uint8_t>>>& out) {
  std::vector<uint8_t> buf(kRecvBuf);
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    int pr;
    do {
      pr = ::poll(&pfd, 1, kReplyTimeoutMs);
    } while (pr < 0 && errno == EINTR);
    if (pr < 0) return -errno;
    if (pr == 0) return -ETIMEDOUT;
    sockaddr_nl from{};
    socklen_t fromlen = sizeof(from);
    ssize_t n =
        ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromlen);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (from.nl_pid != 0) continue;  // only the kernel answers requests
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(nlh, len);
         nlh = NLMSG_NEXT(nlh, len)) {
      if (static_cast<int>(nlh->nlmsg_seq) != seq) continue;
      if (nlh->nlmsg_type == NLMSG_DONE) return 0;
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(nlh));
        return err->error;  // 0 = ack; positive = value returned by the kernel handler
      }
      const auto* p = static_cast<const uint8_t*>(NLMSG_DATA(nlh));
      out.emplace_back(nlh->nlmsg_type,
                       std::vector<uint8_t>(p, p + (nlh->nlmsg_len - NLMSG_HDRLEN)));
    }
  }
}

int NetlinkSocket::request(uint16_t type, const void* data, size_t len,
                           std::vector<std::vector<uint8_t>>* replies, uint16_t* reply_type) {
  int seq = send(type, data, len, true);
  if (seq < 0) return seq;
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> got;
  int rc = collect(seq, got);
  if (replies)
    for (auto& [t, b] : got) replies->push_back(std::move(b));
  return rc;
}

int NetlinkControl::ensure_open() {
  if (sock_.fd() >= 0) return 0;
  auto s = NetlinkSocket::open();
  if (!s.ok()) return s.error;
  sock_ = std::move(*s.value);
  return 0;
}

namespace {

// Sends a request whose answer is one message of reply_type (the kernel queues it
// before acking, but may send it from another context, so wait for the message).
template <class T>
Expected<std::pair<T, size_t>> query(NetlinkSocket& sock, uint16_t type, uint16_t reply_type) {
  using R = Expected<std::pair<T, size_t>>;
  int seq = sock.send(type, nullptr, 0, false);
  if (seq < 0) return R::fail(seq);
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> got;
  std::vector<uint8_t> buf(kRecvBuf);
  for (;;) {
    got.clear();
    // collect returns after the first non-error message batch only on DONE/ERROR;
    // a single reply message has neither, so read one datagram at a time.
    pollfd pfd{sock.fd(), POLLIN, 0};
    int pr = ::poll(&pfd, 1, kReplyTimeoutMs);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) return R::fail(pr == 0 ? -ETIMEDOUT : -errno);
    ssize_t n = ::recv(sock.fd(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return R::fail(-errno);
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(nlh, len);
         nlh = NLMSG_NEXT(nlh, len)) {
      if (static_cast<int>(nlh->nlmsg_seq) != seq) continue;
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        int e = static_cast<nlmsgerr*>(NLMSG_DATA(nlh))->error;
        if (e) return R::fail(e);
        continue;
      }
      if (nlh->nlmsg_type == reply_type) {
        T v{};
        size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;
        std::memcpy(&v, NLMSG_DATA(nlh), std::min(plen, sizeof(T)));
        R r;
        r.value.emplace(v, plen);
        return r;
      }
    }
  }
}

}  // namespace

Expected<Status> NetlinkControl::get_status() {
  if (int e = ensure_open()) return Expected<Status>::fail(e);
  auto r = query<audit_status>(sock_, AUDIT_GET, AUDIT_GET);
  if (!r.ok()) return Expected<Status>::fail(r.error);
  Expected<Status> out;
  out.value.emplace(Status{r.value->first, r.value->second});
  return out;
}

Expected<audit_features> NetlinkControl::get_features() {
  if (int e = ensure_open()) return Expected<audit_features>::fail(e);
  auto r = query<audit_features>(sock_, AUDIT_GET_FEATURE, AUDIT_GET_FEATURE);
  if (!r.ok()) return Expected<audit_features>::fail(r.error);
  Expected<audit_features> out;
  out.value = r.value->first;
  return out;
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

Expected<std::vector<RuleBytes>> NetlinkControl::list_rules() {
  using R = Expected<std::vector<RuleBytes>>;
  if (int e = ensure_open()) return R::fail(e);
  int seq = sock_.send(AUDIT_LIST_RULES, nullptr, 0, false);
  if (seq < 0) return R::fail(seq);
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> got;
  int rc = sock_.collect(seq, got);
  if (rc < 0) return R::fail(rc);
  R out;
  out.value.emplace();
  for (auto& [t, b] : got)
    if (t == AUDIT_LIST_RULES) out.value->push_back(std::move(b));
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

}  // namespace bpfaudit::netlink
