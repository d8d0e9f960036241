// io_uring operations as audit names them: the kernel's URINGOP record
// carries the operation's number (uring_op=N, enum io_uring_op of
// <linux/io_uring.h>), auditctl's io_uring filter list takes the names after
// -S, and ausearch -i prints the names. The names and the set of operations
// are audit-userspace 4.2's (lib/uringop_table.h, kernel 7.0): only the
// operations the kernel audits (io_uring/opdef.c entries without
// audit_skip) have a name, so "-S all" on the io_uring list means these.
#pragma once

#include <span>
#include <string_view>

namespace bpfaudit::record {

struct UringOp {
  int number;
  std::string_view name;
};

// Every named operation, by number.
std::span<const UringOp> uring_ops();
// nullptr when the number is not a named operation.
const char* uring_op_name(int number);
// -1 when the name is not an operation's.
int uring_op_number(std::string_view name);

// libaudit 4.x's machine number for io_uring (MACH_IO_URING, the enum value
// after MACH_PPC64LE): ausearch 4.x puts it in a URINGOP record's arch.
inline constexpr int kMachIoUring = 11;

}  // namespace bpfaudit::record
