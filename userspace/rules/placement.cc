#include "placement.h"

#include <libaudit.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <fstream>
#include <string_view>

#include "syscall_classes.h"

namespace bpfaudit::rules {

namespace {

constexpr int kArches = 2;  // 0 x86_64, 1 i386
constexpr std::uint32_t kArchValue[kArches] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386};
constexpr int kMachine[kArches] = {MACH_86_64, MACH_X86};  // libaudit: MACH_X86 is i386
constexpr int kNr = ebpf::kEngineMaxSyscalls;
using SyscallSet = std::array<std::bitset<kNr>, kArches>;

// Syscalls whose kernel audit event is SYSCALL + PROCTITLE and nothing else:
// no path lookup (PATH, CWD), no socket address (SOCKADDR), no signal or
// ptrace target (OBJ_PID), no exec (EXECVE), no fd pair, no IPC/MQ/CAPSET/
// MMAP/KERN_MODULE/BPF auxiliary record, and a return (not exit/exit_group).
// Checked record for record against the kernel by tests/kernel/prefilter_diff.sh.
constexpr std::string_view kRecordExact[] = {
    "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getresuid",
    "getresgid", "getpgid", "getpgrp", "getsid", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "setresgid", "setfsuid", "setfsgid", "setgroups", "setpgid", "setsid",
    "personality", "umask", "sethostname", "setdomainname", "socket", "listen", "shutdown",
    "setsockopt", "getsockopt", "sched_setaffinity", "sched_getaffinity", "sched_setscheduler",
    "sched_setparam", "sched_yield", "setpriority", "getpriority", "unshare", "dup", "dup2", "dup3",
    "close", "read", "write", "lseek", "getrandom", "nanosleep", "brk", "alarm", "getitimer",
    "setitimer", "times", "sysinfo",
    // i386 spellings of the 32-bit id calls
    "getuid32", "geteuid32", "getgid32", "getegid32", "setuid32", "setgid32", "setreuid32",
    "setregid32", "setresuid32", "setresgid32", "setfsuid32", "setfsgid32", "setgroups32",
    "getresuid32", "getresgid32"};

const SyscallSet& record_exact() {
  static const SyscallSet set = [] {
    SyscallSet s;
    for (int a = 0; a < kArches; ++a)
      for (auto name : kRecordExact) {
        int nr = audit_name_to_syscall(std::string(name).c_str(), kMachine[a]);
        if (nr >= 0 && nr < kNr) s[a].set(static_cast<std::size_t>(nr));
      }
    return s;
  }();
  return set;
}

bool all_syscalls(const audit_rule_data& r) {
  for (int i = 0; i < AUDIT_BITMASK_SIZE - 1; ++i)
    if (r.mask[i] != ~0u) return false;
  return true;
}

std::optional<ebpf::EngineOp> engine_op(std::uint32_t op) {
  switch (op) {
    case AUDIT_EQUAL:
      return ebpf::EngineOp::kEq;
    case AUDIT_NOT_EQUAL:
      return ebpf::EngineOp::kNe;
    case AUDIT_LESS_THAN:
      return ebpf::EngineOp::kLt;
    case AUDIT_LESS_THAN_OR_EQUAL:
      return ebpf::EngineOp::kLe;
    case AUDIT_GREATER_THAN:
      return ebpf::EngineOp::kGt;
    case AUDIT_GREATER_THAN_OR_EQUAL:
      return ebpf::EngineOp::kGe;
    case AUDIT_BIT_MASK:
      return ebpf::EngineOp::kBitmask;
    case AUDIT_BIT_TEST:
      return ebpf::EngineOp::kBittest;
    default:
      return std::nullopt;
  }
}

std::optional<ebpf::EngineFieldKind> engine_field(std::uint32_t field) {
  switch (field) {
    case AUDIT_PID:
      return ebpf::EngineFieldKind::kPid;
    case AUDIT_PPID:
      return ebpf::EngineFieldKind::kPpid;
    case AUDIT_UID:
      return ebpf::EngineFieldKind::kUid;
    case AUDIT_EUID:
      return ebpf::EngineFieldKind::kEuid;
    case AUDIT_SUID:
      return ebpf::EngineFieldKind::kSuid;
    case AUDIT_FSUID:
      return ebpf::EngineFieldKind::kFsuid;
    case AUDIT_GID:
      return ebpf::EngineFieldKind::kGid;
    case AUDIT_EGID:
      return ebpf::EngineFieldKind::kEgid;
    case AUDIT_SGID:
      return ebpf::EngineFieldKind::kSgid;
    case AUDIT_FSGID:
      return ebpf::EngineFieldKind::kFsgid;
    case AUDIT_LOGINUID:
      return ebpf::EngineFieldKind::kAuid;
    case AUDIT_SESSIONID:
      return ebpf::EngineFieldKind::kSes;
    case AUDIT_ARCH:
      return ebpf::EngineFieldKind::kArch;
    case AUDIT_EXIT:
      return ebpf::EngineFieldKind::kExit;
    case AUDIT_SUCCESS:
      return ebpf::EngineFieldKind::kSuccess;
    case AUDIT_ARG0:
      return ebpf::EngineFieldKind::kArg0;
    case AUDIT_ARG1:
      return ebpf::EngineFieldKind::kArg1;
    case AUDIT_ARG2:
      return ebpf::EngineFieldKind::kArg2;
    case AUDIT_ARG3:
      return ebpf::EngineFieldKind::kArg3;
    default:
      return std::nullopt;
  }
}

// The kernel's audit_comparator: how it tests a rule field against a value.
bool kernel_compare(std::uint32_t left, std::uint32_t op, std::uint32_t right) {
  switch (op) {
    case AUDIT_EQUAL:
      return left == right;
    case AUDIT_NOT_EQUAL:
      return left != right;
    case AUDIT_LESS_THAN:
      return left < right;
    case AUDIT_LESS_THAN_OR_EQUAL:
      return left <= right;
    case AUDIT_GREATER_THAN:
      return left > right;
    case AUDIT_GREATER_THAN_OR_EQUAL:
      return left >= right;
    case AUDIT_BIT_MASK:
      return left & right;
    case AUDIT_BIT_TEST:
      return (left & right) == right;
    default:
      return false;
  }
}

// The (arch, syscall) pairs a rule can match: its mask on each arch that
// every one of its arch fields allows (the kernel ANDs them all: with arch=b64
// and arch=b32 a rule matches nothing), narrowed by a perm field to the
// syscalls the kernel's audit_match_perm can accept.
SyscallSet coverage(const audit_rule_data& r) {
  std::array<bool, kArches> arch_ok{true, true};
  std::optional<std::uint32_t> perm;
  for (std::uint32_t i = 0; i < r.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    if (r.fields[i] == AUDIT_ARCH)
      for (int a = 0; a < kArches; ++a)
        arch_ok[a] = arch_ok[a] && kernel_compare(kArchValue[a], r.fieldflags[i], r.values[i]);
    if (r.fields[i] == AUDIT_PERM) perm = r.values[i];
  }
  SyscallSet s;
  for (int a = 0; a < kArches; ++a) {
    if (!arch_ok[a]) continue;
    for (int nr = 0; nr < kNr; ++nr)
      if (r.mask[AUDIT_WORD(nr)] & AUDIT_BIT(nr)) s[a].set(static_cast<std::size_t>(nr));
    if (perm) {
      std::bitset<kNr> allowed;
      if (auto list = syscalls_matching_perm(kArchValue[a], *perm))
        for (int nr : *list)
          if (nr >= 0 && nr < kNr) allowed.set(static_cast<std::size_t>(nr));
      s[a] &= allowed;
    }
  }
  return s;
}

// The engine writes SYSCALL and PROCTITLE only: an exclude rule that names
// one other record type (msgtype=X) never drops one of them.
bool may_exclude_engine_records(const audit_rule_data& r) {
  for (std::uint32_t i = 0; i < r.field_count && i < AUDIT_MAX_FIELDS; ++i)
    if (r.fields[i] == AUDIT_MSGTYPE && r.fieldflags[i] == AUDIT_EQUAL &&
        r.values[i] != AUDIT_SYSCALL && r.values[i] != AUDIT_PROCTITLE)
      return false;
  return true;
}

}  // namespace

bool engine_records_exactly(int arch_index, int nr) {
  if (arch_index < 0 || arch_index >= kArches || nr < 0 || nr >= kNr) return false;
  return record_exact()[arch_index].test(static_cast<std::size_t>(nr));
}

std::optional<ebpf::EngineRule> lower_rule(const Rule& rule, std::string& reason) {
  const audit_rule_data& r = rule.data();
  if ((r.flags & ~AUDIT_FILTER_PREPEND) != AUDIT_FILTER_EXIT) {
    reason = "not an exit-filter rule";
    return std::nullopt;
  }
  if (r.action != AUDIT_ALWAYS && r.action != AUDIT_NEVER) {
    reason = "action is neither always nor never";
    return std::nullopt;
  }
  if (all_syscalls(r)) {
    reason = "applies to every syscall (path syscalls need the kernel's PATH records)";
    return std::nullopt;
  }
  ebpf::EngineRule out;
  out.always = r.action == AUDIT_ALWAYS;
  auto strings = rule.strings();
  std::size_t string_index = 0;
  for (std::uint32_t i = 0; i < r.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    std::uint32_t field = r.fields[i];
    if (is_string_field(field)) {
      if (field == AUDIT_FILTERKEY && string_index < strings.size()) {
        out.key = strings[string_index++];
        continue;
      }
      const char* name = audit_field_to_name(static_cast<int>(field));
      reason = std::string("field ") + (name ? name : std::to_string(field)) +
               " is evaluated by the kernel only";
      return std::nullopt;
    }
    auto f = engine_field(field);
    auto op = engine_op(r.fieldflags[i]);
    if (!f || !op) {
      const char* name = audit_field_to_name(static_cast<int>(field));
      reason = std::string("field ") + (name ? name : std::to_string(field)) +
               (f ? " with this operator" : "") + " is evaluated by the kernel only";
      return std::nullopt;
    }
    std::uint64_t value = r.values[i];
    // An arch field only ever meets rows of arches it allows (coverage()
    // keeps the others out), where it is always true: one comparison less
    // per rule.
    if (field == AUDIT_ARCH) continue;
    // The kernel compares success against AUDITSC_SUCCESS (1) for any
    // non-zero value and AUDITSC_FAILURE (2) for 0.
    if (field == AUDIT_SUCCESS) value = value ? 1 : 2;
    out.fields.push_back({static_cast<std::uint32_t>(*f), static_cast<std::uint32_t>(*op), value});
  }
  // Fields are ANDed, so their order is free: equality on an argument or the
  // exit code first, as those reject most syscalls of a busy row soonest.
  std::stable_sort(out.fields.begin(), out.fields.end(),
                   [](const ebpf::EngineField& a, const ebpf::EngineField& b) {
                     auto rank = [](const ebpf::EngineField& f) {
                       auto k = static_cast<ebpf::EngineFieldKind>(f.field);
                       bool eq = f.op == static_cast<std::uint32_t>(ebpf::EngineOp::kEq);
                       bool arg = k == ebpf::EngineFieldKind::kArg0 ||
                                  k == ebpf::EngineFieldKind::kArg1 ||
                                  k == ebpf::EngineFieldKind::kArg2 ||
                                  k == ebpf::EngineFieldKind::kArg3 ||
                                  k == ebpf::EngineFieldKind::kExit;
                       return eq && arg ? 0 : arg ? 1 : 2;
                     };
                     return rank(a) < rank(b);
                   });
  if (out.fields.size() > static_cast<std::size_t>(ebpf::kEngineMaxFields)) {
    reason = "more fields than an engine rule holds";
    return std::nullopt;
  }
  SyscallSet cov = coverage(r);
  for (int a = 0; a < kArches; ++a)
    for (int nr = 0; nr < kNr; ++nr) {
      if (!cov[a].test(static_cast<std::size_t>(nr))) continue;
      if (!engine_records_exactly(a, nr)) {
        const char* name = audit_syscall_to_name(nr, kMachine[a]);
        reason = std::string("syscall ") + (name ? name : std::to_string(nr)) +
                 (a ? " (b32)" : "") + " has records only the kernel writes";
        return std::nullopt;
      }
      out.syscalls.push_back({a, nr});
    }
  return out;
}

std::string host_records_block() {
  // The kernel writes subj= when the current task has an LSM label
  // (audit_log_task_context); /proc/self/attr/current reads that label, and
  // fails (EINVAL) when no LSM gives tasks one.
  std::ifstream in("/proc/self/attr/current");
  std::string label;
  if (in && std::getline(in, label) && !label.empty())
    return "the kernel's records carry subj=" + label +
           " (an LSM task label), which the engine does not read";
  return {};
}

PlacementPlan place_rules(const std::vector<Rule>& exit_rules, const std::vector<Rule>& other_lists,
                          const std::string& host_block) {
  PlacementPlan plan;
  const std::size_t n = exit_rules.size();
  plan.placement.resize(n);
  std::vector<std::optional<ebpf::EngineRule>> lowered(n);
  std::vector<SyscallSet> cov(n);
  bool blocked = !host_block.empty();
  std::string blocked_why = host_block;
  for (const Rule& r : other_lists) {
    int list = static_cast<int>(r.data().flags & ~AUDIT_FILTER_PREPEND);
    if (list == AUDIT_FILTER_TASK) {
      blocked = true;
      blocked_why = "a task-list rule decides which tasks the kernel audits";
    } else if (list == AUDIT_FILTER_EXCLUDE && may_exclude_engine_records(r.data())) {
      blocked = true;
      blocked_why = "an exclude rule may drop SYSCALL or PROCTITLE records";
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    cov[i] = coverage(exit_rules[i].data());
    if (blocked) {
      plan.placement[i].reason = blocked_why;
      continue;
    }
    lowered[i] = lower_rule(exit_rules[i], plan.placement[i].reason);
    plan.placement[i].engine = lowered[i].has_value();
  }
  // Move engine rules that share a syscall with a kernel rule, or overflow a
  // row, until nothing moves: each pass only moves rules to the kernel.
  for (bool changed = true; changed;) {
    changed = false;
    SyscallSet kernel_cov;
    std::array<std::array<int, kNr>, kArches> row_count{};
    for (std::size_t i = 0; i < n; ++i)
      if (!plan.placement[i].engine)
        for (int a = 0; a < kArches; ++a) kernel_cov[a] |= cov[i][a];
    for (std::size_t i = 0; i < n; ++i) {
      if (!plan.placement[i].engine) continue;
      bool clash = false, full = false;
      for (int a = 0; a < kArches; ++a) {
        if ((cov[i][a] & kernel_cov[a]).any()) clash = true;
        for (int nr = 0; nr < kNr; ++nr)
          if (cov[i][a].test(static_cast<std::size_t>(nr)) &&
              ++row_count[a][nr] > ebpf::kEngineRowMax)
            full = true;
      }
      if (clash || full) {
        plan.placement[i].engine = false;
        plan.placement[i].reason = clash ? "shares a syscall with a rule the kernel keeps"
                                         : "its syscall row on the engine is full";
        changed = true;
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    if (plan.placement[i].engine) plan.engine_rules.push_back(std::move(*lowered[i]));
  if (plan.engine_rules.size() > static_cast<std::size_t>(ebpf::kEngineMaxRules)) {
    for (auto& p : plan.placement)
      if (p.engine) p = {false, "more engine rules than the engine holds"};
    plan.engine_rules.clear();
  }
  return plan;
}

}  // namespace bpfaudit::rules
