#include "log_index.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "history_index.h"

namespace bpfaudit::collector {

namespace {

// The active log's refresh size grows with the log: an extension rereads
// and rewrites the whole index (about 1.4% of the log) besides indexing
// what is new, so refreshing every fixed N bytes would cost a quadratic
// total on a log that max_log_file lets grow big. With 1/8 of the log the
// rewritten indexes add up to about 9 times the final index (12% of the
// log's size in all) and the part a search reads in full stays under an
// eighth of the log (README "History index", measured).
constexpr std::uint64_t kRefreshPart = 8;

}  // namespace

LogIndexer::LogIndexer(std::uint64_t eoe_timeout) : eoe_(eoe_timeout) {
  const char* env = std::getenv("BPFAUDIT_DAEMON_INDEX");
  enabled_ = !(env && *env == '0');
  if (const char* r = std::getenv("BPFAUDIT_DAEMON_INDEX_REFRESH")) {
    char* end = nullptr;
    refresh_.bytes = std::strtoull(r, &end, 10);
    if (end && *end == ',') refresh_.idle = std::chrono::milliseconds(std::strtoll(end + 1, nullptr, 10));
  }
  threshold_ = refresh_.bytes;
  if (enabled_) worker_ = std::thread([this] { work(); });
}

LogIndexer::~LogIndexer() {
  if (!enabled_) return;
  {
    std::lock_guard g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

std::int64_t LogIndexer::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void LogIndexer::renamed(const std::string& from, const std::string& to) {
  if (!enabled_) return;
  std::lock_guard g(mu_);
  for (auto& p : queue_)
    if (p == from) p = to;
  if (building_ == from) building_ = to;
  // A missing index (never built, or still queued) is fine: the log is
  // searched without one, or gets it when its turn comes; the index of the
  // file `to` replaced goes.
  if (std::rename(search::index_path_for(from).c_str(), search::index_path_for(to).c_str()) != 0)
    std::remove(search::index_path_for(to).c_str());
}

void LogIndexer::removed(const std::string& path) {
  if (!enabled_) return;
  std::lock_guard g(mu_);
  std::remove(search::index_path_for(path).c_str());
}

void LogIndexer::index_later(const std::string& path) {
  if (!enabled_) return;
  {
    std::lock_guard g(mu_);
    queue_.push_back(path);
  }
  cv_.notify_one();
}

void LogIndexer::set_active(const std::string& path, std::uint64_t size) {
  if (!enabled_) return;
  {
    std::lock_guard g(mu_);
    active_ = path;
    active_size_ = size;
    // A log opened with content (a restart) may have an index that covers
    // part of it: counted as unindexed, it is extended at the next refresh
    // (the covered part is not read again).
    unindexed_ = path.empty() ? 0 : size;
    threshold_ = std::max(refresh_.bytes, size / kRefreshPart);
    last_write_ms_ = now_ms();
  }
  cv_.notify_one();
}

void LogIndexer::wrote(std::uint64_t bytes) {
  if (!enabled_) return;
  last_write_ms_.store(now_ms(), std::memory_order_relaxed);
  active_size_.fetch_add(bytes, std::memory_order_relaxed);
  const std::uint64_t before = unindexed_.fetch_add(bytes, std::memory_order_relaxed);
  const std::uint64_t at = threshold_.load(std::memory_order_relaxed);
  // Without the lock: a wake-up the worker misses (it was about to wait)
  // is seen at its next poll, within a second.
  if (refresh_.bytes && before < at && before + bytes >= at) cv_.notify_one();
}

void LogIndexer::work() {
  // The lowest priority for this thread alone: on a busy host the writer
  // (and the kernel's backlog) comes first, the index a little later.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
  std::unique_lock lk(mu_);
  auto refresh_due = [this] {
    if (active_.empty()) return false;
    const std::uint64_t n = unindexed_.load();
    if (n == 0) return false;
    if (refresh_.bytes && n >= threshold_.load()) return true;
    return now_ms() - last_write_ms_.load() >= refresh_.idle.count();
  };
  const auto poll = std::min<std::chrono::milliseconds>(refresh_.idle, std::chrono::seconds(1));
  for (;;) {
    cv_.wait_for(lk, poll, [&] { return stop_ || !queue_.empty() || refresh_due(); });
    std::string path;
    bool refresh = false;
    if (!queue_.empty()) {
      path = queue_.front();
      queue_.pop_front();
    } else if (stop_) {
      return;  // nothing left (the current log was queued at exit)
    } else if (refresh_due()) {
      path = active_;
      refresh = true;
      // What is written from here on is for the next refresh.
      unindexed_ = 0;
    } else {
      continue;
    }
    building_ = path;
    // Built unlocked: a rotation meanwhile must not wait for it. A usable
    // index is extended (only the log's new part is read); a failure
    // leaves the log without an index, or with its old one, which searches
    // use for what it covers.
    lk.unlock();
    bool built = search::build_index(path, search::kDefaultIndexBlock, eoe_, true).ok();
    lk.lock();
    // Renamed while it was read: the index goes where the file went. (If
    // the build opened the file that took the old name, its index names
    // that file's inode and is ignored where it lands, until the queued
    // build of the renamed log replaces it.)
    if (built && building_ != path)
      std::rename(search::index_path_for(path).c_str(),
                  search::index_path_for(building_).c_str());
    if (refresh) {
      if (built) ++refreshes_;
      threshold_ = std::max(refresh_.bytes, active_size_.load() / kRefreshPart);
    }
    building_.clear();
  }
}

}  // namespace bpfaudit::collector
