#include "record.h"

#include <libaudit.h>
#include <time.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace bpfaudit::record {

int compare_time(const EventId& a, const EventId& b) {
  if (a.sec != b.sec) return a.sec > b.sec ? 1 : -1;
  if (a.msec != b.msec) return a.msec > b.msec ? 1 : -1;
  if (a.serial != b.serial) return a.serial > b.serial ? 1 : -1;
  return 0;
}

namespace {

// Space tokenizer with stock's semantics: runs of spaces are skipped, each
// token is NUL-terminated in place, and the last token runs to the end.
class SpaceSplitter {
 public:
  explicit SpaceSplitter(char* s) : cur_(s) {}
  char* next() {
    if (cur_ == nullptr) return nullptr;
    if (!first_) ++cur_;
    first_ = false;
    for (;;) {
      char* sp = std::strchr(cur_, ' ');
      if (sp == nullptr) {
        char* tok = cur_;
        cur_ = nullptr;
        return *tok ? tok : nullptr;
      }
      if (sp == cur_) {
        ++cur_;
        continue;
      }
      char* tok = cur_;
      *sp = 0;
      cur_ = sp;
      return tok;
    }
  }

 private:
  char* cur_;
  bool first_ = true;
};

bool parse_stamp(const char* s, EventId* id, std::uint64_t max_sec) {
  unsigned long sec;
  if (!read_ulong(s, 10, sec) || sec > max_sec) return false;
  id->sec = sec;
  const char* p = std::strchr(s, '.');
  if (p) {
    ++p;
    unsigned long ms;
    if (!read_ulong(p, 10, ms) || ms > 999) return false;
    id->msec = static_cast<std::uint32_t>(ms);
    s = p;
  } else {
    id->msec = 0;
  }
  p = std::strchr(s, ':');
  if (p) {
    ++p;
    unsigned long serial;
    if (!read_ulong(p, 10, serial)) return false;
    id->serial = serial;
  } else {
    id->serial = 0;
  }
  return true;
}

}  // namespace

void StampText::assign(const Stamp& s) {
  node_ = s.node;
  unsigned ms = s.msec % 1000;
  if (serial_at_ == 0 || s.sec != sec_ || ms != msec_) {
    char* p = buf_;
    std::memcpy(p, "audit(", 6);
    p += 6;
    p = std::to_chars(p, p + 20, s.sec).ptr;
    p[0] = '.';
    p[1] = static_cast<char>('0' + ms / 100);
    p[2] = static_cast<char>('0' + ms / 10 % 10);
    p[3] = static_cast<char>('0' + ms % 10);
    p[4] = ':';
    p += 5;
    serial_at_ = static_cast<std::size_t>(p - buf_);
    sec_ = s.sec;
    msec_ = ms;
  }
  char* p = std::to_chars(buf_ + serial_at_, buf_ + serial_at_ + 20, s.serial).ptr;
  std::memcpy(p, "): ", 3);
  len_ = static_cast<std::size_t>(p + 3 - buf_);
}

void append_stamp(std::string& out, const Stamp& s) { out.append(StampText(s).text()); }

std::size_t header_size(std::string_view type, const StampText& s) {
  return (s.node().empty() ? 0 : 6 + s.node().size()) + 5 + type.size() + 5 + s.text().size();
}

char* write_header(char* p, std::string_view type, const StampText& s) {
  auto put = [&p](std::string_view v) {
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  };
  if (!s.node().empty()) {
    put("node=");
    put(s.node());
    *p++ = ' ';
  }
  put("type=");
  put(type);
  put(" msg=");
  put(s.text());
  return p;
}

void append_header(std::string& out, std::string_view type, const StampText& s) {
  // One append of the whole header (piecewise and iterator appends cost
  // more than the copy); a long node name or type through a heap buffer.
  char buf[160];
  const std::size_t n = header_size(type, s);
  if (n <= sizeof buf) {
    out.append(buf, static_cast<std::size_t>(write_header(buf, type, s) - buf));
    return;
  }
  std::string big(n, '\0');
  write_header(big.data(), type, s);
  out.append(big);
}

void append_header(std::string& out, std::string_view type, const Stamp& s) {
  append_header(out, type, StampText(s));
}

std::optional<RecordHeader> parse_header(std::string_view line, HeaderError* error,
                                         std::string* bad_stamp, std::uint64_t max_sec) {
  if (error) *error = HeaderError::kNotARecord;
  // Stock looks at no more than this prefix of a line; a node name longer
  // than that leaves no timestamp to find.
  std::size_t limit = (!line.empty() && line[0] == 'n') ? 340 : 80;
  // Text after an embedded NUL is invisible to stock's string handling.
  std::string_view visible = line.substr(0, std::min(line.find('\0'), line.size()));
  char buf[342];
  std::size_t len = std::min(visible.size(), limit);
  std::memcpy(buf, visible.data(), len);
  std::memset(buf + len, 0, sizeof(buf) - len);  // reads past a short token land on NULs

  SpaceSplitter split(buf);
  char* tok = split.next();
  if (tok == nullptr) return std::nullopt;
  const char* node = nullptr;
  if (*tok == 'n') {
    node = tok + 5;
    tok = split.next();
  }
  const char* type_text = tok ? tok + 5 : nullptr;
  char* msg = split.next();
  if (msg == nullptr || strnlen(msg, 20) <= 18) return std::nullopt;
  char* paren = msg[9] == '(' ? msg + 9 : std::strchr(msg, '(');
  if (paren == nullptr) return std::nullopt;
  char* stamp = paren + 1;
  if (char* close = std::strchr(stamp, ')')) *close = 0;

  RecordHeader h;
  if (!parse_stamp(stamp, &h.id, max_sec)) {
    if (error) *error = HeaderError::kBadTimestamp;
    if (bad_stamp) *bad_stamp = stamp;
    return std::nullopt;
  }
  if (node) h.id.node = std::string(node);
  h.type = type_text ? type_number(type_text) : audit_name_to_msg_type(type_text);
  if (error) *error = HeaderError::kNone;
  return h;
}

RecordView view_record(std::string_view line, int type) {
  RecordView r;
  r.type = type;
  // Stock copies with strdup: nothing after an embedded NUL survives.
  line = line.substr(0, std::min(line.find('\0'), line.size()));
  std::size_t sep = line.find(kInterpSeparator);
  if (sep != std::string_view::npos) {
    std::size_t nl = line.rfind('\n');
    if (nl != std::string_view::npos && nl > sep) line = line.substr(0, nl);
    r.enriched = true;
    r.raw_length = std::min(sep, kMaxRecordLength);
  } else {
    std::size_t nl = line.rfind('\n');
    if (nl != std::string_view::npos) line = line.substr(0, nl);
    r.raw_length = std::min(line.size(), kMaxRecordLength);
  }
  r.text = line;
  return r;
}

Record make_record(std::string_view line, int type) {
  RecordView v = view_record(line, type);
  Record r;
  r.type = v.type;
  r.text.assign(v.text);
  r.raw_length = v.raw_length;
  r.enriched = v.enriched;
  return r;
}

std::vector<Field> split_fields(std::string_view raw) {
  std::vector<Field> out;
  std::size_t i = 0;
  // Only spaces part words: a quote opening a word (`'exe=...`) is part of
  // its name, as in libauparse; a user message's msg=' is handled below.
  auto skip_spaces = [&] {
    while (i < raw.size() && raw[i] == ' ') ++i;
  };
  // Where the rest of a word begins after its `msg='` was cut: that rest is
  // one name=value, read as it is. libauparse cuts `msg='` once per word
  // (ellist.c parse_up_record), so `msg='msg='op=login` is the field msg
  // with the value `'op=login`, and `msg='msg=audit(...):` a field msg,
  // not a stamp word (auparse_diff found both).
  std::size_t user_rest = std::string_view::npos;
  while (true) {
    skip_spaces();
    if (i >= raw.size()) break;
    const bool word_start = i != user_rest;
    std::size_t eq = raw.find('=', i);
    std::size_t sp = raw.find(' ', i);
    if (eq == std::string_view::npos || (sp != std::string_view::npos && sp < eq)) {
      // A word without '=' (free text in older user messages): skip it.
      i = sp == std::string_view::npos ? raw.size() : sp;
      continue;
    }
    std::string_view name = raw.substr(i, eq - i);
    std::size_t v = eq + 1;
    std::size_t end;
    if (word_start && name == "msg" && v < raw.size() && raw[v] == 'a') {
      // A stamp word (msg=audit(...):) is no field wherever it is, as in
      // libauparse: two records run together on one line (a log written
      // without its newline) hold a second one.
      i = sp == std::string_view::npos ? raw.size() : sp;
      continue;
    }
    if (word_start && name == "msg" && v < raw.size() && raw[v] == '\'') {
      // A user message: its fields follow inside the quotes.
      i = v + 1;
      user_rest = i;
      continue;
    }
    // A value is the rest of its word, quoted or not, as libauparse splits
    // words at every space: text glued after a closing quote (`cwd="/x"p=0`)
    // is part of it, an unclosed quote (`type="=AVC msg=...`) does not run
    // on over the line, and a quoted value with a space (never written: the
    // kernel and libaudit hex-encode any byte below 0x21) ends at the space.
    end = v;
    while (end < raw.size() && raw[end] != ' ') ++end;
    // The closing quote of msg='...' belongs to no value.
    if (end > v && raw[end - 1] == '\'' && end == raw.size()) --end;
    // An empty value (`type= msg=...`, never the kernel's) is no field, as
    // in libauparse: it must not take the place of the header's type=.
    if (end > v) out.push_back({name, raw.substr(v, end - v)});
    i = end;
    if (i < raw.size() && raw[i] == '\'') ++i;
  }
  // The header's fields are no record fields: node= when it is the first
  // field, then type= when it is the next, as libauparse finds them; the
  // stamp word was skipped above wherever it was. Word by word, so that a
  // stamp the writer left unclosed (`msg=audit(1.0:81 cwd="/x"`) keeps the
  // fields after it, which skipping to the first "):" lost (auparse_diff).
  // libauparse drops a name's leading '(' before it looks for them, so
  // `(type=SYSCALL` is the header's type too (auparse_diff found it as a
  // first field of ours); the fields ours returns keep their names as
  // written.
  auto named = [&](std::size_t k, std::string_view want) {
    std::string_view n = out[k].name;
    if (!n.empty() && n[0] == '(') n.remove_prefix(1);
    return n == want;
  };
  std::size_t header = 0;
  if (header < out.size() && named(header, "node")) ++header;
  if (header < out.size() && named(header, "type")) ++header;
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(header));
  return out;
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::string decode_value(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    return std::string(value.substr(1, value.size() - 2));
  if (value.empty() || value.size() % 2) return std::string(value);
  std::string out;
  out.reserve(value.size() / 2);
  for (std::size_t i = 0; i < value.size(); i += 2) {
    int hi = hex_digit(value[i]), lo = hex_digit(value[i + 1]);
    if (hi < 0 || lo < 0) return std::string(value);
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

std::string encode_untrusted(std::string_view value) {
  bool needs_hex = false;
  for (unsigned char c : value)
    if (c == '"' || c < 0x21 || c > 0x7e) {
      needs_hex = true;
      break;
    }
  if (!needs_hex) return "\"" + std::string(value) + "\"";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 2);
  for (unsigned char c : value) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string type_name(int type) {
  if (const char* n = audit_msg_type_to_name(type)) return n;
  return "UNKNOWN[" + std::to_string(type) + "]";
}

int type_number(std::string_view name) {
  // libaudit's lookup walks its name table on every call; a log uses a
  // handful of types, so the last few answers are kept.
  struct Entry {
    char name[32];
    std::uint8_t length = 0;
    int type = 0;
  };
  static thread_local std::array<Entry, 16> cache;
  static thread_local std::size_t next = 0;
  if (name.size() < sizeof(Entry::name)) {
    for (const Entry& e : cache)
      if (e.length == name.size() && e.length && std::memcmp(e.name, name.data(), e.length) == 0)
        return e.type;
  }
  char buf[sizeof(Entry::name)];
  std::string long_name;
  const char* c_name = buf;
  if (name.size() < sizeof(buf)) {
    std::memcpy(buf, name.data(), name.size());
    buf[name.size()] = 0;
  } else {
    long_name.assign(name);
    c_name = long_name.c_str();
  }
  int type = audit_name_to_msg_type(c_name);
  if (name.size() < sizeof(Entry::name) && !name.empty()) {
    Entry& e = cache[next++ % cache.size()];
    std::memcpy(e.name, name.data(), name.size());
    e.length = static_cast<std::uint8_t>(name.size());
    e.type = type;
  }
  return type;
}

bool read_ulong(const char* p, int base, unsigned long& out) {
  // Plain decimal or hex digits (no sign, space or 0x) are what audit logs
  // hold where speed matters; anything else, and overflow, take strtoul's own
  // path so that odd input keeps stock's value and range error.
  auto digit = [base](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (base == 16 && ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (base == 16 && ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  // A "0x" prefix is strtoul's to interpret.
  bool plain = (base == 10 || base == 16) && digit(*p) >= 0 &&
               !(base == 16 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'));
  if (plain) {
    unsigned long v = 0;
    const unsigned long b = static_cast<unsigned long>(base);
    const char* q = p;
    for (int d; (d = digit(*q)) >= 0; ++q) {
      if (v > (ULONG_MAX - static_cast<unsigned long>(d)) / b) break;
      v = v * b + static_cast<unsigned long>(d);
    }
    if (digit(*q) < 0) {
      out = v;
      return true;
    }
  }
  errno = 0;
  out = std::strtoul(p, nullptr, base);
  return errno == 0;
}

std::string format_log_line(int type, std::string_view payload,
                            const std::optional<std::string>& node) {
  if (auto z = payload.find('\0'); z != std::string_view::npos) payload = payload.substr(0, z);
  std::string out;
  out.reserve(payload.size() + 48);
  if (node) {
    out += "node=";
    out += *node;
    out += ' ';
  }
  out += "type=";
  out += type_name(type);
  out += " msg=";
  out.append(payload);
  // With a node name stock formats a trailing newline too, which then becomes
  // the space that is dropped.
  if (node) out.push_back('\n');
  for (char& c : out)
    if (c == '\n') c = ' ';
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::int64_t boot_to_wall_offset() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return (static_cast<std::int64_t>(real.tv_sec) - boot.tv_sec) * 1'000'000'000 +
         (real.tv_nsec - boot.tv_nsec);
}

}  // namespace bpfaudit::record
