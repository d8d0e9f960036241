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

namespace bpfaudit::probe {

namespace {

// The innermost live LibbpfLog. Loads happen on one thread at a time (autrace
// and auditctl load before starting threads; the daemon loads on its main
// thread), so a plain pointer is enough.
LibbpfLog* g_log = nullptr;
std::string* g_text = nullptr;

// Kept bounded: a verifier log can run to megabytes, the error needs its end.
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
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (n > 0 && g_text->size() < kKeepBytes) g_text->append(buf);
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

}  // namespace bpfaudit::probe
