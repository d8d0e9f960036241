// Bytes from the network through the receiver's frame parser
// (collector::remote::scan_frame), fed as the receiver feeds it: the input
// arrives in pieces (sizes taken from the input itself), is appended to a
// buffer, and whole frames are taken from its front until the parser wants
// more or refuses. Checked beyond the sanitizers: a frame's text is exactly
// the length its header says and at most 8970 bytes, re-packing a frame of
// header version 0 gives back the bytes it was read from, the record taken
// from a MESSAGE lies inside its text and holds no NUL, and a refusal or a
// wait never consumes anything.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "remote_frame.h"

namespace remote = bpfaudit::collector::remote;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string buf;
  std::size_t pos = 0;
  while (pos < in.size()) {
    // The piece size: one byte of the input, 1..256 bytes of what follows.
    std::size_t piece = 1 + static_cast<unsigned char>(in[pos++]);
    buf.append(in.substr(pos, piece));
    pos += piece;
    for (;;) {
      auto s = remote::scan_frame(buf);
      using Status = remote::FrameScan::Status;
      if (s.status != Status::kFrame) {
        if (s.consumed != 0) std::abort();
        if (s.status == Status::kNeedMore && buf.size() >= remote::kHeaderSize + remote::kMaxText)
          std::abort();  // a whole longest frame is there: it cannot want more
        if (s.status != Status::kNeedMore) return 0;  // the receiver closes here
        break;
      }
      if (s.text.size() != s.header.length || s.text.size() > remote::kMaxText ||
          s.consumed != remote::kHeaderSize + s.text.size() || s.consumed > buf.size())
        std::abort();
      if (s.header.header_version == 0 && s.header.message_version == 0 &&
          remote::pack_frame(s.header.type, s.header.seq, s.text) != buf.substr(0, s.consumed))
        std::abort();
      std::string_view rec = remote::message_record(s.text);
      if (rec.size() > s.text.size() || rec.find('\0') != std::string_view::npos ||
          s.text.substr(0, rec.size()) != rec)
        std::abort();
      (void)remote::received_record_type(rec);
      buf.erase(0, s.consumed);
    }
  }
  return 0;
}
