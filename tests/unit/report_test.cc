// aureport against stock 3.0.9: every expected text below is stock
// aureport's own output on kSmallLog (TZ=UTC, LC_ALL=C), captured once.
#include "report.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "report_options.h"

namespace {

using bpfaudit::record::EscapeMode;
using bpfaudit::report::append_safe;

constexpr const char* kSmallLog =
    R"LOG(type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=257 success=no exit=-2 a0=ffffff9c a1=7ffd a2=0 a3=0 items=1 ppid=1 pid=500 auid=54321 uid=54321 gid=54321 euid=54321 suid=54321 fsuid=54321 egid=54321 sgid=54321 fsgid=54321 tty=pts0 ses=3 comm="cat" exe="/usr/bin/cat" key="watch1"
type=CWD msg=audit(1700000000.100:10): cwd="/root"
type=PATH msg=audit(1700000000.100:10): item=0 name="/etc/sh\x61dow" inode=1 dev=00:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0
type=EOE msg=audit(1700000000.100:10): 
type=SYSCALL msg=audit(1700000001.200:11): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=1 pid=501 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=4 comm=6C6F6E67096E616D65 exe=2F746D702F6120622063 key="watch1"
type=PATH msg=audit(1700000001.200:11): item=0 name="/tmp/" inode=2 dev=00:01 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0
type=PATH msg=audit(1700000001.200:11): item=1 name="/tmp/x" inode=3 dev=00:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0
type=EOE msg=audit(1700000001.200:11): 
type=USER_LOGIN msg=audit(1700000002.300:12): pid=600 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct="bob" exe="/usr/sbin/sshd" hostname=10.0.0.1 addr=10.0.0.1 terminal=ssh res=failed'
type=USER_LOGIN msg=audit(1700000003.400:13): pid=601 uid=0 auid=54321 ses=5 msg='op=login id=54321 exe="/usr/sbin/sshd" hostname=10.0.0.2 addr=10.0.0.2 terminal=/dev/pts/2 res=success'
type=USER_AUTH msg=audit(1700000004.500:14): pid=602 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct="alice" exe="/usr/bin/su" hostname=? addr=? terminal=pts/2 res=failed'
type=CONFIG_CHANGE msg=audit(1700000005.600:15): auid=54321 ses=3 op=add_rule key="watch1" list=4 res=1
type=ANOM_ABEND msg=audit(1700000006.700:16): auid=54321 uid=54321 gid=54321 ses=3 pid=700 comm="crashy" exe="/usr/bin/crashy" sig=11 res=1
type=AVC msg=audit(1700000007.800:17): avc:  denied  { read write } for  pid=800 comm="httpd" name="f" dev="sda1" ino=5 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:user_home_t:s0 tclass=file permissive=0
type=SYSCALL msg=audit(1700000007.800:17): arch=c000003e syscall=2 success=no exit=-13 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=800 auid=4294967295 uid=48 gid=48 euid=48 suid=48 fsuid=48 egid=48 sgid=48 fsgid=48 tty=(none) ses=4294967295 comm="httpd" exe="/usr/sbin/httpd" key=(null)
)LOG";

struct Result {
  int rc;
  std::string out, err;
};

std::string slurp(std::FILE* f) {
  std::string s;
  std::rewind(f);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

Result run_report(const std::vector<std::string>& args) {
  setenv("TZ", "UTC", 1);
  tzset();
  char path[] = "/tmp/bpfaudit-report-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  std::FILE* lf = fdopen(fd, "w");
  std::fputs(kSmallLog, lf);
  std::fclose(lf);
  std::vector<std::string> words{"aureport", "-if", path};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  bpfaudit::report::Options opts;
  int rc;
  switch (
      bpfaudit::report::parse_options(static_cast<int>(argv.size()), argv.data(), opts, out, err)) {
    case bpfaudit::search::ParseOutcome::kExitSuccess:
      rc = 0;
      break;
    case bpfaudit::search::ParseOutcome::kExitFailure:
      rc = 1;
      break;
    default: {
      bpfaudit::search::Environment env;
      env.auditd_conf = "/nonexistent/auditd.conf";
      rc = bpfaudit::report::run(opts, out, err, env);
    }
  }
  Result r{rc, slurp(out), slurp(err)};
  std::fclose(out);
  std::fclose(err);
  unlink(path);
  // The built-in-logs note depends on the host's auditd.conf, not on us.
  const std::string note = "NOTE - using built-in logs: /var/log/audit/audit.log\n";
  if (r.err.rfind(note, 0) == 0) r.err.erase(0, note.size());
  return r;
}

struct Case {
  std::vector<std::string> args;
  int rc;
  const char* out;
  const char* err;
};

const Case kCases[] = {
    {{},
     0,
     R"OUT(
Summary Report
======================
Range of time in logs: 11/14/23 22:13:20.100 - 11/14/23 22:13:27.800
Selected time for report: 11/14/23 22:13:20 - 11/14/23 22:13:27.800
Number of changes in configuration: 1
Number of changes to accounts, groups, or roles: 0
Number of logins: 1
Number of failed logins: 1
Number of authentications: 0
Number of failed authentications: 1
Number of users: 3
Number of terminals: 6
Number of host names: 3
Number of executables: 6
Number of commands: 4
Number of files: 4
Number of AVC's: 1
Number of MAC events: 0
Number of failed syscalls: 2
Number of anomaly events: 1
Number of responses to anomaly events: 0
Number of crypto events: 0
Number of integrity events: 0
Number of virt events: 0
Number of keys: 1
Number of process IDs: 7
Number of events: 8

)OUT",
     R"ERR()ERR"},
    {{"-f"},
     0,
     R"OUT(
File Report
===============================================
# date time file syscall success exe auid event
===============================================
1. 11/14/23 22:13:20 /etc/sh\x61dow 257 no /usr/bin/cat 54321 10
2. 11/14/23 22:13:21 /tmp/ 59 yes /tmp/a b c 0 11
3. 11/14/23 22:13:27 f 2 no /usr/sbin/httpd -1 17
)OUT",
     R"ERR()ERR"},
    {{"-f", "-i"},
     0,
     R"OUT(
File Report
===============================================
# date time file syscall success exe auid event
===============================================
1. 11/14/23 22:13:20 /etc/sh\x61dow openat no /usr/bin/cat unknown(54321) 10
2. 11/14/23 22:13:21 /tmp/ execve yes /tmp/a b c root 11
3. 11/14/23 22:13:27 f open no /usr/sbin/httpd unset 17
)OUT",
     R"ERR()ERR"},
    {{"-f", "--summary"},
     0,
     R"OUT(
File Summary Report
===========================
total  file
===========================
1  /etc/sh\x61dow
1  /tmp/
1  /tmp/x
1  f
)OUT",
     R"ERR()ERR"},
    {{"-x", "--summary"},
     0,
     R"OUT(
Executable Summary Report
=================================
total  file
=================================
2  /usr/sbin/sshd
1  /usr/bin/cat
1  /tmp/a b c
1  /usr/bin/su
1  /usr/bin/crashy
1  /usr/sbin/httpd
)OUT",
     R"ERR()ERR"},
    {{"--comm", "--escape", "shell"},
     0,
     R"OUT(
Command Report
====================================
# date time comm term host auid event
=====================================
1. 11/14/23 22:13:20 cat pts0 ? 54321 10
2. 11/14/23 22:13:21 long\011name pts1 ? 0 11
3. 11/14/23 22:13:26 crashy ? ? 54321 16
4. 11/14/23 22:13:27 httpd (none) ? -1 17
)OUT",
     R"ERR()ERR"},
    {{"-l"},
     0,
     R"OUT(
Login Report
============================================
# date time auid host term exe success event
============================================
1. 11/14/23 22:13:22 bob 10.0.0.1 ssh /usr/sbin/sshd no 12
2. 11/14/23 22:13:23 54321 10.0.0.2 /dev/pts/2 /usr/sbin/sshd yes 13
)OUT",
     R"ERR()ERR"},
    {{"-l", "--summary", "-i"},
     0,
     R"OUT(
Login Summary Report
============================
total  auid
============================
1  bob
1  unknown(54321)
)OUT",
     R"ERR()ERR"},
    {{"-au"},
     0,
     R"OUT(
Authentication Report
============================================
# date time acct host term exe success event
============================================
1. 11/14/23 22:13:24 alice ? pts/2 /usr/bin/su no 14
)OUT",
     R"ERR()ERR"},
    {{"-a"},
     0,
     R"OUT(
AVC Report
===============================================================
# date time comm subj syscall class permission obj result event
===============================================================
1. 11/14/23 22:13:27 httpd system_u:system_r:httpd_t:s0 2 file read write system_u:object_r:user_home_t:s0 denied 17
)OUT",
     R"ERR()ERR"},
    {{"-a", "--summary"},
     0,
     R"OUT(
Avc Object Summary Report
=================================
total  obj
=================================
1  system_u:object_r:user_home_t:s0
)OUT",
     R"ERR()ERR"},
    {{"-k", "--summary"},
     0,
     R"OUT(
Key Summary Report
===========================
total  key
===========================
3  watch1
)OUT",
     R"ERR()ERR"},
    {{"-e", "--summary", "-i"},
     0,
     R"OUT(
Event Summary Report
======================
total  type
======================
2  USER_LOGIN
2  SYSCALL
1  USER_AUTH
1  CONFIG_CHANGE
1  AVC
1  ANOM_ABEND
)OUT",
     R"ERR()ERR"},
    {{"-n"},
     0,
     R"OUT(
Anomaly Report
=========================================
# date time type exe term host auid event
=========================================
1. 11/14/23 22:13:26 ANOM_ABEND /usr/bin/crashy ? ? 54321 16
)OUT",
     R"ERR()ERR"},
    {{"-p", "--summary"},
     0,
     R"OUT(
Pid Summary Report
==========================
total  pid
==========================
1  500
1  501
1  600
1  601
1  602
1  700
1  800
)OUT",
     R"ERR()ERR"},
    {{"-s", "-i"},
     0,
     R"OUT(
Syscall Report
=======================================
# date time syscall pid comm auid event
=======================================
1. 11/14/23 22:13:20 openat 500 cat unknown(54321) 10
2. 11/14/23 22:13:21 execve 501 long\011name root 11
3. 11/14/23 22:13:27 open 800 httpd unset 17
)OUT",
     R"ERR()ERR"},
    {{"-c", "--failed"},
     1,
     R"OUT(
Config Change Report
===================================
# date time type auid success event
===================================
<no events of interest were found>

)OUT",
     R"ERR()ERR"},
    {{"--tty"},
     1,
     R"OUT(
TTY Report
===============================================
# date time event auid term sess comm data
===============================================
<no events of interest were found>

)OUT",
     R"ERR()ERR"},
    {{"-t", "--summary"},
     1,
     R"OUT(
)OUT",
     R"ERR(Unimplemented option
)ERR"},
    {{"-ts", "11/14/23", "22:13:22", "-te", "11/14/23", "22:13:25"},
     0,
     R"OUT(
Summary Report
======================
Range of time in logs: 11/14/23 22:13:20.100 - 11/14/23 22:13:25.600
Selected time for report: 11/14/23 22:13:22 - 11/14/23 22:13:25
Number of changes in configuration: 1
Number of changes to accounts, groups, or roles: 0
Number of logins: 1
Number of failed logins: 1
Number of authentications: 0
Number of failed authentications: 1
Number of users: 2
Number of terminals: 3
Number of host names: 3
Number of executables: 2
Number of commands: 0
Number of files: 0
Number of AVC's: 0
Number of MAC events: 0
Number of failed syscalls: 0
Number of anomaly events: 0
Number of responses to anomaly events: 0
Number of crypto events: 0
Number of integrity events: 0
Number of virt events: 0
Number of keys: 1
Number of process IDs: 3
Number of events: 4

)OUT",
     R"ERR()ERR"},
    {{"-u", "--summary", "-i"},
     0,
     R"OUT(
User Summary Report
===========================
total  auid
===========================
4  unknown(54321)
3  unset
1  root
)OUT",
     R"ERR()ERR"},
    {{"--node", "nosuch", "-x"},
     1,
     R"OUT(
Executable Report
====================================
# date time exe term host auid event
====================================
<no events of interest were found>

)OUT",
     R"ERR()ERR"},
    {{"-x", "--escape", "raw"},
     0,
     R"OUT(
Executable Report
====================================
# date time exe term host auid event
====================================
1. 11/14/23 22:13:20 /usr/bin/cat pts0 ? 54321 10
2. 11/14/23 22:13:21 /tmp/a b c pts1 ? 0 11
3. 11/14/23 22:13:22 /usr/sbin/sshd ssh 10.0.0.1 -1 12
4. 11/14/23 22:13:23 /usr/sbin/sshd /dev/pts/2 10.0.0.2 54321 13
5. 11/14/23 22:13:24 /usr/bin/su pts/2 ? -1 14
6. 11/14/23 22:13:26 /usr/bin/crashy ? ? 54321 16
7. 11/14/23 22:13:27 /usr/sbin/httpd (none) ? -1 17
)OUT",
     R"ERR()ERR"},
};

class StockReport : public ::testing::TestWithParam<Case> {};

TEST_P(StockReport, MatchesStockOutput) {
  const Case& c = GetParam();
  Result r = run_report(c.args);
  EXPECT_EQ(r.rc, c.rc);
  EXPECT_EQ(r.out, c.out);
  EXPECT_EQ(r.err, c.err);
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << "aureport";
  for (const auto& a : c.args) *os << ' ' << a;
}

// Names the case after its arguments (gtest names allow only [A-Za-z0-9_]).
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = "args";
  for (const auto& a : info.param.args) {
    name += '_';
    for (char c : a) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return name + "_" + std::to_string(info.index);
}
INSTANTIATE_TEST_SUITE_P(SmallLog, StockReport, ::testing::ValuesIn(kCases), case_name);

TEST(AureportOptions, UsageErrorsAsStock) {
  // Stock: two reports -> message without newline, usage on stdout, exit 1.
  Result r = run_report({"-x", "-f"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "Error - only one report can be specified");
  EXPECT_EQ(r.out.rfind("usage: aureport [options]\n", 0), 0u);
  // A specific-item report (-f NAME) was never implemented in stock.
  r = run_report({"-f", "/etc/passwd"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "Unimplemented option\n");
  EXPECT_EQ(r.out, "");
  // aureport has no checkpoint keyword: the word is parsed as a date.
  r = run_report({"-ts", "checkpoint"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("checkpoint"), std::string::npos);
}

// safe_print_string's modes (stock ausearch-lookup.c): tty escapes control
// bytes as octal; shell modes also backslash their metacharacters.
TEST(AppendSafe, EscapeModes) {
  std::string out;
  append_safe(out, "a\tb", EscapeMode::kTty, false);
  EXPECT_EQ(out, "a\\011b");
  out.clear();
  append_safe(out, "a b", EscapeMode::kTty, true);
  EXPECT_EQ(out, "a b\n");
  out.clear();
  append_safe(out, "a b", EscapeMode::kShell, false);
  EXPECT_EQ(out, "a\\ b");
  out.clear();
  append_safe(out, "x;y", EscapeMode::kShell, false);
  EXPECT_EQ(out, "x;y");
  out.clear();
  append_safe(out, "x;y", EscapeMode::kShellQuote, false);
  EXPECT_EQ(out, "x\\;y");
  out.clear();
  append_safe(out, "a\tb", EscapeMode::kRaw, false);
  EXPECT_EQ(out, "a\tb");
}

}  // namespace
