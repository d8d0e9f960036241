#include "capture.h"

#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "record.h"

namespace bpfaudit::capture {

ReadlogSocket::~ReadlogSocket() {
  if (fd_ >= 0) ::close(fd_);
}

std::string ReadlogSocket::open(int rcvbuf_bytes) {
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
  if (fd_ < 0) return std::string("netlink audit socket: ") + std::strerror(errno);
  // SO_RCVBUFFORCE lets root go past rmem_max, which bursts need.
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof(rcvbuf_bytes)) < 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof(rcvbuf_bytes));
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0)
    return std::string("joining the audit read-log group (needs CAP_AUDIT_READ): ") +
           std::strerror(errno);
  return {};
}

bool ReadlogSocket::receive(std::string& line, int timeout_ms) {
  std::vector<char> buf(record::kMaxRecordLength + NLMSG_HDRLEN + 64);
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == ENOBUFS) {
        ++overruns_;
        continue;
      }
      if (errno == EINTR) continue;
      return false;
    }
    auto* nh = reinterpret_cast<nlmsghdr*>(buf.data());
    if (n < static_cast<ssize_t>(NLMSG_HDRLEN) || nh->nlmsg_len > static_cast<std::uint32_t>(n))
      continue;
    std::size_t len = nh->nlmsg_len - NLMSG_HDRLEN;
    std::string_view payload(static_cast<const char*>(NLMSG_DATA(nh)), len);
    line = format_log_line(nh->nlmsg_type, payload);
    return true;
  }
}

std::string format_log_line(int type, std::string_view payload) {
  // The kernel may pad or NUL-terminate the text.
  while (!payload.empty() && (payload.back() == '\0' || payload.back() == '\n'))
    payload.remove_suffix(1);
  std::string out = "type=" + record::type_name(type) + " msg=";
  out.append(payload);
  return out;
}

}  // namespace bpfaudit::capture
