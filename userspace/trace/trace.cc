#include "trace.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "log_reader.h"
#include "syscall_table.h"
#include "trace_events.h"
#include "trace_format.h"
#include "trace_probe.h"
#include "unique_fd.h"
#include "writer.h"

namespace bpfaudit::trace {

namespace {

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The child half of the start-up handshake: wait for the parent to have the
// probe watching this pid, then become the program.
[[noreturn]] void run_child(base::UniqueFd release, const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::printf("Waiting to execute: %s\n", argv[0]);
  std::fflush(stdout);
  char byte;
  ssize_t n;
  while ((n = read(release.get(), &byte, 1)) == -1 && errno == EINTR) {
  }
  release.reset();
  // EOF without the byte: the parent gave up; do not run untraced.
  if (n != 1) _exit(1);
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "Failed to exec %s\n", argv[0]);
  _exit(1);
}

}  // namespace

int run(const Options& options, std::FILE* out, std::FILE* err) {
  // BPFAUDIT_TRACE_TIMING: where autrace's own time goes, phase by phase, on
  // stderr at the end (scripts/bench-trace prints it for autrace /bin/true).
  const bool timing = std::getenv("BPFAUDIT_TRACE_TIMING") != nullptr;
  std::vector<std::pair<std::string, double>> phases;
  timespec phase_start{};
  clock_gettime(CLOCK_MONOTONIC, &phase_start);
  auto phase = [&](std::string name) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    phases.emplace_back(std::move(name), (now.tv_sec - phase_start.tv_sec) * 1e3 +
                                             (now.tv_nsec - phase_start.tv_nsec) / 1e6);
    phase_start = now;
  };
  const std::string& program = options.command.front();
  ebpf::ProbeConfig config;
  config.ring_bytes = options.ring_bytes;
  if (options.resource_only) {
    for (auto name : ebpf::resource_syscall_names())
      if (auto nr = ebpf::syscall_number(name)) config.syscalls.push_back(*nr);
  }

  if (geteuid() != 0) {
    std::fprintf(err, "You must be root or have capabilities to run this program.\n");
    return 1;
  }
  // Stock checks the name as given (no PATH search) before anything else.
  if (access(program.c_str(), X_OK)) {
    if (errno == ENOENT)
      std::fprintf(err, "Error - can't find: %s\n", program.c_str());
    else
      std::fprintf(err, "Error checking %s (%s)\n", program.c_str(), std::strerror(errno));
    return 1;
  }

  ebpf::TraceDecoder decoder;
  // The writer exists once the sink is open, before the child runs: nothing
  // reaches the handler earlier.
  std::optional<RecordWriter> writer;
  ebpf::SyscallEvent scratch;  // reused: a steady stream allocates nothing
  // BPFAUDIT_TRACE_STAGE (ring|decode|format) stops the reader's work after
  // that stage, for scripts/bench-trace-stages, which measures what each
  // stage costs the traced program. Unset: every stage, as it must be.
  enum class Stage { kRing, kDecode, kFormat, kWrite };
  Stage stage = Stage::kWrite;
  if (const char* s = std::getenv("BPFAUDIT_TRACE_STAGE")) {
    std::string_view v(s);
    stage = v == "ring"     ? Stage::kRing
            : v == "decode" ? Stage::kDecode
            : v == "format" ? Stage::kFormat
                            : Stage::kWrite;
    std::fprintf(err, "autrace: BPFAUDIT_TRACE_STAGE=%s: records are not written\n", s);
  }
  std::string format_scratch;
  ebpf::SyscallTailCache format_tails;
  auto handler = [&](const void* data, std::size_t size) {
    if (stage == Stage::kRing) return;
    if (!decoder.feed(data, size, scratch)) return;
    if (stage == Stage::kWrite) {
      writer->emit(scratch);
    } else if (stage == Stage::kFormat) {
      format_scratch.clear();
      ebpf::append_event_records(format_scratch, scratch, record::Stamp{1, 0, 1, "bpfaudit"},
                                 std::nullopt, &format_tails);
    }
  };
  phase("start-up before the probe");
  auto opened = ebpf::TraceProbe::open(config, handler);
  if (!opened) {
    std::fprintf(err, "%s\n", opened.error().text().c_str());
    return 1;
  }
  std::unique_ptr<ebpf::TraceProbe> probe = std::move(*opened);
  for (const auto& [name, ms] : probe->open_phases()) phases.emplace_back("probe: " + name, ms);
  phase_start = {};
  clock_gettime(CLOCK_MONOTONIC, &phase_start);
  std::fprintf(err, "autrace: probe path: %s%s\n", probe->path_description().c_str(),
               options.resource_only ? ", resource syscalls only (-r)" : ", all syscalls");
  std::fflush(err);
  std::fflush(out);

  // The child waits on this pipe until the probe follows its pid; EOF
  // without a byte means "give up".
  int raw[2];
  if (pipe2(raw, O_CLOEXEC) != 0) {
    std::fprintf(err, "Error creating pipe.\n");
    return 1;
  }
  base::UniqueFd release_read(raw[0]), release_write(raw[1]);
  pid_t pid = fork();
  if (pid < 0) {
    std::fprintf(err, "Error forking.\n");
    return 1;
  }
  if (pid == 0) {
    release_write.reset();
    run_child(std::move(release_read), options.command);
  }
  release_read.reset();
  auto abandon = [&](const std::string& why) {
    std::fprintf(err, "%s\n", why.c_str());
    release_write.reset();  // the child sees EOF and exits without running the program
    waitpid(pid, nullptr, 0);
    return 1;
  };

  SinkChoice sink_choice = options.sink;
  if (const char* d = std::getenv("BPFAUDIT_TRACE_DIRECT")) sink_choice.direct_io = *d == '1';
  auto sink_opened = open_sink(sink_choice, pid);
  if (!sink_opened) return abandon(sink_opened.error().text());
  std::unique_ptr<RecordSink> sink = std::move(*sink_opened);
  if (auto traced = probe->trace_tgid(static_cast<std::uint32_t>(pid)); !traced)
    return abandon(traced.error().text());
  decoder.set_exe(static_cast<std::uint32_t>(pid), self_exe());
  if (utsname u{}; ::uname(&u) == 0)
    decoder.set_fd_stat_takes_no_name(ebpf::TraceDecoder::fd_stat_takes_no_name(u.release));
  // Until it execs, the child is a copy of this process, argv area too.
  std::string cmdline;
  record::read_file("/proc/self/cmdline", cmdline);
  decoder.set_cmdline(static_cast<std::uint32_t>(pid), std::move(cmdline));

  WriterConfig wconfig;
  wconfig.key = options.key;
  wconfig.boot_to_wall_ns = record::boot_to_wall_offset();
  // Serials count from 1 per run. node= keeps these events apart from kernel
  // events (stock groups by node too); stock ausearch -p stops matching once
  // a serial exceeds 32 bits, so no wider scheme is used.
  wconfig.serial_base = 0;
  wconfig.eoe = sink->takes_eoe();
  writer.emplace(*sink, wconfig);

  std::atomic<bool> stop{false};
  int reader_error = 0;
  std::thread reader([&] {
    for (;;) {
      bool stopping = stop.load(std::memory_order_acquire);
      int n = probe->poll(stopping ? 0 : 100);
      if (n < 0) {
        reader_error = -n;
        break;
      }
      if (stopping && n == 0) break;
    }
  });

  phase("fork, open the sink, trace the child, start the reader");
  if (write(release_write.get(), "1", 1) != 1) {
    kill(pid, SIGTERM);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  release_write.reset();
  phase("the program runs");
  std::fprintf(out, "Cleaning up...\n");
  std::fflush(out);

  stop.store(true, std::memory_order_release);
  probe->wake();
  reader.join();
  phase("read the rest of the ring");
  if (int left = probe->drain_batches(); left > 0)
    std::fprintf(err,
                 "autrace: %d events of traced threads still running were taken from the "
                 "CPUs' batches at the end\n",
                 left);
  phase("detach, take what the CPUs' batches hold");
  writer->finish();
  phase("write the rest");

  // Each non-zero count becomes a loss-ledger ring-drop record of source
  // autrace/REASON with the traced root's pid (which run, in a shared log).
  std::uint64_t lost_total = 0;
  auto write_loss = [&](std::string_view reason, std::uint64_t count) {
    lost_total += count;
    writer->write_loss(record::LossEntry::ring_drop("autrace/" + std::string(reason), count,
                                                    static_cast<std::uint32_t>(pid)));
  };
  auto losses = probe->losses();
  for (int r = 0; r < ebpf::kLossReasons; ++r)
    if (losses[r]) write_loss(ebpf::loss_reason_name(r), losses[r]);
  if (decoder.malformed()) write_loss("malformed-event", decoder.malformed());
  int rc = 0;
  if (writer->failed() || !sink->close()) {
    std::fprintf(err, "Error writing records to %s: %s\n", sink->describe().c_str(),
                 std::strerror(writer->failed() ? writer->error() : errno));
    rc = 1;
  }
  if (reader_error)
    std::fprintf(err, "Error reading the trace ring buffer: %s\n", std::strerror(reader_error));
  if (lost_total)
    std::fprintf(err, "autrace: WARNING: %llu events were lost (recorded in the output)\n",
                 static_cast<unsigned long long>(lost_total));
  std::fprintf(out, "Trace complete. You can locate the records with '%s'\n",
               sink->search_command(pid).c_str());
  std::fprintf(out, "autrace: %llu syscalls recorded, %llu events lost\n",
               static_cast<unsigned long long>(writer->events_written()),
               static_cast<unsigned long long>(lost_total));
  if (timing) {
    phase("loss records, messages");
    for (const auto& [name, ms] : phases)
      std::fprintf(err, "autrace: timing: %-58s %8.2f ms\n", name.c_str(), ms);
  }
  return rc;
}

}  // namespace bpfaudit::trace
