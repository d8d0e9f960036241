// `bpfaudit capture`: writes kernel audit records to a log file through the
// read-only multicast group, for tests and benchmarks that need real logs
// while another daemon (or none) holds the audit pid.
#include <getopt.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "audit_socket.h"
#include "record.h"
#include "tools.h"

namespace bpfaudit::compat {

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// Waits up to timeout_ms for one record and formats it as a log line without
// newline (`type=NAME msg=audit(...): ...`); false on timeout or error.
// Overruns (the kernel dropped multicast data) are counted by the socket.
bool receive_line(kernel::AuditSocket& sock, std::string& line, int timeout_ms) {
  using Status = kernel::AuditSocket::Received::Status;
  for (;;) {
    auto r = sock.receive(timeout_ms);
    if (r.status == Status::kNone || r.status == Status::kError) return false;
    if (r.status != Status::kEvent) continue;
    line = record::format_log_line(r.type, r.payload);
    return true;
  }
}
}  // namespace

int capture_main(int argc, char** argv) {
  // getopt rather than CLI11: CLI11's header-level globals and <iostream>
  // would run C++ locale set-up at every start of the multi-call binary, which
  // is most of the start-up cost of a search over a small log.
  static const option kOpts[] = {{"output", required_argument, nullptr, 'o'},
                                 {"seconds", required_argument, nullptr, 's'},
                                 {"idle-ms", required_argument, nullptr, 'i'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  constexpr const char* kUsage =
      "usage: bpfaudit capture -o FILE [--seconds N] [--idle-ms MS]\n"
      "Capture kernel audit records (read-only multicast) into a log file\n";
  std::string output;
  double seconds = 0;
  long idle_ms = 0;
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "o:h", kOpts, nullptr)) != -1;) {
    char* end = nullptr;
    switch (c) {
      case 'o':
        output = optarg;
        break;
      case 's':
        seconds = std::strtod(optarg, &end);
        if (*optarg == '\0' || *end != '\0' || seconds < 0) {
          std::fprintf(stderr, "capture: --seconds: not a non-negative number: %s\n", optarg);
          return 2;
        }
        break;
      case 'i':
        idle_ms = std::strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end != '\0' || idle_ms < 0) {
          std::fprintf(stderr, "capture: --idle-ms: not a non-negative integer: %s\n", optarg);
          return 2;
        }
        break;
      case 'h':
        std::fputs(kUsage, stdout);
        return 0;
      default:
        std::fputs(kUsage, stderr);
        return 2;
    }
  }
  if (output.empty() || optind != argc) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  kernel::AuditSocket::OpenStep failed_step{};
  auto opened = kernel::AuditSocket::open_events({.readlog = true}, &failed_step);
  if (!opened.ok()) {
    std::fprintf(stderr, "capture: %s%s\n",
                 failed_step == kernel::AuditSocket::OpenStep::kSocket
                     ? "netlink audit socket: "
                     : "joining the audit read-log group (needs CAP_AUDIT_READ): ",
                 std::strerror(-opened.code()));
    return 1;
  }
  kernel::AuditSocket& sock = *opened;
  std::FILE* out = std::fopen(output.c_str(), "we");
  if (!out) {
    std::perror(output.c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // Tell a waiting parent we are listening.
  std::fprintf(stderr, "capture: listening\n");
  auto start = std::chrono::steady_clock::now();
  std::string line;
  std::uint64_t count = 0;
  auto last = start;
  while (!g_stop) {
    auto now = std::chrono::steady_clock::now();
    if (seconds > 0 && std::chrono::duration<double>(now - start).count() >= seconds) break;
    if (idle_ms > 0 && count > 0 &&
        std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count() >= idle_ms)
      break;
    if (receive_line(sock, line, 100)) {
      std::fputs(line.c_str(), out);
      std::fputc('\n', out);
      ++count;
      last = std::chrono::steady_clock::now();
    }
  }
  std::fclose(out);
  std::fprintf(stderr, "capture: %llu records, %llu overruns\n",
               static_cast<unsigned long long>(count),
               static_cast<unsigned long long>(sock.overruns()));
  return sock.overruns() ? 2 : 0;
}

}  // namespace bpfaudit::compat
