// Which syscalls a rule's perm field (auditctl -p rwxa, -F perm=) can ever match.
//
// The kernel evaluates AUDIT_PERM with audit_match_perm() (kernel/auditsc.c): the
// syscall is classified by audit_classify_syscall(arch, nr); ordinary syscalls match
// only through the write / read / change-attribute class tables, the open family on
// the r/w access mode of its flags, execve/execveat on x, and (i386 only) socketcall
// on w. Every other syscall never matches a rule that has a perm field.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace bpfaudit::rules {

// Syscalls (numbers of that arch) for which the kernel's audit_match_perm can return true
// for `perm` (AUDIT_PERM_* bits from <linux/audit.h>: EXEC=1 WRITE=2 READ=4 ATTR=8).
// arch: AUDIT_ARCH_X86_64 or AUDIT_ARCH_I386. Unknown arch: std::nullopt.
// Sorted ascending, without duplicates. Bits of `perm` above ATTR are ignored.
std::optional<std::vector<int>> syscalls_matching_perm(uint32_t arch, uint32_t perm);

}  // namespace bpfaudit::rules
