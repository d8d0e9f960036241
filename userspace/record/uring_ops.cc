#include "uring_ops.h"

#include <libaudit.h>

#include <iterator>

namespace bpfaudit::record {

static_assert(kMachIoUring == MACH_PPC64LE + 1, "4.x appends MACH_IO_URING after PPC64LE");

namespace {

// Numbers are the kernel ABI (enum io_uring_op); which ones are listed and
// how they are spelled follows audit 4.2, so that rules and -i output read
// the same as there.
constexpr UringOp kOps[] = {
    {9, "sendmsg"},       {10, "recvmsg"},     {13, "accept"},     {16, "connect"},
    {17, "fallocate"},    {18, "openat"},      {19, "close"},      {28, "openat2"},
    {34, "shutdown"},     {35, "renameat"},    {36, "unlinkat"},   {37, "mkdirat"},
    {38, "symlinkat"},    {39, "linkat"},      {40, "msg_ring"},   {41, "fsetxattr"},
    {42, "setxattr"},     {43, "fgetxattr"},   {44, "getxattr"},   {46, "uring_cmd"},
    {48, "sendmsg_zc"},   {50, "waitid"},      {51, "futex_wait"}, {52, "futex_wake"},
    {53, "futex_waitv"},  {54, "fixed_fd_install"}, {55, "ftruncate"}, {56, "bind"},
    {57, "listen"},       {64, "uring_cmd128"},
};

}  // namespace

std::span<const UringOp> uring_ops() { return kOps; }

const char* uring_op_name(int number) {
  for (const auto& op : kOps)
    if (op.number == number) return op.name.data();  // literals: NUL-terminated
  return nullptr;
}

int uring_op_number(std::string_view name) {
  for (const auto& op : kOps)
    if (op.name == name) return op.number;
  return -1;
}

}  // namespace bpfaudit::record
