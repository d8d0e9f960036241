// Test helper: writes the kernel's audit records, as auditd's raw log format
// does, from the read-only multicast group (AUDIT_NLGRP_READLOG), so tests
// get live logs without taking the audit daemon pid.
//   readlog_capture OUTPUT IDLE_MS
// Prints "listening" on stderr once subscribed; stops after IDLE_MS without
// a record (or on SIGTERM/SIGINT) and reports the record count.
#include <fcntl.h>
#include <libaudit.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUTPUT IDLE_MS\n", argv[0]);
    return 2;
  }
  int idle_ms = std::atoi(argv[2]);
  Fd sock{::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT)};
  if (sock.fd < 0) {
    std::fprintf(stderr, "netlink audit socket: %s\n", std::strerror(errno));
    return 1;
  }
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1);
  if (::bind(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    std::fprintf(stderr, "bind to AUDIT_NLGRP_READLOG: %s\n", std::strerror(errno));
    return 1;
  }
  int rcvbuf = 8 << 20;
  ::setsockopt(sock.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
  std::FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) {
    std::fprintf(stderr, "%s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  std::fprintf(stderr, "listening\n");

  static char buf[MAX_AUDIT_MESSAGE_LENGTH + NLMSG_HDRLEN + 64];
  unsigned long records = 0, overruns = 0;
  while (!g_stop) {
    pollfd p{sock.fd, POLLIN, 0};
    int r = ::poll(&p, 1, idle_ms);
    if (r == 0) break;
    if (r < 0) continue;
    ssize_t n = ::recv(sock.fd, buf, sizeof(buf) - 1, 0);
    if (n < 0) {
      if (errno == ENOBUFS) ++overruns;
      continue;
    }
    // kauditd sends one record per datagram; its nlmsg_len is not always
    // the full length, so the datagram size decides.
    if (n < static_cast<ssize_t>(NLMSG_HDRLEN)) continue;
    auto* h = reinterpret_cast<nlmsghdr*>(buf);
    std::size_t len = static_cast<std::size_t>(n) - NLMSG_HDRLEN;
    const char* text = static_cast<const char*>(NLMSG_DATA(h));
    while (len && (text[len - 1] == '\0' || text[len - 1] == '\n')) --len;
    if (const char* name = audit_msg_type_to_name(h->nlmsg_type))
      std::fprintf(out, "type=%s msg=%.*s\n", name, static_cast<int>(len), text);
    else
      std::fprintf(out, "type=UNKNOWN[%u] msg=%.*s\n", h->nlmsg_type, static_cast<int>(len), text);
    ++records;
  }
  std::fclose(out);
  std::fprintf(stderr, "records %lu, overruns %lu\n", records, overruns);
  return 0;
}
