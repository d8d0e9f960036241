// The audisp-remote managed protocol's frames and the receiver's auditd.conf
// keys. Expected bytes come from the layout in audit-userspace 3.0.9's
// lib/private.h (AUDIT_RMW_PACK_HEADER: u32 magic, u8 header version, u8
// message version, u32 type, u16 length, u32 sequence, all little-endian);
// expected defaults from its clear_config().
#include <gtest/gtest.h>
#include <libaudit.h>

#include <string>

#include "auditd_conf.h"
#include "remote_frame.h"

namespace {

namespace remote = bpfaudit::collector::remote;
using Status = remote::FrameScan::Status;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(RemoteFrame, PacksStockHeader) {
  // An ACK (0x40000000) of sequence 7, no text.
  EXPECT_EQ(remote::pack_frame(remote::kAck, 7),
            bytes({0xfe, 0x00, 0x00, 0xff, 0, 0, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x07, 0x00,
                   0x00, 0x00}));
  // DISKFULL (0x60000001) of sequence 0x01020304 with stock's text.
  EXPECT_EQ(remote::pack_frame(remote::kDiskFull, 0x01020304, "disk full"),
            bytes({0xfe, 0x00, 0x00, 0xff, 0, 0, 0x01, 0x00, 0x00, 0x60, 0x09, 0x00, 0x04, 0x03,
                   0x02, 0x01}) +
                "disk full");
}

TEST(RemoteFrame, ScansWholeFramesOnly) {
  std::string msg = remote::pack_frame(remote::kMessage, 42, "type=USER msg=audit(1.000:1): x");
  for (std::size_t n = 0; n < msg.size(); ++n)
    EXPECT_EQ(remote::scan_frame(std::string_view(msg).substr(0, n)).status, Status::kNeedMore)
        << n;
  std::string two = msg + remote::pack_frame(remote::kHeartbeat, 43);
  auto s = remote::scan_frame(two);
  ASSERT_EQ(s.status, Status::kFrame);
  EXPECT_EQ(s.header.type, 0u);
  EXPECT_EQ(s.header.seq, 42u);
  EXPECT_EQ(s.text, "type=USER msg=audit(1.000:1): x");
  EXPECT_EQ(s.consumed, msg.size());
  auto h = remote::scan_frame(std::string_view(two).substr(s.consumed));
  ASSERT_EQ(h.status, Status::kFrame);
  EXPECT_EQ(h.header.type, 1u);
  EXPECT_EQ(h.header.seq, 43u);
  EXPECT_EQ(h.consumed, 16u);
}

TEST(RemoteFrame, RefusesGarbageAtOnceAndLongFrames) {
  // The first byte that differs from the magic decides, not the 16th.
  EXPECT_EQ(remote::scan_frame("G").status, Status::kBadMagic);
  EXPECT_EQ(remote::scan_frame(bytes({0xfe, 0x00, 0x01})).status, Status::kBadMagic);
  EXPECT_EQ(remote::scan_frame(bytes({0xfe, 0x00, 0x00})).status, Status::kNeedMore);
  // MAX_AUDIT_MESSAGE_LENGTH (8970) is the longest text.
  std::string h = remote::pack_frame(remote::kMessage, 1, std::string(8970, 'a'));
  EXPECT_EQ(remote::scan_frame(h).status, Status::kFrame);
  std::string over = h.substr(0, 16);
  over[10] = static_cast<char>(8971 & 0xff);
  over[11] = static_cast<char>(8971 >> 8);
  EXPECT_EQ(remote::scan_frame(over).status, Status::kTooLong);
  over[10] = over[11] = static_cast<char>(0xff);
  EXPECT_EQ(remote::scan_frame(over).status, Status::kTooLong);
}

TEST(RemoteFrame, RecordAsStockLogsIt) {
  EXPECT_EQ(remote::message_record("type=USER a\n"), "type=USER a");
  EXPECT_EQ(remote::message_record("type=USER a"), "type=USER a");
  EXPECT_EQ(remote::message_record(std::string_view("type=USER a\0hidden", 18)), "type=USER a");
  EXPECT_EQ(remote::message_record(""), "");
}

TEST(RemoteFrame, TypeOfReceivedLine) {
  EXPECT_EQ(remote::received_record_type("node=h1 type=USER msg=audit(1.000:1): x"), AUDIT_USER);
  EXPECT_EQ(remote::received_record_type("type=SYSCALL msg=audit(1.000:1): x"), AUDIT_SYSCALL);
  EXPECT_EQ(remote::received_record_type("type=EOE msg=audit(1.000:1): "), AUDIT_EOE);
  EXPECT_EQ(remote::received_record_type("type=UNKNOWN[1999] msg=audit(1.000:1): x"), 1999);
  EXPECT_EQ(remote::received_record_type("garbage"), -1);
  EXPECT_EQ(remote::received_record_type("node=only"), -1);
  EXPECT_EQ(remote::received_record_type("type=NOSUCHTYPE msg=x"), -1);
}

bpfaudit::record::AuditdConf conf_of(const std::string& text, bool* ok = nullptr) {
  auto r = bpfaudit::record::parse_auditd_conf_text(
      "space_left = 2\nadmin_space_left = 1\n" + text, "/tmp/x/auditd.conf",
      bpfaudit::record::ConfCheck::kSearch);
  if (ok) *ok = r.ok;
  return r.conf;
}

TEST(RemoteConf, StockDefaultsAndValues) {
  auto d = conf_of("");
  EXPECT_EQ(d.tcp_listen_port, 0u);
  EXPECT_EQ(d.tcp_listen_queue, 5u);
  EXPECT_EQ(d.tcp_max_per_addr, 1u);
  EXPECT_EQ(d.tcp_client_min_port, 0u);
  EXPECT_EQ(d.tcp_client_max_port, 65535u);
  EXPECT_EQ(d.tcp_client_max_idle, 0u);
  EXPECT_FALSE(d.distribute_network);
  EXPECT_FALSE(d.transport_krb5);
  EXPECT_TRUE(d.local_events);
  bool ok = false;
  auto c = conf_of(
      "local_events = no\ntcp_listen_port = 60\ntcp_listen_queue = 64\ntcp_max_per_addr = 1024\n"
      "tcp_client_ports = 1-1023\ntcp_client_max_idle = 30\ndistribute_network = yes\n",
      &ok);
  ASSERT_TRUE(ok);
  EXPECT_FALSE(c.local_events);
  EXPECT_EQ(c.tcp_listen_port, 60u);
  EXPECT_EQ(c.tcp_listen_queue, 64u);
  EXPECT_EQ(c.tcp_max_per_addr, 1024u);
  EXPECT_EQ(c.tcp_client_min_port, 1u);
  EXPECT_EQ(c.tcp_client_max_port, 1023u);
  EXPECT_EQ(c.tcp_client_max_idle, 30u);
  EXPECT_TRUE(c.distribute_network);
  auto one = conf_of("tcp_client_ports = 600\n");
  EXPECT_EQ(one.tcp_client_min_port, 600u);
  EXPECT_EQ(one.tcp_client_max_port, 600u);
  // Both ways stock selects Kerberos; enable_krb5 = no leaves it as it was.
  EXPECT_TRUE(conf_of("transport = KRB5\n").transport_krb5);
  EXPECT_TRUE(conf_of("enable_krb5 = yes\n").transport_krb5);
  EXPECT_FALSE(conf_of("enable_krb5 = yes\ntransport = tcp\n").transport_krb5);
  EXPECT_TRUE(conf_of("transport = krb5\nenable_krb5 = no\n").transport_krb5);
}

}  // namespace
