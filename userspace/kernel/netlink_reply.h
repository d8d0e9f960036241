// What the kernel's NETLINK_AUDIT replies say, read from the bytes of one
// received datagram: no socket here, so the parsing is unit-tested with
// hand-built datagrams and fuzzed (tests/fuzz/netlink_reply_fuzz.cc).
// AuditSocket::collect calls scan_reply on each datagram it receives;
// NetlinkControl decodes the payloads it collected with decode_status,
// decode_features and check_listed_rule.
#pragma once

#include <linux/audit.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "result.h"

namespace bpfaudit::kernel {

// A message answering a request: its type and payload (nlmsg_len past the
// header).
using Reply = std::pair<std::uint16_t, std::vector<std::uint8_t>>;

// Message types that are replies or control traffic, never log records.
bool is_control(int type);

// The text of an event datagram. The kernel sends one record per datagram, and
// the nlmsg_len of records unicast to the audit daemon leaves out the header
// (multicast copies have it fixed up), so the datagram's size is what counts;
// the text ends at its first NUL. n must be at least NLMSG_HDRLEN.
std::string_view event_payload(const char* dgram, std::size_t n);

// One datagram as an event-mode socket reads it (AuditSocket::receive, and
// scan_reply with `events`): a log record when it holds a header whose type
// is no control type, with that type and its event_payload; otherwise not a
// record (type 0 when shorter than a header).
struct EventDatagram {
  bool record = false;
  int type = 0;
  std::string_view payload;
};
EventDatagram read_event_datagram(const char* dgram, std::size_t n);

// One netlink message of a datagram.
struct NetlinkMessage {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint32_t seq = 0;
  std::size_t offset = 0;  // of its header in the datagram
  std::size_t length = 0;  // nlmsg_len: header and payload
};

// The messages of a datagram, walked as NLMSG_OK/NLMSG_NEXT walk them: each
// starts NLMSG_ALIGN(nlmsg_len) after the one before; the walk ends at the
// end of the datagram or at a header that does not fit, or whose nlmsg_len
// is below the header's size or past the datagram's end (`rest` > 0 then:
// the bytes left unwalked).
struct DatagramWalk {
  std::vector<NetlinkMessage> messages;
  std::size_t rest = 0;
};
DatagramWalk walk_datagram(const std::uint8_t* dgram, std::size_t n);

// What one datagram says to the caller waiting for the answer to request
// `seq` (AuditSocket::collect).
struct ReplyStep {
  enum class Kind {
    kIgnored,   // shorter than a header, or nothing in it finished the wait
    kEvent,     // events mode and a log record: event_type, event_payload
    kFinished,  // the wait is over: rc
  } kind = Kind::kIgnored;
  // kFinished: 0 for NLMSG_DONE, for the first message of stop_type and for
  // an ack; the ack's value (positive: what the kernel handler returned);
  // -errno of an error reply; -EBADMSG for an NLMSG_ERROR too short to hold
  // its struct nlmsgerr.
  int rc = 0;
  // A message carried seq: the caller's wait starts again.
  bool answered = false;
  int event_type = 0;
  std::string_view event_payload;
};
// Messages of other sequence numbers are skipped. The payloads of the
// messages answering seq that are not NLMSG_DONE or NLMSG_ERROR are appended
// to `out`, up to the one that ends the wait. With stop_type (not 0) an ack
// does not end the wait (a query's answer may come after its ack, from
// another context); the first message of stop_type does. `events`: the
// socket also receives log records (event mode), which the first message's
// type tells apart from replies.
ReplyStep scan_reply(const std::uint8_t* dgram, std::size_t n, int seq, std::uint16_t stop_type,
                     bool events, std::vector<Reply>& out);

// The kernel's status (AUDIT_GET's payload). Kernels send their own
// sizeof(struct audit_status): 32 bytes on the oldest (mask..backlog), 36
// with feature_bitmap, 40 with backlog_wait_time, 44 since 5.9
// (backlog_wait_time_actual). Fields the reply does not reach stay 0; bytes
// past ours are not read.
struct Status {
  audit_status status{};
  // Payload length the kernel sent: stock prints backlog_wait_time_actual
  // only when the whole struct came back.
  std::size_t length = 0;
};
// The oldest status: mask through backlog, eight __u32.
inline constexpr std::size_t kMinStatusBytes = 8 * sizeof(std::uint32_t);
// -EBADMSG below kMinStatusBytes.
base::Result<Status> decode_status(const std::vector<std::uint8_t>& payload);

// AUDIT_GET_FEATURE's payload: struct audit_features, the same 16 bytes on
// every kernel that has the message. -EBADMSG when shorter.
base::Result<audit_features> decode_features(const std::vector<std::uint8_t>& payload);

// Fields whose value is the length of a string in the rule's buffer, as the
// kernel's audit_krule_to_data packs them: the LSM subject/object fields
// (AUDIT_SUBJ_USER..AUDIT_OBJ_LEV_HIGH, except AUDIT_PPID), AUDIT_WATCH,
// AUDIT_DIR, AUDIT_FILTERKEY, AUDIT_EXE. `field` without operator bits.
bool is_string_field(std::uint32_t field);

// struct audit_rule_data without its flexible buf[], which cannot be a
// member of ListedRule.
struct RuleHead {
  std::uint32_t flags, action, field_count;
  std::uint32_t mask[AUDIT_BITMASK_SIZE];
  std::uint32_t fields[AUDIT_MAX_FIELDS], values[AUDIT_MAX_FIELDS], fieldflags[AUDIT_MAX_FIELDS];
  std::uint32_t buflen;
};
static_assert(sizeof(RuleHead) == sizeof(audit_rule_data) &&
              offsetof(RuleHead, buflen) == offsetof(audit_rule_data, buflen));

// One rule of an AUDIT_LIST_RULES reply, read: the fixed part and, in field
// order, the strings of its string fields (pointing into the payload).
struct ListedRule {
  RuleHead head{};
  std::vector<std::string_view> strings;
};
// The kernel sends struct audit_rule_data then exactly buflen bytes: the
// strings of its string fields back to back, each as long as that field's
// value says. -EBADMSG for anything else (short, field_count above
// AUDIT_MAX_FIELDS, buflen not what follows, string lengths not adding up
// to buflen), which the printer and key matcher could not read safely.
base::Result<ListedRule> check_listed_rule(const std::vector<std::uint8_t>& payload);
// The bytes of a rule as the kernel would send it: the inverse of
// check_listed_rule.
std::vector<std::uint8_t> pack_listed_rule(const ListedRule& rule);

}  // namespace bpfaudit::kernel
