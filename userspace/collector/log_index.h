// The daemon's part of the history index (search/history_index.h): a log
// the daemon is done with (rotated, or the current one at shutdown) gets its
// index, built on a thread of its own so that writing never waits for it,
// and a rotation renames each index with its log so that it stays beside
// the file it describes (an index left behind would only fail its identity
// check). BPFAUDIT_DAEMON_INDEX=0 turns it off.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace bpfaudit::collector {

class LogIndexer {
 public:
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

 private:
  void work();

  bool enabled_;
  std::uint64_t eoe_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::string building_;  // the log being indexed, under its current name
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace bpfaudit::collector
