// Prefilter placement (rules/placement.h) on rules built from fuzzed auditctl
// lines (against a fake kernel), checked against a model of the kernel's
// exit filter.
//
// For every (arch, syscall) that place_rules gives to the engine, random
// syscalls are matched twice: by the kernel's semantics over the whole exit
// list in order (kernel/auditsc.c audit_filter_syscall / audit_filter_rules:
// the syscall mask is arch-blind, every field is ANDed, the first rule that
// matches decides always or never), and by the engine's semantics over the
// engine rules of that row (bpf/engine.bpf.c: fields compared as u32,
// first match decides). The two must agree: placement may only move a
// decision, never change it.
#include <libaudit.h>
#include <linux/audit.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ctl.h"
#include "fake_control.h"
#include "placement.h"
#include "prefilter_engine.h"
#include "rule.h"
#include "syscall_classes.h"

using namespace bpfaudit;

namespace {

constexpr std::uint32_t kArchValue[2] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386};

struct Syscall {
  int arch = 0;  // 0 x86_64, 1 i386
  int nr = 0;
  std::uint32_t pid, ppid, uid, euid, suid, fsuid, gid, egid, sgid, fsgid, auid, ses;
  std::uint64_t args[4];
  std::int64_t ret;
};

// What the kernel's audit_comparator does with the rule's operator.
bool kernel_compare(std::uint32_t left, std::uint32_t op, std::uint32_t right) {
  switch (op) {
    case AUDIT_EQUAL: return left == right;
    case AUDIT_NOT_EQUAL: return left != right;
    case AUDIT_LESS_THAN: return left < right;
    case AUDIT_LESS_THAN_OR_EQUAL: return left <= right;
    case AUDIT_GREATER_THAN: return left > right;
    case AUDIT_GREATER_THAN_OR_EQUAL: return left >= right;
    case AUDIT_BIT_MASK: return (left & right) != 0;
    case AUDIT_BIT_TEST: return (left & right) == right;
  }
  return false;
}

bool engine_compare(std::uint32_t left, std::uint32_t op, std::uint32_t right) {
  using ebpf::EngineOp;
  switch (static_cast<EngineOp>(op)) {
    case EngineOp::kEq: return left == right;
    case EngineOp::kNe: return left != right;
    case EngineOp::kLt: return left < right;
    case EngineOp::kLe: return left <= right;
    case EngineOp::kGt: return left > right;
    case EngineOp::kGe: return left >= right;
    case EngineOp::kBitmask: return (left & right) != 0;
    case EngineOp::kBittest: return (left & right) == right;
  }
  return false;
}

// AUDITSC_SUCCESS / AUDITSC_FAILURE as the kernel sets return_valid.
std::uint32_t success_of(std::int64_t ret) { return ret < 0 && ret >= -4095 ? 2 : 1; }

// One field the kernel evaluates: the value it compares, or nullopt when
// the model does not know the field.
std::optional<std::uint32_t> kernel_left(std::uint32_t field, const Syscall& s) {
  switch (field) {
    case AUDIT_PID: return s.pid;
    case AUDIT_PPID: return s.ppid;
    case AUDIT_UID: return s.uid;
    case AUDIT_EUID: return s.euid;
    case AUDIT_SUID: return s.suid;
    case AUDIT_FSUID: return s.fsuid;
    case AUDIT_GID: return s.gid;
    case AUDIT_EGID: return s.egid;
    case AUDIT_SGID: return s.sgid;
    case AUDIT_FSGID: return s.fsgid;
    case AUDIT_LOGINUID: return s.auid;
    case AUDIT_SESSIONID: return s.ses;
    case AUDIT_ARCH: return kArchValue[s.arch];
    case AUDIT_EXIT: return static_cast<std::uint32_t>(s.ret);
    case AUDIT_SUCCESS: return success_of(s.ret);
    case AUDIT_ARG0: return static_cast<std::uint32_t>(s.args[0]);
    case AUDIT_ARG1: return static_cast<std::uint32_t>(s.args[1]);
    case AUDIT_ARG2: return static_cast<std::uint32_t>(s.args[2]);
    case AUDIT_ARG3: return static_cast<std::uint32_t>(s.args[3]);
  }
  return std::nullopt;
}

std::uint32_t engine_left(std::uint32_t field, const Syscall& s) {
  using K = ebpf::EngineFieldKind;
  switch (static_cast<K>(field)) {
    case K::kPid: return s.pid;
    case K::kPpid: return s.ppid;
    case K::kUid: return s.uid;
    case K::kEuid: return s.euid;
    case K::kSuid: return s.suid;
    case K::kFsuid: return s.fsuid;
    case K::kGid: return s.gid;
    case K::kEgid: return s.egid;
    case K::kSgid: return s.sgid;
    case K::kFsgid: return s.fsgid;
    case K::kAuid: return s.auid;
    case K::kSes: return s.ses;
    case K::kArch: return kArchValue[s.arch];
    case K::kExit: return static_cast<std::uint32_t>(s.ret);
    case K::kSuccess: return success_of(s.ret);
    case K::kArg0: return static_cast<std::uint32_t>(s.args[0]);
    case K::kArg1: return static_cast<std::uint32_t>(s.args[1]);
    case K::kArg2: return static_cast<std::uint32_t>(s.args[2]);
    case K::kArg3: return static_cast<std::uint32_t>(s.args[3]);
  }
  std::abort();
}

enum class Verdict { kNone, kAlways, kNever, kUnknown };

const char* name(Verdict v) {
  switch (v) {
    case Verdict::kNone: return "no rule";
    case Verdict::kAlways: return "always";
    case Verdict::kNever: return "never";
    case Verdict::kUnknown: return "a rule the model cannot evaluate";
  }
  return "?";
}

// The kernel: exit rules in order, first match decides.
Verdict kernel_verdict(const std::vector<rules::Rule>& exit_rules, const Syscall& s,
                       std::size_t* which) {
  for (std::size_t i = 0; i < exit_rules.size(); ++i) {
    const audit_rule_data& r = exit_rules[i].data();
    if (!(r.mask[AUDIT_WORD(s.nr)] & AUDIT_BIT(s.nr))) continue;
    bool match = true, unknown = false;
    for (std::uint32_t f = 0; f < r.field_count && f < AUDIT_MAX_FIELDS && match; ++f) {
      std::uint32_t field = r.fields[f];
      if (field == AUDIT_FILTERKEY) continue;
      if (field == AUDIT_SUCCESS) {
        match = kernel_compare(success_of(s.ret), r.fieldflags[f], r.values[f] ? 1 : 2);
        continue;
      }
      if (field == AUDIT_PERM) {
        auto list = rules::syscalls_matching_perm(kArchValue[s.arch], r.values[f]);
        match = list && std::binary_search(list->begin(), list->end(), s.nr);
        continue;
      }
      if (auto left = kernel_left(field, s))
        match = kernel_compare(*left, r.fieldflags[f], r.values[f]);
      else
        unknown = true;
    }
    if (!match) continue;
    *which = i;
    if (unknown) return Verdict::kUnknown;
    return r.action == AUDIT_NEVER ? Verdict::kNever : Verdict::kAlways;
  }
  return Verdict::kNone;
}

// The engine: the rules of the (arch, nr) row, in order, first match decides.
Verdict engine_verdict(const std::vector<ebpf::EngineRule>& rules, const Syscall& s) {
  for (const auto& r : rules) {
    bool in_row = std::any_of(r.syscalls.begin(), r.syscalls.end(), [&](const auto& sc) {
      return sc.arch == s.arch && sc.nr == s.nr;
    });
    if (!in_row) continue;
    bool match = std::all_of(r.fields.begin(), r.fields.end(), [&](const auto& f) {
      return engine_compare(engine_left(f.field, s), f.op, static_cast<std::uint32_t>(f.value));
    });
    if (match) return r.always ? Verdict::kAlways : Verdict::kNever;
  }
  return Verdict::kNone;
}

std::uint64_t splitmix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  fuzz::FakeControl kernel;
  {
    rules::Ctl ctl(kernel, fuzz::fake_env(), fuzz::null_io());
    static const std::string missing = fuzz::ScratchDir::path() + "/no-such.rules";
    for (int n = 0; in.left() && n < 48; ++n) fuzz::run_ctl_line(ctl, in.line(), missing);
  }
  std::vector<rules::Rule> exit_rules, others;
  for (const auto& b : kernel.rules) {
    rules::Rule r(b);
    (r.data().flags & ~AUDIT_FILTER_PREPEND) == AUDIT_FILTER_EXIT ? exit_rules.push_back(r)
                                                                  : others.push_back(r);
  }
  for (const auto& r : exit_rules) {
    std::string reason;
    auto lowered = rules::lower_rule(r, reason);
    if (!lowered && reason.empty()) std::abort();
  }
  rules::PlacementPlan plan = rules::place_rules(exit_rules, others);
  if (plan.placement.size() != exit_rules.size()) std::abort();
  std::size_t on_engine = 0;
  for (const auto& p : plan.placement) on_engine += p.engine;
  if (on_engine != plan.engine_rules.size()) std::abort();

  std::set<std::pair<int, int>> rows;
  std::vector<std::uint32_t> values{0, 1, 2, ~0u};
  for (const auto& r : plan.engine_rules) {
    if (r.fields.size() > static_cast<std::size_t>(ebpf::kEngineMaxFields)) std::abort();
    for (const auto& sc : r.syscalls) {
      if (!rules::engine_records_exactly(sc.arch, sc.nr)) std::abort();
      rows.insert({sc.arch, sc.nr});
    }
    for (const auto& f : r.fields) {
      values.push_back(static_cast<std::uint32_t>(f.value));
      values.push_back(static_cast<std::uint32_t>(f.value) + 1);
      values.push_back(static_cast<std::uint32_t>(f.value) - 1);
    }
  }
  if (rows.empty()) return 0;
  for (const auto& r : exit_rules)
    for (std::uint32_t f = 0; f < r.data().field_count && f < AUDIT_MAX_FIELDS; ++f)
      values.push_back(r.data().values[f]);

  std::uint64_t seed = size;
  for (std::size_t i = 0; i < size; ++i) seed = seed * 131 + data[i];
  auto pick = [&] { return values[splitmix(seed) % values.size()]; };
  std::vector<std::pair<int, int>> row_list(rows.begin(), rows.end());
  for (int k = 0; k < 64; ++k) {
    auto [arch, nr] = row_list[splitmix(seed) % row_list.size()];
    Syscall s{arch, nr, pick(), pick(), pick(), pick(), pick(), pick(), pick(), pick(), pick(),
              pick(), pick(), pick(), {pick(), pick(), pick(), pick()},
              static_cast<std::int32_t>(pick())};
    std::size_t which = ~std::size_t{0};
    Verdict k_v = kernel_verdict(exit_rules, s, &which);
    Verdict e_v = engine_verdict(plan.engine_rules, s);
    if (k_v != e_v) {
      std::fprintf(stderr, "%s nr %d: kernel says %s (exit rule %zu), engine says %s\n",
                   arch ? "i386" : "x86_64", nr, name(k_v), which, name(e_v));
      rules::PrintOptions po;
      po.host_machine = MACH_86_64;
      std::fprintf(stderr, "%s", rules::print_rules(exit_rules, po).c_str());
      for (std::size_t i = 0; i < exit_rules.size(); ++i)
        std::fprintf(stderr, "  exit rule %zu: %s (%s)\n", i,
                     plan.placement[i].engine ? "engine" : "kernel",
                     plan.placement[i].reason.c_str());
      std::abort();
    }
  }
  return 0;
}
