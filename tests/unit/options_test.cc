// ausearch command-line parsing. Expected values are facts (epoch seconds of
// a UTC date, <linux/audit.h> type numbers, the x86_64 syscall table, errno
// values) and stock ausearch 3.0.9's messages as it prints them.
#include "options.h"

#include <gtest/gtest.h>
#include <linux/audit.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "memstream.h"

using namespace bpfaudit::search;

namespace {

struct Parsed {
  ParseOutcome outcome;
  Options opts;
  std::string out, err;
};

Parsed parse(std::vector<std::string> args) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  args.insert(args.begin(), "ausearch");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Parsed p;
  bpfaudit::testing::MemStream out, err;
  p.outcome =
      parse_options(static_cast<int>(args.size()), argv.data(), p.opts, out.file(), err.file());
  p.out = out.str();
  p.err = err.str();
  return p;
}

}  // namespace

TEST(Options, CriteriaTakeTheirValues) {
  auto p = parse({"-p", "42", "-m", "SYSCALL,PATH", "-sc", "openat", "-e", "ENOENT", "--raw"});
  ASSERT_EQ(p.outcome, ParseOutcome::kRun) << p.err;
  const Criteria& c = p.opts.criteria;
  EXPECT_EQ(c.pid, 42);
  EXPECT_EQ(c.message_types, (std::vector<int>{AUDIT_SYSCALL, AUDIT_PATH}));
  EXPECT_EQ(c.syscall, 257);  // openat on x86_64
  ASSERT_TRUE(c.exit);
  // Stock stores the positive errno from audit_name_to_errno, so `-e ENOENT`
  // never matches a failed call's exit=-2 (stock finds 0 of 46 such events
  // in selinux__sepolgen_test_data_audit.log; `-e -2` finds all 46).
  EXPECT_EQ(*c.exit, ENOENT);
  EXPECT_EQ(c.format, ReportFormat::kRaw);
}

TEST(Options, NumericExitAndNegativeValues) {
  // -e takes a leading '-' as part of the value, unlike most options.
  auto p = parse({"-e", "-13", "-ul", "-1"});
  ASSERT_EQ(p.outcome, ParseOutcome::kRun) << p.err;
  ASSERT_TRUE(p.opts.criteria.exit);
  EXPECT_EQ(*p.opts.criteria.exit, -13);
  EXPECT_EQ(p.opts.criteria.loginuid, 4294967295u);
}

TEST(Options, AbsoluteStartAndEndTimes) {
  // 2023-11-14 22:13:20 UTC is 1700000000; C locale %x is mm/dd/yy.
  auto p = parse({"-ts", "11/14/23", "22:13:20", "-te", "11/14/23", "22:13:21"});
  ASSERT_EQ(p.outcome, ParseOutcome::kRun) << p.err;
  EXPECT_EQ(p.opts.criteria.start_time, 1700000000);
  EXPECT_EQ(p.opts.criteria.end_time, 1700000001);
}

TEST(Options, TodayIsLocalMidnight) {
  std::time_t before = std::time(nullptr);
  auto p = parse({"-ts", "today"});
  ASSERT_EQ(p.outcome, ParseOutcome::kRun) << p.err;
  EXPECT_EQ(p.opts.criteria.start_time, before - before % 86400);  // TZ=UTC
}

TEST(Options, ErrorsUseStockMessages) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"-p", "abc"}, "Process id must be a numeric value, was abc\n"},
      {{"-sc", "nosuchcall"}, "Syscall nosuchcall not found\n"},
      {{"-ul"}, "Argument is required for -ul\n"},
      {{"-e", "NOSUCHERRNO"}, "Unknown errno, was NOSUCHERRNO\n"},
      {{"--eoe-timeout", "0"}, "Illegal value for End of Event Timeout, was 0\n"},
      {{"-ts", "99/99/9999"},
       "Invalid start date (99/99/9999). Month, Day, and Year are required.\n"},
      {{"-ts", "today", "25:99:00"},
       "Invalid start time (25:99:00). Hour, Minute, and Second are required.\n"},
  };
  for (const auto& c : cases) {
    auto p = parse(c.args);
    EXPECT_EQ(p.outcome, ParseOutcome::kExitFailure) << c.args[0];
    EXPECT_EQ(p.err, c.message) << c.args[0];
  }
}
