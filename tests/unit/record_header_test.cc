// The record header's writer against its parser: what append_header and
// append_stamp write, parse_header reads back, node= and msec padding included.
#include <gtest/gtest.h>
#include <libaudit.h>

#include <string>

#include "format.h"
#include "record.h"

namespace {

using bpfaudit::record::append_header;
using bpfaudit::record::append_stamp;
using bpfaudit::record::format_log_line;
using bpfaudit::record::parse_header;
using bpfaudit::record::Stamp;

TEST(RecordHeader, WrittenWithNodeAndPaddedMsecAndReadBack) {
  std::string line;
  append_header(line, "SYSCALL", Stamp{1700000000, 7, 42, "bpfaudit"});
  EXPECT_EQ(line, "node=bpfaudit type=SYSCALL msg=audit(1700000000.007:42): ");
  line += "arch=c000003e syscall=257";
  auto h = parse_header(line);
  ASSERT_TRUE(h) << line;
  EXPECT_EQ(h->type, AUDIT_SYSCALL);
  EXPECT_EQ(h->id.sec, 1700000000u);
  EXPECT_EQ(h->id.msec, 7u);
  EXPECT_EQ(h->id.serial, 42u);
  EXPECT_EQ(h->id.node, "bpfaudit");
}

TEST(RecordHeader, RoundTripsEveryMsecWidthWithoutNode) {
  for (std::uint32_t msec : {0u, 5u, 10u, 99u, 100u, 999u}) {
    Stamp s{1795440882, msec, 18446744073709551615ull, ""};
    std::string line;
    append_header(line, "EOE", s);
    char want[96];
    std::snprintf(want, sizeof want,
                  "type=EOE msg=audit(1795440882.%03u:18446744073709551615): ", msec);
    EXPECT_EQ(line, want);
    auto h = parse_header(line);
    ASSERT_TRUE(h) << line;
    EXPECT_EQ(h->type, AUDIT_EOE);
    EXPECT_EQ(h->id.sec, s.sec);
    EXPECT_EQ(h->id.msec, msec) << line;
    EXPECT_EQ(h->id.serial, s.serial);
    EXPECT_FALSE(h->id.node) << line;
  }
}

TEST(RecordHeader, DaemonRecordRoundTripsThroughItsLogLine) {
  using namespace bpfaudit::collector;
  Stamp s{1795440882, 23, 912, ""};
  std::string stamp;
  append_stamp(stamp, s);
  EXPECT_EQ(stamp, "audit(1795440882.023:912): ");
  // The daemon's own records: payload from daemon_payload, line from
  // format_log_line, as the daemon writes them with and without a node name.
  std::string payload = daemon_payload(s, "op=rotate-logs res=success");
  EXPECT_EQ(payload, "audit(1795440882.023:912): op=rotate-logs res=success");
  for (auto node : {std::optional<std::string>(), std::optional<std::string>("host-1")}) {
    std::string line = format_log_line(AUDIT_DAEMON_ROTATE, payload, node);
    auto h = parse_header(line);
    ASSERT_TRUE(h) << line;
    EXPECT_EQ(h->type, AUDIT_DAEMON_ROTATE);
    EXPECT_EQ(h->id, (bpfaudit::record::EventId{1795440882, 23, 912, node})) << line;
  }
}

}  // namespace

// A reused StampText formats only the serial while the second and
// millisecond stay; each text must still be the one a fresh stamp gives.
TEST(RecordHeader, ReusedStampTextFollowsEverySecondMsecAndSerial) {
  using bpfaudit::record::StampText;
  StampText reused;
  const Stamp seq[] = {{1795440882, 23, 9, "n"},      {1795440882, 23, 10, "n"},
                       {1795440882, 23, 1000000, ""}, {1795440882, 24, 7, ""},
                       {1795440883, 24, 8, "host"},   {9, 24, 18446744073709551615ull, ""},
                       {1795440882, 1023, 5, ""}};
  const char* want[] = {"audit(1795440882.023:9): ",       "audit(1795440882.023:10): ",
                        "audit(1795440882.023:1000000): ", "audit(1795440882.024:7): ",
                        "audit(1795440883.024:8): ",       "audit(9.024:18446744073709551615): ",
                        "audit(1795440882.023:5): "};
  for (std::size_t i = 0; i < std::size(seq); ++i) {
    reused.assign(seq[i]);
    EXPECT_EQ(reused.text(), want[i]) << i;
    EXPECT_EQ(reused.node(), seq[i].node) << i;
    std::string line;
    append_header(line, "PROCTITLE", reused);
    std::string fresh;
    append_header(fresh, "PROCTITLE", seq[i]);
    EXPECT_EQ(line, fresh) << i;
  }
}

// A type too long for the one-piece path is written piece by piece, the same.
TEST(RecordHeader, LongTypeNameWrittenWhole) {
  std::string type(200, 'T');
  std::string line;
  append_header(line, type, Stamp{1, 2, 3, "x"});
  EXPECT_EQ(line, "node=x type=" + type + " msg=audit(1.002:3): ");
}
