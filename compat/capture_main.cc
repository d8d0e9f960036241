// `bpfaudit capture`: writes kernel audit records to a log file through the
// read-only multicast group, for tests and benchmarks that need real logs
// while another daemon (or none) holds the audit pid.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <csignal>
#include <string>

#include "capture.h"
#include "tools.h"

namespace bpfaudit::compat {

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int capture_main(int argc, char** argv) {
  CLI::App app{"Capture kernel audit records (read-only multicast) into a log file", "capture"};
  std::string output;
  double seconds = 0;
  int idle_ms = 0;
  app.add_option("-o,--output", output, "log file to write")->required();
  app.add_option("--seconds", seconds, "stop after this many seconds");
  app.add_option("--idle-ms", idle_ms, "stop after this long without a record");
  CLI11_PARSE(app, argc, argv);

  capture::ReadlogSocket sock;
  if (auto e = sock.open(); !e.empty()) {
    std::fprintf(stderr, "capture: %s\n", e.c_str());
    return 1;
  }
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
    if (sock.receive(line, 100)) {
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
