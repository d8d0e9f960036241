// extract_search_items against hand-written records. Return codes come from
// tests/data/search_items_cases.txt, whose every expectation is checked
// against the stock ausearch 3.0.9 binary by tests/compat/search_items_cases.sh;
// extracted values are what the records themselves say.
#include "search_items.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "criteria_args.h"
#include "output.h"
#include "record.h"

namespace bpfaudit::search {
namespace {

struct Case {
  std::string name;
  std::vector<std::string> args;
  int rc = 0;
  std::vector<std::string> lines;
};

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

const std::map<std::string, Case>& cases() {
  static const std::map<std::string, Case> all = [] {
    std::map<std::string, Case> m;
    std::ifstream in(BPFAUDIT_SEARCH_ITEMS_CASES);
    std::string line;
    Case cur;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (line.rfind("case ", 0) == 0) {
        std::stringstream ss(line.substr(5));
        std::string name, crit, rc;
        std::getline(ss, name, '|');
        std::getline(ss, crit, '|');
        std::getline(ss, rc);
        cur = Case{trim(name), {}, std::stoi(trim(rc)), {}};
        std::stringstream cs(crit);
        for (std::string a; cs >> a;) cur.args.push_back(a);
      } else if (line == "end") {
        m[cur.name] = cur;
      } else {
        cur.lines.push_back(line);
      }
    }
    return m;
  }();
  return all;
}

record::Event make_event(const std::vector<std::string>& lines) {
  record::Event ev;
  for (const auto& l : lines) {
    auto h = record::parse_header(l);
    EXPECT_TRUE(h.has_value()) << l;
    if (!h) continue;
    ev.id = h->id;
    if (ev.records.empty()) ev.first_type = h->type;
    ev.records.push_back(record::make_record(l, h->type));
    ev.enriched = ev.enriched || ev.records.back().enriched;
  }
  return ev;
}

struct Run {
  int rc;
  SearchItems s;
};

Run run_case(const std::string& name, Criteria c = {}) {
  const Case& k = cases().at(name);
  auto rest = testing::criteria_from_args(k.args, c);
  EXPECT_TRUE(rest.empty());
  Run r;
  r.rc = extract_search_items(make_event(k.lines), c, r.s);
  return r;
}

TEST(SearchItems, EveryCaseReturnsStocksCode) {
  ASSERT_GT(cases().size(), 50u);
  for (const auto& [name, k] : cases()) EXPECT_EQ(run_case(name).rc, k.rc) << name;
}

TEST(SearchItems, SyscallFields) {
  auto r = run_case("syscall_ok");
  ASSERT_EQ(r.rc, 0);
  const auto& s = r.s;
  EXPECT_EQ(s.syscall, 257);
  EXPECT_EQ(s.arch, 0);  // only read for non-default formats or --arch
  EXPECT_EQ(s.success, Success::kSuccess);
  EXPECT_TRUE(s.exit_is_set);
  EXPECT_EQ(s.exit, 3);
  ASSERT_EQ(s.a0.size(), 1u);
  EXPECT_EQ(s.a0[0], 0xffffff9cu);
  EXPECT_EQ(s.a1[0], 0x7ffd1234u);
  EXPECT_EQ(s.ppid, 100);
  EXPECT_EQ(s.pid, 123);
  EXPECT_EQ(s.loginuid, 1000u);
  EXPECT_EQ(s.uid, 0u);
  EXPECT_EQ(s.gid, 0u);
  EXPECT_EQ(s.euid, 0u);
  EXPECT_EQ(s.egid, 0u);
  EXPECT_EQ(s.terminal, "pts0");
  EXPECT_EQ(s.session_id, 5u);
  EXPECT_EQ(s.comm, "cat");
  EXPECT_EQ(s.exe, "/usr/bin/cat");
  ASSERT_EQ(s.avcs.size(), 1u);
  EXPECT_EQ(s.avcs[0].scontext, "unconfined");
  EXPECT_EQ(s.keys, std::vector<std::string>{"passwd"});
  EXPECT_EQ(s.tuid, "root");  // uid 0 is "root" without any lookup
}

// URINGOP as audit 4.x's ausearch reads it (src/ausearch-parse.c,
// parse_syscall): uring_op= stands for the syscall number, the arch is
// libaudit 4.x's MACH_IO_URING (11: the machine_t value after MACH_PPC64LE),
// no a0/a1, then the task fields and the key. Stock 3.0.9 parses none of it
// (ausearch -p finds nothing). The records are the kernel's (6.18): a
// URINGOP event of its own (an io-wq worker ran the op) and one inside the
// io_uring_enter syscall's event.
TEST(SearchItems, UringOpRecordReadAs4x) {
  Criteria c;
  auto rest = testing::criteria_from_args(
      {"-p", "2166", "-pp", "2149", "-ui", "0", "-sv", "yes", "-e", "0", "-k", "uringx2149"},
      c);
  ASSERT_TRUE(rest.empty());
  SearchItems s;
  ASSERT_EQ(extract_search_items(
                make_event({"type=URINGOP msg=audit(1796578994.967:1351454): uring_op=18 "
                            "success=yes exit=0 items=0 ppid=2149 pid=2166 uid=0 gid=0 euid=0 "
                            "suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 key=\"uringx2149\""}),
                c, s),
            0);
  EXPECT_EQ(s.syscall, 18);
  EXPECT_EQ(s.arch, 11);
  EXPECT_EQ(s.pid, 2166);
  EXPECT_EQ(s.ppid, 2149);
  EXPECT_EQ(s.uid, 0u);
  EXPECT_EQ(s.success, Success::kSuccess);
  EXPECT_TRUE(s.exit_is_set);
  EXPECT_EQ(s.exit, 0);
  EXPECT_EQ(s.keys, std::vector<std::string>{"uringx2149"});

  // Inline: the URINGOP record comes first, the SYSCALL record's fields are
  // read after it, as 4.x does (the later syscall= replaces uring_op=).
  SearchItems t;
  ASSERT_EQ(extract_search_items(
                make_event({"type=URINGOP msg=audit(1796578994.967:1351453): uring_op=18 "
                            "success=yes exit=0 items=1 ppid=2149 pid=2165 uid=0 gid=0 euid=0 "
                            "suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 key=\"uringx2149\"",
                            "type=SYSCALL msg=audit(1796578994.967:1351453): arch=c000003e "
                            "syscall=426 success=yes exit=1 a0=4 a1=1 a2=1 a3=1 items=1 ppid=2149 "
                            "pid=2165 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
                            "sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"uring_openat\" "
                            "exe=\"/tmp/uring_openat\" key=\"uringx2149\""}),
                c, t),
            0);
  EXPECT_EQ(t.syscall, 426);
  EXPECT_EQ(t.pid, 2165);
}

TEST(SearchItems, ArchReadForInterpretedOutput) {
  Criteria c;
  c.format = ReportFormat::kInterpret;
  auto r = run_case("syscall_ok", c);
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(static_cast<unsigned>(r.s.arch), 0xc000003eu);
}

TEST(SearchItems, OnlyRequestedFieldsAreTaken) {
  auto r = run_case("syscall_no_arch_default");  // only -p
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.pid, 123);
  EXPECT_EQ(r.s.uid, ~0u);
  EXPECT_EQ(r.s.loginuid, ~0u - 1);
  EXPECT_FALSE(r.s.comm.has_value());
  EXPECT_FALSE(r.s.has_key_list);
}

TEST(SearchItems, HexKeysSplitOnSeparator) {
  auto r = run_case("syscall_hex_keys");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.keys, (std::vector<std::string>{"k1", "k2"}));
}

TEST(SearchItems, OddHexRunDecodesLastDigitAsHighNibble) {
  auto r = run_case("syscall_odd_hex_comm");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.comm, "A@");  // 41 -> 'A', lone 4 -> 0x40
}

TEST(SearchItems, PathNamesKeysAndCwd) {
  auto r = run_case("path_ok");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.cwd, "/root");
  ASSERT_TRUE(r.s.has_filename_list);
  EXPECT_EQ(r.s.filenames,
            (std::vector<std::string>{"/etc/passwd", "/root/./x", "/tmp/a b ", "(null)"}));
  ASSERT_EQ(r.s.filename_keys.size(), 4u);
  // Everything after "type=" (here the tail of nametype=) is kept.
  EXPECT_EQ(r.s.filename_keys[0], "NORMAL cap_fp=0");
  EXPECT_EQ(r.s.filename_keys[1], "CREATE");
  EXPECT_EQ(r.s.filename_keys[3], "UNKNOWN");
}

TEST(SearchItems, UserLogin) {
  auto r = run_case("user_login_ok");
  ASSERT_EQ(r.rc, 0);
  const auto& s = r.s;
  EXPECT_EQ(s.pid, 2000);
  EXPECT_EQ(s.uid, 0u);
  EXPECT_EQ(s.loginuid, 1000u);
  EXPECT_EQ(s.session_id, 7u);
  EXPECT_EQ(s.acct, "alice");
  EXPECT_EQ(s.exe, "/usr/sbin/sshd");
  EXPECT_EQ(s.hostname, "10.0.0.5");
  EXPECT_EQ(s.terminal, "/dev/pts/1");
  EXPECT_EQ(s.success, Success::kSuccess);
  ASSERT_EQ(s.avcs.size(), 1u);
  EXPECT_EQ(s.avcs[0].scontext, "unconfined");
  EXPECT_FALSE(s.altered_raw[0].has_value());
}

TEST(SearchItems, UnknownHostnameFallsBackToAddr) {
  auto r = run_case("user_hostname_from_addr");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.hostname, "1.2.3.4");
}

TEST(SearchItems, LegacyTerminalParenIsRewrittenAsStockDoes) {
  auto r = run_case("user_legacy_terminal_paren");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.terminal, "pts/0");
  ASSERT_TRUE(r.s.altered_raw[0].has_value());
  const std::string& raw = cases().at("user_legacy_terminal_paren").lines[0];
  std::string expect = raw;
  expect[expect.rfind(')')] = ' ';
  EXPECT_EQ(*r.s.altered_raw[0], expect);
}

TEST(SearchItems, Login) {
  auto r = run_case("login_ok");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.pid, 2000);
  EXPECT_EQ(r.s.loginuid, 1000u);
  EXPECT_EQ(r.s.session_id, 7u);
  EXPECT_EQ(r.s.success, Success::kSuccess);
}

TEST(SearchItems, DaemonStart) {
  auto r = run_case("daemon_start_ok");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.loginuid, 4294967295u);
  EXPECT_EQ(r.s.tauid, "unset");
  EXPECT_EQ(r.s.pid, 500);
  EXPECT_EQ(r.s.uid, 0u);
  EXPECT_EQ(r.s.session_id, 4294967295u);
  EXPECT_EQ(r.s.success, Success::kSuccess);
}

TEST(SearchItems, SelinuxAvc) {
  auto r = run_case("avc_selinux_ok");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.pid, 123);
  EXPECT_EQ(r.s.comm, "cat");
  EXPECT_EQ(r.s.filenames, std::vector<std::string>{"passwd"});
  EXPECT_EQ(r.s.success, Success::kFailed);
  ASSERT_EQ(r.s.avcs.size(), 1u);
  const auto& a = r.s.avcs[0];
  EXPECT_EQ(a.avc_perm, "read write");
  EXPECT_EQ(a.avc_class, "file");
  EXPECT_EQ(a.scontext, "u:r:t:s0");
  EXPECT_EQ(a.tcontext, "u:object_r:etc_t:s0");
  EXPECT_EQ(a.result, AvcResult::kDenied);
}

TEST(SearchItems, UserAvc) {
  auto r = run_case("user_avc_ok");
  ASSERT_EQ(r.rc, 0);
  ASSERT_EQ(r.s.avcs.size(), 1u);
  const auto& a = r.s.avcs[0];
  EXPECT_EQ(a.avc_perm, "send_msg");
  EXPECT_EQ(a.scontext, "system_u:system_r:system_dbusd_t:s0");
  EXPECT_EQ(a.tcontext, "b");
  EXPECT_EQ(a.avc_class, "dbus");
}

TEST(SearchItems, Sockaddr) {
  auto inet = run_case("sockaddr_inet");
  ASSERT_EQ(inet.rc, 0);
  EXPECT_EQ(inet.s.hostname, "127.0.0.1");
  auto unix_sock = run_case("sockaddr_unix");
  ASSERT_EQ(unix_sock.rc, 0);
  EXPECT_EQ(unix_sock.s.filenames, std::vector<std::string>{"/tmp/sock"});
  EXPECT_FALSE(unix_sock.s.hostname.has_value());
  auto short_inet = run_case("sockaddr_inet_short");
  EXPECT_EQ(short_inet.s.diagnostics, "sockaddr len too short\n");
}

TEST(SearchItems, ConfigChange) {
  auto r = run_case("config_change_ok");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.loginuid, 1000u);
  EXPECT_EQ(r.s.keys, std::vector<std::string>{"k1"});
  EXPECT_EQ(r.s.success, Success::kSuccess);
  EXPECT_TRUE(r.s.filenames.empty());  // no path=: the ignored AVC_PATH-style lookup fails
}

TEST(SearchItems, TtyUidIsReadFromTheEqualsSign) {
  auto r = run_case("tty_ok");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.s.pid, 300);
  EXPECT_EQ(r.s.uid, 0u);  // record says uid=1000; stock parses "=1000" and gets 0
  EXPECT_EQ(r.s.loginuid, 1000u);
  EXPECT_EQ(r.s.session_id, 2u);
  EXPECT_EQ(r.s.comm, "bash");
}

TEST(SearchItems, Seccomp) {
  auto r = run_case("seccomp_ok");
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(static_cast<unsigned>(r.s.arch), 0xc000003eu);
  EXPECT_EQ(r.s.syscall, 2);
  EXPECT_EQ(r.s.pid, 400);
  EXPECT_EQ(r.s.gid, 1000u);
  EXPECT_EQ(r.s.exe, "/x");
}

TEST(SearchItems, DebugLinesNameTheRecordAndCode) {
  Criteria c;
  c.debug = true;
  auto r = run_case("avc_apparmor", c);
  EXPECT_EQ(r.rc, 9);
  EXPECT_EQ(r.s.diagnostics,
            "Malformed event skipped, rc=9. " + cases().at("avc_apparmor").lines[0] + "\n");
}

TEST(SearchItems, EnrichedUserNamesComeFromTheInterpretedPart) {
  record::Event ev = make_event(
      {"type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=257 success=yes "
       "exit=3 a0=1 a1=2 ppid=1 pid=2 auid=4242 uid=4243 gid=0 euid=0 comm=\"x\" key=(null)"
       "\x1d"
       "ARCH=x86_64 SYSCALL=openat AUID=\"someone\" UID=6E616D65"});
  Criteria c;
  c.tuid = "root";
  c.uid = 0;
  c.tauid = "root";
  c.loginuid = 0;
  SearchItems s;
  ASSERT_EQ(extract_search_items(ev, c, s), 0);
  EXPECT_EQ(s.tauid, "someone");
  EXPECT_EQ(s.tuid, "name");  // hex in the interpretation is decoded
  // Without a user-name criterion nothing is loaded: uid 4243 falls back to passwd.
  Criteria numeric;
  numeric.uid = 0;
  SearchItems s2;
  ASSERT_EQ(extract_search_items(ev, numeric, s2), 0);
  EXPECT_NE(s2.tuid, std::optional<std::string>("name"));
}


// One SearchItems serves a whole search run: whatever an earlier event left in
// it must not show in the next event's extraction.
std::string dump(const SearchItems& s) {
  std::ostringstream o;
  auto opt = [&](const char* n, const std::optional<std::string>& v) {
    o << n << '=' << (v ? *v : "<none>") << ';';
  };
  o << s.ppid << ',' << s.pid << ',' << s.uid << ',' << s.euid << ',' << s.loginuid << ','
    << s.gid << ',' << s.egid << ',' << static_cast<int>(s.success) << ',' << s.arch << ','
    << s.syscall << ',' << s.session_id << ',' << s.exit << ',' << s.exit_is_set << ';';
  opt("host", s.hostname);
  opt("cwd", s.cwd);
  opt("exe", s.exe);
  opt("term", s.terminal);
  opt("comm", s.comm);
  opt("acct", s.acct);
  opt("uuid", s.uuid);
  opt("vm", s.vmname);
  opt("tuid", s.tuid);
  opt("teuid", s.teuid);
  opt("tauid", s.tauid);
  o << "files" << s.has_filename_list << ':';
  for (const auto& f : s.filenames) o << f << '|';
  for (const auto& k : s.filename_keys) o << (k ? *k : "<none>") << '|';
  o << "keys" << s.has_key_list << ':';
  for (const auto& k : s.keys) o << k << '|';
  o << "avcs" << s.has_avc_list << ':';
  for (const auto& a : s.avcs)
    o << (a.scontext ? *a.scontext : "-") << (a.tcontext ? *a.tcontext : "-")
      << (a.avc_class ? *a.avc_class : "-") << (a.avc_perm ? *a.avc_perm : "-")
      << static_cast<int>(a.result) << '|';
  for (auto v : s.a0) o << v << ',';
  for (auto v : s.a1) o << v << ',';
  for (const auto& r : s.altered_raw) o << (r ? *r : "<intact>") << '|';
  o << s.diagnostics;
  return o.str();
}

TEST(SearchItems, ReusedItemsMatchFreshOnes) {
  // Criteria that make stock look for nearly every field.
  std::vector<std::string> args = {"-f", "x", "-k", "x", "-hn", "x", "-tm", "x", "-x", "x",
                                   "-c", "x", "-se", "x", "-sv", "yes", "-vm", "x", "-uu", "x"};
  Criteria c;
  ASSERT_TRUE(testing::criteria_from_args(args, c).empty());
  SearchItems reused;
  for (const auto& [first, a] : cases()) {
    for (const auto& [second, b] : cases()) {
      extract_search_items(make_event(a.lines), c, reused);
      int rc_reused = extract_search_items(make_event(b.lines), c, reused);
      SearchItems fresh;
      int rc_fresh = extract_search_items(make_event(b.lines), c, fresh);
      ASSERT_EQ(rc_reused, rc_fresh) << first << " then " << second;
      ASSERT_EQ(dump(reused), dump(fresh)) << first << " then " << second;
    }
  }
}

// record_may_fail (the history index's -sv no ranges) must be true for
// every record the extraction itself makes a failure, under any criteria:
// checked against extract_search_items on the records of the search-items
// cases, the shared test logs and records written for each parser's rule,
// as one-record events with criteria that move the parsers' cursors.
TEST(SearchItems, RecordMayFailCoversEveryFailure) {
  std::vector<std::string> lines;
  for (const auto& [name, k] : cases())
    for (const auto& l : k.lines) lines.push_back(l);
  const std::vector<std::string> written = {
      "type=USER_LOGIN msg=audit(1.000:1): pid=1 uid=0 auid=1 ses=2 msg='op=login acct=\"a\" exe=\"/usr/sbin/sshd\" hostname=h addr=1.2.3.4 terminal=ssh res=failed'",
      "type=USER_LOGIN msg=audit(1.000:1): pid=1 uid=0 auid=1 ses=2 msg='op=login acct=\"a\" exe=\"/usr/sbin/sshd\" hostname=h addr=1.2.3.4 terminal=ssh res=success'",
      "type=USER_AUTH msg=audit(1.000:1): pid=1 uid=0 auid=1 ses=2 msg='op=PAM:authentication grantors=? acct=\"a\" exe=\"/bin/su\" hostname=? addr=? terminal=pts/0 res=failedx'",
      "type=USER_CMD msg=audit(1.000:1): pid=1 uid=0 auid=1 ses=2 msg='cwd=\"/\" cmd=6C73 terminal=pts/0 result=denied)'",
      "type=LOGIN msg=audit(1.000:1): pid=1 uid=0 old-auid=4294967295 auid=0 tty=(none) old-ses=4294967295 ses=1 res=0",
      "type=LOGIN msg=audit(1.000:1): pid=1 uid=0 old-auid=4294967295 auid=0 tty=(none) old-ses=4294967295 ses=1 res=1",
      "type=LOGIN msg=audit(1.000:1): pid=1 uid=0 old-auid=4294967295 auid=0 tty=(none) old-ses=4294967295 ses=1 res=success",
      "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=2 success=no exit=-2 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=2 auid=1 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"a\" exe=\"/a\" key=(null)",
      "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=2 success=yes exit=3 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=2 auid=1 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"a\" exe=\"/a\" key=(null)",
      "type=AVC msg=audit(1.000:1): avc:  denied  { read } for  pid=2 comm=\"a\" name=\"b\" dev=\"sda\" ino=3 scontext=u:r:t:s0 tcontext=u:o:f:s0 tclass=file permissive=0",
      "type=AVC msg=audit(1.000:1): avc:  granted  { read } for  pid=2 comm=\"a\" scontext=u:r:t:s0 tcontext=u:o:f:s0 tclass=file",
      "type=DAEMON_END msg=audit(1.000:1): op=terminate auid=0 pid=1 subj=unconfined res=failed",
      "type=CONFIG_CHANGE msg=audit(1.000:1): auid=1 ses=2 op=add_rule key=(null) list=4 res=0",
      "type=ANOM_ABEND msg=audit(1.000:1): auid=1 uid=0 gid=0 ses=2 pid=3 comm=\"a\" exe=\"/a\" sig=11 res=0",
  };
  lines.insert(lines.end(), written.begin(), written.end());
  // The shared logs (real hosts' records), whole.
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(BPFAUDIT_SHARED_TESTDATA "/logs", ec)) {
    std::ifstream in(f.path());
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
  }
  std::vector<Criteria> crits(6);
  for (auto& c : crits) c.success = Success::kFailed;
  crits[1].pid = 1;
  crits[2].uid = 0;
  crits[3].loginuid = 0;
  crits[3].session_id = 1;
  crits[4].exe = "/a";
  crits[4].hostname = "h";
  crits[5].subject = "u";
  crits[5].terminal = "ssh";
  std::size_t failures = 0, records = 0, may_fail = 0;
  for (const auto& l : lines) {
    auto h = record::parse_header(l);
    if (!h) continue;
    ++records;
    record::Event ev = make_event({l});
    const bool may = record_may_fail(h->type, ev.records[0].raw());
    may_fail += may;
    for (const auto& c : crits) {
      SearchItems s;
      if (extract_search_items(ev, c, s) == 0 && s.success == Success::kFailed) {
        ++failures;
        EXPECT_TRUE(may) << l;
      }
    }
  }
  EXPECT_GT(records, 5000u) << "shared logs at " BPFAUDIT_SHARED_TESTDATA;
  EXPECT_GT(failures, 100u);
  // Not everything: a successful login or syscall is not a possible failure.
  EXPECT_FALSE(record_may_fail(1112, record::make_record(written[1], 1112).raw()));
  EXPECT_FALSE(record_may_fail(1300, record::make_record(written[8], 1300).raw()));
  EXPECT_FALSE(record_may_fail(1400, record::make_record(written[10], 1400).raw()));
  // A LOGIN's res= is a number: "success" converts to 0, a failure.
  EXPECT_TRUE(record_may_fail(1006, record::make_record(written[6], 1006).raw()));
  EXPECT_LT(may_fail, records);
}

}  // namespace
}  // namespace bpfaudit::search

namespace {

// Stock's rule byte by byte (ausearch's escape tests), the reference for
// append_escaped's word-at-a-time scan.
bool stock_needs_escape(std::string_view s, bpfaudit::search::EscapeMode mode) {
  using bpfaudit::search::EscapeMode;
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (mode == EscapeMode::kTty && u < 32) return true;
    if (mode == EscapeMode::kShell &&
        (static_cast<signed char>(ch) < 32 || (ch && std::strchr("\"'`$\\!()| ", ch))))
      return true;
    if (mode == EscapeMode::kShellQuote &&
        (u < 32 || (ch && std::strchr("\"'`$\\!()| ;#&*?[]<>{}", ch))))
      return true;
  }
  return false;
}

}  // namespace

TEST(AppendEscaped, FindsEveryByteStockEscapesAtEveryPosition) {
  using bpfaudit::search::EscapeMode;
  // Each probe byte at each position of strings 1..40 long, among plain
  // text, bytes >= 0x80 and the byte just above the control range.
  const unsigned char probes[] = {0, 1, 9, 10, 31, 32, 33, 0x7f, 0x80, 0x9f, 0xff, '"', '$', ';', '{'};
  const char fills[] = {'a', ' ', '\x80', '\xff', '!'};
  for (EscapeMode mode : {EscapeMode::kRaw, EscapeMode::kTty, EscapeMode::kShell,
                          EscapeMode::kShellQuote})
    for (char fill : fills)
      for (std::size_t len = 1; len <= 40; ++len)
        for (std::size_t at = 0; at < len; ++at)
          for (unsigned char probe : probes) {
            std::string s(len, fill);
            s[at] = static_cast<char>(probe);
            std::string out;
            bool escaped = bpfaudit::search::append_escaped(s, mode, out);
            bool want = mode != EscapeMode::kRaw && stock_needs_escape(s, mode);
            ASSERT_EQ(escaped, want) << int(mode) << " len " << len << " at " << at << " byte "
                                     << int(probe) << " fill " << int(fill);
            if (!escaped) {
              EXPECT_TRUE(out.empty());
            }
          }
}
