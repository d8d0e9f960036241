// Which engine holds each exit rule when the prefilter is on.
//
// A rule goes to the eBPF engine only when the engine evaluates it exactly
// AND writes exactly the records the kernel would: its fields are ones the
// engine reads at sys_exit, and every syscall it can match is one for which
// the kernel writes SYSCALL and PROCTITLE only (no PATH, SOCKADDR, OBJ_PID...).
// First-match order across the two engines is kept by construction: for every
// (arch, syscall), the rules that can match it all live on one side, so each
// side's first match is the first match of the whole list. A rule that shares
// a syscall with a kernel-only rule stays in the kernel, and so on to a fixed
// point. Task-list or exclude-list rules change what the kernel audits at
// all (a `never,task` rule turns a task's auditing off; an exclude rule drops
// record types), so with any of them every rule stays in the kernel.
#pragma once

#include <string>
#include <vector>

#include "prefilter_engine.h"
#include "rule.h"

namespace bpfaudit::rules {

struct Placement {
  bool engine = false;
  std::string reason;  // why the rule stays in the kernel; empty on the engine
};

struct PlacementPlan {
  std::vector<Placement> placement;             // one per catalog rule
  std::vector<ebpf::EngineRule> engine_rules;  // the engine's rules, in catalog order
};

// Lowers one exit rule to the engine, or says why it cannot be.
// `reason` is set when nullopt.
std::optional<ebpf::EngineRule> lower_rule(const Rule& rule, std::string& reason);

// Places `exit_rules` (the exit list in the kernel's order). other_lists:
// the rules of the other filter lists (only their presence matters).
// host_block: why this host's kernel writes records the engine cannot (empty:
// it can); every rule stays in the kernel then.
PlacementPlan place_rules(const std::vector<Rule>& exit_rules, const std::vector<Rule>& other_lists,
                          const std::string& host_block = {});

// Why the running kernel's SYSCALL records carry something the engine cannot
// read, or empty. Today: a task label (subj=) from an LSM such as AppArmor or
// SELinux, seen as a readable /proc/self/attr/current.
std::string host_records_block();

// True for the syscalls whose kernel audit event is SYSCALL + PROCTITLE only.
// arch_index: 0 x86_64, 1 i386.
bool engine_records_exactly(int arch_index, int nr);

}  // namespace bpfaudit::rules
