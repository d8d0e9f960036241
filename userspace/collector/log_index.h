// The daemon's part of the history index (search/history_index.h): a log
// the daemon is done with (rotated, or the current one at shutdown) gets its
// index, built on a thread of its own so that writing never waits for it,
// and a rotation renames each index with its log so that it stays beside
// the file it describes (an index left behind would only fail its identity
// check). The log being written gets one too, extended on the same thread
// as it grows (see Refresh). BPFAUDIT_DAEMON_INDEX=0 turns it all off.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace bpfaudit::collector {

class LogIndexer {
 public:
  // When the worker extends the index of the log being written: once
  // `bytes` were written since it last did (at least; more once the log is
  // big, see README "History index"), or once nothing was written for
  // `idle` with something written since. BPFAUDIT_DAEMON_INDEX_REFRESH=
  // BYTES[,IDLE_MS] sets them (0 bytes: never while writing).
  struct Refresh {
    std::uint64_t bytes = 4ull << 20;
    std::chrono::milliseconds idle{2000};
  };

  explicit LogIndexer(std::uint64_t eoe_timeout);
  ~LogIndexer();  // finishes the indexes already asked for
  LogIndexer(const LogIndexer&) = delete;
  LogIndexer& operator=(const LogIndexer&) = delete;

  bool enabled() const { return enabled_; }
  // After the log `from` was renamed to `to`: its index follows (and an
  // index build of `from` still waiting is redirected).
  void renamed(const std::string& from, const std::string& to);
  // After the log at `path` was removed.
  void removed(const std::string& path);
  // Indexes `path` on the worker thread.
  void index_later(const std::string& path);

  // The log being written is `path` (empty: none), which holds `size`
  // bytes, of which an index may already cover some.
  void set_active(const std::string& path, std::uint64_t size);
  // The writer appended `bytes` to the active log. Never blocks: two atomic
  // updates, and a wake-up of the worker when the refresh size is reached.
  void wrote(std::uint64_t bytes);

  // Extensions of the active log's index done so far (for tests).
  std::uint64_t refreshes() const { return refreshes_.load(); }

 private:
  void work();
  static std::int64_t now_ms();

  bool enabled_;
  std::uint64_t eoe_;
  Refresh refresh_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::string building_;  // the log being indexed, under its current name
  std::string active_;    // the log being written
  bool stop_ = false;
  // Written by the writer without the lock.
  std::atomic<std::uint64_t> unindexed_{0};   // bytes written since the last refresh began
  std::atomic<std::uint64_t> active_size_{0};
  std::atomic<std::int64_t> last_write_ms_{0};
  std::atomic<std::uint64_t> threshold_{0};  // unindexed_ that wakes the worker
  std::atomic<std::uint64_t> refreshes_{0};
  std::thread worker_;
};

}  // namespace bpfaudit::collector
