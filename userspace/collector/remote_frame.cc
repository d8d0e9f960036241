#include "remote_frame.h"

#include <libaudit.h>

namespace bpfaudit::collector::remote {

namespace {

void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get32(std::string_view b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
  return v;
}

}  // namespace

std::string pack_frame(std::uint32_t type, std::uint32_t seq, std::string_view text) {
  std::string out;
  out.reserve(kHeaderSize + text.size());
  put32(out, kMagic);
  out.push_back(0);  // header version
  out.push_back(0);  // message version
  put32(out, type);
  auto len = static_cast<std::uint16_t>(text.size());
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>(len >> 8));
  put32(out, seq);
  out.append(text);
  return out;
}

FrameScan scan_frame(std::string_view buf) {
  FrameScan s;
  // The magic is judged on the bytes there are, so that garbage is refused
  // at its first byte rather than after 16.
  constexpr char kMagicBytes[4] = {'\xfe', '\x00', '\x00', '\xff'};
  for (std::size_t i = 0; i < buf.size() && i < 4; ++i)
    if (buf[i] != kMagicBytes[i]) {
      s.status = FrameScan::Status::kBadMagic;
      return s;
    }
  if (buf.size() < kHeaderSize) return s;
  s.header.header_version = static_cast<std::uint8_t>(buf[4]);
  s.header.message_version = static_cast<std::uint8_t>(buf[5]);
  s.header.type = get32(buf, 6);
  s.header.length = static_cast<std::uint16_t>(static_cast<unsigned char>(buf[10]) |
                                               (static_cast<unsigned char>(buf[11]) << 8));
  s.header.seq = get32(buf, 12);
  if (s.header.length > kMaxText) {
    s.status = FrameScan::Status::kTooLong;
    return s;
  }
  std::size_t whole = kHeaderSize + s.header.length;
  if (buf.size() < whole) return s;
  s.status = FrameScan::Status::kFrame;
  s.text = buf.substr(kHeaderSize, s.header.length);
  s.consumed = whole;
  return s;
}

std::string_view message_record(std::string_view text) {
  if (auto nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return text;
}

int received_record_type(std::string_view line) {
  // Stock: a line starting with 'n' has a node= word to skip; then the type
  // word runs to the next space and its name starts after its first '='.
  if (!line.empty() && line.front() == 'n') {
    auto sp = line.find(' ', 1);
    if (sp == std::string_view::npos) return -1;
    line.remove_prefix(sp + 1);
  }
  auto sp = line.find(' ');
  if (sp == std::string_view::npos) return -1;
  auto eq = line.find('=');
  if (eq == std::string_view::npos || eq >= sp) return -1;
  std::string name(line.substr(eq + 1, sp - eq - 1));
  return audit_name_to_msg_type(name.c_str());
}

}  // namespace bpfaudit::collector::remote
