#include "parallel_scan.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "log_reader.h"

namespace bpfaudit::search {

unsigned scan_threads() {
  constexpr unsigned kMax = 8;
  if (const char* env = std::getenv("BPFAUDIT_SCAN_THREADS"); env && *env) {
    long n = std::strtol(env, nullptr, 10);
    return static_cast<unsigned>(std::clamp<long>(n, 1, 64));
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::min<unsigned>(static_cast<unsigned>(CPU_COUNT(&set)), kMax);
}

unsigned parallel_workers(const std::vector<std::string>& paths) {
  unsigned threads = static_cast<unsigned>(std::min<std::size_t>(scan_threads(), paths.size()));
  if (threads < 2) return 0;
  std::size_t large = 0;
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && st.st_size >= kMinScanBytes) ++large;
  }
  return large < 2 ? 0 : threads;
}

std::string stamp_error(std::string_view stamp) {
  std::string s = "Error extracting time stamp (";
  s.append(stamp);
  s += ")\n";
  return s;
}

void scan_file(const std::string& path, std::size_t file, const ScanWindow& w, FileScan& f,
               const std::atomic<bool>& stop) {
  f.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!f.fd) {
    f.open_errno = errno;
    return;
  }
  struct stat st {};
  if (::fstat(f.fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size < kMinScanBytes) return;
  record::LineReader reader(f.fd.get(), record::kMaxRecordLength - 1);
  f.assembler = std::make_unique<record::EventAssembler>(w.eoe_timeout);
  record::EventAssembler& assembler = *f.assembler;
  record::Event ev;
  std::string bad_stamp;
  const std::uint64_t max_sec = static_cast<std::uint64_t>(LONG_MAX) - w.eoe_timeout - 1;
  std::uint32_t ordinal = 0;
  // Snapshots at doubling record counts: the main thread reads a file's
  // head up to the first one its assembler agrees with, so its share is at
  // most twice the stretch where the previous file's events still count.
  std::uint32_t next_snap = 32;
  // Dense logs hold tens of thousands of open events: comparing those
  // costs more than it saves.
  constexpr std::size_t kMaxSnapshotEvents = 4096;
  while (!stop.load(std::memory_order_relaxed)) {
    if (ordinal == next_snap) {
      next_snap *= 2;
      if (assembler.open_count() <= kMaxSnapshotEvents) {
        ScanSnapshot snap{ordinal, f.outcome_count(),
                          static_cast<std::uint32_t>(f.stamp_errors.size()), assembler.ties(), {}};
        assembler.fingerprint(snap.fingerprint);
        f.snapshots.push_back(std::move(snap));
        f.on_snapshot();
      }
    }
    auto line = reader.next();
    if (!line) break;
    record::HeaderError herr;
    auto h = record::parse_header(*line, &herr, &bad_stamp, max_sec);
    if (!h) {
      if (herr == record::HeaderError::kBadTimestamp)
        f.stamp_errors.emplace_back(ordinal, stamp_error(bad_stamp));
      continue;
    }
    auto sec = static_cast<std::int64_t>(h->id.sec);
    bool outside = (w.start_time && sec < w.start_time) || (w.end_time && sec > w.end_time);
    if (f.wants_headers) f.on_header(*h, outside, ordinal);
    if (outside) continue;
    std::uint64_t tag = scan_tag(file, ordinal);
    ++ordinal;
    if (!assembler.add(*h, record::view_record(*line, h->type),
                       record::FileSpan{f.fd.get(), reader.offset()}, tag))
      continue;
    while (assembler.pop_ready(ev)) f.on_event(ev, ordinal);
  }
  f.records = ordinal;
  f.scanned = !stop.load(std::memory_order_relaxed);
}

ScanPool::ScanPool(std::size_t files, unsigned threads, Make make)
    : scans_(files), window_(threads * 2) {
  for (unsigned t = 0; t < threads; ++t)
    workers_.emplace_back([this, make] {
      for (;;) {
        std::size_t i;
        {
          std::unique_lock lk(mu_);
          cv_.wait(lk, [&] { return stop_ || next_ >= scans_.size() || next_ < consuming_ + window_; });
          if (stop_ || next_ >= scans_.size()) return;
          i = next_++;
        }
        auto f = make(i, stop_);
        {
          std::lock_guard lk(mu_);
          scans_[i] = std::move(f);
        }
        cv_.notify_all();
      }
    });
}

ScanPool::~ScanPool() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

std::unique_ptr<FileScan> ScanPool::take(std::size_t i) {
  std::unique_lock lk(mu_);
  consuming_ = i;
  cv_.notify_all();
  cv_.wait(lk, [&] { return scans_[i] != nullptr; });
  return std::move(scans_[i]);
}

bool ScanSync::agrees(std::uint32_t ordinal, const record::EventAssembler& a) {
  const auto& snaps = f_.snapshots;
  while (next_ < snaps.size() && snaps[next_].pos < ordinal) ++next_;
  if (next_ >= snaps.size() || snaps[next_].pos != ordinal) return false;
  const ScanSnapshot& snap = snaps[next_];
  // A tie in the worker's run after this snapshot: its slots decided.
  if (snap.ties == f_.assembler->ties()) {
    a.fingerprint(scratch_);
    if (scratch_ == snap.fingerprint) {
      agreed_ = next_;
      return true;
    }
  }
  ++next_;
  return false;
}

void SkippingStream::write(std::string_view text) {
  written_ += text.size();
  if (skip_) {
    std::size_t k = std::min<std::uint64_t>(skip_, text.size());
    skip_ -= k;
    text.remove_prefix(k);
  }
  if (!text.empty()) std::fwrite(text.data(), 1, text.size(), f_);
}

}  // namespace bpfaudit::search
