#include "writer.h"

#include <time.h>

#include <cerrno>

#include "trace_format.h"

namespace bpfaudit::trace {

RecordWriter::RecordWriter(RecordSink& sink, WriterConfig config)
    : sink_(sink), config_(std::move(config)), serial_(config_.serial_base) {
  buffer_.reserve(kFlushBytes + (64 << 10));
  io_ = std::thread([this] { write_loop(); });
}

RecordWriter::~RecordWriter() {
  finish();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_.notify_one();
  io_.join();
}

void RecordWriter::emit(const ebpf::SyscallEvent& ev) {
  auto stamp =
      record::Stamp::at_wall_ns(ev.enter_ns + config_.boot_to_wall_ns, ++serial_, config_.node);
  ebpf::append_event_records(buffer_, ev, stamp, config_.key, &tails_, config_.eoe);
  ++events_;
  if (buffer_.size() >= kFlushBytes) hand_off();
}

void RecordWriter::hand_off() {
  if (buffer_.empty()) return;
  std::string next;
  {
    std::unique_lock lock(mu_);
    if (spare_.empty() && buffers_ >= kMaxBuffers)
      written_.wait(lock, [this] { return !spare_.empty(); });
    if (!spare_.empty()) {
      next = std::move(spare_.back());
      spare_.pop_back();
    } else {
      ++buffers_;
    }
    full_.push_back(std::move(buffer_));
  }
  queued_.notify_one();
  if (next.capacity() < kFlushBytes) next.reserve(kFlushBytes + (64 << 10));
  buffer_ = std::move(next);
}

void RecordWriter::write_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    queued_.wait(lock, [this] { return stopping_ || !full_.empty(); });
    if (full_.empty()) return;  // stopping, nothing left
    std::string out = std::move(full_.front());
    full_.pop_front();
    writing_ = true;
    lock.unlock();
    // After a failure the rest is dropped: the caller reports the error.
    if (!failed_.load(std::memory_order_relaxed) && !sink_.write(out)) {
      errno_.store(errno, std::memory_order_release);
      failed_.store(true, std::memory_order_release);
    }
    out.clear();
    lock.lock();
    writing_ = false;
    spare_.push_back(std::move(out));
    written_.notify_all();
  }
}

void RecordWriter::finish() {
  hand_off();
  std::unique_lock lock(mu_);
  written_.wait(lock, [this] { return full_.empty() && !writing_; });
}

void RecordWriter::write_loss(const record::LossEntry& e) {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  record::Stamp stamp{static_cast<std::uint64_t>(now.tv_sec),
                      static_cast<std::uint32_t>(now.tv_nsec / 1'000'000), ++serial_, config_.node};
  ebpf::append_loss_record(buffer_, stamp, e);
  finish();
}

}  // namespace bpfaudit::trace
