// Formats decoded events into audit records and writes them, on its own
// thread, so the ring-buffer reader only decodes.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sink.h"
#include "trace_events.h"

namespace bpfaudit::trace {

struct WriterConfig {
  std::optional<std::string> key;
  std::string node = "bpfaudit";
  std::uint64_t serial_base = 0;       // first serial is serial_base + 1
  std::int64_t boot_to_wall_ns = 0;    // CLOCK_REALTIME - CLOCK_BOOTTIME
  std::uint64_t hold_ns = 50'000'000;  // reorder window on entry time
  std::size_t max_batches = 256;       // bounded queue between reader and writer
};

class RecordWriter {
 public:
  RecordWriter(RecordSink& sink, WriterConfig config);
  ~RecordWriter();

  // Hands a batch to the writer thread; blocks while the queue is full.
  void push(std::vector<probe::SyscallEvent> batch);
  // Writes everything still held, stops the thread. Idempotent.
  void finish();
  // After finish(): a loss record stamped now.
  void write_loss(std::string_view reason, std::uint64_t count, std::uint32_t pid);

  std::uint64_t events_written() const { return events_; }
  bool failed() const { return failed_; }
  int error() const { return errno_; }

 private:
  void run();
  void emit(const probe::SyscallEvent& ev);
  void flush_buffer(bool force);

  RecordSink& sink_;
  WriterConfig config_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<std::vector<probe::SyscallEvent>> queue_;
  bool closing_ = false;
  std::thread thread_;

  // Writer-thread state.
  std::vector<probe::SyscallEvent> heap_;  // min-heap on enter_ns
  std::uint64_t watermark_ = 0;            // newest exit time seen
  std::uint64_t serial_ = 0;
  std::string buffer_;
  std::uint64_t events_ = 0;
  bool failed_ = false;
  int errno_ = 0;
};

}  // namespace bpfaudit::trace
