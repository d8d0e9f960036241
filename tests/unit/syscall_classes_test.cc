// syscalls_matching_perm against the kernel's audit classes (Linux 6.12.118:
// include/asm-generic/audit_{dir_write,write,read,change_attr}.h,
// arch/x86/kernel/audit_64.c, arch/x86/ia32/audit.c, kernel/auditsc.c audit_match_perm).
// Expected numbers are resolved here with libaudit's own syscall tables
// (audit_name_to_syscall: MACH_86_64 is x86_64, MACH_X86 is i386), independently of the
// code under test; the one name libaudit 3.0.9 lacks (fchmodat2) carries the number of
// the kernel's syscall_64.tbl / syscall_32.tbl.
#include "syscall_classes.h"

#include <gtest/gtest.h>
#include <libaudit.h>
#include <linux/audit.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace bpfaudit::rules {
namespace {

constexpr uint32_t kX = AUDIT_PERM_EXEC, kW = AUDIT_PERM_WRITE, kR = AUDIT_PERM_READ,
                   kA = AUDIT_PERM_ATTR;

int nr(const std::string& name, int mach) {
  if (name == "fchmodat2") {
    // syscall_64.tbl and syscall_32.tbl: 452 on both. libaudit 3.0.9 predates it.
    int lib = audit_name_to_syscall(name.c_str(), mach);
    if (lib >= 0) {
      EXPECT_EQ(lib, 452);
    }
    return 452;
  }
  int n = audit_name_to_syscall(name.c_str(), mach);
  EXPECT_GE(n, 0) << name << " unknown to libaudit for mach " << mach;
  return n;
}

std::vector<int> numbers(const std::vector<std::string>& names, int mach) {
  std::set<int> s;
  for (const auto& n : names) s.insert(nr(n, mach));
  return {s.begin(), s.end()};
}

std::vector<int> merged(std::initializer_list<std::vector<int>> parts) {
  std::set<int> s;
  for (const auto& p : parts) s.insert(p.begin(), p.end());
  return {s.begin(), s.end()};
}

bool contains(const std::vector<int>& v, int n) {
  return std::binary_search(v.begin(), v.end(), n);
}

std::vector<int> get(uint32_t arch, uint32_t perm) {
  auto r = syscalls_matching_perm(arch, perm);
  EXPECT_TRUE(r.has_value());
  return r.value_or(std::vector<int>{});
}

// Kernel header names that exist on each arch (the headers' #ifdef __NR_x guards).
const std::vector<std::string> kDirWrite = {
    "rename",  "mkdir",   "rmdir",    "creat",    "link",   "unlink",    "symlink",  "mknod",
    "mkdirat", "mknodat", "unlinkat", "renameat", "linkat", "symlinkat", "renameat2"};
const std::vector<std::string> kWrite64 = {"acct",      "swapon", "quotactl", "truncate",
                                           "ftruncate", "bind",   "fallocate"};
const std::vector<std::string> kWrite32 = {"acct",        "swapon",     "quotactl",
                                           "truncate",    "truncate64", "ftruncate",
                                           "ftruncate64", "bind",       "fallocate"};
const std::vector<std::string> kRead = {"readlink",   "quotactl",   "listxattr",
                                        "llistxattr", "flistxattr", "getxattr",
                                        "lgetxattr",  "fgetxattr",  "readlinkat"};
const std::vector<std::string> kAttr64 = {
    "chmod",     "fchmod",    "chown",       "lchown",       "fchown",       "setxattr",
    "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "fchownat",
    "fchmodat",  "fchmodat2", "link",        "linkat"};
std::vector<std::string> attr32() {
  auto v = kAttr64;
  v.insert(v.end(), {"chown32", "fchown32", "lchown32"});
  return v;
}
const std::vector<std::string> kOpen = {"open", "openat", "openat2"};
const std::vector<std::string> kExec = {"execve", "execveat"};

TEST(SyscallClasses, UnknownArchIsNullopt) {
  EXPECT_FALSE(syscalls_matching_perm(AUDIT_ARCH_AARCH64, kW).has_value());
  EXPECT_FALSE(syscalls_matching_perm(AUDIT_ARCH_X86_64 & ~__AUDIT_ARCH_64BIT, kW).has_value());
  EXPECT_FALSE(syscalls_matching_perm(0, kR | kW | kX | kA).has_value());
}

TEST(SyscallClasses, ExecOnlyIsExecveFamily) {
  EXPECT_EQ(get(AUDIT_ARCH_X86_64, kX), (std::vector<int>{59, 322}));
  EXPECT_EQ(get(AUDIT_ARCH_X86_64, kX), numbers(kExec, MACH_86_64));
  EXPECT_EQ(get(AUDIT_ARCH_I386, kX), (std::vector<int>{11, 358}));
  EXPECT_EQ(get(AUDIT_ARCH_I386, kX), numbers(kExec, MACH_X86));
}

TEST(SyscallClasses, X86_64Write) {
  auto w = get(AUDIT_ARCH_X86_64, kW);
  EXPECT_EQ(w, merged({numbers(kDirWrite, MACH_86_64), numbers(kWrite64, MACH_86_64),
                       numbers(kOpen, MACH_86_64)}));
  EXPECT_EQ(w.size(), 15u + 7u + 3u);
  for (int n : {257, 2, 437, 82, 87, 263, 316, 76, 77, 285, 49, 163})  // openat..acct
    EXPECT_TRUE(contains(w, n)) << n;
  for (int n :
       {0, 1, 39, 59, 322, 90, 188, 89})  // read write getpid execve(at) chmod setxattr readlink
    EXPECT_FALSE(contains(w, n)) << n;
  EXPECT_TRUE(std::is_sorted(w.begin(), w.end()));
  EXPECT_EQ(std::adjacent_find(w.begin(), w.end()), w.end());
}

TEST(SyscallClasses, X86_64Read) {
  auto r = get(AUDIT_ARCH_X86_64, kR);
  EXPECT_EQ(r, merged({numbers(kRead, MACH_86_64), numbers(kOpen, MACH_86_64)}));
  EXPECT_EQ(r.size(), 9u + 3u);
  for (int n : {0, 17, 19, 4, 6, 5, 332})  // read pread64 readv stat lstat fstat statx: no class
    EXPECT_FALSE(contains(r, n)) << n;
  EXPECT_TRUE(contains(r, 179));  // quotactl is in both the read and the write class
}

TEST(SyscallClasses, X86_64AttrHasNoOpenFamily) {
  auto a = get(AUDIT_ARCH_X86_64, kA);
  EXPECT_EQ(a, numbers(kAttr64, MACH_86_64));
  EXPECT_EQ(a.size(), 16u);
  for (int n : {90, 91, 92, 93, 94, 188, 268, 452, 86, 265}) EXPECT_TRUE(contains(a, n)) << n;
  for (int n : {2, 257, 437, 59, 82, 87, 235}) EXPECT_FALSE(contains(a, n)) << n;  // 235: utimes
}

TEST(SyscallClasses, I386WriteHasSocketcallAndIa32Numbers) {
  auto w = get(AUDIT_ARCH_I386, kW);
  EXPECT_EQ(w, merged({numbers(kDirWrite, MACH_X86),
                       numbers(kWrite32, MACH_X86),
                       numbers(kOpen, MACH_X86),
                       {102}}));
  EXPECT_EQ(w.size(), 15u + 9u + 3u + 1u);
  for (int n : {102, 361, 193, 194, 5, 295, 437, 38, 10, 301}) EXPECT_TRUE(contains(w, n)) << n;
  // x86_64's openat (257) and rename (82) are remap_file_pages and select on i386;
  // x86_64's unlink (87) is swapon there, in the class for its own sake.
  for (int n : {257, 82, 11, 358}) EXPECT_FALSE(contains(w, n)) << n;
  EXPECT_TRUE(contains(w, 87));
  EXPECT_FALSE(contains(get(AUDIT_ARCH_X86_64, kW), 102));  // no socketcall on x86_64
}

TEST(SyscallClasses, I386ReadAndAttr) {
  EXPECT_EQ(get(AUDIT_ARCH_I386, kR), merged({numbers(kRead, MACH_X86), numbers(kOpen, MACH_X86)}));
  auto a = get(AUDIT_ARCH_I386, kA);
  EXPECT_EQ(a, numbers(attr32(), MACH_X86));
  EXPECT_EQ(a.size(), 19u);
  for (int n : {15, 94, 182, 16, 95, 212, 207, 198, 452, 9, 303}) EXPECT_TRUE(contains(a, n)) << n;
  EXPECT_FALSE(contains(a, 102));
}

TEST(SyscallClasses, MasksCombineAsUnions) {
  for (uint32_t arch : {uint32_t{AUDIT_ARCH_X86_64}, uint32_t{AUDIT_ARCH_I386}}) {
    EXPECT_TRUE(get(arch, 0).empty());
    auto all = get(arch, kR | kW | kX | kA);
    EXPECT_EQ(all, merged({get(arch, kR), get(arch, kW), get(arch, kX), get(arch, kA)}));
    EXPECT_EQ(get(arch, kW | kA), merged({get(arch, kW), get(arch, kA)}));
    // Open family for x|a: none of it.
    auto xa = get(arch, kX | kA);
    int mach = arch == AUDIT_ARCH_I386 ? MACH_X86 : MACH_86_64;
    for (int n : numbers(kOpen, mach)) EXPECT_FALSE(contains(xa, n)) << n;
  }
  // quotactl in both r and w classes appears once.
  auto rw = get(AUDIT_ARCH_X86_64, kR | kW);
  EXPECT_EQ(std::count(rw.begin(), rw.end(), 179), 1);
  EXPECT_EQ(rw.size(), 25u + 12u - 4u);  // quotactl and open/openat/openat2 shared
}

}  // namespace
}  // namespace bpfaudit::rules
