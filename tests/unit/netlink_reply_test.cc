// The parsing of received NETLINK_AUDIT datagrams (kernel/netlink_reply.h),
// against datagrams built byte by byte from the kernel's layouts:
// struct nlmsghdr is {u32 len, u16 type, u16 flags, u32 seq, u32 pid} (16
// bytes, messages 4-aligned), an error reply is struct nlmsgerr {int error;
// struct nlmsghdr msg}, struct audit_status is eleven u32 since 5.9 and eight
// on the oldest kernels, struct audit_rule_data is 3 + 4 * 64 + 1 u32 (1040
// bytes) then the strings.
#include <errno.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netlink_reply.h"

namespace {

using bpfaudit::kernel::ReplyStep;
namespace kernel = bpfaudit::kernel;

constexpr std::uint16_t kError = 2, kDone = 3;               // NLMSG_ERROR, NLMSG_DONE
constexpr std::uint16_t kGet = 1000, kListRules = 1013;      // AUDIT_GET, AUDIT_LIST_RULES
constexpr std::uint16_t kGetFeature = 1019;                  // AUDIT_GET_FEATURE
constexpr std::uint16_t kMulti = 2;                          // NLM_F_MULTI
constexpr std::uint32_t kFilterKey = 210, kDir = 107, kArch = 11, kEqual = 0x40000000;

using Bytes = std::vector<std::uint8_t>;

void put32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
// One message: header with nlmsg_len = 16 + payload (or `len` when given),
// payload, padding to 4.
void message(Bytes& d, std::uint16_t type, std::uint32_t seq, const Bytes& payload,
             std::uint16_t flags = 0, std::uint32_t len = 0) {
  put32(d, len ? len : 16 + static_cast<std::uint32_t>(payload.size()));
  put16(d, type);
  put16(d, flags);
  put32(d, seq);
  put32(d, 0);  // nlmsg_pid: the kernel's
  d.insert(d.end(), payload.begin(), payload.end());
  while (d.size() % 4) d.push_back(0);
}
// struct nlmsgerr: the errno, then the request's header echoed.
Bytes nlmsgerr(std::int32_t error, std::uint16_t request_type, std::uint32_t seq) {
  Bytes p;
  put32(p, static_cast<std::uint32_t>(error));
  put32(p, 16);
  put16(p, request_type);
  put16(p, 5);  // NLM_F_REQUEST | NLM_F_ACK
  put32(p, seq);
  put32(p, 1234);
  return p;
}
// struct audit_rule_data: flags, action, field_count, mask[64], fields[64],
// values[64], fieldflags[64], buflen, then buf.
struct Field {
  std::uint32_t field, value, op;
};
Bytes rule_data(const std::vector<Field>& fields, const std::string& buf, std::uint32_t buflen,
                std::uint32_t field_count) {
  Bytes p;
  put32(p, 4);  // AUDIT_FILTER_EXIT
  put32(p, 2);  // AUDIT_ALWAYS
  put32(p, field_count);
  for (int i = 0; i < 64; ++i) put32(p, i == 1 ? 1u << 27 : 0);  // mask: syscall 59
  for (int a = 0; a < 3; ++a)
    for (std::size_t i = 0; i < 64; ++i) {
      const Field* f = i < fields.size() ? &fields[i] : nullptr;
      put32(p, !f ? 0 : a == 0 ? f->field : a == 1 ? f->value : f->op);
    }
  put32(p, buflen);
  p.insert(p.end(), buf.begin(), buf.end());
  return p;
}
Bytes dir_key_rule() {
  return rule_data({{kArch, 0xc000003e, kEqual}, {kDir, 4, kEqual}, {kFilterKey, 3, kEqual}},
                   "/tmpkey", 7, 3);
}

ReplyStep scan(const Bytes& d, int seq, std::uint16_t stop, std::vector<kernel::Reply>& out,
               bool events = false) {
  return kernel::scan_reply(d.data(), d.size(), seq, stop, events, out);
}

TEST(NetlinkReply, LayoutsAreTheKernels) {
  EXPECT_EQ(sizeof(audit_rule_data), 1040u);
  EXPECT_EQ(sizeof(audit_status), 44u);
  EXPECT_EQ(sizeof(audit_features), 16u);
  EXPECT_EQ(dir_key_rule().size(), 1047u);
}

TEST(NetlinkReply, TruncatedHeaderIsNoMessage) {
  Bytes d;
  message(d, kGet, 7, {});
  d.resize(10);
  auto w = kernel::walk_datagram(d.data(), d.size());
  EXPECT_TRUE(w.messages.empty());
  EXPECT_EQ(w.rest, 10u);
  std::vector<kernel::Reply> out;
  auto s = scan(d, 7, 0, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kIgnored);
  EXPECT_FALSE(s.answered);
  EXPECT_TRUE(out.empty());
}

TEST(NetlinkReply, LengthPastTheDatagramEndsTheWalk) {
  // A whole AUDIT_GET reply of 16 + 44 bytes, then a header claiming 4096
  // bytes of which 24 arrived.
  Bytes status(44, 0);
  Bytes d;
  message(d, kGet, 7, status);
  ASSERT_EQ(d.size(), 60u);
  message(d, kListRules, 7, Bytes(24, 0), kMulti, 4096);
  ASSERT_EQ(d.size(), 100u);
  auto w = kernel::walk_datagram(d.data(), d.size());
  ASSERT_EQ(w.messages.size(), 1u);
  EXPECT_EQ(w.messages[0].type, kGet);
  EXPECT_EQ(w.messages[0].offset, 0u);
  EXPECT_EQ(w.messages[0].length, 60u);
  EXPECT_EQ(w.rest, 40u);
  std::vector<kernel::Reply> out;
  auto s = scan(d, 7, 0, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kIgnored);  // no DONE, no ack: still waiting
  EXPECT_TRUE(s.answered);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, kGet);
  EXPECT_EQ(out[0].second.size(), 44u);

  // nlmsg_len below the header's own size: nothing is read.
  Bytes bad;
  message(bad, kGet, 7, {}, 0, 8);
  EXPECT_TRUE(kernel::walk_datagram(bad.data(), bad.size()).messages.empty());
}

TEST(NetlinkReply, UnalignedLengthsStepToTheNextAlignedHeader) {
  // nlmsg_len 21 (5 payload bytes): the next header is at 24.
  Bytes d;
  message(d, kListRules, 9, Bytes{'a', 'b', 'c', 'd', 'e'}, kMulti);
  ASSERT_EQ(d.size(), 24u);
  message(d, kDone, 9, Bytes(4, 0), kMulti);
  auto w = kernel::walk_datagram(d.data(), d.size());
  ASSERT_EQ(w.messages.size(), 2u);
  EXPECT_EQ(w.messages[0].length, 21u);
  EXPECT_EQ(w.messages[1].offset, 24u);
  EXPECT_EQ(w.rest, 0u);
  std::vector<kernel::Reply> out;
  auto s = scan(d, 9, 0, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kFinished);
  EXPECT_EQ(s.rc, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second, (Bytes{'a', 'b', 'c', 'd', 'e'}));
}

TEST(NetlinkReply, ErrorReplyGivesItsErrno) {
  Bytes d;
  message(d, kError, 5, nlmsgerr(-EPERM, 1011, 5));  // AUDIT_ADD_RULE refused
  std::vector<kernel::Reply> out;
  auto s = scan(d, 5, 0, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kFinished);
  EXPECT_EQ(s.rc, -1);  // EPERM is 1
  EXPECT_TRUE(out.empty());

  // Another request's error is not ours.
  s = scan(d, 6, 0, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kIgnored);
  EXPECT_FALSE(s.answered);

  // A positive value: what the handler returned (the lost counter's reset).
  Bytes v;
  message(v, kError, 5, nlmsgerr(17, 1001, 5));
  EXPECT_EQ(scan(v, 5, 0, out).rc, 17);

  // Two bytes of payload cannot hold the errno: refused, not read past.
  Bytes cut;
  message(cut, kError, 5, Bytes{0xff, 0xff});
  ASSERT_EQ(cut.size(), 20u);  // padded, but nlmsg_len says 18
  s = scan(cut, 5, 0, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kFinished);
  EXPECT_EQ(s.rc, -EBADMSG);
}

TEST(NetlinkReply, QueryWaitsPastItsAckForTheReply) {
  // AUDIT_GET: the ack, then (another datagram in the kernel, one here) the
  // status. With stop type AUDIT_GET the ack does not end the wait.
  Bytes ack;
  message(ack, kError, 1, nlmsgerr(0, kGet, 1));
  std::vector<kernel::Reply> out;
  auto s = scan(ack, 1, kGet, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kIgnored);
  EXPECT_TRUE(s.answered);
  // Without a stop type the ack is the answer.
  EXPECT_EQ(scan(ack, 1, 0, out).kind, ReplyStep::Kind::kFinished);

  Bytes status;
  for (std::uint32_t v : {0u, 1u, 1u, 0u, 0u, 8192u, 3u, 0u, 0x7fu, 60000u, 12u}) put32(status, v);
  Bytes d;
  message(d, kError, 1, nlmsgerr(0, kGet, 1));
  message(d, kGet, 1, status);
  out.clear();
  s = scan(d, 1, kGet, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kFinished);
  EXPECT_EQ(s.rc, 0);
  ASSERT_EQ(out.size(), 1u);
  auto st = kernel::decode_status(out[0].second);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->length, 44u);
  EXPECT_EQ(st->status.enabled, 1u);
  EXPECT_EQ(st->status.backlog_limit, 8192u);
  EXPECT_EQ(st->status.lost, 3u);
  EXPECT_EQ(st->status.feature_bitmap, 0x7fu);
  EXPECT_EQ(st->status.backlog_wait_time, 60000u);
  EXPECT_EQ(st->status.backlog_wait_time_actual, 12u);
}

TEST(NetlinkReply, OlderKernelsShorterStatus) {
  // The eight u32 of the oldest struct audit_status.
  Bytes p;
  for (std::uint32_t v : {0u, 2u, 2u, 321u, 100u, 64u, 9u, 4u}) put32(p, v);
  auto st = kernel::decode_status(p);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->length, 32u);
  EXPECT_EQ(st->status.enabled, 2u);
  EXPECT_EQ(st->status.failure, 2u);
  EXPECT_EQ(st->status.pid, 321u);
  EXPECT_EQ(st->status.rate_limit, 100u);
  EXPECT_EQ(st->status.backlog, 4u);
  EXPECT_EQ(st->status.feature_bitmap, 0u);
  EXPECT_EQ(st->status.backlog_wait_time, 0u);
  EXPECT_EQ(st->status.backlog_wait_time_actual, 0u);
  // 40 bytes (no backlog_wait_time_actual): kept as sent, the rest zero.
  put32(p, 0x3f);
  put32(p, 15000);
  st = kernel::decode_status(p);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->length, 40u);
  EXPECT_EQ(st->status.backlog_wait_time, 15000u);
  EXPECT_EQ(st->status.backlog_wait_time_actual, 0u);
  // Shorter than any kernel's: refused.
  p.resize(28);
  EXPECT_EQ(kernel::decode_status(p).code(), -EBADMSG);
  // A newer kernel's longer struct: ours is filled, the rest not read.
  Bytes longer(48, 0xab);
  st = kernel::decode_status(longer);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->length, 48u);
  EXPECT_EQ(st->status.backlog_wait_time_actual, 0xababababu);
}

TEST(NetlinkReply, Features) {
  Bytes p;
  for (std::uint32_t v : {1u, 3u, 2u, 1u}) put32(p, v);
  auto f = kernel::decode_features(p);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->vers, 1u);
  EXPECT_EQ(f->mask, 3u);
  EXPECT_EQ(f->features, 2u);
  EXPECT_EQ(f->lock, 1u);
  p.resize(12);
  EXPECT_EQ(kernel::decode_features(p).code(), -EBADMSG);

  // A feature reply is a query's answer like the status.
  Bytes d;
  message(d, kGetFeature, 2, Bytes(16, 0));
  std::vector<kernel::Reply> out;
  auto s = scan(d, 2, kGetFeature, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kFinished);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, kGetFeature);
}

TEST(NetlinkReply, MultipartListingInOneDatagram) {
  // Two rules and NLMSG_DONE, with another request's message between them.
  Bytes key_only = rule_data({{kFilterKey, 2, kEqual}}, "k1", 2, 1);
  Bytes d;
  message(d, kListRules, 9, dir_key_rule(), kMulti);
  message(d, kGet, 8, Bytes(44, 0));
  message(d, kListRules, 9, key_only, kMulti);
  message(d, kDone, 9, Bytes(4, 0), kMulti);
  message(d, kListRules, 9, key_only, kMulti);  // after DONE: not read
  std::vector<kernel::Reply> out;
  auto s = scan(d, 9, 0, out);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kFinished);
  EXPECT_EQ(s.rc, 0);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].second.size(), 1047u);
  EXPECT_EQ(out[1].second.size(), 1042u);

  auto r = kernel::check_listed_rule(out[0].second);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->head.field_count, 3u);
  EXPECT_EQ(r->head.buflen, 7u);
  ASSERT_EQ(r->strings.size(), 2u);
  EXPECT_EQ(r->strings[0], "/tmp");
  EXPECT_EQ(r->strings[1], "key");
  EXPECT_EQ(kernel::pack_listed_rule(*r), out[0].second);
  r = kernel::check_listed_rule(out[1].second);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->strings.size(), 1u);
  EXPECT_EQ(r->strings[0], "k1");
}

TEST(NetlinkReply, ListedRulesThatDoNotHoldAreRefused) {
  // Shorter than struct audit_rule_data.
  EXPECT_EQ(kernel::check_listed_rule(Bytes(1039, 0)).code(), -EBADMSG);
  // buflen says more than follows, and less.
  auto more = rule_data({{kFilterKey, 3, kEqual}}, "key", 4, 1);
  EXPECT_EQ(kernel::check_listed_rule(more).code(), -EBADMSG);
  auto less = rule_data({{kFilterKey, 3, kEqual}}, "key", 2, 1);
  EXPECT_EQ(kernel::check_listed_rule(less).code(), -EBADMSG);
  // A string length past the buffer.
  auto past = rule_data({{kFilterKey, 9, kEqual}}, "key", 3, 1);
  EXPECT_EQ(kernel::check_listed_rule(past).code(), -EBADMSG);
  // Strings shorter than the buffer.
  auto spare = rule_data({{kFilterKey, 2, kEqual}}, "key", 3, 1);
  EXPECT_EQ(kernel::check_listed_rule(spare).code(), -EBADMSG);
  // field_count above AUDIT_MAX_FIELDS (64).
  auto many = rule_data({{kArch, 0xc000003e, kEqual}}, "", 0, 65);
  EXPECT_EQ(kernel::check_listed_rule(many).code(), -EBADMSG);
  // 64 fields is the most there is.
  auto full = rule_data({{kArch, 0xc000003e, kEqual}}, "", 0, 64);
  EXPECT_TRUE(kernel::check_listed_rule(full).ok());
}

// A SYSCALL record as the kernel unicasts it to the daemon: nlmsg_len leaves
// out the header, the text ends at the datagram (or a NUL, here followed by a
// stray byte).
Bytes syscall_record_datagram(const std::string& text) {
  Bytes d;
  put32(d, static_cast<std::uint32_t>(text.size()));
  put16(d, 1300);
  put16(d, 0);
  put32(d, 0);
  put32(d, 0);
  d.insert(d.end(), text.begin(), text.end());
  d.push_back(0);
  d.push_back('x');
  return d;
}

TEST(NetlinkReply, EventsModeTellsRecordsFromReplies) {
  std::string text = "audit(1765000000.123:42): arch=c000003e syscall=59";
  Bytes d = syscall_record_datagram(text);
  std::vector<kernel::Reply> out;
  auto s = scan(d, 0, 0, out, true);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kEvent);
  EXPECT_EQ(s.event_type, 1300);
  EXPECT_EQ(s.event_payload, text);
  EXPECT_TRUE(out.empty());
  // A control socket takes it for a message (of no request's seq here).
  s = scan(d, 5, 0, out, false);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kIgnored);
  // An ack on an events socket is still a reply.
  Bytes ack;
  message(ack, kError, 3, nlmsgerr(0, 1001, 3));
  s = scan(ack, 3, 0, out, true);
  EXPECT_EQ(s.kind, ReplyStep::Kind::kFinished);
  EXPECT_EQ(s.rc, 0);
}

// AuditSocket::receive's reading (event mode): the same record, an AUDIT_GET
// reply (control traffic, its type kept) and a datagram shorter than a
// header (type 0).
TEST(NetlinkReply, EventDatagramAsReceiveReadsIt) {
  std::string text = "audit(1765000000.123:42): arch=c000003e syscall=59";
  Bytes d = syscall_record_datagram(text);
  auto ev = kernel::read_event_datagram(reinterpret_cast<const char*>(d.data()), d.size());
  EXPECT_TRUE(ev.record);
  EXPECT_EQ(ev.type, 1300);
  EXPECT_EQ(ev.payload, text);
  Bytes get;
  message(get, kGet, 7, Bytes(44, 0));
  ev = kernel::read_event_datagram(reinterpret_cast<const char*>(get.data()), get.size());
  EXPECT_FALSE(ev.record);
  EXPECT_EQ(ev.type, kGet);
  EXPECT_TRUE(ev.payload.empty());
  ev = kernel::read_event_datagram(reinterpret_cast<const char*>(d.data()), 15);
  EXPECT_FALSE(ev.record);
  EXPECT_EQ(ev.type, 0);
}

}  // namespace
