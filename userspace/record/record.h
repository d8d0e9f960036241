// The audit record model: one line of the standard text log, and the identity
// (sec, msec, serial, node) that groups records into events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfaudit::record {

// Largest record the kernel emits; stock tools read lines in chunks of
// kMaxRecordLength - 1 bytes (fgets), which decides how over-long lines split.
inline constexpr std::size_t kMaxRecordLength = 8970;
inline constexpr char kInterpSeparator = '\x1d';  // enriched logs: raw part, 0x1d, interpreted part
inline constexpr char kKeySeparator = '\x01';     // several keys in one key= value

struct EventId {
  std::uint64_t sec = 0;
  std::uint32_t msec = 0;
  std::uint64_t serial = 0;
  std::optional<std::string> node;

  bool operator==(const EventId&) const = default;
};

// Orders by time and serial only, as stock does; node never orders events.
int compare_time(const EventId& a, const EventId& b);

struct RecordHeader {
  EventId id;
  int type = -1;  // message type number, -1 when the name is unknown
};

enum class HeaderError { kNone, kNotARecord, kBadTimestamp };

// Reads `node= type= msg=audit(SEC.MSEC:SERIAL):` the way stock ausearch 3.0.9
// does, quirks included, so that grouping and "bad line" decisions agree.
// `line` may include the trailing newline. On kBadTimestamp, `bad_stamp`
// receives the text stock quotes in its error message.
std::optional<RecordHeader> parse_header(std::string_view line, HeaderError* error = nullptr,
                                         std::string* bad_stamp = nullptr,
                                         std::uint64_t max_sec = ~0ull);

// The identity a writer stamps on each record of an event: EventId as the
// writer holds it, the node name borrowed rather than owned.
struct Stamp {
  std::uint64_t sec = 0;
  std::uint32_t msec = 0;
  std::uint64_t serial = 0;
  std::string_view node;  // empty: no node= prefix

  // The stamp of an event at `wall_ns` nanoseconds since the epoch.
  static Stamp at_wall_ns(std::uint64_t wall_ns, std::uint64_t serial, std::string_view node) {
    return {wall_ns / 1'000'000'000, static_cast<std::uint32_t>(wall_ns / 1'000'000 % 1000), serial,
            node};
  }
};

// CLOCK_REALTIME - CLOCK_BOOTTIME now: added to a BPF program's boot-time
// stamp (bpf_ktime_get_boot_ns), it gives wall-clock time.
std::int64_t boot_to_wall_offset();

// The writers of what parse_header reads. append_stamp appends
// `audit(SEC.MSEC:SERIAL): `, msec as three digits: the start of every
// record's msg= value (a daemon record's whole payload starts with it).
void append_stamp(std::string& out, const Stamp& s);
// `node=NODE type=TYPE msg=audit(SEC.MSEC:SERIAL): ` (without node= when the
// stamp has no node): a log line up to its body.
void append_header(std::string& out, std::string_view type, const Stamp& s);

// A stamp's `audit(SEC.MSEC:SERIAL): ` formatted once, for the several
// records of one event (autrace writes two to a dozen per syscall). Formatting
// it per record was the reader's largest cost: 25% of its time decoding and
// formatting a traced dd's events (tests/bench/reader_rate, perf, 2026-12-07).
class StampText {
 public:
  StampText() = default;
  explicit StampText(const Stamp& s) { assign(s); }
  // Formats `s`; only its serial when its second and millisecond are the
  // ones formatted last (a traced dd's events share a millisecond by the
  // thousand).
  void assign(const Stamp& s);
  std::string_view text() const { return {buf_, len_}; }
  std::string_view node() const { return node_; }

 private:
  // "audit(" + 20 digits + ".mmm:" + 20 digits + "): "
  char buf_[56];
  std::size_t len_ = 0;
  std::size_t serial_at_ = 0;  // where the serial starts; 0: nothing formatted
  std::uint64_t sec_ = 0;
  std::uint32_t msec_ = 0;
  std::string_view node_;
};
void append_header(std::string& out, std::string_view type, const StampText& s);
// The same header written at `p`, which has room for header_size(type, s)
// bytes; returns its end. For a writer that builds a line in one piece.
std::size_t header_size(std::string_view type, const StampText& s);
char* write_header(char* p, std::string_view type, const StampText& s);

// One record as read from a log: the text without its newline, split into the
// raw part and, for enriched logs, the interpreted part after 0x1d.
struct Record {
  int type = -1;
  std::string text;
  std::size_t raw_length = 0;  // bytes of text before the separator (all of it when raw)
  bool enriched = false;

  std::string_view raw() const { return std::string_view(text).substr(0, raw_length); }
  std::string_view interpreted() const {
    return enriched ? std::string_view(text).substr(raw_length + 1) : std::string_view();
  }
};

// A record's text as stock stores it, still pointing into the line it came
// from: what the event assembler copies once into its own storage.
struct RecordView {
  int type = -1;
  std::string_view text;
  std::size_t raw_length = 0;
  bool enriched = false;
};

// The record in a line (with or without newline) the way stock stores it.
RecordView view_record(std::string_view line, int type);
// The same, owning its text.
Record make_record(std::string_view line, int type);

// A field of a record body as written by the kernel or a user-space tool.
struct Field {
  std::string_view name;
  std::string_view value;  // as written: quotes kept, hex undecoded
};

// Splits a record's raw part into name=value fields, descending into a
// user message's msg='...' block, word by word at spaces as libauparse
// does (tests/fuzz/auparse_diff_fuzz.cc compares the two). The header
// fields (a leading node=, then type=, and msg=audit(...) words) are not
// returned.
std::vector<Field> split_fields(std::string_view raw);

// Decodes a value as the kernel encodes untrusted strings: "quoted" text,
// upper- or lower-case hex, or (null)/bare words as they are.
std::string decode_value(std::string_view value);

// Encodes an untrusted string as the kernel does: double-quoted when every
// byte is printable and not '"', upper-case hex otherwise.
std::string encode_untrusted(std::string_view value);

// Message type names through libaudit (UNKNOWN[NNNN] for numbers it lacks).
std::string type_name(int type);

// One log line, `type=NAME msg=PAYLOAD`, as stock auditd writes a record it
// received: `node=NAME ` in front when a node name is set, the payload ends
// at a NUL, newlines become spaces and one trailing space is dropped. The
// daemon and `bpfaudit capture` both write their lines with it.
std::string format_log_line(int type, std::string_view payload,
                            const std::optional<std::string>& node = std::nullopt);
int type_number(std::string_view name);
// strtoul(p, nullptr, base) and whether it set no range error; decimal input
// takes a faster path with the same result.
bool read_ulong(const char* p, int base, unsigned long& out);

}  // namespace bpfaudit::record
