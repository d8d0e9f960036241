// The record model's readers and writers: parse_header, view_record,
// split_fields and decode_value on an arbitrary line, and round trips where
// the writer's output is defined:
//   parse_header(append_header(stamp, type)) gives back the stamp and type;
//   decode_value(encode_untrusted(s)) == s;
//   format_log_line never writes more than one line.
//
// Input: byte 0 chooses what to do with the rest; bytes 1.. are a line, or
// the fields of a stamp.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_util.h"
#include "record.h"

using namespace bpfaudit;

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "%s: [%.*s]\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void read_line(std::string_view line, std::uint64_t max_sec) {
  record::HeaderError err;
  std::string bad;
  auto h = record::parse_header(line, &err, &bad, max_sec);
  if (h && err != record::HeaderError::kNone) fail("header with an error", line);
  if (h && h->id.sec > max_sec) fail("seconds past max_sec", line);
  if (h && h->id.msec > 999) fail("msec over 999", line);
  auto v = record::view_record(line, h ? h->type : -1);
  if (v.raw_length > v.text.size()) fail("raw part longer than the text", line);
  auto r = record::make_record(line, v.type);
  (void)r.interpreted();
  for (const auto& f : record::split_fields(r.raw())) {
    if (f.name.data() < r.raw().data() || f.value.data() + f.value.size() > r.raw().data() + r.raw().size())
      fail("field outside its record", line);
    (void)record::decode_value(f.value);
  }
}

void round_trip(fuzz::Bytes& in) {
  // Stamps as writers make them: ten-digit seconds (to 2286) and serials
  // of at most ten digits (the kernel's are 32-bit). Stock reads only the
  // first 80 bytes of a line without node=, which absurd values overrun.
  record::Stamp s;
  s.sec = in.u64() % 10'000'000'000ull;
  s.msec = in.byte() * 4u % 1000;
  s.serial = in.u64() % 10'000'000'000ull;
  int type = 1000 + static_cast<int>(in.u32() % 2000);
  // A node name as a host name can be: no blanks, no control bytes.
  std::string node;
  std::size_t node_len = in.byte() % 65;
  for (std::size_t i = 0; i < node_len && in.left(); ++i) {
    char c = static_cast<char>(in.byte());
    if (c > ' ' && c < 0x7f) node.push_back(c);
  }
  s.node = node;
  std::string line;
  std::string type_text = record::type_name(type);
  record::append_header(line, type_text, s);
  line += "pid=1 uid=0";
  auto h = record::parse_header(line);
  if (!h) fail("written header not read", line);
  if (h->id.sec != s.sec || h->id.msec != s.msec || h->id.serial != s.serial)
    fail("stamp changed", line);
  if (h->id.node.value_or("") != node) fail("node changed", line);
  if (h->type != type) fail("type changed", line);

  // Untrusted strings: encoded, decoded back.
  std::string value(in.rest());
  if (record::decode_value(record::encode_untrusted(value)) != value)
    fail("untrusted value changed", value);
  // The daemon's line formatter keeps a record on one line, whatever the payload.
  std::string out = record::format_log_line(type, value, node.empty() ? std::nullopt
                                                                      : std::optional(node));
  if (out.find('\n') != std::string::npos) fail("log line with a newline", out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  std::uint8_t sel = in.byte();
  if (sel & 1) {
    round_trip(in);
    return 0;
  }
  std::uint64_t max_sec = sel & 2 ? ~0ull : 4102444800ull;  // 2100-01-01
  std::string_view text = in.rest();
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    read_line(text.substr(pos, end - pos), max_sec);
    if (nl == std::string_view::npos) break;
    pos = end;
  }
  return 0;
}
