// Facts about x86_64 syscalls that the trace probe needs: which arguments are
// path names the kernel's audit would record, and stock autrace's -r list.
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace bpfaudit::ebpf {

struct PathArgs {
  int first = -1;   // argument index of the first path, -1: none
  int second = -1;  // argument index of the second path, -1: none
};

// Path arguments of syscall `nr` (x86_64 numbering).
PathArgs path_args_of(int nr);

// Every syscall with a path argument, in number order.
std::vector<std::pair<int, PathArgs>> path_syscalls();

// The syscall names stock autrace 3.0.9 puts in its -r rule on x86_64.
const std::vector<std::string_view>& resource_syscall_names();

// x86_64 number of a syscall name, through libaudit's table.
std::optional<int> syscall_number(std::string_view name);

}  // namespace bpfaudit::ebpf
