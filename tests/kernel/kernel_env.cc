#include "kernel_env.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bpfaudit::test {
namespace {

std::string g_libbpf_log;

int capture_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[4096];
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  if (n > 0) g_libbpf_log.append(buf, std::min<size_t>(n, sizeof buf - 1));
  return n;
}

}  // namespace

bool in_vm_guest() {
  const char* v = std::getenv("BPFAUDIT_VM_GUEST");
  return v && std::strcmp(v, "1") == 0;
}

std::string missing_kernel_facility() {
  if (geteuid() != 0) return "kernel tier needs root";
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return "kernel has no BTF (/sys/kernel/btf/vmlinux missing): CO-RE cannot relocate";
  return {};
}

std::string exclude_guest_only(const std::string& filter) {
  if (filter.find('-') != std::string::npos) return filter + ":*GuestOnly*";
  return (filter.empty() ? std::string("*") : filter) + "-*GuestOnly*";
}

LibbpfLog::LibbpfLog() {
  g_libbpf_log.clear();
  libbpf_set_print(capture_libbpf);
}

LibbpfLog::~LibbpfLog() { libbpf_set_print(nullptr); }

const std::string& LibbpfLog::text() const { return g_libbpf_log; }

}  // namespace bpfaudit::test
