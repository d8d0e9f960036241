#include "trace_probe.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bpfaudit_trace.h"
#include "syscall_table.h"
#include "trace.skel.h"

namespace bpfaudit::probe {

namespace {

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";

// libbpf prints through this; keep warnings for the error message, drop debug.
thread_local std::string* g_libbpf_log = nullptr;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG || !g_libbpf_log) return 0;
  // BPFAUDIT_BPF_LOG=1 shows libbpf's full output (verifier logs) on stderr.
  static const bool verbose = std::getenv("BPFAUDIT_BPF_LOG") != nullptr;
  if (verbose) {
    va_list copy;
    va_copy(copy, ap);
    std::vfprintf(stderr, fmt, copy);
    va_end(copy);
  }
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (n > 0 && g_libbpf_log->size() < 16384) g_libbpf_log->append(buf);
  return 0;
}

std::string last_lines(const std::string& log, int lines) {
  std::size_t pos = log.size();
  while (lines-- > 0 && pos > 0) {
    pos = log.rfind('\n', pos - 2);
    if (pos == std::string::npos) return log;
  }
  return log.substr(pos + 1);
}

}  // namespace

const char* loss_reason_name(int reason) {
  switch (reason) {
    case BPFAUDIT_LOSS_RINGBUF_SYSCALL:
      return "ringbuf-full-syscall";
    case BPFAUDIT_LOSS_RINGBUF_AUX:
      return "ringbuf-full-aux";
    case BPFAUDIT_LOSS_PENDING_FULL:
      return "inflight-table-full";
    case BPFAUDIT_LOSS_TGID_FULL:
      return "tgid-table-full";
    default:
      return "unknown";
  }
}

std::unique_ptr<TraceProbe> TraceProbe::open(const ProbeConfig& config, Handler handler,
                                             ProbeError& error) {
  static_assert(kLossReasons == BPFAUDIT_LOSS_NREASONS);
  if (geteuid() != 0) {
    error = {ProbeErrorKind::kNotRoot,
             "You must be root or have capabilities to run this program."};
    return nullptr;
  }
  if (access(kBtfPath, R_OK) != 0) {
    error = {ProbeErrorKind::kNoBtf,
             std::string("kernel BTF not available (") + kBtfPath + ": " + std::strerror(errno) +
                 "); the CO-RE trace probe needs a kernel built with CONFIG_DEBUG_INFO_BTF"};
    return nullptr;
  }

  std::string log;
  g_libbpf_log = &log;
  libbpf_set_print(libbpf_print);
  struct LogReset {
    ~LogReset() { g_libbpf_log = nullptr; }
  } log_reset;

  std::unique_ptr<TraceProbe> probe(new TraceProbe());
  probe->handler_ = std::move(handler);
  probe->skel_ = trace_bpf__open();
  if (!probe->skel_) {
    error = {ProbeErrorKind::kNoBpf, std::string("cannot open the trace BPF object: ") +
                                         std::strerror(errno) + "\n" + last_lines(log, 5)};
    return nullptr;
  }
  trace_bpf* skel = probe->skel_;
  skel->rodata->wakeup_bytes = config.wakeup_bytes;
  bpf_map__set_max_entries(skel->maps.events, config.ring_bytes);

  if (int err = trace_bpf__load(skel)) {
    bool perm = err == -EPERM || err == -EACCES;
    error = {perm ? ProbeErrorKind::kNoBpf : ProbeErrorKind::kLoad,
             std::string("cannot load the trace BPF programs: ") + std::strerror(-err) + "\n" +
                 last_lines(log, 8)};
    return nullptr;
  }

  // .bss is mapped after load; the child has not run yet, so no event can
  // observe a half-written table.
  if (config.syscalls.empty()) {
    for (auto& word : skel->bss->syscall_bits) word = ~0ull;
  } else {
    for (int nr : config.syscalls)
      if (nr >= 0 && nr < BPFAUDIT_MAX_SYSCALLS)
        skel->bss->syscall_bits[nr / 64] |= 1ull << (nr % 64);
  }
  for (const auto& [nr, args] : path_syscalls()) {
    if (nr < 0 || nr >= BPFAUDIT_MAX_SYSCALLS) continue;
    skel->bss->path_args[nr] =
        static_cast<std::uint8_t>((args.first + 1) | ((args.second + 1) << 4));
  }

  if (int err = trace_bpf__attach(skel)) {
    error = {ProbeErrorKind::kAttach, std::string("cannot attach the trace BPF programs: ") +
                                          std::strerror(-err) + "\n" + last_lines(log, 8)};
    return nullptr;
  }
  probe->ring_ = ring_buffer__new(bpf_map__fd(skel->maps.events), &TraceProbe::on_record,
                                  probe.get(), nullptr);
  if (!probe->ring_) {
    error = {ProbeErrorKind::kLoad,
             std::string("cannot map the trace ring buffer: ") + std::strerror(errno)};
    return nullptr;
  }
  probe->description_ =
      "eBPF CO-RE (raw_tp/sys_enter, raw_tp/sys_exit, tp_btf/sched_process_fork|exec|exit; "
      "ring buffer " +
      std::to_string(config.ring_bytes >> 20) + " MiB)";
  return probe;
}

TraceProbe::~TraceProbe() {
  if (ring_) ring_buffer__free(ring_);
  if (skel_) trace_bpf__destroy(skel_);
}

bool TraceProbe::trace_tgid(std::uint32_t tgid, std::string& error) {
  std::uint8_t one = 1;
  if (bpf_map__update_elem(skel_->maps.traced_tgids, &tgid, sizeof tgid, &one, sizeof one,
                           BPF_ANY)) {
    error = std::string("cannot add pid ") + std::to_string(tgid) +
            " to the traced set: " + std::strerror(errno);
    return false;
  }
  return true;
}

int TraceProbe::on_record(void* ctx, void* data, std::size_t size) {
  static_cast<TraceProbe*>(ctx)->handler_(data, size);
  return 0;
}

int TraceProbe::poll(int timeout_ms) {
  int n = ring_buffer__poll(ring_, timeout_ms);
  if (n < 0 && n != -EINTR) return n;
  // Batched wake-ups leave data behind the last notification: take it too.
  int m = ring_buffer__consume(ring_);
  if (m < 0) return m;
  return (n > 0 ? n : 0) + m;
}

std::array<std::uint64_t, kLossReasons> TraceProbe::losses() const {
  std::array<std::uint64_t, kLossReasons> total{};
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return total;
  std::vector<std::uint64_t> values(ncpu);
  for (std::uint32_t r = 0; r < kLossReasons; ++r) {
    if (bpf_map__lookup_elem(skel_->maps.losses, &r, sizeof r, values.data(),
                             values.size() * sizeof(std::uint64_t), 0) == 0)
      for (auto v : values) total[r] += v;
  }
  return total;
}

}  // namespace bpfaudit::probe
