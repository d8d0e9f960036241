#include "writer.h"

#include <time.h>

#include <cerrno>

#include "trace_format.h"

namespace bpfaudit::trace {

namespace {

constexpr std::size_t kFlushBytes = 1 << 20;

}  // namespace

RecordWriter::RecordWriter(RecordSink& sink, WriterConfig config)
    : sink_(sink), config_(std::move(config)), serial_(config_.serial_base) {
  buffer_.reserve(kFlushBytes + (64 << 10));
}

RecordWriter::~RecordWriter() { finish(); }

void RecordWriter::emit(const probe::SyscallEvent& ev) {
  std::uint64_t wall = ev.enter_ns + config_.boot_to_wall_ns;
  probe::RecordStamp stamp{wall / 1'000'000'000,
                           static_cast<std::uint32_t>(wall / 1'000'000 % 1000), ++serial_,
                           config_.node};
  probe::append_event_records(buffer_, ev, stamp, config_.key);
  ++events_;
  if (buffer_.size() >= kFlushBytes) flush_buffer();
}

void RecordWriter::finish() { flush_buffer(); }

void RecordWriter::flush_buffer() {
  if (buffer_.empty()) return;
  if (!failed_ && !sink_.write(buffer_)) {
    failed_ = true;
    errno_ = errno;
  }
  buffer_.clear();
}

void RecordWriter::write_loss(std::string_view reason, std::uint64_t count, std::uint32_t pid) {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  probe::RecordStamp stamp{static_cast<std::uint64_t>(now.tv_sec),
                           static_cast<std::uint32_t>(now.tv_nsec / 1'000'000), ++serial_,
                           config_.node};
  probe::append_loss_record(buffer_, stamp, reason, count, pid);
  flush_buffer();
}

}  // namespace bpfaudit::trace
