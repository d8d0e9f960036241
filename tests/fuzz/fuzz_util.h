// Shared pieces of the libFuzzer targets: a private scratch directory per
// process, an input file without a path on disk, and streams that discard.
#pragma once

#include <fcntl.h>
#include <ftw.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace bpfaudit::fuzz {

// A mkdtemp directory, removed with its contents at process exit. Every file a
// target writes lives here.
class ScratchDir {
 public:
  static const std::string& path() {
    static ScratchDir dir;
    return dir.path_;
  }

 private:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/bpfaudit-fuzz.XXXXXX";
    if (!::mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
    // libFuzzer leaves through exit() after a run or a crash report: remove then.
    static std::string* where = &path_;
    std::atexit([] { remove_tree(*where); });
  }
  static void remove_tree(const std::string& p) {
    ::nftw(
        p.c_str(),
        [](const char* f, const struct stat*, int, struct FTW*) { return ::remove(f); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  std::string path_;
};

// Writes `data` to `name` in the scratch directory (mode 0600) and returns its path.
inline std::string scratch_file(const std::string& name, std::string_view data, mode_t mode = 0600) {
  std::string p = ScratchDir::path() + "/" + name;
  ::unlink(p.c_str());
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) std::abort();
  for (std::size_t off = 0; off < data.size();) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) std::abort();
    off += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, mode);
  ::close(fd);
  return p;
}

// An anonymous file holding `data`: readable through /proc/self/fd/N as a
// regular file, never on disk.
class MemFile {
 public:
  explicit MemFile(std::string_view data) : fd_(::memfd_create("fuzz-input", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    for (std::size_t off = 0; off < data.size();) {
      ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
      if (n <= 0) std::abort();
      off += static_cast<std::size_t>(n);
    }
    ::lseek(fd_, 0, SEEK_SET);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  int fd() const { return fd_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// A stream that swallows what is written (no file, no growing buffer).
inline std::FILE* null_stream() {
  static std::FILE* f = [] {
    cookie_io_functions_t io{};
    io.write = [](void*, const char*, std::size_t n) -> ssize_t { return static_cast<ssize_t>(n); };
    return ::fopencookie(nullptr, "w", io);
  }();
  return f;
}

// Reads the fuzzer's bytes front to back: a few choice bytes, then text.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  std::uint8_t byte() {
    if (!n_) return 0;
    --n_;
    return *p_++;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | byte();
    return v;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(u64() >> 32); }
  // Up to the next '\n' (excluded), or the rest.
  std::string_view line() {
    std::string_view s(reinterpret_cast<const char*>(p_), n_);
    std::size_t nl = s.find('\n');
    std::string_view out = s.substr(0, nl);
    std::size_t used = nl == std::string_view::npos ? n_ : nl + 1;
    p_ += used;
    n_ -= used;
    return out;
  }
  std::string_view rest() {
    std::string_view s(reinterpret_cast<const char*>(p_), n_);
    p_ += n_;
    n_ = 0;
    return s;
  }
  std::size_t left() const { return n_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

// Whitespace-separated words of a line, as a shell without quoting splits them.
inline std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = line.find_first_not_of(" \t\r", i)) != std::string_view::npos) {
    std::size_t j = std::min(line.find_first_of(" \t\r", i), line.size());
    out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// argv over `args` (argv[argc] == nullptr), valid while `args` lives.
inline std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> v;
  for (auto& a : args) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

}  // namespace bpfaudit::fuzz
