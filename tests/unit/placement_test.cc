// Which engine holds each exit rule (rules/placement.h). Rules are built by
// the auditctl engine from real command lines, so their bytes are what the
// kernel would hold. Syscall numbers are the kernel's x86_64 / i386 tables'.
#include "placement.h"

#include <gtest/gtest.h>
#include <libaudit.h>
#include <linux/audit.h>

#include <sstream>
#include <string>
#include <vector>

#include "control.h"
#include "ctl.h"
#include "memstream.h"
#include "rule.h"

namespace bpfaudit::rules {
namespace {

using base::Result;
using kernel::RuleBytes;

// Accepts every rule and keeps it, in order.
class CollectingControl : public kernel::AuditControl {
 public:
  std::vector<RuleBytes> rules;
  Result<kernel::Status> get_status() override {
    kernel::Status s;
    s.status.enabled = 1;
    s.status.feature_bitmap = AUDIT_FEATURE_BITMAP_ALL;
    s.length = sizeof(audit_status);
    return s;
  }
  Result<audit_features> get_features() override { return audit_features{}; }
  int set_status(const audit_status&) override { return 0; }
  int set_feature(const audit_features&) override { return 0; }
  int add_rule(const RuleBytes& r) override {
    rules.push_back(r);
    return 0;
  }
  int delete_rule(const RuleBytes&) override { return -ENOENT; }
  Result<std::vector<RuleBytes>> list_rules() override { return rules; }
  int trim_subtrees() override { return 0; }
  int make_equivalent(const std::string&, const std::string&) override { return 0; }
  int user_message(const std::string&) override { return 0; }
};

// The rules the given auditctl command lines build, in order.
std::vector<Rule> build(const std::vector<std::string>& commands) {
  CollectingControl k;
  for (const auto& cmd : commands) {
    std::vector<std::string> args{"auditctl"};
    std::istringstream in(cmd);
    for (std::string w; in >> w;) args.push_back(w);
    bpfaudit::testing::MemStream out, err;
    CtlIo io;
    io.out = out.file();
    io.err = err.file();
    io.syslog = [](int, const std::string&) {};
    Environment env;
    env.machine = MACH_86_64;
    env.features = [] { return static_cast<uint32_t>(AUDIT_FEATURE_BITMAP_ALL); };
    env.user_to_uid = [](const std::string&) -> std::optional<uint32_t> { return std::nullopt; };
    env.group_to_gid = [](const std::string&) -> std::optional<uint32_t> { return std::nullopt; };
    Ctl ctl(k, env, io);
    EXPECT_EQ(ctl.run(args), 0) << cmd << ": " << err.str();
  }
  std::vector<Rule> out;
  for (auto& b : k.rules) out.emplace_back(b);
  return out;
}

// Splits built rules into the exit list and the others, as the kernel lists them.
PlacementPlan place(const std::vector<std::string>& commands) {
  std::vector<Rule> exit_rules, other;
  for (auto& r : build(commands))
    ((r.data().flags & ~AUDIT_FILTER_PREPEND) == AUDIT_FILTER_EXIT ? exit_rules : other)
        .push_back(r);
  return place_rules(exit_rules, other);
}

std::vector<bool> sides(const PlacementPlan& p) {
  std::vector<bool> v;
  for (const auto& x : p.placement) v.push_back(x.engine);
  return v;
}

TEST(Placement, IdentityRuleGoesToTheEngineWithItsFieldsLowered) {
  auto plan = place({"-a always,exit -F arch=b64 -S setuid -F auid>=1000 -F success=0 -k priv"});
  ASSERT_EQ(sides(plan), std::vector<bool>{true});
  ASSERT_EQ(plan.engine_rules.size(), 1u);
  const auto& r = plan.engine_rules[0];
  EXPECT_TRUE(r.always);
  EXPECT_EQ(r.key, "priv");
  // arch=b64 only meets the x86_64 row, where it always holds: not compared.
  ASSERT_EQ(r.fields.size(), 2u);
  EXPECT_EQ(r.fields[0].field, static_cast<uint32_t>(ebpf::EngineFieldKind::kAuid));
  EXPECT_EQ(r.fields[0].op, static_cast<uint32_t>(ebpf::EngineOp::kGe));
  EXPECT_EQ(r.fields[0].value, 1000u);
  // success=0 compares against the kernel's AUDITSC_FAILURE (2).
  EXPECT_EQ(r.fields[1].field, static_cast<uint32_t>(ebpf::EngineFieldKind::kSuccess));
  EXPECT_EQ(r.fields[1].value, 2u);
  ASSERT_EQ(r.syscalls.size(), 1u);
  EXPECT_EQ(r.syscalls[0].arch, 0);
  EXPECT_EQ(r.syscalls[0].nr, 105);  // setuid on x86_64
}

TEST(Placement, ArgumentEqualityIsComparedFirst) {
  auto plan = place({"-a always,exit -F arch=b64 -S setuid -F uid=0 -F a1!=5 -F a0=7 -k o"});
  ASSERT_EQ(plan.engine_rules.size(), 1u);
  const auto& f = plan.engine_rules[0].fields;
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].field, static_cast<uint32_t>(ebpf::EngineFieldKind::kArg0));
  EXPECT_EQ(f[1].field, static_cast<uint32_t>(ebpf::EngineFieldKind::kArg1));
  EXPECT_EQ(f[2].field, static_cast<uint32_t>(ebpf::EngineFieldKind::kUid));
}

TEST(Placement, B32RuleUsesTheI386Row) {
  auto plan = place({"-a always,exit -F arch=b32 -S getpid -k g32"});
  ASSERT_EQ(sides(plan), std::vector<bool>{true});
  ASSERT_EQ(plan.engine_rules[0].syscalls.size(), 1u);
  EXPECT_EQ(plan.engine_rules[0].syscalls[0].arch, 1);
  EXPECT_EQ(plan.engine_rules[0].syscalls[0].nr, 20);  // getpid on i386
}

TEST(Placement, RuleWithoutArchCoversBothArchesAndTheirMeanings) {
  // No arch field: the kernel tests bit 95 on both arches; on i386 95 is
  // fchown, whose event has a PATH record.
  auto plan = place({"-a always,exit -S umask -k u"});
  ASSERT_EQ(sides(plan), std::vector<bool>{false});
  EXPECT_NE(plan.placement[0].reason.find("fchown"), std::string::npos) << plan.placement[0].reason;
}

TEST(Placement, PathSyscallStaysInTheKernel) {
  auto plan = place({"-a always,exit -F arch=b64 -S openat -F exit=-EACCES -k access"});
  ASSERT_EQ(sides(plan), std::vector<bool>{false});
  EXPECT_NE(plan.placement[0].reason.find("openat"), std::string::npos);
  EXPECT_TRUE(plan.engine_rules.empty());
}

TEST(Placement, KernelOnlyFieldKeepsTheRuleAndEveryRuleSharingItsSyscall) {
  auto plan = place({
      "-a always,exit -F arch=b64 -S umask -k first",
      "-a always,exit -F arch=b64 -S umask -F exe=/usr/bin/true -k second",
      "-a always,exit -F arch=b64 -S setuid -k third",
  });
  // "first" would be an engine rule, but "second" (exe=, kernel only) names
  // umask too: first-match order holds only if both stay on one side.
  EXPECT_EQ(sides(plan), (std::vector<bool>{false, false, true}));
  EXPECT_NE(plan.placement[0].reason.find("shares a syscall"), std::string::npos);
  ASSERT_EQ(plan.engine_rules.size(), 1u);
  EXPECT_EQ(plan.engine_rules[0].key, "third");
}

TEST(Placement, NeverBeforeAlwaysKeepsOrderOnTheEngine) {
  auto plan = place({
      "-a never,exit -F arch=b64 -S getppid -F a0=1",
      "-a always,exit -F arch=b64 -S getppid -k later",
  });
  ASSERT_EQ(sides(plan), (std::vector<bool>{true, true}));
  EXPECT_FALSE(plan.engine_rules[0].always);
  EXPECT_TRUE(plan.engine_rules[1].always);
}

TEST(Placement, WatchNarrowedByPermDoesNotHoldBackOtherSyscalls) {
  // -p wa covers the write and attribute classes and the open family, not
  // setuid: the setuid rule still goes to the engine; the watch stays.
  auto plan = place({
      "-w /etc/passwd -p wa -k passwd",
      "-a always,exit -F arch=b64 -S setuid -k id",
  });
  EXPECT_EQ(sides(plan), (std::vector<bool>{false, true}));
}

TEST(Placement, WatchWithReadPermDoesNotCoverRead) {
  // read(2) on a descriptor is in no perm class: only the open family and
  // the read class (readlink, getxattr...) can match -p r.
  auto plan = place({
      "-w /etc/shadow -p r -k shadow",
      "-a always,exit -F arch=b64 -S read -F a0=99 -k fd99",
  });
  EXPECT_EQ(sides(plan), (std::vector<bool>{false, true}));
}

TEST(Placement, TaskRuleKeepsEverythingInTheKernel) {
  auto plan = place({
      "-a never,task -F uid=0",
      "-a always,exit -F arch=b64 -S setuid -k id",
  });
  EXPECT_EQ(sides(plan), std::vector<bool>{false});
  EXPECT_NE(plan.placement[0].reason.find("task"), std::string::npos);
}

TEST(Placement, ExcludeRuleBlocksOnlyWhenItCanDropEngineRecords) {
  auto harmless = place({
      "-a always,exclude -F msgtype=CWD",
      "-a always,exit -F arch=b64 -S setuid -k id",
  });
  EXPECT_EQ(sides(harmless), std::vector<bool>{true});
  auto blocking = place({
      "-a always,exclude -F msgtype=SYSCALL",
      "-a always,exit -F arch=b64 -S setuid -k id",
  });
  EXPECT_EQ(sides(blocking), std::vector<bool>{false});
}

TEST(Placement, HostWithTaskLabelsKeepsEverythingInTheKernel) {
  std::vector<Rule> rules = build({"-a always,exit -F arch=b64 -S setuid -k id"});
  auto plan = place_rules(rules, {}, "the kernel's records carry subj=unconfined");
  EXPECT_EQ(sides(plan), std::vector<bool>{false});
  EXPECT_EQ(plan.placement[0].reason, "the kernel's records carry subj=unconfined");
}

TEST(Placement, RecordExactTableHasNoPathOrSignalSyscalls) {
  // Facts of the x86_64 table: none of these may ever be on the engine.
  for (int nr : {2, 257, 59, 62, 101, 42, 49, 9, 231, 60})  // open openat execve kill
    EXPECT_FALSE(engine_records_exactly(0, nr)) << nr;      // ptrace connect bind mmap
  for (int nr : {105, 39, 95, 0, 1})                        // exit_group exit | setuid
    EXPECT_TRUE(engine_records_exactly(0, nr)) << nr;       // getpid umask read write
}

}  // namespace
}  // namespace bpfaudit::rules
