// Formats decoded events into audit records and writes them in ring order.
// Ring order is exit order, the order in which the kernel's own audit emits
// syscall events (stamped, as here, with the entry time), so no reordering is
// done. The ring reader calls it directly: on a small machine a second thread
// only competes with the traced program for a core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sink.h"
#include "trace_events.h"

namespace bpfaudit::trace {

struct WriterConfig {
  std::optional<std::string> key;
  std::string node = "bpfaudit";
  std::uint64_t serial_base = 0;     // first serial is serial_base + 1
  std::int64_t boot_to_wall_ns = 0;  // CLOCK_REALTIME - CLOCK_BOOTTIME
};

class RecordWriter {
 public:
  RecordWriter(RecordSink& sink, WriterConfig config);
  ~RecordWriter();

  // Formats one event; output goes to the sink in large writes.
  void emit(const probe::SyscallEvent& ev);
  // Writes whatever is buffered.
  void finish();
  // A loss record stamped now, written at once.
  void write_loss(std::string_view reason, std::uint64_t count, std::uint32_t pid);

  std::uint64_t events_written() const { return events_; }
  bool failed() const { return failed_; }
  int error() const { return errno_; }

 private:
  void flush_buffer();

  RecordSink& sink_;
  WriterConfig config_;
  std::uint64_t serial_ = 0;
  std::string buffer_;
  std::uint64_t events_ = 0;
  bool failed_ = false;
  int errno_ = 0;
};

}  // namespace bpfaudit::trace
