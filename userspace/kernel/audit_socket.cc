#include "audit_socket.h"

#include <errno.h>
#include <libaudit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace bpfaudit::kernel {

namespace {

// Stock waits up to 4 s for a reply; the kernel answers in microseconds, so a stall
// that long means the request was lost.
constexpr std::chrono::milliseconds kReplyTimeout{4000};
// Holds a reply batch (a rule listing) or one record of up to
// MAX_AUDIT_MESSAGE_LENGTH with its header.
constexpr std::size_t kRecvBuf = 1 << 16;

}  // namespace

AuditSocket::AuditSocket(int fd, bool events) : fd_(fd), events_(events), buf_(kRecvBuf) {}

namespace {

// A bound NETLINK_AUDIT socket, or -errno with the step that failed.
int open_fd(int flags, int rcvbuf_bytes, std::uint32_t groups, AuditSocket::OpenStep* failed) {
  base::UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_AUDIT));
  if (!fd) {
    if (failed) *failed = AuditSocket::OpenStep::kSocket;
    return -errno;
  }
  if (rcvbuf_bytes > 0 &&
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof(rcvbuf_bytes)) < 0)
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof(rcvbuf_bytes));
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = groups;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    if (failed) *failed = AuditSocket::OpenStep::kBind;
    return -errno;
  }
  return fd.release();
}

}  // namespace

base::Result<AuditSocket> AuditSocket::open_control() {
  int fd = open_fd(0, 0, 0, nullptr);
  if (fd < 0) return base::Error{fd, {}};
  return AuditSocket(fd, false);
}

base::Result<AuditSocket> AuditSocket::open_events(const EventOptions& options, OpenStep* failed) {
  int fd = open_fd(SOCK_NONBLOCK, options.rcvbuf_bytes,
                   options.readlog ? 1u << (AUDIT_NLGRP_READLOG - 1) : 0u, failed);
  if (fd < 0) return base::Error{fd, {}};
  return AuditSocket(fd, true);
}

int AuditSocket::send(std::uint16_t type, const void* data, std::size_t len, bool ack) {
  std::vector<std::uint8_t> buf(NLMSG_SPACE(len), 0);
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
    n = ::sendto(fd_.get(), buf.data(), nlh->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&addr),
                 sizeof(addr));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  return static_cast<int>(nlh->nlmsg_seq);
}

int AuditSocket::collect(int seq, std::vector<Reply>& out, std::uint16_t stop_type,
                         const EventHandler& on_event) {
  using Clock = std::chrono::steady_clock;
  // Records flowing in (event mode) do not extend the wait; replies do.
  auto deadline = Clock::now() + kReplyTimeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return -ETIMEDOUT;
    pollfd pfd{fd_.get(), POLLIN, 0};
    int pr = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (pr < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (pr == 0) return -ETIMEDOUT;
    sockaddr_nl from{};
    socklen_t fromlen = sizeof(from);
    ssize_t n =
        ::recvfrom(fd_.get(), buf_.data(), buf_.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromlen);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // An event socket may overflow while it waits; the reply still comes.
      if (errno == ENOBUFS && events_) continue;
      return -errno;
    }
    if (from.nl_pid != 0) continue;  // only the kernel answers requests
    auto step = scan_reply(reinterpret_cast<const std::uint8_t*>(buf_.data()),
                           static_cast<std::size_t>(n), seq, stop_type, events_, out);
    if (step.kind == ReplyStep::Kind::kEvent) {
      if (on_event) on_event(step.event_type, step.event_payload);
      continue;
    }
    if (step.answered) deadline = Clock::now() + kReplyTimeout;
    if (step.kind == ReplyStep::Kind::kFinished) return step.rc;
  }
}

int AuditSocket::request(std::uint16_t type, const void* data, std::size_t len,
                         std::vector<std::vector<std::uint8_t>>* replies,
                         const EventHandler& on_event) {
  int seq = send(type, data, len, true);
  if (seq < 0) return seq;
  std::vector<Reply> got;
  int rc = collect(seq, got, 0, on_event);
  if (replies)
    for (auto& [t, b] : got) replies->push_back(std::move(b));
  return rc;
}

int AuditSocket::set_pid(std::uint32_t pid, const EventHandler& on_event) {
  audit_status s{};
  s.mask = AUDIT_STATUS_PID;
  s.pid = pid;
  return request(AUDIT_SET, &s, sizeof(s), nullptr, on_event);
}

AuditSocket::Received AuditSocket::receive(int timeout_ms) {
  using Status = Received::Status;
  for (;;) {
    if (timeout_ms > 0) {
      pollfd p{fd_.get(), POLLIN, 0};
      int r = ::poll(&p, 1, timeout_ms);
      if (r == 0) return {};
      if (r < 0) {
        if (errno == EINTR) continue;
        return {Status::kError, 0, {}, -errno};
      }
    }
    ssize_t n = ::recv(fd_.get(), buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        ++overruns_;
        return {Status::kOverrun, 0, {}, 0};
      }
      if (errno == EAGAIN) return {};
      return {Status::kError, 0, {}, -errno};
    }
    // The same reading as scan_reply's in event mode (fuzz_netlink_reply).
    auto ev = read_event_datagram(buf_.data(), static_cast<std::size_t>(n));
    if (!ev.record) return {Status::kOther, ev.type, {}, 0};
    return {Status::kEvent, ev.type, ev.payload, 0};
  }
}

}  // namespace bpfaudit::kernel
