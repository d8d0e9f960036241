#include "sink.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "unique_fd.h"

namespace bpfaudit::trace {

namespace {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The collector's socket: it takes EOE (for its plugins), and records sent
// there are searched in the daemon's log.
class CollectorSink : public RecordSink {
 public:
  CollectorSink(base::UniqueFd fd, std::string target)
      : fd_(std::move(fd)), target_(std::move(target)) {}
  bool write(std::string_view records) override { return fd_ && write_all(fd_.get(), records); }
  bool close() override { return !fd_ || ::close(fd_.release()) == 0; }
  std::string search_command(int pid) const override {
    return "ausearch -i -p " + std::to_string(pid);
  }
  std::string describe() const override { return "collector at " + target_; }

 private:
  base::UniqueFd fd_;
  std::string target_;
};

// A log file, written through the page cache, or with O_DIRECT when asked
// (BPFAUDIT_TRACE_DIRECT=1). O_DIRECT came first: `perf record` of an autrace
// dd (2026-12-07, early) put 35% of all samples in the page cache's copy
// (copy_folio_from_iter_atomic), and `dd bs=1M` on this VM's ext4 wrote
// 0.75 GB/s buffered, 1.4 GB/s direct. Later that day the disk wrote 1.1 GB
// direct in 1.40-1.51 s (0.75 GB/s), and a traced dd (2M syscalls, 1.1 GB of
// records) written directly lost events in 7 of 12 runs (35k-397k, counted)
// when the reader fell behind the disk, its whole run 0.73-1.09 s; through
// the page cache 0 lost in 10 of 10, 0.69-0.81 s, dd itself 0.47-0.68 s
// against 0.48-0.56 s. A trail that loses events to save dd 10% is the
// wrong trade, so the page cache is the default. With O_DIRECT, records
// are staged in an aligned buffer (a memcpy, several GB/s) and written in
// whole 4 KiB blocks, so the file's size stays a multiple of 4 KiB until
// close(), which writes the last partial block through the page cache.
// Until then the file may end inside a record. A file that does not end on
// a block boundary when opened (an existing log being appended to), a file
// system that refuses O_DIRECT, or a direct write it refuses, means plain
// writes from there on: the records are the same either way.
class DirectFileSink : public RecordSink {
 public:
  DirectFileSink(base::UniqueFd fd, std::string target, bool direct_io)
      : fd_(std::move(fd)), target_(std::move(target)) {
    struct stat st;
    int flags = ::fcntl(fd_.get(), F_GETFL);
    void* mem = nullptr;
    if (direct_io && ::fstat(fd_.get(), &st) == 0 && st.st_size % kBlock == 0 && flags >= 0 &&
        ::posix_memalign(&mem, kBlock, kStage) == 0) {
      stage_.reset(static_cast<char*>(mem));
      direct_ = ::fcntl(fd_.get(), F_SETFL, flags | O_DIRECT) == 0;
    }
  }
  bool write(std::string_view records) override {
    if (!fd_) return false;
    if (!direct_) return write_all(fd_.get(), records);
    while (!records.empty()) {
      std::size_t n = std::min(records.size(), kStage - staged_);
      std::memcpy(stage_.get() + staged_, records.data(), n);
      staged_ += n;
      records.remove_prefix(n);
      if (staged_ == kStage && !flush_blocks()) return false;
    }
    return true;
  }
  bool close() override {
    if (!fd_) return true;
    bool ok = true;
    if (direct_ && staged_ > 0) {
      ok = flush_blocks();
      if (ok && staged_ > 0) ok = plain() && write_all(fd_.get(), {stage_.get(), staged_});
    }
    staged_ = 0;
    // close(2)'s answer matters: a file system may report a failed
    // write-back only there.
    return ::close(fd_.release()) == 0 && ok;
  }
  std::string search_command(int pid) const override {
    return "ausearch -if " + target_ + " -i -p " + std::to_string(pid);
  }
  bool takes_eoe() const override { return false; }
  std::string describe() const override { return "file " + target_; }

 private:
  static constexpr std::size_t kBlock = 4096;
  static constexpr std::size_t kStage = 4u << 20;
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };

  // Back to plain writes for good.
  bool plain() {
    if (!direct_) return true;
    direct_ = false;
    int flags = ::fcntl(fd_.get(), F_GETFL);
    return flags >= 0 && ::fcntl(fd_.get(), F_SETFL, flags & ~O_DIRECT) == 0;
  }
  // Writes the staged whole blocks and keeps the rest at the front.
  bool flush_blocks() {
    std::size_t whole = staged_ / kBlock * kBlock, done = 0;
    while (done < whole) {
      ssize_t n = ::write(fd_.get(), stage_.get() + done, whole - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL) {  // refused after all: the rest goes plain
        if (!plain()) return false;
        break;
      }
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
      if (done % kBlock != 0) {  // a short write leaves the file unaligned
        if (!plain()) return false;
        break;
      }
    }
    if (!direct_ && done < staged_) {
      if (!write_all(fd_.get(), {stage_.get() + done, staged_ - done})) return false;
      staged_ = 0;
      return true;
    }
    std::memmove(stage_.get(), stage_.get() + done, staged_ - done);
    staged_ -= done;
    return true;
  }

  base::UniqueFd fd_;
  std::string target_;
  std::unique_ptr<char, Free> stage_;
  std::size_t staged_ = 0;
  bool direct_ = false;
};

// The collector's socket, connected; not valid when no collector listens.
base::UniqueFd connect_collector(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return {};
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return {};
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return fd;
}

}  // namespace

base::Result<std::unique_ptr<RecordSink>> open_sink(const SinkChoice& choice, int root_pid) {
  std::string file;
  if (choice.output_file) {
    file = *choice.output_file;
  } else {
    if (base::UniqueFd fd = connect_collector(choice.collector_socket))
      return std::unique_ptr<RecordSink>(new CollectorSink(std::move(fd), choice.collector_socket));
    if (mkdir(choice.default_dir.c_str(), 0700) != 0 && errno != EEXIST)
      return base::Error{-errno,
                         "cannot create " + choice.default_dir + ": " + std::strerror(errno)};
    file = choice.default_dir + "/autrace-" + std::to_string(root_pid) + ".log";
  }
  // Records may be security relevant: readable by root only, like audit.log.
  base::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd) return base::Error{-errno, "cannot open " + file + ": " + std::strerror(errno)};
  return std::unique_ptr<RecordSink>(new DirectFileSink(std::move(fd), file, choice.direct_io));
}

}  // namespace bpfaudit::trace
