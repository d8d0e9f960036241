// The audisp-remote "managed" wire format (audit-userspace 3.0.9, lib/private.h
// and audisp/plugins/remote): every frame is a 16-byte little-endian header,
//   0  u32 magic 0xff0000fe (no byte of it is '\n', so it never looks like a
//      line of the older ascii format)
//   4  u8  header version (0)
//   5  u8  message version (0)
//   6  u32 type
//   10 u16 length of the text that follows
//   12 u32 sequence number (the sender's; replies echo it)
// then `length` bytes of text. A sender sends MESSAGE (one record, no newline)
// or HEARTBEAT; the receiver answers each with ACK, or with DISKLOW /
// DISKFULL / DISKERROR and a short text, and sends ENDING when it shuts down.
//
// Pure functions, no I/O: the receiver and the fuzz target share them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bpfaudit::collector::remote {

constexpr std::size_t kHeaderSize = 16;
constexpr std::uint32_t kMagic = 0xff0000feu;
// Stock's MAX_AUDIT_MESSAGE_LENGTH: the longest text a frame may carry.
constexpr std::size_t kMaxText = 8970;

enum FrameType : std::uint32_t {
  kMessage = 0x00000000,
  kHeartbeat = 0x00000001,
  kAck = 0x40000000,
  kEnding = 0x40000001,
  kDiskLow = 0x50000001,
  kDiskFull = 0x60000001,
  kDiskError = 0x60000002,
};

struct FrameHeader {
  std::uint8_t header_version = 0;
  std::uint8_t message_version = 0;
  std::uint32_t type = 0;
  std::uint16_t length = 0;
  std::uint32_t seq = 0;
};

// A header and its text, ready to send (the header says text.size(), which
// must fit 16 bits).
std::string pack_frame(std::uint32_t type, std::uint32_t seq, std::string_view text = {});

// What the front of a receive buffer holds.
struct FrameScan {
  enum class Status {
    kNeedMore,  // a frame has begun (or nothing is there): wait for more bytes
    kFrame,     // one whole frame: header, text, consumed
    kBadMagic,  // the first four bytes are not the magic: not this protocol
    kTooLong,   // the header announces more than kMaxText bytes
  };
  Status status = Status::kNeedMore;
  FrameHeader header;
  std::string_view text;  // into the scanned buffer
  std::size_t consumed = 0;
};
FrameScan scan_frame(std::string_view buf);

// The record a MESSAGE's text stands for, as stock logs it: up to the first
// NUL, without one trailing newline.
std::string_view message_record(std::string_view text);

// The record type a received line names (`[node=N ]type=NAME ...`), as stock's
// extract_type finds it; -1 when the line is malformed or the name unknown.
int received_record_type(std::string_view line);

}  // namespace bpfaudit::collector::remote
