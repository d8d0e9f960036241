#include "sink.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  FdSink(int fd, std::string target, bool is_file)
      : fd_(fd), target_(std::move(target)), is_file_(is_file) {}
  ~FdSink() override { close(); }
  bool write(std::string_view records) override { return fd_ >= 0 && write_all(fd_, records); }
  bool close() override {
    if (fd_ < 0) return true;
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0;
  }
  std::string search_command(int pid) const override {
    if (is_file_) return "ausearch -if " + target_ + " -i -p " + std::to_string(pid);
    return "ausearch -i -p " + std::to_string(pid);
  }
  std::string describe() const override {
    return is_file_ ? "file " + target_ : "collector at " + target_;
  }

 private:
  int fd_;
  std::string target_;
  bool is_file_;
};

int connect_collector(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return -1;
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::unique_ptr<RecordSink> open_sink(const SinkChoice& choice, int root_pid, std::string& error) {
  std::string file;
  if (choice.output_file) {
    file = *choice.output_file;
  } else {
    if (int fd = connect_collector(choice.collector_socket); fd >= 0)
      return std::make_unique<FdSink>(fd, choice.collector_socket, false);
    if (mkdir(choice.default_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      error = "cannot create " + choice.default_dir + ": " + std::strerror(errno);
      return nullptr;
    }
    file = choice.default_dir + "/autrace-" + std::to_string(root_pid) + ".log";
  }
  // Records may be security relevant: readable by root only, like audit.log.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot open " + file + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::make_unique<FdSink>(fd, file, true);
}

}  // namespace bpfaudit::trace
