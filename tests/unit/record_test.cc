#include <gtest/gtest.h>
#include <libaudit.h>

#include "event.h"
#include "record.h"

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
      "type=USER_LOGIN msg=audit(1.0:5): pid=7 uid=0 msg='op=login acct=\"bob\" res=failed'");
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
  a.add(hdr(100, 1, AUDIT_SYSCALL), Record{});
  a.add(hdr(100, 1, AUDIT_PATH), Record{});
  EXPECT_EQ(a.pop_ready(), nullptr);  // multi-record events wait for the timeout
  a.add(hdr(101, 2, AUDIT_SYSCALL), Record{});
  EXPECT_EQ(a.pop_ready(), nullptr);
  a.add(hdr(102, 3, AUDIT_SYSCALL), Record{});  // 100 + 2 <= 102 closes serial 1
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
  a.add(hdr(5, 9, AUDIT_USER_LOGIN), Record{});
  a.add(hdr(5, 9, AUDIT_USER_LOGIN), Record{});
  a.close_all();
  auto e1 = a.pop_ready();
  auto e2 = a.pop_ready();
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(e1->records.size(), 1u);
  EXPECT_EQ(e2->records.size(), 1u);
}

TEST(EventAssembler, StrayEoeIsDropped) {
  EventAssembler a(2);
  EXPECT_FALSE(a.add(hdr(5, 9, AUDIT_EOE), Record{}));
  EXPECT_TRUE(a.empty());
}

TEST(EventAssembler, OldestBuildingEventHoldsBackLaterCompleteOnes) {
  EventAssembler a(2);
  a.add(hdr(10, 1, AUDIT_SYSCALL), Record{});
  a.add(hdr(11, 2, AUDIT_USER_LOGIN), Record{});  // complete, but later than serial 1
  EXPECT_EQ(a.pop_ready(), nullptr);
}
