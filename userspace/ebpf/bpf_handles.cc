#include "bpf_handles.h"

#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>

namespace bpfaudit::ebpf {

namespace {

// The innermost live LibbpfLog. Loads happen on one thread at a time (autrace
// and auditctl load before starting threads; the daemon loads on its main
// thread), so a plain pointer is enough.
LibbpfLog* g_log = nullptr;
std::string* g_text = nullptr;

// Kept bounded: a verifier log can run to megabytes, and the error needs its
// end (the verifier says why it refused last), so the oldest text goes.
constexpr std::size_t kKeepBytes = 16384;

int print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG || !g_text) return 0;
  static const bool verbose = std::getenv("BPFAUDIT_BPF_LOG") != nullptr;
  if (verbose) {
    va_list copy;
    va_copy(copy, ap);
    std::vfprintf(stderr, fmt, copy);
    va_end(copy);
  }
  // One message can be the whole verifier log: sized first, then written.
  va_list sizing;
  va_copy(sizing, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, sizing);
  va_end(sizing);
  if (n <= 0) return 0;
  std::string text(static_cast<std::size_t>(n) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), fmt, ap);
  text.pop_back();
  g_text->append(text);
  if (g_text->size() > 2 * kKeepBytes) g_text->erase(0, g_text->size() - kKeepBytes);
  return 0;
}

}  // namespace

LibbpfLog::LibbpfLog() : outer_(g_log) {
  g_log = this;
  g_text = &text_;
  libbpf_set_print(print);
}

LibbpfLog::~LibbpfLog() {
  g_log = outer_;
  g_text = outer_ ? &outer_->text_ : nullptr;
}

std::string LibbpfLog::tail(int lines) const {
  std::size_t pos = text_.size();
  while (lines-- > 0 && pos > 0) {
    pos = text_.rfind('\n', pos - 2);
    if (pos == std::string::npos) return text_;
  }
  return text_.substr(pos + 1);
}

base::Result<void> ensure_bpffs() {
  struct statfs fs {};
  if (::statfs("/sys/fs/bpf", &fs) == 0 && fs.f_type == BPF_FS_MAGIC) return {};
  if (::mount("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0)
    return base::Error{-errno, std::string("cannot mount the BPF file system on /sys/fs/bpf: ") +
                                   std::strerror(errno)};
  return {};
}

base::Result<void> ensure_tracefs() {
  if (::access("/sys/kernel/tracing/events", F_OK) == 0 ||
      ::access("/sys/kernel/debug/tracing/events", F_OK) == 0)
    return {};
  if (::mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0)
    return base::Error{-errno, std::string("cannot mount tracefs on /sys/kernel/tracing: ") +
                                   std::strerror(errno)};
  return {};
}

}  // namespace bpfaudit::ebpf
