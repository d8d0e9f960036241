// auditctl rule language and engine against a fake kernel. Expected texts are stock
// auditctl 3.0.9's real output on this host (x86_64), captured from the real tool.
#include <gtest/gtest.h>
#include <libaudit.h>
#include <linux/audit.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "augenrules.h"
#include "control.h"
#include "ctl.h"
#include "log_reader.h"
#include "memstream.h"
#include "rule.h"

namespace bpfaudit::rules {
namespace {

using base::Result;
using kernel::RuleBytes;

// Keeps rules as the kernel does: per filter list, in list order, -A at the front;
// refuses duplicates (EEXIST) and unknown deletes (ENOENT); honours the -e 2 lock.
class FakeControl : public kernel::AuditControl {
 public:
  kernel::Status status;
  audit_features features{};
  std::vector<RuleBytes> rules;
  std::vector<std::string> messages;
  int set_calls = 0, add_calls = 0;

  FakeControl() {
    status.status.enabled = 1;
    status.status.failure = 1;
    status.status.backlog_limit = 8192;
    status.status.backlog_wait_time = 60000;
    status.status.feature_bitmap = AUDIT_FEATURE_BITMAP_ALL;
    status.length = sizeof(audit_status);
    features.mask = AUDIT_FEATURE_TO_MASK(AUDIT_FEATURE_LOGINUID_IMMUTABLE);
  }
  Result<kernel::Status> get_status() override { return status; }
  Result<audit_features> get_features() override { return features; }
  int set_status(const audit_status& s) override {
    ++set_calls;
    if (status.status.enabled == 2) return -EPERM;  // the kernel's answer when locked
    if (s.mask & AUDIT_STATUS_ENABLED) status.status.enabled = s.enabled;
    if (s.mask & AUDIT_STATUS_FAILURE) status.status.failure = s.failure;
    if (s.mask & AUDIT_STATUS_RATE_LIMIT) status.status.rate_limit = s.rate_limit;
    if (s.mask & AUDIT_STATUS_BACKLOG_LIMIT) status.status.backlog_limit = s.backlog_limit;
    if (s.mask & AUDIT_STATUS_BACKLOG_WAIT_TIME)
      status.status.backlog_wait_time = s.backlog_wait_time;
    if (s.mask & AUDIT_STATUS_LOST) {
      int lost = static_cast<int>(status.status.lost);
      status.status.lost = 0;
      return lost;
    }
    return 0;
  }
  int set_feature(const audit_features& f) override {
    features.features |= f.features;
    features.lock |= f.lock;
    return 0;
  }
  static uint32_t list_of(const RuleBytes& b) {
    return reinterpret_cast<const audit_rule_data*>(b.data())->flags & AUDIT_FILTER_MASK;
  }
  static RuleBytes normalized(RuleBytes b) {
    reinterpret_cast<audit_rule_data*>(b.data())->flags &= ~AUDIT_FILTER_PREPEND;
    return b;
  }
  int add_rule(const RuleBytes& b) override {
    ++add_calls;
    if (status.status.enabled == 2) return -EPERM;
    RuleBytes n = normalized(b);
    if (std::find(rules.begin(), rules.end(), n) != rules.end()) return -EEXIST;
    uint32_t list = list_of(n);
    bool prepend = reinterpret_cast<const audit_rule_data*>(b.data())->flags & AUDIT_FILTER_PREPEND;
    auto pos = prepend ? std::find_if(rules.begin(), rules.end(),
                                      [&](const RuleBytes& r) { return list_of(r) >= list; })
                       : std::find_if(rules.begin(), rules.end(),
                                      [&](const RuleBytes& r) { return list_of(r) > list; });
    rules.insert(pos, n);
    return 0;
  }
  int delete_rule(const RuleBytes& b) override {
    auto it = std::find(rules.begin(), rules.end(), normalized(b));
    if (it == rules.end()) return -ENOENT;
    rules.erase(it);
    return 0;
  }
  Result<std::vector<RuleBytes>> list_rules() override { return rules; }
  int trim_subtrees() override { return 0; }
  int make_equivalent(const std::string&, const std::string&) override { return 0; }
  int user_message(const std::string& text) override {
    messages.push_back(text);
    return 0;
  }
};

Environment test_env() {
  Environment env;
  env.machine = MACH_86_64;
  env.features = [] { return static_cast<uint32_t>(AUDIT_FEATURE_BITMAP_ALL); };
  env.user_to_uid = [](const std::string& n) -> std::optional<uint32_t> {
    if (n == "root") return 0u;
    return std::nullopt;
  };
  env.group_to_gid = [](const std::string& n) -> std::optional<uint32_t> {
    if (n == "root") return 0u;
    return std::nullopt;
  };
  return env;
}

struct CmdResult {
  int rc;
  std::string out, err;
  std::vector<std::string> syslog;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v{"auditctl"};
  std::istringstream in(s);
  std::string w;
  while (in >> w) v.push_back(w);
  return v;
}

CmdResult run_args(FakeControl& k, const std::vector<std::string>& args) {
  bpfaudit::testing::MemStream out, err;
  CmdResult r;
  CtlIo io;
  io.out = out.file();
  io.err = err.file();
  io.syslog = [&r](int, const std::string& s) { r.syslog.push_back(s); };
  io.kill = [](int, int) { return 0; };
  Ctl ctl(k, test_env(), io);
  r.rc = ctl.run(args);
  r.out = out.str();
  r.err = err.str();
  return r;
}

CmdResult run(FakeControl& k, const std::string& cmd) { return run_args(k, split(cmd)); }

std::string list(FakeControl& k, bool interpret = false) {
  return run(k, interpret ? "-l -i" : "-l").out;
}

// ---- Every field and operator: parsed, lowered, listed back as stock lists them.

struct RoundTrip {
  const char* in;
  const char* listed;
};

const RoundTrip kRoundTrips[] = {
    {"-a always,exit -F arch=b64 -S open -F pid=1 -F ppid!=2 -F uid<3 -F euid>4 -F suid<=5 "
     "-F fsuid>=6 -F gid=7 -F egid!=8 -F sgid=9 -F fsgid=10 -F pers&=3 -k k1",
     "-a always,exit -F arch=b64 -S open -F pid=1 -F ppid!=2 -F uid<3 -F euid>4 -F suid<=5 "
     "-F fsuid>=6 -F gid=7 -F egid!=8 -F sgid=9 -F fsgid=10 -F pers&=3 -F key=k1"},
    {"-a always,exit -F arch=b32 -S open,close -F auid=unset -F loginuid!=0 -F sessionid=unset "
     "-F pers=0 -F success=1 -F exit=-ENOENT -F a0=1 -F a1!=0x20 -F a2>=3 -F a3&4 -k k2",
     "-a always,exit -F arch=b32 -S open,close -F auid=-1 -F auid!=0 -F sessionid=-1 -F pers=0 "
     "-F success=1 -F exit=-ENOENT -F a0=0x1 -F a1!=0x20 -F a2>=0x3 -F a3&0x4 -F key=k2"},
    {"-a never,exit -F arch=b64 -S 0,1,2 -F dir=/tmp -F perm=rwxa -F filetype=file -F devmajor=8 "
     "-F devminor=1 -F obj_uid=0 -F obj_gid=0 -F key=k3 -F key=second",
     "-a never,exit -F arch=b64 -S read,write,open -F dir=/tmp -F perm=rwxa -F filetype=32768 "
     "-F devmajor=8 -F devminor=1 -F obj_uid=0 -F obj_gid=0 -F key=k3 -F key=second"},
    {"-a always,exit -F arch=b64 -S open -F inode=12345 -F devmajor>=3 -k k4",
     "-a always,exit -F arch=b64 -S open -F inode=12345 -F devmajor>=3 -F key=k4"},
    {"-a always,exit -F arch=b64 -S all -F path=/etc/shadow -F perm=r -F exe=/usr/bin/cat "
     "-F saddr_fam=2 -F obj_user=system_u -F obj_role=object_r -F obj_type=etc_t "
     "-F obj_lev_low=s0 -F obj_lev_high=s0 -F subj_user=u -F subj_role=r -F subj_type=t "
     "-F subj_sen=s0 -F subj_clr=c0 -k k5",
     "-a always,exit -F arch=b64 -S all -F path=/etc/shadow -F perm=r -F exe=/usr/bin/cat "
     "-F saddr_fam=2 -F obj_user=system_u -F obj_role=object_r -F obj_type=etc_t "
     "-F obj_lev_low=s0 -F obj_lev_high=s0 -F subj_user=u -F subj_role=r -F subj_type=t "
     "-F subj_sen=s0 -F subj_clr=c0 -F key=k5"},
    {"-a always,exit -F arch=b64 -S execve -C uid!=euid -C auid=obj_uid -C gid!=egid "
     "-C fsgid=sgid -F exit=5 -F exit!=-1 -k k6",
     "-a always,exit -F arch=b64 -S execve -C uid!=euid -C auid=obj_uid -C gid!=egid "
     "-C sgid=fsgid -F exit=5 -F exit!=-EPERM -F key=k6"},
    {"-a always,exit -F arch=x86_64 -S openat -F uid=root -F gid=root -k k7",
     "-a always,exit -F arch=b64 -S openat -F uid=0 -F gid=0 -F key=k7"},
    {"-a always,exit -F arch=i386 -S socketcall -k k8",
     "-a always,exit -F arch=b32 -S socketcall -F key=k8"},
    {"-w /etc/hosts -p wa -k k9", "-w /etc/hosts -p wa -k k9"},
    {"-a never,exclude -F msgtype=CWD -F uid=4294967291",
     "-a never,exclude -F msgtype=CWD -F uid=-5"},
    {"-a always,user -F pid=4294967292 -F msgtype=1100",
     "-a always,user -F pid=-4 -F msgtype=USER_AUTH"},
    {"-a never,task -F uid=4294967293", "-a never,task -F uid=-3"},
    {"-a never,filesystem -F fstype=tracefs -k k10",
     "-a never,filesystem -F fstype=tracefs -F key=k10"},
    {"-a always,exclude -F msgtype>=1300 -F exe=/bin/x",
     "-a always,exclude -F msgtype>=SYSCALL -F exe=/bin/x"},
};

TEST(RulesRoundTrip, EveryFieldAndOperatorListsAsStock) {
  for (const auto& rt : kRoundTrips) {
    FakeControl k;
    CmdResult r = run(k, rt.in);
    ASSERT_EQ(r.rc, 0) << rt.in << ": " << r.err;
    EXPECT_EQ(list(k), std::string(rt.listed) + "\n") << rt.in;
  }
}

TEST(RulesRoundTrip, InterpretedListing) {
  FakeControl k;
  ASSERT_EQ(run(k, kRoundTrips[1].in).rc, 0);
  EXPECT_EQ(list(k, true),
            "-a always,exit -F arch=i386 -S open,close -F auid=unset -F auid!=0 "
            "-F sessionid=unset -F pers=0 -F success=1 -F exit=-ENOENT -F a0=0x1 -F a1!=0x20 "
            "-F a2>=0x3 -F a3&0x4 -F key=k2\n");
}

TEST(RulesRoundTrip, ListingOrderAndPrepend) {
  FakeControl k;
  ASSERT_EQ(run(k, "-a always,exit -F arch=b64 -S open -k a").rc, 0);
  ASSERT_EQ(run(k, "-A always,exit -F arch=b64 -S close -k b").rc, 0);
  ASSERT_EQ(run(k, "-a never,task -F uid=1").rc, 0);
  EXPECT_EQ(list(k),
            "-a never,task -F uid=1\n"
            "-a always,exit -F arch=b64 -S close -F key=b\n"
            "-a always,exit -F arch=b64 -S open -F key=a\n");
}

TEST(RulesRoundTrip, WatchDirectoryGetsAllPermsAndSeveralKeys) {
  FakeControl k;
  ASSERT_EQ(run(k, "-w /etc/ -k a -k other").rc, 0);
  EXPECT_EQ(list(k), "-w /etc -p rwxa -k a -k other\n");
  // -W removes exactly that watch.
  EXPECT_EQ(run(k, "-W /etc/ -k a -k other").rc, 0);
  EXPECT_EQ(list(k), "No rules\n");
}

TEST(RulesRoundTrip, ListedRuleFedBackDeletesIt) {
  FakeControl k;
  ASSERT_EQ(run(k, kRoundTrips[0].in).rc, 0);
  std::string listed = list(k);
  listed.pop_back();
  std::string del = "-d" + listed.substr(2);
  CmdResult r = run(k, del);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(k.rules.empty());
}

TEST(RulesRoundTrip, KeyFilterIsSubstringAndSilentWhenNothingMatches) {
  FakeControl k;
  ASSERT_EQ(run(k, "-a always,exit -F arch=b64 -S open -k alpha").rc, 0);
  EXPECT_EQ(run(k, "-l -k lph").out, "-a always,exit -F arch=b64 -S open -F key=alpha\n");
  // Stock prints nothing at all (not "No rules") when rules exist but none match.
  EXPECT_EQ(run(k, "-l -k zzz").out, "");
}

TEST(RulesRoundTrip, ArchCarriesOverToFollowingRulesLikeStock) {
  // Stock's listing keeps the last printed arch for syscall names of later rules.
  FakeControl k;
  ASSERT_EQ(run(k, "-a always,exit -F arch=b32 -S socketcall -k a").rc, 0);
  ASSERT_EQ(run(k, "-a always,exit -S 102 -k b").rc, 0);
  EXPECT_EQ(list(k),
            "-a always,exit -F arch=b32 -S socketcall -F key=a\n"
            "-a always,exit -S socketcall -F key=b\n");
}

// ---- Error messages and exit codes, as stock prints them.

struct ErrorCase {
  const char* args;
  int rc;
  const char* err;
};

const ErrorCase kErrors[] = {
    {"-a always,exit -F foo=bar", 255, "-F unknown field: foo\n"},
    {"-a always,exit -S nosuch", 255, "Syscall name unknown: nosuch\n"},
    {"-a always,exit -F arch=b64 -S open,nosuch", 255, "Syscall name unknown: nosuch\n"},
    {"-a always,exit -S open -F arch=b64", 255,
     "WARNING - 32/64 bit syscall mismatch, you should specify an arch\narch must be before -S\n"},
    {"-a always,exit -F uid", 255, "-F missing operation for uid\n"},
    {"-a always,exit -F =5", 255, "-F missing field name before operator for \n"},
    {"-a always,exit -F uid=", 255, "-F missing value after operation for uid\n"},
    {"-a always,exit -F a0=abc", 255, "-F value should be number for a0\n"},
    {"-a always,exit -F exit=-ENOTANERR", 255, "-F unknown errno - exit\n"},
    {"-a always,exit -F msgtype=SYSCALL", 255,
     "msgtype field can only be used with exclude or user filter list\n"},
    {"-a never,exclude -F msgtype=NOTATYPE", 255, "-F unknown message type - msgtype\n"},
    {"-a always,exit -F perm=rwxq", 255, "Permission can only contain  'rwxa'\n"},
    {"-a always,exit -F perm!=r", 255, "perm only takes = operator\n"},
    {"-a always,exit -F filetype=weird", 255, "-F unknown file type -  filetype\n"},
    {"-a always,exit -F arch=sparc", 255, "arch elf mapping not found\n"},
    {"-a always,exit -F fstype=ext4", 255, "fstype field is not valid for the filter\n"},
    {"-a never,filesystem -F fstype=nofs", 255, "file system type is unknown for field: fstype\n"},
    {"-a always,user -F ppid=1", 255, "ppid can only be used with exit filter list\n"},
    {"-a always,task -F dir=/tmp", 255, "dir can only be used with exit filter list\n"},
    {"-a always,exit -C uid=gid", 255, "-C incompatible comparison uid\n"},
    {"-a always,exit -C foo=uid", 255, "-C unknown field: foo\n"},
    {"-a always,exit -C uid=bar", 255, "-C unknown right hand value for comparison with: uid\n"},
    {"-a always,user -C uid=euid", 255, "uid can only be used with exit filter list\n"},
    {"-a always,exit -F uid=nosuchuser", 255, "Unknown user: nosuchuser\n"},
    {"-a always,exit -F gid=nosuchgroup", 255, "Unknown group: nosuchgroup\n"},
    {"-a never,exclude -F ppid=3", 255,
     "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter\n"},
    {"-a always,exit -F saddr_fam=99", 255, "value is too large for field: saddr_fam\n"},
    {"-a always,task -S open", 255, "Error: syscall auditing being added to task list\n"},
    {"-a always,user -S open", 255, "Error: syscall auditing being added to user list\n"},
    {"-a never,exclude -S open", 255, "Error: syscall auditing cannot be put on exclude list\n"},
    {"-a never,filesystem -S open", 255,
     "Error: syscall auditing being added to filesystem list\n"},
    {"-a always,bogus", 255, "Append rule - bad keyword always,bogus\n"},
    {"-a always", 255, "Append rule - bad keyword always\n"},
    {"-A bogus,exit", 255, "Add rule - bad keyword bogus,exit\n"},
    {"-d exit", 255, "Delete rule - bad keyword exit\n"},
    {"-a possible,exit", 255, "Append rule - bad keyword possible,exit\n"},
    // Stock's -a text ends in its own newline before audit_msg adds one.
    {"-a always,exit -a always,exit", 255,
     "Multiple rule insert/delete operations are not allowed\n\n"},
    {"-F uid=0", 255, "List must be given before field\n"},
    {"-k foo", 255, "key option needs a watch or syscall given prior to it\n"},
    {"-p wa", 255, "permission option needs a watch given prior to it\n"},
    {"-w etc/passwd", 255, "The path must start with '/'\n"},
    {"-w /etc/passwd -p rwxz", 255, "Permission z isn't supported\n"},
    {"-w /etc/passwd -p rwxaa", 255, "permission rwxaa is too long\n"},
    {"-a always,exit -S open -w /etc", 255,
     "WARNING - 32/64 bit syscall mismatch, you should specify an arch\nwatch option can't be "
     "given with a syscall\n"},
    {"-a always,exit -F arch=b64 -S open -k "
     "012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012"
     "345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345"
     "67890123456789012345678901234567890123456789012345678901234567890123456789",
     255, "key option exceeds size limit\n"},
    {"-a always,exit -F arch=b64 -S open -k "
     "012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012"
     "3456789012345678901234567890123 -k "
     "012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012"
     "34567890123456789012345678901234567890123",
     255, "key option exceeds size limit\n"},
    {"-a always,exclude -F msgtype=CWD -k foo", 255,
     "key option needs a watch or syscall given prior to it\n"},
    {"-a always,exclude -F msgtype=CWD -F key=foo", 255,
     "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter\n"},
    {"-e 3", 255, "Enable must be 0, 1, or 2 was 3\n"},
    {"-f 9", 255, "Failure must be 0, 1, or 2 was 9\n"},
    {"-r abc", 255, "Rate must be a numeric value was abc\n"},
    {"-b -5", 255, "Backlog must be a numeric value was -5\n"},
    {"--backlog_wait_time x", 255, "Backlog_wait_time must be a numeric value was x\n"},
    {"-s extra", 255, "Only -i option is allowed\n"},
    {"-s -i -i", 255, "Too many options for status command\n"},
    {"-l extra", 255, "Only -k or -i options are allowed\n"},
    {"-l -k", 255, "Only -k or -i options are allowed\n"},
    {"-l -x y", 255, "Only -k or -i options are allowed\n"},
    {"-D extra", 255, "Wrong number of options for Delete all request\n"},
    {"-D -x y", 255, "Only the -k option is allowed\n"},
    {"-m", 255, "Option -m is invalid\n"},
    {"-x", 255, "Option -x is invalid\n"},
    {"foo", 255, ""},
    {"-R", 255, "Option -R is invalid\n"},
    {"-q /a", 255, "Error parsing equivalent parts\n"},
    {"-q /a,", 255, "Error parsing equivalent parts\n"},
    {"-m bad -m more", 255, "The -m option must be only the only option and takes 1 parameter\n"},
    {"--signal BOGUS", 255, "BOGUS is an unsupported signal\n"},
    {"-h", 255, ""},
    {"-v", 0, ""},
    {"-i", 0, ""},
    {"-c", 0, ""},
};

TEST(RulesErrors, MessagesAndExitCodesMatchStock) {
  for (const auto& c : kErrors) {
    FakeControl k;
    CmdResult r = run(k, c.args);
    EXPECT_EQ(r.rc, c.rc) << c.args;
    EXPECT_EQ(r.err, c.err) << c.args;
    EXPECT_TRUE(k.rules.empty()) << c.args;
  }
}

TEST(RulesErrors, KernelRefusalIsExplained) {
  FakeControl k;
  ASSERT_EQ(run(k, "-a always,exit -F arch=b64 -S open -k a").rc, 0);
  CmdResult r = run(k, "-a always,exit -F arch=b64 -S open -k a");
  EXPECT_EQ(r.rc, 255);
  EXPECT_EQ(r.err, "Error sending add rule data request (Rule exists)\n");
  r = run(k, "-d always,exit -F arch=b64 -S close -k a");
  EXPECT_EQ(r.rc, 255);
  EXPECT_EQ(r.err, "Error sending delete rule data request (No such file or directory)\n");
}

TEST(RulesErrors, PathTooLong) {
  FakeControl k;
  CmdResult r = run(k, "-w /" + std::string(4096, 'a'));
  EXPECT_EQ(r.rc, 255);
  EXPECT_EQ(r.err, "The path passed for the watch is too big\n");
  r = run(k, "-w /x/" + std::string(256, 'b'));
  EXPECT_EQ(r.err, "The base name of the path is too big\n");
}

TEST(RulesErrors, FailingCommandLineAppliesNothing) {
  FakeControl k;
  // Stock would set the backlog before failing on -x; we apply nothing.
  CmdResult r = run(k, "-b 100 -x");
  EXPECT_EQ(r.rc, 255);
  EXPECT_EQ(r.err, "Option -x is invalid\n");
  EXPECT_EQ(k.set_calls, 0);
  EXPECT_EQ(k.status.status.backlog_limit, 8192u);
}

TEST(RulesErrors, NotRoot) {
  FakeControl k;
  CtlIo io;
  char* e = nullptr;
  size_t el = 0;
  io.err = open_memstream(&e, &el);
  io.out = io.err;
  io.is_root = false;
  {
    Ctl ctl(k, test_env(), io);
    EXPECT_EQ(ctl.run(split("-s")), 4);
  }
  std::fclose(io.err);
  EXPECT_EQ(std::string(e, el), "You must be root to run this program.\n");
  std::free(e);
}

// ---- The -e 2 lock, only ever against the fake (on a host it lasts until reboot).

TEST(RulesLock, LockedConfigurationRefusesRulesLikeStock) {
  FakeControl k;
  CmdResult r = run(k, "-e 2");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(k.status.status.enabled, 2u);
  EXPECT_NE(r.out.find("enabled 2\n"), std::string::npos);
  r = run(k, "-a always,exit -F arch=b64 -S open -k a");
  EXPECT_EQ(r.rc, 0);  // stock exits 0 here
  EXPECT_EQ(r.err, "The audit system is in immutable mode, no rule changes allowed\n");
  EXPECT_EQ(k.add_calls, 0);
  r = run(k, "-e 1");
  EXPECT_EQ(r.rc, 255);
  EXPECT_EQ(r.err, "Error sending enable request (Operation not permitted)\n");
}

// ---- Status, control settings, messages.

TEST(RulesStatus, PrintsLikeStockAndAsJson) {
  FakeControl k;
  k.status.status.backlog_wait_time_actual = 7;
  CmdResult r = run(k, "-s");
  EXPECT_EQ(r.out,
            "enabled 1\nfailure 1\npid 0\nrate_limit 0\nbacklog_limit 8192\nlost 0\n"
            "backlog 0\nbacklog_wait_time 60000\nbacklog_wait_time_actual 7\n"
            "loginuid_immutable 0 unlocked\n");
  r = run(k, "-s -i");
  EXPECT_EQ(r.out.substr(0, 34), "enabled enabled\nfailure printk\npid");
  r = run(k, "-s --json");
  EXPECT_EQ(r.out,
            "{\"enabled\":1,\"failure\":1,\"pid\":0,\"rate_limit\":0,\"backlog_limit\":8192,"
            "\"lost\":0,\"backlog\":0,\"backlog_wait_time\":60000,"
            "\"backlog_wait_time_actual\":7,\"loginuid_immutable\":0,"
            "\"loginuid_immutable_locked\":false}\n");
  // A kernel with the older, shorter struct has no backlog_wait_time_actual.
  k.status.length = offsetof(audit_status, backlog_wait_time_actual);
  EXPECT_EQ(run(k, "-s").out.find("backlog_wait_time_actual"), std::string::npos);
}

TEST(RulesStatus, SettersPrintStatusAndApply) {
  FakeControl k;
  CmdResult r = run(k, "-b 320 -r 5 -f 2 --backlog_wait_time 1000");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(k.status.status.backlog_limit, 320u);
  EXPECT_EQ(k.status.status.rate_limit, 5u);
  EXPECT_EQ(k.status.status.failure, 2u);
  EXPECT_EQ(k.status.status.backlog_wait_time, 1000u);
  EXPECT_EQ(r.out.substr(0, 20), "enabled 1\nfailure 2\n");
  k.status.status.lost = 42;
  r = run(k, "--reset-lost");
  EXPECT_EQ(r.err, "lost: 42\n");
  EXPECT_EQ(k.status.status.lost, 0u);
  r = run(k, "--loginuid-immutable");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(run(k, "-s").out.find("\nloginuid_immutable 1 locked\n"), std::string::npos);
}

TEST(RulesStatus, UserMessageAndSignalWithoutDaemon) {
  FakeControl k;
  CmdResult r = run_args(k, {"auditctl", "-m", "hello world"});
  EXPECT_EQ(r.rc, 0);
  ASSERT_EQ(k.messages.size(), 1u);
  EXPECT_EQ(k.messages[0], "text=hello world");
  r = run_args(k, {"auditctl", "-m", "bad\x01"});
  EXPECT_EQ(r.err, "Illegal character in audit event\n");
  r = run(k, "--signal TERM");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "Auditd is not running\n");
}

TEST(RulesDeleteAll, OnlyMatchingKeyAgainstFake) {
  // -D runs only here and in vm-tests: on a host it would remove other users' rules.
  FakeControl k;
  ASSERT_EQ(run(k, "-a always,exit -F arch=b64 -S open -k mine").rc, 0);
  ASSERT_EQ(run(k, "-a always,exit -F arch=b64 -S close -k theirs").rc, 0);
  CmdResult r = run(k, "-D -k mine");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "");  // stock lists with the key still set: nothing matches now
  EXPECT_EQ(list(k), "-a always,exit -F arch=b64 -S close -F key=theirs\n");
  run(k, "-D");
  EXPECT_EQ(list(k), "No rules\n");
}

// ---- Rules files.

class RulesFile : public ::testing::Test {
 protected:
  // One file per test process: ctest -j runs this fixture's tests at once,
  // and a shared name let one test remove another's file (seen under -j2).
  std::string path = ::testing::TempDir() + "bpfaudit-rules-test." + std::to_string(getpid()) +
                     ".rules";
  void write(const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    chmod(path.c_str(), 0600);
  }
  void TearDown() override { std::remove(path.c_str()); }
};

TEST_F(RulesFile, CommentsBlankLinesEscapesAndStop) {
  if (geteuid() != 0) GTEST_SKIP() << "auditctl refuses to run unless root, like stock";
  FakeControl k;
  write(
      "# comment\n\n   \n-a always,exit -F arch=b64 -S open -k a\n-w /tmp/a\\ b -k sp\n"
      "-a always,exit -F nosuch=1\n-a always,exit -F arch=b64 -S close -k b\n");
  CmdResult r = run_args(k, {"auditctl", "-R", path});
  EXPECT_EQ(r.rc, 1);
  // Checked against stock 3.0.9 on the live kernel: after the first rule request stock's
  // messages go to stderr, the line number too (issue 21).
  EXPECT_EQ(r.err, "-F unknown field: nosuch\nThere was an error in line 6 of " + path + "\n");
  EXPECT_TRUE(r.syslog.empty());
  EXPECT_EQ(list(k), "-a always,exit -F arch=b64 -S open -F key=a\n-w /tmp/a b -p rwxa -k sp\n");
}

TEST_F(RulesFile, ContinueOnErrorsReturnsFailure) {
  if (geteuid() != 0) GTEST_SKIP() << "auditctl refuses to run unless root, like stock";
  FakeControl k;
  write("-c\n-a always,exit -F nosuch=1\n-a always,exit -F arch=b64 -S close -k b\n-b 100\n");
  CmdResult r = run_args(k, {"auditctl", "-R", path});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(k.rules.size(), 1u);
  EXPECT_EQ(k.status.status.backlog_limit, 100u);
}

TEST_F(RulesFile, WorldWritableAndMissing) {
  FakeControl k;
  write("-a always,exit -F arch=b64 -S close -k b\n");
  chmod(path.c_str(), 0666);
  CmdResult r = run_args(k, {"auditctl", "-R", path});
  EXPECT_EQ(r.rc, 1);
  EXPECT_TRUE(k.rules.empty());
  r = run_args(k, {"auditctl", "-R", path + ".missing"});
  EXPECT_EQ(r.rc, 1);
  ASSERT_FALSE(r.syslog.empty());
  EXPECT_EQ(r.syslog.back(), "audit rules file " + path + ".missing doesn't exist");
}

// ---- augenrules.

TEST_F(RulesFile, NotOwnedByRootLoadsAs312) {
  // Audit 3.1.2 dropped the owner check (3.0.9: "Error - FILE isn't owned by
  // root", exit 1); the world-writable refusal stays.
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the file away";
  FakeControl k;
  write("-a always,exit -F arch=b64 -S close -k owned\n");
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  CmdResult r = run_args(k, {"auditctl", "-R", path});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(k.rules.size(), 1u);
  chmod(path.c_str(), 0666);
  FakeControl k2;
  r = run_args(k2, {"auditctl", "-R", path});
  EXPECT_EQ(r.rc, 1);
  ASSERT_FALSE(r.syslog.empty());
  EXPECT_EQ(r.syslog.back(), "Error - " + path + " is world writable");
  EXPECT_TRUE(k2.rules.empty());
}

TEST(Augenrules, MergesLikeStockScript) {
  // Expected per stock augenrules with Debian's mawk, where "\s" is a literal 's'.
  std::string cat =
      "## comment\n-D\n-b 8192\n-a always,exit -S open\n\n  -e 1\n-f 1\n-e 2\n"
      "-a never,task\n-D -k x\n-b 320\n";
  EXPECT_EQ(merge_rules("/etc/audit/rules.d", cat),
            "## This file is automatically generated from /etc/audit/rules.d\n"
            "-D\n-b 320\n-f 1\n-a always,exit -S open\n  -e 1\n-a never,task\n-D -k x\n-e 2\n");
}

TEST(Augenrules, LeadingRunOfSIsSkippedAsTheScriptsAwkDoes) {
  // /^\s*-e/ under mawk is /^s*-e/: a run of 's' may precede the option, and
  // -D must be followed by nothing but 's'.
  std::string cat = "ss-e 3\ns-Dss\n-Dsx\nss# note\nx-e 1\ns-b 9\nsss-f 2\n-a exit,always\n";
  EXPECT_EQ(merge_rules("/r", cat),
            "## This file is automatically generated from /r\n"
            "s-Dss\ns-b 9\nsss-f 2\n-Dsx\nx-e 1\n-a exit,always\nss-e 3\n");
}

TEST(SplitPieces, YieldsWhatGetlineYields) {
  for (std::string text : {"", "a", "a,", ",a", "a,,b", ",,", "a,b,", "\n", "x\n\ny\n"}) {
    for (char sep : {',', '\n'}) {
      std::vector<std::string> want;
      std::istringstream in(text);
      for (std::string piece; std::getline(in, piece, sep);) want.push_back(piece);
      EXPECT_EQ(bpfaudit::record::split_pieces(text, sep), want) << "text '" << text << "' sep " << int{sep};
    }
  }
}

TEST(Augenrules, FileOrderIsLsVersionOrder) {
  // Order printed by GNU `ls -1v` for these names.
  const std::vector<std::string> want = {"9-early.rules",
                                         "10-base-config.rules",
                                         "30-nispom.rules",
                                         "30-ospp-v42.rules",
                                         "30-ospp-v42-1-create-failed.rules",
                                         "100-late.rules",
                                         "a.rules",
                                         "a1.rules",
                                         "a2.rules",
                                         "a10.rules"};
  std::vector<std::string> got = {"a10.rules",         "30-ospp-v42-1-create-failed.rules",
                                  "a.rules",           "100-late.rules",
                                  "30-nispom.rules",   "a2.rules",
                                  "30-ospp-v42.rules", "9-early.rules",
                                  "a1.rules",          "10-base-config.rules"};
  std::sort(got.begin(), got.end(),
            [](const std::string& a, const std::string& b) { return filevercmp(a, b) < 0; });
  EXPECT_EQ(got, want);
}

// ---- What audit 3.1+ added (issue 20). Expected texts follow audit-userspace
// 4.2's source: auditctl-listing.c print_rule/print_syscall (io_uring ops by
// name from lib/uringop_table.h, "-a action,list" with list name "io_uring"),
// auditctl.c opt_syscall ("io_uring op unknown: %s" with the whole -S word),
// libaudit.c audit_rule_fieldpair_data (no exclude restriction when the kernel
// extends that filter; the exit-only checks unchanged).

TEST(RulesLater, IoUringListParsesAndListsAs4x) {
  FakeControl k;
  ASSERT_EQ(run(k, "-a io_uring,always -S openat -k u1").rc, 0);
  ASSERT_EQ(run(k, "-a always,io_uring -S 18,connect -F uid=0 -k u2").rc, 0);
  // No -S: every bit, as for the exit list; listed as -S all.
  ASSERT_EQ(run(k, "-A always,io_uring -F auid>=1000").rc, 0);
  ASSERT_EQ(run(k, "-a never,io_uring -S all -k u3").rc, 0);
  EXPECT_EQ(list(k),
            "-a always,io_uring -S all -F auid>=1000\n"
            "-a always,io_uring -S openat -F key=u1\n"
            "-a always,io_uring -S connect,openat -F uid=0 -F key=u2\n"
            "-a never,io_uring -S sendmsg,recvmsg,accept,connect,fallocate,openat,close,openat2,"
            "shutdown,renameat,unlinkat,mkdirat,symlinkat,linkat,msg_ring,fsetxattr,setxattr,"
            "fgetxattr,getxattr,uring_cmd,sendmsg_zc,waitid,futex_wait,futex_wake,futex_waitv,"
            "fixed_fd_install,ftruncate,bind,listen,uring_cmd128 -F key=u3\n");
  // The list is list 7 with operation numbers (enum io_uring_op) in the mask.
  const auto& r = *reinterpret_cast<const audit_rule_data*>(k.rules[1].data());
  EXPECT_EQ(r.flags, 7u);
  EXPECT_EQ(r.mask[0], 1u << 18);
  // -d takes the same words; the listed text deletes it.
  EXPECT_EQ(run(k, "-d always,io_uring -S openat -F key=u1").rc, 0);
  EXPECT_EQ(run(k, "-d always,io_uring -S connect,openat -F uid=0 -F key=u2").rc, 0);
  EXPECT_EQ(k.rules.size(), 2u);
}

TEST(RulesLater, SyscallsNamedAfter309) {
  // 4.2's OSPP rules name syscalls libaudit 3.0.9 does not know. They load;
  // the listing is stock 3.0.9's real -l output for the same kernel rule
  // (loaded on 6.18 and listed by stock: numbers).
  FakeControl k;
  CmdResult r = run(k,
                    "-a always,exit -F arch=b64 -S chmod,fchmodat2,setxattrat,removexattrat,"
                    "file_setattr -F exit=-EACCES -k perm");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "");
  ASSERT_EQ(run(k, "-a always,exit -F arch=b32 -S fchmodat2 -k perm32").rc, 0);
  EXPECT_EQ(list(k),
            "-a always,exit -F arch=b64 -S chmod,452,463,466,469 -F exit=-EACCES -F key=perm\n"
            "-a always,exit -F arch=b32 -S 452 -F key=perm32\n");
  EXPECT_EQ(run(k, "-a always,exit -F arch=b64 -S fchmodat3").err,
            "Syscall name unknown: fchmodat3\n");
}

TEST(RulesLater, IoUringRefusals) {
  const ErrorCase cases[] = {
      {"-a always,io_uring -S nosuch", 255, "io_uring op unknown: nosuch\n"},
      {"-a always,io_uring -S openat,nosuch", 255, "io_uring op unknown: openat,nosuch\n"},
      {"-a always,io_uring -S openat -F success=1", 255,
       "success can only be used with exit filter list\n"},
      {"-a always,io_uring -S openat -F path=/etc/passwd", 255,
       "path can only be used with exit filter list\n"},
      {"-a always,io_uring -F uid=0 -k x", 255,
       "key option needs a watch or syscall given prior to it\n"},
      {"-a always,io_uring -S openat -F msgtype=SYSCALL", 255,
       "msgtype field can only be used with exclude or user filter list\n"},
  };
  for (const auto& c : cases) {
    FakeControl k;
    CmdResult r = run(k, c.args);
    EXPECT_EQ(r.rc, c.rc) << c.args;
    EXPECT_EQ(r.err, c.err) << c.args;
    EXPECT_TRUE(k.rules.empty()) << c.args;
  }
}

TEST(RulesLater, ExcludeTakesWhat31Takes) {
  FakeControl k;
  CmdResult r = run(k, "-a never,exclude -F msgtype=CWD -F euid=0");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err,
            "WARNING - the kernel's exclude filter does not evaluate euid: this rule never "
            "matches and ends the exclude list\n");
  ASSERT_EQ(run(k, "-a never,exclude -F sessionid=5").rc, 0);
  // A 3.0.9 field gets no warning.
  r = run(k, "-a never,exclude -F uid=5");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(list(k),
            "-a never,exclude -F msgtype=CWD -F euid=0\n"
            "-a never,exclude -F sessionid=5\n"
            "-a never,exclude -F uid=5\n");
  // What 3.1+ refuses too keeps 3.0.9's message (3.1+ would say "exit can
  // only be used with exit filter list"; kExitOnly and the others below).
  const ErrorCase refused[] = {
      {"-a never,exclude -F exit=0", 255,
       "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter\n"},
      {"-a never,exclude -F euid=nosuchuser", 255,
       "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter\n"},
      {"-a never,exclude -F perm=r", 255,
       "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter\n"},
  };
  for (const auto& c : refused) {
    FakeControl k2;
    CmdResult e = run(k2, c.args);
    EXPECT_EQ(e.rc, c.rc) << c.args;
    EXPECT_EQ(e.err, c.err) << c.args;
    EXPECT_TRUE(k2.rules.empty()) << c.args;
  }
}

TEST(RulesLater, ExcludeWithoutKernelExtensionKeeps309) {
  // A kernel without AUDIT_FEATURE_BITMAP_EXCLUDE_EXTEND (before 4.17).
  FakeControl k;
  bpfaudit::testing::MemStream out, err;
  CtlIo io;
  io.out = out.file();
  io.err = err.file();
  Environment env = test_env();
  env.features = [] {
    return static_cast<uint32_t>(AUDIT_FEATURE_BITMAP_ALL & ~AUDIT_FEATURE_BITMAP_EXCLUDE_EXTEND);
  };
  Ctl ctl(k, env, io);
  EXPECT_EQ(ctl.run(split("-a never,exclude -F euid=0")), 255);
  EXPECT_EQ(err.str(), "Field option not supported by kernel: euid\n");
  EXPECT_TRUE(k.rules.empty());
}

TEST(RulesLater, SignalKeywordsOf311) {
  const std::pair<const char*, int> words[] = {
      {"stop", SIGTERM}, {"reload", SIGHUP}, {"rotate", SIGUSR1},
      {"resume", SIGUSR2}, {"state", SIGCONT}, {"ROTATE", SIGUSR1}, {"usr1", SIGUSR1}};
  for (const auto& [word, sig] : words) {
    FakeControl k;
    k.status.status.pid = 4242;
    int sent_pid = 0, sent_sig = 0;
    bpfaudit::testing::MemStream out, err;
    CtlIo io;
    io.out = out.file();
    io.err = err.file();
    io.kill = [&](int pid, int s) {
      sent_pid = pid;
      sent_sig = s;
      return 0;
    };
    Ctl ctl(k, test_env(), io);
    EXPECT_EQ(ctl.run(split(std::string("--signal ") + word)), 0) << word;
    EXPECT_EQ(sent_pid, 4242) << word;
    EXPECT_EQ(sent_sig, sig) << word;
  }
}

TEST(RulesLater, VersionSaysWhichReleaseEachBehaviourIsFrom) {
  FakeControl k;
  CmdResult r = run(k, "-v");
  EXPECT_EQ(r.rc, 0);
  // The first line is stock 3.0.9's own.
  EXPECT_EQ(r.out.substr(0, r.out.find('\n') + 1), "auditctl version 3.0.9\n");
  EXPECT_NE(r.out.find("from audit 3.1: the io_uring filter list"), std::string::npos);
  EXPECT_NE(r.out.find("from audit 3.1.1: --signal"), std::string::npos);
}

}  // namespace
}  // namespace bpfaudit::rules
