// The kernel's audit syscall classes and the perm matching built on them.
//
// Source of every fact below: Linux 6.12.118 (Debian's linux-source-6.12
// 6.12.118-1~deb12u1), files named at each table. The class lists are the names of
// the asm-generic headers, in their order; the numbers are those of
// arch/x86/entry/syscalls/syscall_64.tbl (abi common/64) and syscall_32.tbl of that
// same tree (all of them also agree with libaudit 3.0.9's tables, except fchmodat2,
// which libaudit 3.0.9 does not know).
#include "syscall_classes.h"

#include <linux/audit.h>

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <string_view>

namespace bpfaudit::rules {
namespace {

constexpr int kNone = -1;  // no __NR_ macro on that arch: an #ifdef leaves it out

struct SyscallNumbers {
  std::string_view name;
  int x86_64;  // syscall_64.tbl, abi common or 64 (unistd_64.h)
  int i386;    // syscall_32.tbl (unistd_32.h, what arch/x86/ia32/audit.c includes)
};

// Every name the class headers and the two classify functions refer to.
constexpr SyscallNumbers kNumbers[] = {
    // audit_dir_write.h
    {"rename", 82, 38},
    {"mkdir", 83, 39},
    {"rmdir", 84, 40},
    {"creat", 85, 8},
    {"link", 86, 9},
    {"unlink", 87, 10},
    {"symlink", 88, 83},
    {"mknod", 133, 14},
    {"mkdirat", 258, 296},
    {"mknodat", 259, 297},
    {"unlinkat", 263, 301},
    {"renameat", 264, 302},
    {"linkat", 265, 303},
    {"symlinkat", 266, 304},
    {"renameat2", 316, 353},
    // audit_write.h
    {"acct", 163, 51},
    {"swapon", 167, 87},
    {"quotactl", 179, 131},
    {"truncate", 76, 92},
    {"truncate64", kNone, 193},
    {"ftruncate", 77, 93},
    {"ftruncate64", kNone, 194},
    {"bind", 49, 361},
    {"fallocate", 285, 324},
    // audit_read.h
    {"readlink", 89, 85},
    {"listxattr", 194, 232},
    {"listxattrat", kNone, kNone},  // syscall added in 6.13; not in 6.12's tables
    {"llistxattr", 195, 233},
    {"flistxattr", 196, 234},
    {"getxattr", 191, 229},
    {"getxattrat", kNone, kNone},  // syscall added in 6.13; not in 6.12's tables
    {"lgetxattr", 192, 230},
    {"fgetxattr", 193, 231},
    {"readlinkat", 267, 305},
    // audit_change_attr.h (on i386 chown/lchown/fchown are the 16-bit-uid calls)
    {"chmod", 90, 15},
    {"fchmod", 91, 94},
    {"chown", 92, 182},
    {"lchown", 94, 16},
    {"fchown", 93, 95},
    {"setxattr", 188, 226},
    {"lsetxattr", 189, 227},
    {"fsetxattr", 190, 228},
    {"removexattr", 197, 235},
    {"lremovexattr", 198, 236},
    {"fremovexattr", 199, 237},
    {"fchownat", 260, 298},
    {"fchmodat", 268, 306},
    {"fchmodat2", 452, 452},
    {"chown32", kNone, 212},
    {"fchown32", kNone, 207},
    {"lchown32", kNone, 198},
    // audit_classify_syscall (arch/x86/kernel/audit_64.c, arch/x86/ia32/audit.c)
    {"open", 2, 5},
    {"openat", 257, 295},
    {"openat2", 437, 437},
    {"execve", 59, 11},
    {"execveat", 322, 358},
    {"socketcall", kNone, 102},
};

// include/asm-generic/audit_dir_write.h (6.12.118). Part of the write class through
// audit_write.h's #include; the dir-write class itself is not used by perm matching.
constexpr std::string_view kDirWrite[] = {
    "rename",  "mkdir",   "rmdir",    "creat",    "link",   "unlink",    "symlink",   "mknod",
    "mkdirat", "mknodat", "unlinkat", "renameat", "linkat", "symlinkat", "renameat2",
};

// include/asm-generic/audit_write.h (6.12.118), after its #include of audit_dir_write.h.
constexpr std::string_view kWriteOwn[] = {
    "acct",      "swapon", "quotactl", "truncate", "truncate64", "ftruncate", "ftruncate64",
    "bind",  // the header's comment: "bind can affect fs object only in one way..."
    "fallocate",
};

// include/asm-generic/audit_read.h (6.12.118).
constexpr std::string_view kRead[] = {
    "readlink", "quotactl",   "listxattr", "listxattrat", "llistxattr", "flistxattr",
    "getxattr", "getxattrat", "lgetxattr", "fgetxattr",   "readlinkat",
};

// include/asm-generic/audit_change_attr.h (6.12.118).
constexpr std::string_view kChangeAttr[] = {
    "chmod",     "fchmod",      "chown",        "lchown",       "fchown",   "setxattr", "lsetxattr",
    "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "fchownat", "fchmodat", "fchmodat2",
    "chown32",   "fchown32",    "lchown32",     "link",         "linkat",
};

// The values of enum auditsc_class_t (include/linux/audit_arch.h) that matter here.
enum class Classified { kClasses, kOpen, kSocketcall, kExecve };

// Number of `name` on the arch (kNone when the arch has no such syscall).
int number_of(std::string_view name, bool i386) {
  for (const auto& s : kNumbers)
    if (s.name == name) return i386 ? s.i386 : s.x86_64;
  std::abort();  // a class name missing from kNumbers: a bug in the tables above
}

// audit_classify_syscall(): arch/x86/kernel/audit_64.c for x86_64 (AUDITSC_NATIVE by
// default), ia32_classify_syscall() in arch/x86/ia32/audit.c for i386 (AUDITSC_COMPAT by
// default). Both are switches on that arch's own numbers.
Classified classify(int nr, bool i386) {
  auto is = [&](std::string_view name) { return number_of(name, i386) == nr; };
  if (is("open") || is("openat") || is("openat2")) return Classified::kOpen;
  if (is("execve") || is("execveat")) return Classified::kExecve;
  if (i386 && is("socketcall")) return Classified::kSocketcall;
  return Classified::kClasses;
}

template <typename Names>
void add_class(const Names& names, bool i386, std::vector<int>& out) {
  for (std::string_view name : names) {
    int nr = number_of(name, i386);
    // audit_match_perm() only consults the classes for AUDITSC_NATIVE / AUDITSC_COMPAT.
    if (nr != kNone && classify(nr, i386) == Classified::kClasses) out.push_back(nr);
  }
}

void add_classified(std::initializer_list<std::string_view> names, bool i386,
                    std::vector<int>& out) {
  for (std::string_view name : names) {
    int nr = number_of(name, i386);
    if (nr != kNone) out.push_back(nr);
  }
}

}  // namespace

std::optional<std::vector<int>> syscalls_matching_perm(uint32_t arch, uint32_t perm) {
  bool i386;
  if (arch == AUDIT_ARCH_X86_64)
    i386 = false;
  else if (arch == AUDIT_ARCH_I386)
    i386 = true;
  else
    return std::nullopt;

  std::vector<int> out;
  // AUDITSC_NATIVE / AUDITSC_COMPAT: write, read and change-attribute classes.
  if (perm & AUDIT_PERM_WRITE) {
    add_class(kDirWrite, i386, out);
    add_class(kWriteOwn, i386, out);
  }
  if (perm & AUDIT_PERM_READ) add_class(kRead, i386, out);
  if (perm & AUDIT_PERM_ATTR) add_class(kChangeAttr, i386, out);
  // AUDITSC_OPEN / OPENAT / OPENAT2: mask & ACC_MODE(flags), ACC_MODE being 4 (r), 2 (w)
  // or 6 (rw) by O_ACCMODE, so some flags match whenever r or w is asked; x and a never.
  if (perm & (AUDIT_PERM_READ | AUDIT_PERM_WRITE))
    add_classified({"open", "openat", "openat2"}, i386, out);
  // AUDITSC_EXECVE: mask & AUDIT_PERM_EXEC.
  if (perm & AUDIT_PERM_EXEC) add_classified({"execve", "execveat"}, i386, out);
  // AUDITSC_SOCKETCALL (i386 only): w, when a0 == SYS_BIND.
  if (i386 && (perm & AUDIT_PERM_WRITE)) add_classified({"socketcall"}, i386, out);

  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace bpfaudit::rules
