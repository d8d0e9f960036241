// builtin_json and the one JSON writer it shares with `ausearch --format
// json`. Stock 3.0.9 has no JSON output, so there is no stock oracle for the
// schema: the expected objects below are written by hand from the schema's
// definition (README "JSON sink": time, serial, node, records of type and
// fields in record order, kernel-encoded strings decoded) and RFC 8259's
// escaping, for records whose encoding is the kernel's (audit_log_untrustedstring:
// hex when a byte is '"', a control or above 0x7e). kernel.json_sink checks
// the same objects against stock ausearch's grouping of a live log, with an
// independent parser (Python's json module).
#include "json_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <libaudit.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "json.h"
#include "plugins.h"
#include "record.h"

namespace {

using bpfaudit::collector::DispatchEvent;
using bpfaudit::collector::formatted_dispatch_event;
using bpfaudit::collector::JsonEvents;
using bpfaudit::collector::JsonTarget;
using bpfaudit::collector::raw_dispatch_event;

// The JSON lines JsonEvents gives for these records, in order.
std::vector<std::string> drain(JsonEvents& j) {
  std::vector<std::string> out;
  std::string line;
  while (j.pop(line)) out.push_back(line);
  return out;
}

TEST(JsonWriter, SyscallEventFieldsInOrderEncodedStringsDecoded) {
  JsonEvents j(2);
  // comm "a b" and proctitle "sh\0-c" as the kernel hex-encodes them; exe
  // quoted; key (null) stays a word.
  j.add(raw_dispatch_event(AUDIT_SYSCALL,
                           "audit(1700000000.042:77): arch=c000003e syscall=2 success=no "
                           "exit=-13 comm=612062 exe=\"/usr/bin/x\" key=(null)"),
        0);
  j.add(raw_dispatch_event(AUDIT_CWD, "audit(1700000000.042:77): cwd=\"/root\""), 0);
  j.add(raw_dispatch_event(AUDIT_PROCTITLE, "audit(1700000000.042:77): proctitle=7368002D63"), 0);
  EXPECT_TRUE(drain(j).empty()) << "nothing before the EOE";
  j.add(raw_dispatch_event(AUDIT_EOE, "audit(1700000000.042:77): "), 0);
  EXPECT_EQ(drain(j),
            std::vector<std::string>{
                R"J({"time":1700000000.042,"serial":77,"records":[)J"
                R"J({"type":"SYSCALL","fields":{"arch":"c000003e","syscall":"2","success":"no",)J"
                R"J("exit":"-13","comm":"a b","exe":"/usr/bin/x","key":"(null)"}},)J"
                R"J({"type":"CWD","fields":{"cwd":"/root"}},)J"
                R"J({"type":"PROCTITLE","fields":{"proctitle":"sh\u0000-c"}}]})J"
                "\n"});
}

TEST(JsonWriter, UserMessageNodeEnrichedPartAndEscapes) {
  JsonEvents j(2);
  // Protocol 1: the line as an ENRICHED log with node= has it; the part
  // after 0x1d is not in the object (ausearch --format json reads the raw part).
  j.add(formatted_dispatch_event(
            AUDIT_USER_AUTH,
            "node=web1 type=USER_AUTH msg=audit(1700000001.000:9): pid=5 uid=0 "
            "msg='op=PAM:authentication acct=\"ro\\ot\" exe=\"/usr/bin/su\" res=failed'"
            "\x1dUID=\"root\""),
        0);
  // A single-record type: out at once, no EOE needed.
  EXPECT_EQ(drain(j),
            std::vector<std::string>{
                R"J({"time":1700000001.000,"serial":9,"node":"web1","records":[)J"
                R"J({"type":"USER_AUTH","fields":{"pid":"5","uid":"0","op":"PAM:authentication",)J"
                R"J("acct":"ro\\ot","exe":"/usr/bin/su","res":"failed"}}]})J"
                "\n"});
  // A tab and a byte above 0x7e in a hex-encoded name: \t and \u00e9.
  j.add(raw_dispatch_event(AUDIT_PATH, "audit(5.001:1): item=0 name=6109E9"), 0);
  j.add(raw_dispatch_event(AUDIT_EOE, "audit(5.001:1): "), 0);
  EXPECT_EQ(drain(j), std::vector<std::string>{
                          R"J({"time":5.001,"serial":1,"records":[)J"
                          R"J({"type":"PATH","fields":{"item":"0","name":"a\t\u00e9"}}]})J"
                          "\n"});
}

TEST(JsonWriter, RepeatedNamesAreNumbered) {
  JsonEvents j(2);
  // What stock auditctl -m "op=x res=success" sends: its text, then res= again.
  j.add(raw_dispatch_event(AUDIT_USER,
                           "audit(6.000:2): pid=3 msg='text=op=x res=success exe=\"/a\" "
                           "res=success'"),
        0);
  EXPECT_EQ(drain(j), std::vector<std::string>{
                          R"J({"time":6.000,"serial":2,"records":[{"type":"USER","fields":{)J"
                          R"J("pid":"3","text":"op=x","res":"success","exe":"/a","res_2":"success"}}]})J"
                          "\n"});
  // Past 32 fields the count is kept another way: the same names.
  std::string body = "audit(6.000:3): argc=40";
  std::string want = R"J({"time":6.000,"serial":3,"records":[{"type":"EXECVE","fields":{"argc":"40")J";
  for (int i = 0; i < 40; ++i) {
    body += " a0=\"x\"";
    want += ",\"a0" + (i == 0 ? std::string() : "_" + std::to_string(i + 1)) + "\":\"x\"";
  }
  want += "}}]}\n";
  j.add(raw_dispatch_event(AUDIT_EXECVE, body), 0);
  j.add(raw_dispatch_event(AUDIT_EOE, "audit(6.000:3): "), 0);
  EXPECT_EQ(drain(j), std::vector<std::string>{want});
}

TEST(JsonEvents, EventsWithoutEoeCloseAfterTheTimeoutOfQuiet) {
  JsonEvents j(2);
  j.add(raw_dispatch_event(AUDIT_SYSCALL, "audit(10.000:1): syscall=1"), 1000);
  j.add(raw_dispatch_event(AUDIT_PATH, "audit(10.000:1): item=0"), 1000);
  j.tick(2999);
  EXPECT_TRUE(drain(j).empty());
  j.tick(3000);
  auto got = drain(j);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], R"J({"time":10.000,"serial":1,"records":[{"type":"SYSCALL","fields":{"syscall":"1"}},)J"
                    R"J({"type":"PATH","fields":{"item":"0"}}]})J"
                    "\n");
  // A stray EOE (its event gone) and a line that is no record give nothing.
  j.add(raw_dispatch_event(AUDIT_EOE, "audit(10.000:1): "), 4000);
  EXPECT_FALSE(j.add(formatted_dispatch_event(AUDIT_USER, "garbage"), 4000));
  j.tick(10000);
  EXPECT_TRUE(drain(j).empty());
  EXPECT_TRUE(j.empty());
}

TEST(JsonEvents, InterleavedEventsEachWhole) {
  JsonEvents j(2);
  j.add(raw_dispatch_event(AUDIT_SYSCALL, "audit(20.000:1): a=1"), 0);
  j.add(raw_dispatch_event(AUDIT_SYSCALL, "audit(20.000:2): a=2"), 0);
  j.add(raw_dispatch_event(AUDIT_PATH, "audit(20.000:1): b=1"), 0);
  j.add(raw_dispatch_event(AUDIT_EOE, "audit(20.000:2): "), 0);
  // Serial 2 is done but leaves after serial 1, in time order as ausearch.
  EXPECT_TRUE(drain(j).empty());
  j.add(raw_dispatch_event(AUDIT_EOE, "audit(20.000:1): "), 0);
  EXPECT_EQ(drain(j),
            (std::vector<std::string>{
                R"J({"time":20.000,"serial":1,"records":[{"type":"SYSCALL","fields":{"a":"1"}},)J"
                R"J({"type":"PATH","fields":{"b":"1"}}]})J"
                "\n",
                R"J({"time":20.000,"serial":2,"records":[{"type":"SYSCALL","fields":{"a":"2"}}]})J"
                "\n"}));
}

TEST(JsonTarget, Arguments) {
  auto f = bpfaudit::collector::parse_json_target({"/var/log/bpfaudit/audit.json"});
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, (JsonTarget{false, "/var/log/bpfaudit/audit.json"}));
  auto s = bpfaudit::collector::parse_json_target({"unix:/run/x.sock"});
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (JsonTarget{true, "/run/x.sock"}));
  for (auto bad : std::vector<std::vector<std::string>>{
           {}, {"relative.json"}, {"unix:"}, {"unix:rel"}, {"/a", "/b"}}) {
    auto r = bpfaudit::collector::parse_json_target(bad);
    EXPECT_FALSE(r) << (bad.empty() ? "(none)" : bad[0]);
    if (!r) {
      EXPECT_NE(r.error().message.find("builtin_json"), std::string::npos);
    }
  }
}

class JsonOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bpfaudit-json-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  static void write(const std::string& path, const std::string& text, mode_t mode) {
    { std::ofstream(path) << text; }
    chmod(path.c_str(), mode);
  }
  int listen_unix(const std::string& path, int type) {
    int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
    EXPECT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    if (type == SOCK_STREAM) {
      EXPECT_EQ(listen(s, 4), 0);
    }
    return s;
  }
  std::string dir_;
};

TEST_F(JsonOutputTest, FileIsCreatedAsTheLogIsAndNeverThroughASymlink) {
  std::string path = dir_ + "/sub/audit.json";  // the missing directory is made
  auto out = bpfaudit::collector::open_json_output({false, path}, 0);
  ASSERT_TRUE(out) << out.error().message;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(bpfaudit::collector::json_file_moved({false, path}, *out));
  // With log_group: 0640 and that group; an existing file is brought to it.
  if (geteuid() == 0) {
    write(dir_ + "/old.json", "x\n", 0666);
    auto g = bpfaudit::collector::open_json_output({false, dir_ + "/old.json"}, 4);
    ASSERT_TRUE(g) << g.error().message;
    ASSERT_EQ(stat((dir_ + "/old.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(st.st_gid, 4u);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(::write(g->fd.get(), "y\n", 2), 2);
    EXPECT_EQ(read(dir_ + "/old.json"), "x\ny\n") << "appended, not truncated";
  }
  // Rotation seen: the path renamed away.
  ASSERT_EQ(rename(path.c_str(), (path + ".1").c_str()), 0);
  EXPECT_TRUE(bpfaudit::collector::json_file_moved({false, path}, *out));
  // A symlink at the path (to a file that exists, or not) is refused.
  write(dir_ + "/target", "", 0600);
  ASSERT_EQ(symlink((dir_ + "/target").c_str(), (dir_ + "/link.json").c_str()), 0);
  auto l = bpfaudit::collector::open_json_output({false, dir_ + "/link.json"}, 0);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, -ELOOP);
  ASSERT_EQ(symlink((dir_ + "/nothing").c_str(), (dir_ + "/dangling.json").c_str()), 0);
  EXPECT_FALSE(bpfaudit::collector::open_json_output({false, dir_ + "/dangling.json"}, 0));
  struct stat none;
  EXPECT_NE(stat((dir_ + "/nothing").c_str(), &none), 0) << "nothing created through the link";
  // Not a regular file.
  ASSERT_EQ(mkfifo((dir_ + "/fifo").c_str(), 0600), 0);
  int keep = open((dir_ + "/fifo").c_str(), O_RDWR | O_NONBLOCK);  // so the open does not wait
  auto fifo = bpfaudit::collector::open_json_output({false, dir_ + "/fifo"}, 0);
  ASSERT_FALSE(fifo);
  EXPECT_NE(fifo.error().message.find("not a regular file"), std::string::npos);
  close(keep);
}

TEST_F(JsonOutputTest, SocketStreamOrDatagramAsTheListenerIs) {
  int st = listen_unix(dir_ + "/stream.sock", SOCK_STREAM);
  int dg = listen_unix(dir_ + "/dgram.sock", SOCK_DGRAM);
  auto a = bpfaudit::collector::open_json_output({true, dir_ + "/stream.sock"}, 0);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->datagram);
  auto b = bpfaudit::collector::open_json_output({true, dir_ + "/dgram.sock"}, 0);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_TRUE(b->datagram);
  auto c = bpfaudit::collector::open_json_output({true, dir_ + "/none.sock"}, 0);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, -ENOENT);
  close(st);
  close(dg);
}

// The dispatcher running builtin_json from a plugins.d file.
class JsonDispatcherTest : public JsonOutputTest {
 protected:
  bpfaudit::record::AuditdConf conf(unsigned q_depth = 2000) {
    bpfaudit::record::AuditdConf c;
    c.plugin_dir = dir_ + "/plugins.d/";
    c.q_depth = q_depth;
    mkdir((dir_ + "/plugins.d").c_str(), 0755);
    return c;
  }
  void json_plugin(const std::string& args) {
    mkdir((dir_ + "/plugins.d").c_str(), 0755);
    write(dir_ + "/plugins.d/json.conf",
          "active = yes\ndirection = out\npath = builtin_json\ntype = builtin\nargs = " + args +
              "\nformat = string\n",
          0640);
  }
  bpfaudit::collector::MessageSink sink() {
    return [this](int, const std::string& text) { said_.push_back(text); };
  }
  static DispatchEvent user(int serial) {
    return raw_dispatch_event(AUDIT_USER, "audit(30.000:" + std::to_string(serial) + "): pid=1");
  }
  static std::string user_json(int serial) {
    return R"J({"time":30.000,"serial":)J" + std::to_string(serial) +
           R"J(,"records":[{"type":"USER","fields":{"pid":"1"}}]})J"
           "\n";
  }
  std::vector<std::string> said_;
};

TEST_F(JsonDispatcherTest, FileGetsOneLinePerEventAndFollowsRotation) {
  if (geteuid() != 0) GTEST_SKIP() << "plugins.d files must be owned by root";
  std::string path = dir_ + "/audit.json";
  json_plugin(path);
  bpfaudit::collector::Dispatcher d(sink());
  d.start(conf());
  ASSERT_TRUE(d.active());
  d.dispatch(raw_dispatch_event(AUDIT_SYSCALL, "audit(30.000:1): syscall=1"));
  d.dispatch(raw_dispatch_event(AUDIT_EOE, "audit(30.000:1): "));
  d.dispatch(user(2));
  d.flush();
  EXPECT_EQ(read(path),
            R"J({"time":30.000,"serial":1,"records":[{"type":"SYSCALL","fields":{"syscall":"1"}}]})J"
            "\n" +
                user_json(2));
  // logrotate's rename without a SIGHUP: the next tick opens a new file.
  ASSERT_EQ(rename(path.c_str(), (path + ".1").c_str()), 0);
  d.tick(bpfaudit::collector::steady_ms());
  d.dispatch(user(3));
  d.flush();
  // SIGHUP reopens too (a copy-and-truncate rotation needs nothing).
  d.reconfigure(conf());
  d.dispatch(user(4));
  d.stop(1000);
  EXPECT_EQ(read(path + ".1"), R"J({"time":30.000,"serial":1,"records":[{"type":"SYSCALL","fields":{"syscall":"1"}}]})J"
                               "\n" + user_json(2));
  EXPECT_EQ(read(path), user_json(3) + user_json(4));
}

TEST_F(JsonDispatcherTest, DatagramListenerGetsOneEventPerDatagram) {
  if (geteuid() != 0) GTEST_SKIP() << "plugins.d files must be owned by root";
  int dg = listen_unix(dir_ + "/dgram.sock", SOCK_DGRAM);
  json_plugin("unix:" + dir_ + "/dgram.sock");
  bpfaudit::collector::Dispatcher d(sink());
  d.start(conf());
  for (int i = 1; i <= 3; ++i) d.dispatch(user(i));
  d.stop(1000);
  for (int i = 1; i <= 3; ++i) {
    char buf[512];
    ssize_t n = recv(dg, buf, sizeof(buf), MSG_DONTWAIT);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), user_json(i));
  }
  close(dg);
}

TEST_F(JsonDispatcherTest, NoListenerYetEventsWaitInTheQueueThenOverflowIsCounted) {
  if (geteuid() != 0) GTEST_SKIP() << "plugins.d files must be owned by root";
  std::string sock = dir_ + "/late.sock";
  json_plugin("unix:" + sock);
  bpfaudit::collector::Dispatcher d(sink());
  d.start(conf(5));
  EXPECT_EQ(std::count_if(said_.begin(), said_.end(),
                          [&](const std::string& s) {
                            return s.find("cannot connect to " + sock) != std::string::npos;
                          }),
            1);
  for (int i = 1; i <= 8; ++i) d.dispatch(user(i));
  auto losses = d.take_losses(0, true);
  ASSERT_EQ(losses.size(), 1u);
  EXPECT_EQ(losses[0].source, "json.conf");
  EXPECT_EQ(losses[0].count, 3u);  // 8 events, a queue of 5
  // The shipper starts listening (stream): the next tick connects and the
  // queued events arrive whole, in order.
  int st = listen_unix(sock, SOCK_STREAM);
  d.tick(bpfaudit::collector::steady_ms() + 2000);
  int c = accept(st, nullptr, nullptr);
  ASSERT_GE(c, 0);
  d.dispatch(user(9));
  d.stop(1000);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(c, buf, sizeof(buf))) > 0;) got.append(buf, static_cast<std::size_t>(n));
  EXPECT_EQ(got, user_json(1) + user_json(2) + user_json(3) + user_json(4) + user_json(5) +
                     user_json(9));
  close(c);
  close(st);
}

}  // namespace
