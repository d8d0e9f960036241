#include "kernel_env.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace bpfaudit::test {
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

}  // namespace bpfaudit::test
