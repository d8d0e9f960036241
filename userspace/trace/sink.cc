#include "sink.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

class FdSink : public RecordSink {
 public:
  FdSink(base::UniqueFd fd, std::string target, bool is_file)
      : fd_(std::move(fd)), target_(std::move(target)), is_file_(is_file) {}
  bool write(std::string_view records) override { return fd_ && write_all(fd_.get(), records); }
  // close(2)'s answer matters here: a file system may report a failed
  // write-back only there, and the records would be lost unsaid.
  bool close() override { return !fd_ || ::close(fd_.release()) == 0; }
  std::string search_command(int pid) const override {
    if (is_file_) return "ausearch -if " + target_ + " -i -p " + std::to_string(pid);
    return "ausearch -i -p " + std::to_string(pid);
  }
  bool takes_eoe() const override { return !is_file_; }
  std::string describe() const override {
    return is_file_ ? "file " + target_ : "collector at " + target_;
  }

 private:
  base::UniqueFd fd_;
  std::string target_;
  bool is_file_;
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
      return std::unique_ptr<RecordSink>(new FdSink(std::move(fd), choice.collector_socket, false));
    if (mkdir(choice.default_dir.c_str(), 0700) != 0 && errno != EEXIST)
      return base::Error{-errno, "cannot create " + choice.default_dir + ": " + std::strerror(errno)};
    file = choice.default_dir + "/autrace-" + std::to_string(root_pid) + ".log";
  }
  // Records may be security relevant: readable by root only, like audit.log.
  base::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd) return base::Error{-errno, "cannot open " + file + ": " + std::strerror(errno)};
  return std::unique_ptr<RecordSink>(new FdSink(std::move(fd), file, true));
}

}  // namespace bpfaudit::trace
