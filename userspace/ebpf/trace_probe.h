// Lifecycle of autrace's instance of the engine's BPF object (the
// process-tree rule): feature checks, load (or the preloaded engine),
// attach, the traced-thread table, the ring buffer and the loss counters.
// RAII: destroying the probe detaches every program and, unless the engine
// is preloaded, frees it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "result.h"
#include "trace_events.h"
#include "unique_fd.h"

namespace bpfaudit::ebpf {

// The ring's size. The reader formats and writes about 560 bytes of text
// per event (SYSCALL + PROCTITLE), which on 2 CPUs takes longer than dd bs=1
// takes to make them: the ring has to hold the difference. With 8 MiB (100k
// events) `autrace dd bs=1 count=1000000` lost 185k-910k of its 2M events;
// with 64 MiB none (2026-12-07, README). The program's own cost hardly
// depends on it (bpf_stats: 104-116 ns a run with 1 MiB, 108-129 with 8,
// 104-118 with 64). Its pages are allocated when the map is created (10-12 ms
// for 64 MiB, 1.5-2 ms for 8), which TraceProbe::open overlaps with libbpf's
// work on the kernel's BTF.
inline constexpr std::size_t kDefaultRingBytes = 64u << 20;
inline constexpr std::size_t kMaxRingBytes = 4096ull << 20;

// Whether this kernel lets a BPF trampoline (fentry) load and attach, tried
// on the VFS hooks' first attach point (vfs_unlink) with a two-instruction
// program; the error says why not (e.g. "fentry refused (EPERM)"). `btf_id`
// is vfs_unlink's id in the kernel's BTF, 0 to look it up.
base::Result<void> probe_fentry(int btf_id = 0);

struct ProbeConfig {
  std::vector<int> syscalls;                   // empty: every syscall
  std::size_t ring_bytes = kDefaultRingBytes;  // power of two, multiple of the page size
  std::uint64_t wakeup_bytes = 256u << 10;     // batch this much before waking the reader
  // The engine's cwd cache (engine.bpf.c, cache_cwd): set by TracePreload,
  // which verifies it once for all its runs.
  bool cache_cwd = false;
};

// Calls fn on each event of a BPFAUDIT_EV_BATCH record (bpfaudit_engine.h),
// in order; false when `data` is not a batch. A piece whose header does not
// fit is passed on as it is (the decoder counts it malformed) and ends it.
bool for_each_batched_event(const void* data, std::size_t size,
                            const std::function<void(const void*, std::size_t)>& fn);

// autrace's engine kept loaded between runs (`bpfaudit engine
// preload-trace`): its programs and maps pinned under kPinDir. Why: loading
// is most of autrace's start-up (the kernel's BTF, CO-RE, the verifier, the
// ring's zeroed pages: about 35 ms of `autrace /bin/true`'s 50, README), and
// a preloaded engine skips all of it. A run attaches the syscall and sched
// programs itself (about 1 ms). The entry events of exec and chdir stay
// attached while preloaded, inert outside a run: the last close of such an
// event waits for tracepoint grace periods under the kernel's event mutex
// (40-70 ms each), so a run that attached its own would wait for the
// previous run's closes (10-15 ms of `autrace /bin/true` run back to back).
struct TracePreload {
  static constexpr const char* kPinDir = "/sys/fs/bpf/bpfaudit/trace";
  // Loads the engine as autrace would with `config` and pins it, replacing
  // a preloaded engine already there.
  // `vfs_status`, when given, gets whether the VFS hooks were loaded (and
  // pinned) or why not, as autrace's start-up line words it.
  static base::Result<void> load(const ProbeConfig& config, std::string* vfs_status = nullptr);
  // Removes the pins (a run in progress keeps its descriptors and ends as
  // usual); the kernel frees the engine when its last user goes.
  static base::Result<void> unload();
  struct State {
    bool loaded = false;
    std::size_t ring_bytes = 0;
    bool in_use = false;        // a run holds it now
    bool other_build = false;   // loaded by another build: autrace will not use it
    bool entry_events = false;  // exec's and chdir's entry events kept attached
    bool vfs_hooks = false;     // the VFS hooks (fentry) loaded with it
    std::uint32_t runs = 0;     // runs it has served
  };
  static State state();
};

class TraceProbe {
 public:
  using Handler = std::function<void(const void* data, std::size_t size)>;

  // Checks privileges, BTF and BPF, then takes the preloaded engine when
  // there is one this run can use, or loads one for this run, and attaches.
  static base::Result<std::unique_ptr<TraceProbe>> open(const ProbeConfig& config, Handler handler);
  ~TraceProbe();
  TraceProbe(const TraceProbe&) = delete;
  TraceProbe& operator=(const TraceProbe&) = delete;

  // Starts following a process that has not run yet, so has one thread
  // (and, through fork, its threads and descendants).
  base::Result<void> trace_tgid(std::uint32_t tgid);

  // Waits up to timeout_ms for a ring wake-up or wake(), then consumes
  // everything available. Returns records consumed or a negative errno.
  int poll(int timeout_ms);
  // Ends a poll() in progress on another thread at once.
  void wake();
  // At the end of a trace, once no poll() runs: detaches the programs that
  // batch SYSCALL events, then hands the ring and what the CPUs' batches
  // still held (threads that did not leave their CPU) to the handler.
  // Returns how many events came from the batches.
  int drain_batches();

  // Per-reason totals summed over CPUs.
  std::array<std::uint64_t, kLossReasons> losses() const;

  // The attach points in use, for the start-up message.
  const std::string& path_description() const { return description_; }
  // Where open() spent its time (BPFAUDIT_TRACE_TIMING): phase name and
  // milliseconds, in order.
  const std::vector<std::pair<std::string, double>>& open_phases() const { return phases_; }

  // The engine's programs, in attach order; kEnterAny is the fallback for
  // the syscall entry events.
  enum Program {
    kSysExit,
    kFork,
    kExec,
    kTaskExit,
    kSwitch,
    kEnterExecve,
    kEnterExecveat,
    kEnterChdir,
    kEnterAny,
    // The VFS hooks (fentry, engine.bpf.c): loaded and attached only where
    // the kernel allows fentry, all or none.
    kVfsUnlink,
    kVfsRmdir,
    kVfsCreate,
    kVfsMkdir,
    kVfsMknod,
    kVfsLink,
    kVfsRename,
    kVfsOpenExec,
    kVfsBprmFcaps,
    kPrograms
  };
  static constexpr Program kFirstVfs = kVfsUnlink;

  // Whether the VFS hooks are attached for this run, and the start-up
  // line's words for it (on, or off and why).
  bool vfs_hooks() const { return vfs_hooks_; }
  const std::string& vfs_status() const { return vfs_status_; }

 private:
  friend struct TracePreload;
  TraceProbe() = default;

  // The loaded engine, whoever loaded it: descriptors of its programs and of
  // the maps userspace uses, and its .bss mapped here.
  std::array<base::UniqueFd, kPrograms> progs_;
  base::UniqueFd ring_fd_, pending_fd_, batch_fd_, losses_fd_, bss_fd_;
  void* bss_ = nullptr;  // engine_bpf's .bss, mapped read-write
  std::size_t bss_bytes_ = 0;
  base::UniqueFd lock_fd_;  // held while this run uses the preloaded engine
  std::array<base::UniqueFd, kPrograms> links_;
  std::uint32_t run_ = 0;  // this run's number (engine.bpf.c, trace_run)

  // Loads the engine for this run (ring made on a second thread); fills the
  // descriptors, maps the ring and the .bss.
  base::Result<void> load(const ProbeConfig& config, std::string& core_btf_description);
  // Takes the preloaded engine: -ENOENT when there is none, another error
  // saying why this run cannot use it.
  base::Result<void> open_preloaded(const ProbeConfig& config);
  // The ring's two position pages, mapped at once (two pages), and its data
  // area, mapped on a second thread: the kernel fills the page tables of the
  // whole area when it is mapped (3-5 ms for 64 MiB), which then overlaps the
  // attach, the fork and the traced program's start. ring_ready() starts
  // reading where the producer is (trace_tgid() calls it before anything is
  // traced); data_ready() waits for the data area (consume() calls it): the
  // program can fill the ring before it is mapped here.
  void start_map_ring(std::size_t ring_bytes);
  base::Result<void> map_positions();
  base::Result<void> map_data(std::size_t ring_bytes);
  base::Result<void> ring_ready();
  base::Result<void> data_ready();
  std::thread ring_mapper_;
  std::once_flag data_once_;
  base::Result<void> positions_mapped_;
  base::Result<void> data_mapped_;
  bool positions_reset_ = false;
  base::Result<void> map_bss();
  // Clears what an earlier run may have left (losses, batches, unread ring
  // records), writes the run's tables and starts its run number.
  void start_run(const ProbeConfig& config);
  // Attaches p; a syscall event with `cookie` (engine.bpf.c, save_entry).
  base::Result<void> attach(Program p, std::uint64_t cookie);
  bool entry_events_preloaded_ = false;  // the preloaded engine keeps them attached
  // The VFS hooks: loaded (progs_ holds them) or not, and why not.
  bool vfs_loaded_ = false;
  std::string vfs_off_reason_;
  bool vfs_hooks_ = false;
  std::string vfs_status_;
  // Attaches the VFS hooks when loaded; sets vfs_hooks_ and vfs_status_.
  void attach_vfs_hooks();

  // The ring buffer, mapped and consumed here rather than by libbpf's
  // ring_buffer: libbpf publishes the consumer position after every record,
  // and the traced program's CPU reads that position on every reservation, so
  // a per-record store makes its cache line travel between the two cores once
  // per syscall.
  std::uint64_t* consumer_pos_ = nullptr;  // mapped read-write
  const std::uint64_t* producer_pos_ = nullptr;
  const std::uint8_t* ring_data_ = nullptr;  // the data area, mapped once, alone
  std::vector<std::uint8_t> wrapped_;        // a record that wraps, joined
  std::size_t ring_mask_ = 0;
  std::size_t page_size_ = 0;
  std::size_t ring_bytes_ = 0;
  // Hands every submitted record to handler_ (a batch's events one by one);
  // returns how many records.
  int consume();
  void deliver(const void* data, std::size_t size);
  void release_entry_events_in_background();
  base::UniqueFd epoll_fd_;  // the ring's epoll fd and wake_fd_
  base::UniqueFd wake_fd_;   // eventfd
  Handler handler_;
  std::string description_;
  std::vector<std::pair<std::string, double>> phases_;
};

}  // namespace bpfaudit::ebpf
