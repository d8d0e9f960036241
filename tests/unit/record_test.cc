#include "record.h"

#include <gtest/gtest.h>
#include <libaudit.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "event.h"
#include "log_reader.h"

using namespace bpfaudit::record;

TEST(ParseHeader, PlainRecord) {
  auto h = parse_header("type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, AUDIT_SYSCALL);
  EXPECT_EQ(h->id.sec, 1364481363u);
  EXPECT_EQ(h->id.msec, 243u);
  EXPECT_EQ(h->id.serial, 24287u);
  EXPECT_FALSE(h->id.node);
}

TEST(ParseHeader, NodePrefix) {
  auto h = parse_header("node=host1 type=PATH msg=audit(1.002:3): item=0");
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->id.node);
  EXPECT_EQ(*h->id.node, "host1");
  EXPECT_EQ(h->type, AUDIT_PATH);
}

TEST(ParseHeader, UnknownTypeNumber) {
  auto h = parse_header("type=UNKNOWN[1334] msg=audit(10.000:7): x=1");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, 1334);
}

TEST(ParseHeader, RejectsNonRecords) {
  EXPECT_FALSE(parse_header(""));
  EXPECT_FALSE(parse_header("# comment\n"));
  EXPECT_FALSE(parse_header("type=SYSCALL msg=short"));
  HeaderError e;
  std::string stamp;
  EXPECT_FALSE(parse_header("type=SYSCALL msg=audit(12.9999:1): a=b", &e, &stamp));
  EXPECT_EQ(e, HeaderError::kBadTimestamp);
  EXPECT_EQ(stamp, "12.9999:1");
}

TEST(ReadUlong, AgreesWithStrtoul) {
  const char* inputs[] = {"0",    "42",   "1364481363", "18446744073709551615", "18446744073709551616",
                          "99999999999999999999999",   "-1", " 7", "+7", "0x1f", "0X1F", "ff",
                          "FFg",  "7fffffffffffffff",  "ffffffffffffffff",   "10000000000000000",
                          "abc",  "",     "12:34",      "5)"};
  for (int base : {10, 16}) {
    for (const char* in : inputs) {
      errno = 0;
      unsigned long want = std::strtoul(in, nullptr, base);
      bool want_ok = errno == 0;
      unsigned long got = 12345;
      bool ok = read_ulong(in, base, got);
      EXPECT_EQ(ok, want_ok) << "base " << base << " input '" << in << "'";
      EXPECT_EQ(got, want) << "base " << base << " input '" << in << "'";
    }
  }
}

TEST(TypeNumber, AgreesWithLibauditAcrossRepeats) {
  // Repeats go through the cache; more names than it holds force evictions.
  const char* names[] = {"SYSCALL", "PATH", "CWD", "EXECVE", "PROCTITLE", "AVC", "USER_LOGIN",
                         "USER_AUTH", "CRED_ACQ", "LOGIN", "SERVICE_START", "SERVICE_STOP",
                         "CONFIG_CHANGE", "DAEMON_START", "SOCKADDR", "EOE", "BPF", "NETFILTER_CFG",
                         "UNKNOWN[1400]", "NOT_A_TYPE", "syscall"};
  for (int round = 0; round < 3; ++round)
    for (const char* n : names) EXPECT_EQ(type_number(n), audit_name_to_msg_type(n)) << n;
}

TEST(MakeRecord, EnrichedSplitsAtSeparator) {
  Record r = make_record("type=SYSCALL msg=audit(1.0:1): uid=0\x1dUID=\"root\"\n", AUDIT_SYSCALL);
  EXPECT_TRUE(r.enriched);
  EXPECT_EQ(r.raw(), "type=SYSCALL msg=audit(1.0:1): uid=0");
  EXPECT_EQ(r.interpreted(), "UID=\"root\"");
}

TEST(Encoding, UntrustedStringsCannotForgeFields) {
  EXPECT_EQ(encode_untrusted("bash"), "\"bash\"");
  EXPECT_EQ(encode_untrusted("x type=USER_AUTH"), "7820747970653D555345525F41555448");
  EXPECT_EQ(encode_untrusted("a\"b"), "612262");
  EXPECT_EQ(decode_value("7820747970653D555345525F41555448"), "x type=USER_AUTH");
  EXPECT_EQ(decode_value("\"bash\""), "bash");
}

TEST(SplitFields, UserMessageFieldsAreReached) {
  auto f = split_fields(
      "type=USER_LOGIN msg=audit(1.0:5): pid=7 uid=0 "
      "msg='op=login acct=\"bob\" res=failed'");
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0].name, "pid");
  EXPECT_EQ(f[2].name, "op");
  EXPECT_EQ(f[3].value, "\"bob\"");
  EXPECT_EQ(f[4].name, "res");
  EXPECT_EQ(f[4].value, "failed");
}

namespace {
RecordHeader hdr(std::uint64_t sec, std::uint64_t serial, int type) {
  RecordHeader h;
  h.id.sec = sec;
  h.id.serial = serial;
  h.type = type;
  return h;
}
}  // namespace

TEST(EventAssembler, GroupsBySerialAndClosesOnTimeout) {
  EventAssembler a(2);
  a.add(hdr(100, 1, AUDIT_SYSCALL), RecordView{});
  a.add(hdr(100, 1, AUDIT_PATH), RecordView{});
  EXPECT_EQ(a.pop_ready(), nullptr);  // multi-record events wait for the timeout
  a.add(hdr(101, 2, AUDIT_SYSCALL), RecordView{});
  EXPECT_EQ(a.pop_ready(), nullptr);
  a.add(hdr(102, 3, AUDIT_SYSCALL), RecordView{});  // 100 + 2 <= 102 closes serial 1
  auto ev = a.pop_ready();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->id.serial, 1u);
  EXPECT_EQ(ev->records.size(), 2u);
  EXPECT_EQ(a.pop_ready(), nullptr);
  a.close_all();
  EXPECT_EQ(a.pop_ready()->id.serial, 2u);
  EXPECT_EQ(a.pop_ready()->id.serial, 3u);
  EXPECT_TRUE(a.empty());
}

TEST(EventAssembler, SingleRecordTypesSplitSameSerial) {
  // A user-space message (type < 1300) closes its event at once: a second
  // record with the same identity forms a second event, as in stock.
  EventAssembler a(2);
  a.add(hdr(5, 9, AUDIT_USER_LOGIN), RecordView{});
  a.add(hdr(5, 9, AUDIT_USER_LOGIN), RecordView{});
  a.close_all();
  auto e1 = a.pop_ready();
  auto e2 = a.pop_ready();
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(e1->records.size(), 1u);
  EXPECT_EQ(e2->records.size(), 1u);
}

TEST(EventAssembler, StrayEoeIsDropped) {
  EventAssembler a(2);
  EXPECT_FALSE(a.add(hdr(5, 9, AUDIT_EOE), RecordView{}));
  EXPECT_TRUE(a.empty());
}

TEST(EventAssembler, OldestBuildingEventHoldsBackLaterCompleteOnes) {
  EventAssembler a(2);
  a.add(hdr(10, 1, AUDIT_SYSCALL), RecordView{});
  a.add(hdr(11, 2, AUDIT_USER_LOGIN), RecordView{});  // complete, but later than serial 1
  EXPECT_EQ(a.pop_ready(), nullptr);
}

TEST(EventAssembler, CountsTiesAndFingerprintsHeldEvents) {
  // A tie: an event opened while another with the same time and serial is
  // held (here the first closed at once, being a user message); stock then
  // orders the two by array slot.
  EventAssembler a(2);
  a.add(hdr(5, 9, AUDIT_USER_LOGIN), RecordView{}, {}, 1);
  a.add(hdr(5, 10, AUDIT_SYSCALL), RecordView{}, {}, 2);
  a.add(hdr(5, 10, AUDIT_PATH), RecordView{}, {}, 3);
  EXPECT_EQ(a.ties(), 0u);
  // Held: serial 9 (1 record, complete), serial 10 (2 records, building).
  std::vector<std::uint64_t> fp;
  a.fingerprint(fp);
  EXPECT_EQ(fp, (std::vector<std::uint64_t>{(1 << 1) | 1, 1, (2 << 1) | 0, 2, 3}));
  a.add(hdr(5, 9, AUDIT_USER_LOGIN), RecordView{}, {}, 4);
  EXPECT_EQ(a.ties(), 1u);
  // Opened below the greatest key but with no held twin: not a tie.
  a.add(hdr(5, 8, AUDIT_SYSCALL), RecordView{}, {}, 5);
  EXPECT_EQ(a.ties(), 1u);
  // Tags come back in the event's record order.
  a.close_all();
  Event ev;
  std::vector<std::uint64_t> tags;
  ASSERT_TRUE(a.pop_ready(ev, &tags));  // serial 8 is the oldest
  EXPECT_EQ(tags, std::vector<std::uint64_t>{5});
  ASSERT_TRUE(a.pop_ready(ev, &tags));
  ASSERT_TRUE(a.pop_ready(ev, &tags));
  ASSERT_TRUE(a.pop_ready(ev, &tags));
  EXPECT_EQ(tags, (std::vector<std::uint64_t>{2, 3}));
}

namespace {
// Feeds `log` line by line the way the search does, optionally with the
// records' text left in the file, and returns the events' raw text.
std::vector<std::string> assemble(const std::string &log, bool file_backed) {
  char path[] = "/tmp/bpfaudit-assembler-XXXXXX";
  int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  ::unlink(path);
  EXPECT_EQ(::write(fd, log.data(), log.size()), static_cast<ssize_t>(log.size()));
  ::lseek(fd, 0, SEEK_SET);
  EventAssembler a(2, file_backed ? 0 : 8 << 20);  // budget 0: every record read back
  std::vector<std::string> out;
  auto drain = [&] {
    while (auto ev = a.pop_ready()) {
      std::string s;
      for (const auto &r : ev->records) s += r.text + "|";
      out.push_back(s);
    }
  };
  LineReader reader(fd);
  while (auto line = reader.next()) {
    auto h = parse_header(*line);
    if (!h) continue;
    std::optional<FileSpan> origin;
    if (file_backed) origin = FileSpan{fd, reader.offset()};
    a.add(*h, view_record(*line, h->type), origin);
    drain();
  }
  a.close_all();
  drain();
  ::close(fd);
  return out;
}
}  // namespace

TEST(EventAssembler, InterleavedEventsKeepTheirRecordsInFileOrTextStorage) {
  // Two events interleaved, a node-qualified twin of serial 1, a record
  // with an embedded NUL (stock keeps only what precedes it), and an event
  // that arrives out of time order.
  std::string log = std::string("type=SYSCALL msg=audit(100.001:1): a=1\n") +
                    "type=SYSCALL msg=audit(100.002:2): b=1\n"
                    "node=h type=SYSCALL msg=audit(100.001:1): n=1\n"
                    "type=PATH msg=audit(100.001:1): a=2\n" +
                    std::string("type=PATH msg=audit(100.002:2): b=2\0tail\n", 41) +
                    "type=SYSCALL msg=audit(99.000:0): early=1\n"
                    "type=EOE msg=audit(100.001:1): \n";
  const std::vector<std::string> want = {
      "type=SYSCALL msg=audit(99.000:0): early=1|",
      "type=SYSCALL msg=audit(100.001:1): a=1|type=PATH msg=audit(100.001:1): "
      "a=2|"
      "type=EOE msg=audit(100.001:1): |",
      "node=h type=SYSCALL msg=audit(100.001:1): n=1|",
      "type=SYSCALL msg=audit(100.002:2): b=1|type=PATH msg=audit(100.002:2): "
      "b=2|",
  };
  EXPECT_EQ(assemble(log, false), want);
  EXPECT_EQ(assemble(log, true), want);
}

TEST(EventAssembler, RecordsReadBackAcrossWindowsMatchTheFile) {
  // Far more text than one read-back window: events whose records lie 40
  // lines apart, lines of varying length, one record longer than the window,
  // and an event whose records are read long after the window moved on.
  std::string log = "type=SYSCALL msg=audit(100.000:99999): early=1\n";
  for (int i = 0; i < 3000; ++i) {
    std::string serial = std::to_string(i);
    log += "type=SYSCALL msg=audit(100.500:" + serial + "): a=" + std::string(i % 300, 'x') +
           "\n";
    if (i >= 40) log += "type=PATH msg=audit(100.500:" + std::to_string(i - 40) + "): p=1\n";
    if (i == 1500)
      log += "type=CWD msg=audit(100.500:1500): cwd=" + std::string(200000, 'c') + "\n";
  }
  log += "type=PATH msg=audit(100.000:99999): late=1\n";
  std::vector<std::string> in_memory = assemble(log, false);
  ASSERT_EQ(in_memory.size(), 3001u);
  EXPECT_EQ(in_memory.front(),
            "type=SYSCALL msg=audit(100.000:99999): early=1|"
            "type=PATH msg=audit(100.000:99999): late=1|");
  EXPECT_EQ(assemble(log, true), in_memory);
}

TEST(ReadAll, ReadsRegularFilesAndPipesWhole) {
  char path[] = "/tmp/bpfaudit-read-all-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  std::string body(10000, 'x');
  body += "end\n";
  ASSERT_EQ(::write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  ::lseek(fd, 3, SEEK_SET);  // reads what is left from the current offset
  std::string got = "kept:";
  EXPECT_TRUE(read_all(fd, got));
  EXPECT_EQ(got, "kept:" + body.substr(3));
  ::close(fd);

  // A pipe has no size to go by: more than one doubling step of data.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::string big;
  for (int i = 0; i < 40000; ++i) big += "line " + std::to_string(i) + "\n";
  std::thread writer([&] {
    std::string_view rest = big;
    while (!rest.empty()) {
      ssize_t n = ::write(p[1], rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::close(p[1]);
  });
  std::string piped;
  EXPECT_TRUE(read_all(p[0], piped));
  writer.join();
  ::close(p[0]);
  EXPECT_EQ(piped, big);

  std::string none;
  EXPECT_FALSE(read_file("/nonexistent/bpfaudit-read-all", none));
  EXPECT_EQ(errno, ENOENT);
  EXPECT_FALSE(read_all(-1, none));
  EXPECT_EQ(errno, EBADF);
}

TEST(LineReader, OffsetIsWhereEachPieceStarts) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::string data = "ab\ncdefgh\n\nxyz";
  ASSERT_EQ(::write(p[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(p[1]);
  LineReader reader(p[0], 4);  // pieces of at most 4 bytes, as fgets(buf, 5)
  std::vector<std::pair<std::string, std::uint64_t>> got;
  while (auto line = reader.next()) got.emplace_back(std::string(*line), reader.offset());
  ::close(p[0]);
  std::vector<std::pair<std::string, std::uint64_t>> want = {
      {"ab\n", 0}, {"cdef", 3}, {"gh\n", 7}, {"\n", 10}, {"xyz", 11}};
  EXPECT_EQ(got, want);
}
