#include "log_index.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "history_index.h"

namespace bpfaudit::collector {

LogIndexer::LogIndexer(std::uint64_t eoe_timeout) : eoe_(eoe_timeout) {
  const char* env = std::getenv("BPFAUDIT_DAEMON_INDEX");
  enabled_ = !(env && *env == '0');
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

void LogIndexer::work() {
  // The lowest priority for this thread alone: on a busy host the writer
  // (and the kernel's backlog) comes first, the index a little later.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ with nothing left
    std::string path = queue_.front();
    queue_.pop_front();
    building_ = path;
    // Built unlocked: a rotation meanwhile must not wait for it. A failure
    // leaves the log without an index, searched as before.
    lk.unlock();
    bool built = search::build_index(path, search::kDefaultIndexBlock, eoe_).ok();
    lk.lock();
    // Renamed while it was read: the index goes where the file went.
    if (built && building_ != path)
      std::rename(search::index_path_for(path).c_str(),
                  search::index_path_for(building_).c_str());
    building_.clear();
  }
}

}  // namespace bpfaudit::collector
