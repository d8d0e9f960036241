// Shared preconditions and helpers for the kernel tier (root, real audit and BPF).
#ifndef BPFAUDIT_TESTS_KERNEL_KERNEL_ENV_H
#define BPFAUDIT_TESTS_KERNEL_KERNEL_ENV_H

#include <string>

#include "bpf_handles.h"

namespace bpfaudit::test {

// True inside a vm-tests guest: its init exports BPFAUDIT_VM_GUEST=1. Guests own
// the whole audit subsystem, so tests named *GuestOnly* run only there, and an
// optional BPF path that the host refuses by policy must work there.
bool in_vm_guest();

// Empty when the kernel tier can run here; otherwise the reason it cannot
// (not root, no kernel BTF): the only grounds for a skip.
std::string missing_kernel_facility();

// Appends the negative pattern that keeps *GuestOnly* tests off the host.
std::string exclude_guest_only(const std::string& filter);

// libbpf's messages while alive, so a failed load can show the verifier and
// CO-RE relocation log in the assertion message: the product's own sink.
using ebpf::LibbpfLog;

}  // namespace bpfaudit::test

#endif
