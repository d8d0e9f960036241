// Formats decoded events into audit records and writes them in ring order.
// Ring order is exit order, the order in which the kernel's own audit emits
// syscall events (stamped, as here, with the entry time), so no reordering is
// done. The ring reader formats (no second formatting thread competing with
// the traced program for a core on a small machine); full output buffers go
// to an I/O thread, so that a write() stalled in the page cache or on a
// slow collector does not stop the ring from being read (it filled and lost
// events while the reader sat in write()).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "loss.h"
#include "sink.h"
#include "trace_events.h"
#include "trace_format.h"

namespace bpfaudit::trace {

struct WriterConfig {
  std::optional<std::string> key;
  std::string node = "bpfaudit";
  std::uint64_t serial_base = 0;     // first serial is serial_base + 1
  std::int64_t boot_to_wall_ns = 0;  // CLOCK_REALTIME - CLOCK_BOOTTIME
  // EOE after each event: for the collector, which hands it to plugins; a
  // log file gets none, as auditd writes none to disk.
  bool eoe = true;
};

class RecordWriter {
 public:
  // Output buffers of this size are handed to the I/O thread; at most
  // kMaxBuffers of them exist, beyond that emit() waits for the sink.
  static constexpr std::size_t kFlushBytes = 1 << 20;
  static constexpr std::size_t kMaxBuffers = 32;

  RecordWriter(RecordSink& sink, WriterConfig config);
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  // Formats one event; output goes to the sink in large writes, in order.
  void emit(const ebpf::SyscallEvent& ev);
  // Returns once everything emitted so far has been written (or failed).
  void finish();
  // A loss record stamped now, written before this returns.
  void write_loss(const record::LossEntry& e);

  std::uint64_t events_written() const { return events_; }
  // Meaningful after finish(): the first write failure and its errno.
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  int error() const { return errno_.load(std::memory_order_acquire); }

 private:
  // Queues buffer_ for the I/O thread and takes an empty one.
  void hand_off();
  void write_loop();

  RecordSink& sink_;
  WriterConfig config_;
  std::uint64_t serial_ = 0;
  std::string buffer_;
  ebpf::SyscallTailCache tails_;
  std::uint64_t events_ = 0;
  std::atomic<bool> failed_{false};
  std::atomic<int> errno_{0};

  std::mutex mu_;
  std::condition_variable queued_;   // the I/O thread waits for work
  std::condition_variable written_;  // hand_off() and finish() wait for it
  std::deque<std::string> full_;     // in output order
  std::vector<std::string> spare_;   // written, storage kept
  std::size_t buffers_ = 1;          // allocated, buffer_ included
  bool writing_ = false;             // the I/O thread holds a buffer
  bool stopping_ = false;
  std::thread io_;
};

}  // namespace bpfaudit::trace
