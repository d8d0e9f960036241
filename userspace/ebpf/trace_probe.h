// Lifecycle of autrace's instance of the engine's BPF object (the
// process-tree rule): feature checks, load, attach, the
// traced-thread table, the ring buffer and the loss counters. RAII: destroying
// the probe detaches every program and frees the maps.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bpf_handles.h"
#include "result.h"
#include "trace_events.h"
#include "unique_fd.h"

struct engine_bpf;
struct ring_buffer;

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

struct ProbeConfig {
  std::vector<int> syscalls;                   // empty: every syscall
  std::size_t ring_bytes = kDefaultRingBytes;  // power of two, multiple of the page size
  std::uint64_t wakeup_bytes = 256u << 10;     // batch this much before waking the reader
};

// Calls fn on each event of a BPFAUDIT_EV_BATCH record (bpfaudit_engine.h),
// in order; false when `data` is not a batch. A piece whose header does not
// fit is passed on as it is (the decoder counts it malformed) and ends it.
bool for_each_batched_event(const void* data, std::size_t size,
                            const std::function<void(const void*, std::size_t)>& fn);

class TraceProbe {
 public:
  using Handler = std::function<void(const void* data, std::size_t size)>;

  // Checks privileges, BTF and BPF, then loads and attaches.
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

 private:
  TraceProbe() = default;

  SkelPtr<engine_bpf> skel_;
  // The ring buffer, mapped and consumed here rather than by libbpf's
  // ring_buffer: libbpf publishes the consumer position after every record,
  // and the traced program's CPU reads that position on every reservation, so
  // a per-record store makes its cache line travel between the two cores once
  // per syscall.
  int ring_fd_ = -1;
  std::uint64_t* consumer_pos_ = nullptr;  // mapped read-write
  const std::uint64_t* producer_pos_ = nullptr;
  const std::uint8_t* ring_data_ = nullptr;  // the data area, mapped once
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
