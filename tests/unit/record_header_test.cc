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
    std::snprintf(want, sizeof want, "type=EOE msg=audit(1795440882.%03u:18446744073709551615): ",
                  msec);
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
