// Shared pieces of the libFuzzer targets: a private scratch directory per
// process, an input file without a path on disk, and streams that discard.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace bpfaudit::fuzz {

// A directory of this process's own (TMPDIR/bpfaudit-fuzz.PID), made at
// first use. Every file a target writes lives here. libFuzzer ends with
// _exit, so no exit handler runs: each process removes the directories of
// processes that are gone when it makes its own.
class ScratchDir {
 public:
  static const std::string& path() {
    static ScratchDir dir;
    return dir.path_;
  }

 private:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp && *tmp ? tmp : "/tmp";
    constexpr std::string_view kPrefix = "bpfaudit-fuzz.";
    if (DIR* d = ::opendir(base.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string_view name(e->d_name);
        if (!name.starts_with(kPrefix)) continue;
        long pid = std::strtol(e->d_name + kPrefix.size(), nullptr, 10);
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
          remove_tree(base + "/" + e->d_name);
      }
      ::closedir(d);
    }
    path_ = base + "/" + std::string(kPrefix) + std::to_string(::getpid());
    remove_tree(path_);
    if (::mkdir(path_.c_str(), 0700) != 0) std::abort();
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

// A tree under the scratch directory for configuration files to point at:
// var/log/audit/audit.log, an executable sbin/action, an empty etc/.
inline const std::string& fake_root() {
  static const std::string r = [] {
    std::string base = ScratchDir::path() + "/root";
    for (const char* d : {"", "/var", "/var/log", "/var/log/audit", "/sbin", "/etc"})
      ::mkdir((base + d).c_str(), 0755);
    scratch_file("root/var/log/audit/audit.log", "", 0600);
    scratch_file("root/sbin/action", "#!/bin/sh\n", 0755);
    return base;
  }();
  return r;
}

// `text` with every absolute path (a '/' that starts a word or follows '=')
// moved under fake_root(); false, for a text to skip, when it holds "..".
// The configuration checks (stat, opendir, open) then never reach the
// host's own files.
inline bool move_paths(std::string_view text, std::string& out) {
  if (text.find("..") != std::string_view::npos) return false;
  out.clear();
  out.reserve(text.size() + 64);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char prev = i ? text[i - 1] : '\n';
    if (text[i] == '/' && (prev == '\n' || prev == ' ' || prev == '\t' || prev == '='))
      out += fake_root();
    out += text[i];
  }
  return true;
}

}  // namespace bpfaudit::fuzz
