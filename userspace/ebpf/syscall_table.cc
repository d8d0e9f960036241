#include "syscall_table.h"

#include <libaudit.h>
#include <sys/syscall.h>

#include <algorithm>
#include <string>

namespace bpfaudit::ebpf {

namespace {

struct Entry {
  int nr;
  PathArgs args;
};

// Numbers come from the libc headers; argument positions from the syscalls'
// prototypes. symlink's first argument is link content, not a looked-up path.
constexpr Entry kPathSyscalls[] = {
    {SYS_open, {0, -1}},         {SYS_stat, {0, -1}},       {SYS_lstat, {0, -1}},
    {SYS_access, {0, -1}},       {SYS_execve, {0, -1}},     {SYS_truncate, {0, -1}},
    {SYS_chdir, {0, -1}},        {SYS_rename, {0, 1}},      {SYS_mkdir, {0, -1}},
    {SYS_rmdir, {0, -1}},        {SYS_creat, {0, -1}},      {SYS_link, {0, 1}},
    {SYS_unlink, {0, -1}},       {SYS_symlink, {1, -1}},    {SYS_readlink, {0, -1}},
    {SYS_chmod, {0, -1}},        {SYS_chown, {0, -1}},      {SYS_lchown, {0, -1}},
    {SYS_utime, {0, -1}},        {SYS_mknod, {0, -1}},      {SYS_statfs, {0, -1}},
    {SYS_chroot, {0, -1}},       {SYS_mount, {1, -1}},      {SYS_umount2, {0, -1}},
    {SYS_swapon, {0, -1}},       {SYS_swapoff, {0, -1}},    {SYS_setxattr, {0, -1}},
    {SYS_lsetxattr, {0, -1}},    {SYS_getxattr, {0, -1}},   {SYS_lgetxattr, {0, -1}},
    {SYS_listxattr, {0, -1}},    {SYS_llistxattr, {0, -1}}, {SYS_removexattr, {0, -1}},
    {SYS_lremovexattr, {0, -1}}, {SYS_utimes, {0, -1}},     {SYS_inotify_add_watch, {1, -1}},
    {SYS_openat, {1, -1}},       {SYS_mkdirat, {1, -1}},    {SYS_mknodat, {1, -1}},
    {SYS_fchownat, {1, -1}},     {SYS_futimesat, {1, -1}},  {SYS_newfstatat, {1, -1}},
    {SYS_unlinkat, {1, -1}},     {SYS_renameat, {1, 3}},    {SYS_linkat, {1, 3}},
    {SYS_symlinkat, {2, -1}},    {SYS_readlinkat, {1, -1}}, {SYS_fchmodat, {1, -1}},
    {SYS_faccessat, {1, -1}},    {SYS_utimensat, {1, -1}},  {SYS_name_to_handle_at, {1, -1}},
    {SYS_renameat2, {1, 3}},     {SYS_execveat, {1, -1}},   {SYS_statx, {1, -1}},
    {SYS_openat2, {1, -1}},      {SYS_faccessat2, {1, -1}},
};

}  // namespace

PathArgs path_args_of(int nr) {
  for (const auto& e : kPathSyscalls)
    if (e.nr == nr) return e.args;
  return {};
}

std::vector<std::pair<int, PathArgs>> path_syscalls() {
  std::vector<std::pair<int, PathArgs>> out;
  for (const auto& e : kPathSyscalls) out.emplace_back(e.nr, e.args);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

const std::vector<std::string_view>& resource_syscall_names() {
  // Stock's list for a 64-bit x86 machine: the legacy path calls (skipped only
  // on aarch64), the *at family, and the socket calls as direct syscalls
  // (stock uses socketcall rules only on i386/s390).
  static const std::vector<std::string_view> names = {"open",       "creat",    "rename",
                                                      "unlink",     "mknod",    "mkdir",
                                                      "rmdir",      "chown",    "lchown",
                                                      "chmod",      "link",     "symlink",
                                                      "readlink",   "openat",   "truncate",
                                                      "renameat",   "unlinkat", "mknodat",
                                                      "mkdirat",    "chdir",    "fchownat",
                                                      "fchmodat",   "linkat",   "symlinkat",
                                                      "readlinkat", "execve",   "name_to_handle_at",
                                                      "openat2",    "connect",  "bind",
                                                      "accept",     "sendto",   "recvfrom",
                                                      "accept4",    "sendfile"};
  return names;
}

std::optional<int> syscall_number(std::string_view name) {
  int nr = audit_name_to_syscall(std::string(name).c_str(), MACH_86_64);
  if (nr < 0) return std::nullopt;
  return nr;
}

}  // namespace bpfaudit::ebpf
