#include "writer.h"

#include <time.h>

#include <algorithm>
#include <cerrno>

#include "trace_format.h"

namespace bpfaudit::trace {

namespace {

constexpr std::size_t kFlushBytes = 1 << 20;

bool later_entry(const probe::SyscallEvent& a, const probe::SyscallEvent& b) {
  return a.enter_ns > b.enter_ns;
}

}  // namespace

RecordWriter::RecordWriter(RecordSink& sink, WriterConfig config)
    : sink_(sink), config_(std::move(config)), serial_(config_.serial_base) {
  buffer_.reserve(kFlushBytes * 2);
  thread_ = std::thread([this] { run(); });
}

RecordWriter::~RecordWriter() { finish(); }

void RecordWriter::push(std::vector<probe::SyscallEvent> batch) {
  if (batch.empty()) return;
  std::unique_lock lock(mu_);
  not_full_.wait(lock, [&] { return queue_.size() < config_.max_batches || closing_; });
  queue_.push_back(std::move(batch));
  not_empty_.notify_one();
}

void RecordWriter::finish() {
  {
    std::lock_guard lock(mu_);
    if (closing_ && !thread_.joinable()) return;
    closing_ = true;
    not_empty_.notify_one();
    not_full_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void RecordWriter::run() {
  for (;;) {
    std::vector<probe::SyscallEvent> batch;
    bool closing;
    {
      std::unique_lock lock(mu_);
      not_empty_.wait(lock, [&] { return !queue_.empty() || closing_; });
      closing = closing_ && queue_.empty();
      if (!queue_.empty()) {
        batch = std::move(queue_.front());
        queue_.pop_front();
        not_full_.notify_one();
      }
    }
    for (auto& ev : batch) {
      watermark_ = std::max(watermark_, ev.exit_ns);
      heap_.push_back(std::move(ev));
      std::push_heap(heap_.begin(), heap_.end(), later_entry);
    }
    // Events on other CPUs may still be on their way: hold the newest ones
    // for a short window so the output runs in entry-time order.
    while (!heap_.empty() && (closing || heap_.front().enter_ns + config_.hold_ns < watermark_)) {
      std::pop_heap(heap_.begin(), heap_.end(), later_entry);
      emit(heap_.back());
      heap_.pop_back();
    }
    flush_buffer(closing);
    if (closing) return;
  }
}

void RecordWriter::emit(const probe::SyscallEvent& ev) {
  std::uint64_t wall = ev.enter_ns + config_.boot_to_wall_ns;
  probe::RecordStamp stamp{wall / 1'000'000'000,
                           static_cast<std::uint32_t>(wall / 1'000'000 % 1000), ++serial_,
                           config_.node};
  probe::append_event_records(buffer_, ev, stamp, config_.key);
  ++events_;
  if (buffer_.size() >= kFlushBytes) flush_buffer(false);
}

void RecordWriter::flush_buffer(bool force) {
  if (buffer_.empty() || (!force && buffer_.size() < kFlushBytes / 4)) return;
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
  flush_buffer(true);
}

}  // namespace bpfaudit::trace
