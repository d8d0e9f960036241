// Collector daemon: auditd.conf validation (messages from stock auditd 3.0.9
// run as `auditd -f -c DIR` on each input), rotation naming, record formatting
// (enriched lines written by stock auditd on this host).
#include <grp.h>
#include <gtest/gtest.h>
#include <libaudit.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "auditd_conf.h"
#include "format.h"
#include "log_file.h"
#include "record.h"

namespace {

using bpfaudit::record::ConfCheck;
using bpfaudit::record::parse_auditd_conf_text;

const std::string kPath = "/tmp/sc/auditd.conf";

// The error and warning lines, as stock prints them in the foreground.
std::vector<std::string> messages(const std::string& text, bool* ok = nullptr) {
  auto r = parse_auditd_conf_text(text, kPath, ConfCheck::kDaemon);
  if (ok) *ok = r.ok;
  std::vector<std::string> out;
  for (const auto& m : r.messages)
    if (m.priority != LOG_DEBUG) out.push_back(m.text);
  return out;
}

struct StockCase {
  const char* input;
  std::vector<std::string> expected;
};

TEST(AuditdConf, RefusesWithStockMessages) {
  const std::string long_comment =
      "# 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
      "890123456789012345678901234567890123456789012345678901234567890123456789\n";
  const std::vector<StockCase> cases = {
      {"log_file=/tmp/x\n",
       {"Wrong number of arguments for line 1 in /tmp/sc/auditd.conf",
        "Not processing any more lines in /tmp/sc/auditd.conf"}},
      {"foo = bar\n", {"Unknown keyword \"foo\" in line 1 of /tmp/sc/auditd.conf"}},
      {"flush = sometimes\n", {"Option sometimes not found - line 1"}},
      {"num_logs = 1000\n", {"num_logs must be 999 or less"}},
      {"freq = 12a\n", {"Value 12a should only be numbers - line 1"}},
      {"space_left = 10\nadmin_space_left = 20\n",
       {"Error - space_left(10) must be larger than admin_space_left(20)"}},
      {"space_left = 100%\n", {"Percentages should be less than 100 - line 1"}},
      {"space_left = 75\nadmin_space_left = 50\nflush = incremental\nfreq = 0\n",
       {"Error - incremental flushing chosen, but 0 selected for freq"}},
      {"disk_full_action = email\n", {"Illegal option email for disk_full_action - line 1"}},
      {"disk_error_action = rotate\n", {"Illegal option rotate for disk_error_action - line 1"}},
      {"max_log_file = 8 extra\n",
       {"Keyword \"max_log_file\" has invalid option \"extra\" in line 1 of /tmp/sc/auditd.conf"}},
      {"disk_full_action = exec\n", {"Executable path needed for line 1"}},
      {"log_file x /tmp/a\n",
       {"Missing equal sign for line 1 in /tmp/sc/auditd.conf",
        "Not processing any more lines in /tmp/sc/auditd.conf"}},
      {"\tflush = none\n", {"Unknown keyword \"\tflush\" in line 1 of /tmp/sc/auditd.conf"}},
      {"space_left = 7x\n", {"Value x 7x should only be numbers or percent - line 1"}},
      {"log_file = /nonexistent/dir/a.log\n",
       {"Could not open dir /nonexistent/dir (No such file or directory)"}},
      {"log_group = nosuchgroup\n",
       {"Group ID is non-numeric and unknown (nosuchgroup) - line 1\n"}},
      {"q_depth = 100000\n", {"q_depth must be 99999 or less"}},
      {"FLUSH = none\nspace_left = 2\nadmin_space_left = 1\nlog_group = 4\n"
       "log_file = /var/log/audit.log\n",
       {"Error - log_file is directly in /var/log and chgrp will alter a system directory's "
        "permissions. Use another directory."}},
  };
  for (const auto& c : cases) {
    bool ok = true;
    EXPECT_EQ(messages(c.input, &ok), c.expected) << c.input;
    EXPECT_FALSE(ok) << c.input;
  }
}

TEST(AuditdConf, LineLengthQuirks) {
  // 159 bytes of comment then '\n': stock's fgets(160) splits it and skips it.
  std::string comment159 = "# " + std::string(157, '0') + "\n";
  bool ok = true;
  EXPECT_EQ(messages(comment159 + "foo = bar\n", &ok),
            (std::vector<std::string>{"Skipping line 1 in /tmp/sc/auditd.conf: too long",
                                      "Unknown keyword \"foo\" in line 2 of /tmp/sc/auditd.conf"}));
  // 158 bytes fit.
  std::string comment158 = "# " + std::string(156, '0') + "\n";
  EXPECT_EQ(messages(comment158 + "foo = bar\n"),
            (std::vector<std::string>{"Unknown keyword \"foo\" in line 2 of /tmp/sc/auditd.conf"}));
  // A last line without newline is skipped as too long; stock then starts.
  EXPECT_EQ(messages("space_left = 75\nadmin_space_left = 50\nlast = line", &ok),
            (std::vector<std::string>{"Skipping line 3 in /tmp/sc/auditd.conf: too long"}));
  EXPECT_TRUE(ok);
}

TEST(AuditdConf, AcceptsAndReadsValues) {
  bool ok = false;
  auto r = parse_auditd_conf_text(
      "# comment\n\nlog_file = /tmp/bpfaudit-conf-test.log\nlog_format = RAW\nflush = "
      "INCREMENTAL_ASYNC\nfreq = 50\nnum_logs = 5\nmax_log_file = 8\nmax_log_file_action = "
      "keep_logs\nspace_left = 25%\nadmin_space_left = 50\nspace_left_action = SYSLOG\n"
      "disk_full_action = SUSPEND\ndisk_error_action = suspend\nname_format = user\nname = "
      "box1\nplugin_dir = /etc/audit/plugins.d\nend_of_event_timeout = 5\n",
      kPath, ConfCheck::kDaemon);
  ok = r.ok;
  ASSERT_TRUE(ok);
  const auto& c = r.conf;
  EXPECT_EQ(c.log_file, "/tmp/bpfaudit-conf-test.log");
  EXPECT_EQ(c.log_format, bpfaudit::record::LogFormat::kRaw);
  EXPECT_EQ(c.flush, bpfaudit::record::FlushMode::kIncrementalAsync);
  EXPECT_EQ(c.freq, 50u);
  EXPECT_EQ(c.num_logs, 5u);
  EXPECT_EQ(c.max_log_file, 8u);
  EXPECT_EQ(c.max_log_file_action, bpfaudit::record::SizeAction::kKeepLogs);
  EXPECT_EQ(c.space_left_percent, 25u);
  EXPECT_EQ(c.admin_space_left, 50u);
  EXPECT_EQ(c.disk_full_action, bpfaudit::record::FailureAction::kSuspend);
  EXPECT_EQ(c.name_format, bpfaudit::record::NameFormat::kUser);
  EXPECT_EQ(c.name.value_or(""), "box1");
  EXPECT_EQ(c.plugin_dir, "/etc/audit/plugins.d/");
  EXPECT_EQ(c.end_of_event_timeout, 5u);
}

TEST(AuditdConf, FileChecks) {
  char dir[] = "/tmp/bpfaudit-conf-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/auditd.conf";
  auto r = bpfaudit::record::parse_auditd_conf(path, ConfCheck::kDaemon);
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.missing);
  { std::ofstream(path) << "space_left = 75\nadmin_space_left = 50\n"; }
  chmod(path.c_str(), 0646);
  r = bpfaudit::record::parse_auditd_conf(path, ConfCheck::kDaemon);
  EXPECT_FALSE(r.ok);
  if (geteuid() == 0) {
    ASSERT_FALSE(r.messages.empty());
    EXPECT_EQ(r.messages.back().text, "Error - " + path + " is world writable");
  }
  chmod(path.c_str(), 0640);
  std::string link = std::string(dir) + "/link.conf";
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  r = bpfaudit::record::parse_auditd_conf(link, ConfCheck::kDaemon);
  EXPECT_FALSE(r.ok);  // O_NOFOLLOW unless -l
  ASSERT_FALSE(r.messages.empty());
  EXPECT_EQ(r.messages.back().text,
            "Error opening config file (Too many levels of symbolic links)");
  unlink(link.c_str());
  unlink(path.c_str());
  rmdir(dir);
}

TEST(Rotation, RenamesOldestFirst) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(bpfaudit::collector::rotation_renames("/l/audit.log", 5),
            (std::vector<P>{{"/l/audit.log.3", "/l/audit.log.4"},
                            {"/l/audit.log.2", "/l/audit.log.3"},
                            {"/l/audit.log.1", "/l/audit.log.2"},
                            {"/l/audit.log", "/l/audit.log.1"}}));
  EXPECT_EQ(bpfaudit::collector::rotation_renames("/l/audit.log", 2),
            (std::vector<P>{{"/l/audit.log", "/l/audit.log.1"}}));
}

TEST(Format, RawAsTheKernelPayloadWithNode) {
  using bpfaudit::record::format_log_line;
  std::string payload = "audit(1700000000.123:42): pid=1 uid=0 msg='x'";
  EXPECT_EQ(format_log_line(AUDIT_USER, payload, std::nullopt), "type=USER msg=" + payload);
  EXPECT_EQ(format_log_line(AUDIT_USER, payload + std::string("\0junk", 5), std::nullopt),
            "type=USER msg=" + payload);
  EXPECT_EQ(format_log_line(AUDIT_USER, payload + "\n", std::nullopt), "type=USER msg=" + payload);
  EXPECT_EQ(format_log_line(AUDIT_SYSCALL, payload, std::string("host1")),
            "node=host1 type=SYSCALL msg=" + payload);
  EXPECT_EQ(format_log_line(AUDIT_EOE, "audit(1700000000.123:42): ", std::nullopt),
            "type=EOE msg=audit(1700000000.123:42):");
}

TEST(Format, EnrichedMatchesStockAuditd) {
  std::ifstream in(BPFAUDIT_DAEMON_TESTDATA "/stock_enriched.log");
  ASSERT_TRUE(in);
  bpfaudit::collector::Enricher en(2);
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    auto sep = line.find('\x1d');
    std::string raw = line.substr(0, sep);
    auto h = bpfaudit::record::parse_header(raw);
    ASSERT_TRUE(h) << raw;
    std::string mine = raw;
    en.enrich(mine, h->type);
    EXPECT_EQ(mine, line);
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST(Format, DaemonRecords) {
  using namespace bpfaudit::collector;
  // Field order and names of stock's DAEMON_START (a line stock wrote on this host).
  EXPECT_EQ("audit(1795440283.029:911): " + start_body(bpfaudit::record::LogFormat::kEnriched,
                                                       "6.18.44-fc-v769", 4294967295u, 17189, 0,
                                                       4294967295u),
            "audit(1795440283.029:911): op=start ver=3.0.9 format=enriched "
            "kernel=6.18.44-fc-v769 auid=4294967295 pid=17189 uid=0 ses=4294967295 res=success");
  EXPECT_EQ(daemon_payload({1795440882, 623, 912, {}},
                           signal_body("terminate", 0, 0, "4294967295", 3662, "success")),
            "audit(1795440882.623:912): op=terminate auid=0 uid=0 ses=4294967295 pid=3662 "
            "res=success");
  DaemonSerial s(41);
  EXPECT_EQ(s.next().serial, 41u);
  EXPECT_EQ(s.next().serial, 42u);
}

// ---- log_group without NSS.

class GroupFromFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/bpfaudit-groups-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    for (const char* f : {"/nsswitch.conf", "/group"}) ::unlink((dir_ + f).c_str());
    ::rmdir(dir_.c_str());
  }
  std::optional<gid_t> lookup(const std::string& name, const std::string& nsswitch,
                              const std::string& groups) {
    std::ofstream(dir_ + "/nsswitch.conf") << nsswitch;
    std::ofstream(dir_ + "/group") << groups;
    return bpfaudit::record::group_from_files(name, dir_ + "/nsswitch.conf", dir_ + "/group");
  }
  std::string dir_;
};

TEST_F(GroupFromFiles, AnswersOnlyWhenFilesComeFirst) {
  const std::string groups =
      "# comment\nroot:x:0:\n\n  adm:x:4:syslog,alice\nadm:x:99:\nodd:x:4x:\nnogid:x::\n";
  const std::string files_first = "passwd: files\ngroup:          files systemd\n";
  EXPECT_EQ(lookup("root", files_first, groups), 0u);
  EXPECT_EQ(lookup("adm", files_first, groups), 4u);  // leading blanks skipped, first entry wins
  EXPECT_EQ(lookup("ad", files_first, groups), std::nullopt);
  EXPECT_EQ(lookup("missing", files_first, groups), std::nullopt);  // NSS may know it
  EXPECT_EQ(lookup("odd", files_first, groups), std::nullopt);      // left to getgrnam
  EXPECT_EQ(lookup("nogid", files_first, groups), std::nullopt);
  EXPECT_EQ(lookup("adm", "group: files\n", groups), 4u);
  EXPECT_EQ(lookup("adm", "group:files\n", groups), 4u);
  EXPECT_EQ(lookup("adm", "group : files # local only\n", groups), 4u);
  EXPECT_EQ(lookup("adm", "group: sss files\n", groups), std::nullopt);
  EXPECT_EQ(lookup("adm", "group: files [SUCCESS=merge] systemd\n", groups), std::nullopt);
  EXPECT_EQ(lookup("adm", "group: compat\n", groups), std::nullopt);
  EXPECT_EQ(lookup("adm", "# group: files\npasswd: files\n", groups), std::nullopt);
  EXPECT_EQ(lookup("adm", "groups: files\n", groups), std::nullopt);
}

TEST_F(GroupFromFiles, AgreesWithGetgrnamOnThisHostsGroups) {
  // Every group the host's /etc/group lists, read with files first, against
  // what glibc's getgrnam answers for it.
  std::ofstream(dir_ + "/nsswitch.conf") << "group: files\n";
  std::ifstream in("/etc/group");
  std::string line;
  int compared = 0;
  while (std::getline(in, line)) {
    std::string name = line.substr(0, line.find(':'));
    if (name.empty() || name[0] == '#') continue;
    struct group* gr = ::getgrnam(name.c_str());
    ASSERT_NE(gr, nullptr) << name;
    auto gid = bpfaudit::record::group_from_files(name, dir_ + "/nsswitch.conf", "/etc/group");
    ASSERT_TRUE(gid.has_value()) << name;
    EXPECT_EQ(*gid, gr->gr_gid) << name;
    ++compared;
  }
  EXPECT_GT(compared, 10);
}

}  // namespace

// Stock 3.0.9 enriches SOCKADDR with its interpretation written raw, so a
// unix socket path with a newline put a forged record line in the log
// (kernel.forged_records saw `type=USER_AUTH msg=audit(1.1:1): }` as a line
// of its own). Control bytes are written as `ausearch -i` shows them.
TEST(Format, EnrichedSockaddrCannotBreakTheLine) {
  bpfaudit::collector::Enricher en(2);
  // sun_path "/s\ntype=USER_AUTH msg=audit(1.1:1):" (the kernel's hex).
  std::string path = "/s\ntype=USER_AUTH msg=audit(1.1:1):";
  std::string hex = "0100";
  for (unsigned char c : path) {
    char b[3];
    std::snprintf(b, sizeof b, "%02X", c);
    hex += b;
  }
  std::string line = "type=SOCKADDR msg=audit(1700000000.000:5): saddr=" + hex;
  en.enrich(line, AUDIT_SOCKADDR);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_NE(line.find("\x1dSADDR={ saddr_fam=local path=/s\\012type=USER_AUTH msg=audit(1.1:1): }"),
            std::string::npos)
      << line;
}
