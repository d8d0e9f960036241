#include "interpret.h"

#include <auparse.h>
#include <libaudit.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

#include "uring_ops.h"

// libauparse exports the interpretation entry points stock ausearch calls,
// but its installed headers do not declare them. The declarations and the
// idata layout below follow auparse/auparse-idata.h of audit-userspace 3.0.9
// (the version CMake pins); ausearch 3.0.9 itself links to these symbols.
extern "C" {
struct AuparseIdata {
  unsigned int machine;
  int syscall;
  unsigned long long a0;
  unsigned long long a1;
  const char* cwd;
  const char* name;
  const char* val;
};
int auparse_interp_adjust_type(int rtype, const char* name, const char* val);
char* auparse_do_interpretation(int type, const AuparseIdata* id, auparse_esc_t escape_mode);
void _auparse_load_interpretations(const char* buf);
void _auparse_free_interpretations(void);
}

namespace bpfaudit::record {

namespace {

void appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& out, const char* fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<std::size_t>(n) < sizeof(small)) {
    out.append(small, n);
    return;
  }
  std::size_t old = out.size();
  out.resize(old + n + 1);
  va_start(ap, fmt);
  std::vsnprintf(out.data() + old, n + 1, fmt, ap);
  va_end(ap);
  out.resize(old + n);
}

// auparse_do_interpretation as a string ("(null)" where it gives none, as
// stock prints it). libauparse 3.0.9's key_escape leaves its output
// unterminated when a key= value of several keys ends with the separator
// and one key needs escaping (strlen then reads past the buffer; found by
// fuzz_search, in -i and again in the csv and text formats). Such a value
// goes through without its trailing separators, put back after.
std::string checked_interpretation(int type, AuparseIdata id, auparse_esc_t mode) {
  std::string trailing, hex;
  if (type == AUPARSE_TYPE_ESCAPED_KEY && mode != AUPARSE_ESC_RAW &&
      (std::strstr(id.val, "01") || std::strchr(id.val, kKeySeparator))) {
    char* raw = auparse_do_interpretation(type, &id, AUPARSE_ESC_RAW);
    std::string_view keys = raw ? raw : "";
    if (keys.find(kKeySeparator) != std::string_view::npos && keys.back() == kKeySeparator) {
      while (!keys.empty() && keys.back() == kKeySeparator) {
        trailing.push_back(kKeySeparator);
        keys.remove_suffix(1);
      }
      static constexpr char kHex[] = "0123456789ABCDEF";
      for (unsigned char c : keys) {
        hex.push_back(kHex[c >> 4]);
        hex.push_back(kHex[c & 15]);
      }
      id.val = hex.c_str();
    }
    std::free(raw);
  }
  char* out = auparse_do_interpretation(type, &id, mode);
  std::string result = out ? out : "(null)";
  std::free(out);
  return result + trailing;
}

// printf("%s", NULL) prints "(null)" with glibc; stock relies on it.
void append_cstr(std::string& out, const char* s) { out.append(s ? s : "(null)"); }

// ausearch's own escaping of unparsed text (src/ausearch-lookup.c
// safe_print_string): control bytes become \ooo; shell modes also escape
// their special characters with a backslash.
constexpr char kShellSet[] = "\"'`$\\!()| ";
constexpr char kShellQuoteSet[] = "\"'`$\\!()| ;#&*?[]<>{}";

void append_escaped_line(std::string& out, const char* s, EscapeMode mode) {
  std::size_t len = std::strlen(s);
  if (len > kMaxRecordLength) len = kMaxRecordLength;
  const char* set = mode == EscapeMode::kShell        ? kShellSet
                    : mode == EscapeMode::kShellQuote ? kShellQuoteSet
                                                      : nullptr;
  bool need = false;
  if (mode != EscapeMode::kRaw) {
    for (std::size_t i = 0; i < len && !need; ++i) {
      // Stock tests with a plain (signed) char in the shell modes, so bytes
      // >= 0x80 count as needing escaping there but are then written as is.
      signed char c = static_cast<signed char>(s[i]);
      if (set ? (c < 32 || std::strchr(set, c)) : static_cast<unsigned char>(c) < 32) need = true;
    }
  }
  if (!need) {
    out.append(s);  // puts: the whole string, not the clamped length
    out.push_back('\n');
    return;
  }
  for (std::size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 32) {
      append_octal_escape(out, c);
    } else if (set && std::strchr(set, static_cast<char>(c))) {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('\n');
}

bool value_cacheable(int type) {
  switch (type) {
    case AUPARSE_TYPE_UID:
    case AUPARSE_TYPE_GID:
    case AUPARSE_TYPE_ARCH:
    case AUPARSE_TYPE_EXIT:
    case AUPARSE_TYPE_PERM:
    case AUPARSE_TYPE_MODE:
    case AUPARSE_TYPE_MODE_SHORT:
    case AUPARSE_TYPE_FLAGS:
    case AUPARSE_TYPE_PROMISC:
    case AUPARSE_TYPE_CAPABILITY:
    case AUPARSE_TYPE_SUCCESS:
    case AUPARSE_TYPE_SIGNAL:
    case AUPARSE_TYPE_LIST:
    case AUPARSE_TYPE_SESSION:
    case AUPARSE_TYPE_CAP_BITMAP:
    case AUPARSE_TYPE_NFPROTO:
    case AUPARSE_TYPE_ICMPTYPE:
    case AUPARSE_TYPE_PROTOCOL:
    case AUPARSE_TYPE_PERSONALITY:
    case AUPARSE_TYPE_SECCOMP:
    case AUPARSE_TYPE_OFLAG:
    case AUPARSE_TYPE_MMAP:
    case AUPARSE_TYPE_HOOK:
    case AUPARSE_TYPE_NETACTION:
    case AUPARSE_TYPE_MACPROTO:
    case AUPARSE_TYPE_IOCTL_REQ:
    case AUPARSE_TYPE_FANOTIFY:
    case AUPARSE_TYPE_NLMCGRP:
    case AUPARSE_TYPE_RESOLVE:
      return true;
    default:
      return false;
  }
}

// ausearch reads a0 and a1 of a SYSCALL record as hex, looking for them
// after the syscall= (and exit=) fields (src/ausearch-parse.c).
void syscall_args(const std::string_view msg, std::uint64_t* a0, std::uint64_t* a1) {
  *a0 = 0;
  *a1 = 0;
  std::size_t from = msg.find("syscall=");
  if (from == std::string_view::npos) return;
  std::size_t p0 = msg.find("a0=", from);
  if (p0 == std::string_view::npos) return;
  std::string tmp(msg.substr(p0 + 3, 24));
  *a0 = std::strtoull(tmp.c_str(), nullptr, 16);
  std::size_t p1 = msg.find("a1=", p0);
  if (p1 == std::string_view::npos) return;
  tmp.assign(msg.substr(p1 + 3, 24));
  *a1 = std::strtoull(tmp.c_str(), nullptr, 16);
}

}  // namespace

std::optional<EscapeMode> parse_escape_mode(std::string_view word) {
  if (word == "raw") return EscapeMode::kRaw;
  if (word == "tty") return EscapeMode::kTty;
  if (word == "shell") return EscapeMode::kShell;
  if (word == "shell_quote") return EscapeMode::kShellQuote;
  return std::nullopt;
}

void append_octal_escape(std::string& out, unsigned char c) {
  out.push_back('\\');
  out.push_back(static_cast<char>('0' + ((c & 0300) >> 6)));
  out.push_back(static_cast<char>('0' + ((c & 0070) >> 3)));
  out.push_back(static_cast<char>('0' + (c & 0007)));
}

std::string escape_controls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 32)
      append_octal_escape(out, c);
    else
      out.push_back(static_cast<char>(c));
  }
  return out;
}

struct Interpreter::Cache {
  // Bounded so that a log of unique values cannot grow them without end.
  static constexpr std::size_t kMaxEntries = 1 << 16;
  std::unordered_map<std::string, int> types;
  std::unordered_map<std::string, std::string> values;
  std::string key;
};

Interpreter::Interpreter(EscapeMode mode, unsigned eoe_timeout)
    : mode_(mode), eoe_timeout_(eoe_timeout), cache_(new Cache) {}

Interpreter::~Interpreter() {
  if (csv_au_) auparse_destroy(csv_au_);
  if (text_au_) auparse_destroy(text_au_);
  delete cache_;
}

int Interpreter::field_type(int record_type, std::string_view name, std::string_view value) {
  // Only these depend on the value (auparse_interp_adjust_type).
  if (name == "acct" || record_type == AUDIT_TRUSTED_APP) {
    std::string n(name), v(value);
    return auparse_interp_adjust_type(record_type, n.c_str(), v.c_str());
  }
  std::string& key = cache_->key;
  key.assign(reinterpret_cast<const char*>(&record_type), sizeof(record_type));
  key.append(name);
  if (auto it = cache_->types.find(key); it != cache_->types.end()) return it->second;
  std::string n(name), v(value);
  int type = auparse_interp_adjust_type(record_type, n.c_str(), v.c_str());
  if (cache_->types.size() < Cache::kMaxEntries) cache_->types.emplace(key, type);
  return type;
}

std::string Interpreter::do_interpretation(int type, const FieldContext& ctx, const char* name,
                                           const char* val, bool enriched) {
  // Enriched records carry their own values, looked up by libauparse.
  bool cacheable = !enriched && value_cacheable(type);
  bool syscall = !enriched && type == AUPARSE_TYPE_SYSCALL;
  std::string& key = cache_->key;
  if (cacheable || syscall) {
    key.assign(1, static_cast<char>(type));
    if (syscall) {
      key.append(reinterpret_cast<const char*>(&ctx.syscall), sizeof(ctx.syscall));
    } else {
      key.append(reinterpret_cast<const char*>(&ctx.machine), sizeof(ctx.machine));
      key.append(val);
    }
    key.append(reinterpret_cast<const char*>(&ctx.machine), sizeof(ctx.machine));
    if (auto it = cache_->values.find(key); it != cache_->values.end()) return it->second;
  }
  AuparseIdata id{ctx.machine, ctx.syscall, ctx.a0, ctx.a1, nullptr, name, val};
  std::string result = checked_interpretation(type, id, static_cast<auparse_esc_t>(mode_));
  // socketcall/ipc names depend on a0: "socketcall(connect)"; not cached.
  if ((cacheable || (syscall && result.find('(') == std::string::npos)) &&
      cache_->values.size() < Cache::kMaxEntries)
    cache_->values.emplace(key, result);
  return result;
}

std::string Interpreter::interpret(const FieldContext& ctx, std::string_view name,
                                   std::string_view value) {
  std::string n(name), v(value);
  int type = field_type(ctx.record_type, name, value);
  if (type == AUPARSE_TYPE_UNCLASSIFIED) return v;
  return do_interpretation(type, ctx, n.c_str(), v.c_str(), false);
}

const std::string& Interpreter::format_time(std::uint64_t sec) {
  if (sec != time_sec_) {
    time_sec_ = sec;
    time_t t = static_cast<time_t>(sec);
    struct tm tm;
    char tmp[32];
    if (localtime_r(&t, &tm))
      std::strftime(tmp, sizeof(tmp), "%x %T", &tm);
    else
      std::strcpy(tmp, "?");
    time_text_ = tmp;
  }
  return time_text_;
}

void Interpreter::write_interpreted(const Event& ev, std::string& out, bool preloaded_head) {
  out.append("----\n");
  if (ev.records.empty()) {
    errors_.append("Error - no elements in record.");
    return;
  }
  const Record* preload = nullptr;
  if (preloaded_head && (ev.records.size() == 1 || ev.records.front().type == AUDIT_SYSCALL))
    preload = &ev.records.front();
  const Record& last = ev.records.back();
  // Daemon records print alone: only the last one of the event.
  if (last.type >= AUDIT_DAEMON_START && last.type < AUDIT_SYSCALL) {
    write_record(ev, last, preload ? preload : &last, out);
    return;
  }
  for (auto it = ev.records.rbegin(); it != ev.records.rend(); ++it) {
    write_record(ev, *it, preload ? preload : &*it, out);
    preload = nullptr;
  }
}

void Interpreter::write_record(const Event& ev, const Record& rec, const Record* interp_from,
                               std::string& out) {
  machine_ = ~0u;
  cur_syscall_ = -1;

  // The record as stock holds it: up to the enrichment separator.
  std::string_view text = rec.text;
  std::string_view msg = text.substr(0, text.find(kInterpSeparator));
  buf_.assign(msg);
  char* str = buf_.data();  // NUL-terminated by std::string

  if (ev.id.node) {
    if (char* sp = std::strchr(str, ' ')) str = sp + 1;
  }
  char* ptr = std::strchr(str, '(');
  if (ptr == nullptr) {
    errors_.append("can't find time stamp\n");
    return;
  }
  *ptr++ = 0;

  const char* tname = rec.type >= 0 ? audit_msg_type_to_name(rec.type) : nullptr;
  if (ev.id.node) {
    out.append("node=");
    out.append(*ev.id.node);
    out.push_back(' ');
  }
  if (tname) {
    out.append("type=");
    out.append(tname);
    out.append(" msg=audit(");
  } else {
    out.append(str);
    out.push_back('(');
  }

  str = std::strchr(ptr, ')');
  if (str == nullptr) return;
  *str++ = 0;
  out.append(format_time(ev.id.sec));
  appendf(out, ".%03u:%lu) ", ev.id.msec, static_cast<unsigned long>(ev.id.serial));

  if (rec.type == AUDIT_SYSCALL) syscall_args(msg, &a0_, &a1_);

  interp_loaded_ = interp_from->enriched;
  if (interp_loaded_)
    _auparse_load_interpretations(std::string(interp_from->interpreted()).c_str());

  bool found = false, comma = false;
  while (str && *str && (ptr = std::strchr(str, '='))) {
    comma = false;
    found = true;
    // The name is the word before '='; what precedes it on the line (free
    // text of AVCs, "msg='") is printed as it stands.
    char* name = ptr;
    while (*name != ' ' && name > str) --name;
    *ptr++ = 0;
    out.append(str);
    out.push_back('=');

    // A user message's msg='uid=...: the fields are inside the quotes.
    if (std::strcmp(name, "msg") == 0) {
      str = ptr;
      continue;
    }
    if (*name == '\'') name++;

    char* val;
    if (*ptr == '\'' || *ptr == '"') {
      str = std::strchr(ptr + 1, *ptr);
      if (str) {
        str++;
        if (*str) *str++ = 0;
      }
    } else {
      str = std::strchr(ptr, ',');
      val = std::strchr(ptr, ' ');
      if (str && val && str < val) {
        // A comma inside the value: part of a MAC label, or a list whose
        // first item stock interprets and whose rest it prints raw.
        // Stock asks with the name as found, leading space included, so
        // this is rarely a MAC label; kept for byte-identical output.
        if (field_type(rec.type, name, val) == AUPARSE_TYPE_MAC_LABEL) {
          str = val;
          *str++ = 0;
        } else {
          *str++ = 0;
          comma = true;
        }
      } else if (str && val == nullptr) {
        if (field_type(rec.type, name, ptr) == AUPARSE_TYPE_MAC_LABEL) {
          str = nullptr;
        } else {
          *str++ = 0;
          comma = true;
        }
      } else if (val) {
        str = val;
        *str++ = 0;
      }
    }
    val = ptr;
    write_field(name, val, comma, rec.type, out);
  }
  if (interp_loaded_) _auparse_free_interpretations();
  interp_loaded_ = false;

  if (!found && ptr == nullptr && str)
    append_escaped_line(out, str, mode_);
  else if (comma)
    append_escaped_line(out, str, mode_);
  out.push_back('\n');
}

void Interpreter::write_field(char* name, char* val, bool comma, int rtype, std::string& out) {
  while (*name == ' ' || *name == '(') name++;
  if (*name == 'a' && std::strcmp(name, "acct") == 0) {
    std::size_t len = std::strlen(val);
    if (len && val[len - 1] == ':') val[len - 1] = 0;
  }
  // Audit 4.x reads uring_op= of a URINGOP record as the syscall field of an
  // io_uring "machine" (the operation's name, unknown-syscall(N) otherwise);
  // libauparse 3.0.9 has no type for it.
  if (rtype == AUDIT_URINGOP && std::strcmp(name, "uring_op") == 0) {
    errno = 0;
    unsigned long v = std::strtoul(val, nullptr, 10);
    if (errno) {
      appendf(out, "syscall conversion error(%s) ", val);
      return;
    }
    if (cur_syscall_ < 0) cur_syscall_ = static_cast<int>(v);
    if (const char* op = record::uring_op_name(cur_syscall_))
      out.append(op);
    else
      appendf(out, "unknown-syscall(%d)", cur_syscall_);
    out.push_back(comma ? ',' : ' ');
    return;
  }
  int type = field_type(rtype, name, val);

  FieldContext ctx;
  ctx.record_type = rtype;
  if (rtype == AUDIT_SYSCALL || rtype == AUDIT_SECCOMP) {
    if (machine_ == ~0u) {
      if (!host_machine_known_) {
        host_machine_ = static_cast<unsigned int>(audit_detect_machine());
        host_machine_known_ = true;
      }
      machine_ = host_machine_;
    }
    if (*name == 'a' && std::strcmp(name, "arch") == 0) {
      errno = 0;
      unsigned long v = std::strtoul(val, nullptr, 16);
      if (errno) {
        appendf(out, "arch conversion error(%s) ", val);
        return;
      }
      machine_ = static_cast<unsigned int>(audit_elf_to_machine(static_cast<unsigned int>(v)));
    }
    if (cur_syscall_ < 0 && *name == 's' && std::strcmp(name, "syscall") == 0) {
      errno = 0;
      unsigned long v = std::strtoul(val, nullptr, 10);
      if (errno) {
        appendf(out, "syscall conversion error(%s) ", val);
        return;
      }
      cur_syscall_ = static_cast<int>(v);
    }
    ctx.syscall = cur_syscall_;
  } else {
    ctx.syscall = 0;
  }
  ctx.machine = machine_;
  ctx.a0 = a0_;
  ctx.a1 = a1_;

  if (type == AUPARSE_TYPE_UNCLASSIFIED) {
    out.append(val);
    out.push_back(comma ? ',' : ' ');
    return;
  }
  std::string result = do_interpretation(type, ctx, name, val, interp_loaded_);
  if (name[0] == 'k' && std::strcmp(name, "key") == 0) {
    // Several keys in one value print as key=a key=b.
    std::size_t start = 0, sep;
    int count = 0;
    while ((sep = result.find(kKeySeparator, start)) != std::string::npos) {
      if (count++ == 0)
        out.append(result, start, sep - start);
      else {
        out.append(" key=");
        out.append(result, start, sep - start);
      }
      start = sep + 1;
    }
    if (count == 0) {
      out.append(result);
      out.push_back(' ');
    } else {
      out.append(" key=");
      out.append(result, start, std::string::npos);
      out.push_back(' ');
    }
  } else if (type == AUPARSE_TYPE_TTY_DATA) {
    out.append(result);
  } else {
    out.append(result);
    out.push_back(' ');
  }
}

void Interpreter::write_csv_header(const CsvOptions& o, std::string& out) {
  appendf(out,
          "NODE,EVENT,DATE,TIME,%sSERIAL_NUM,EVENT_KIND,SESSION,SUBJ_PRIME,SUBJ_SEC,SUBJ_KIND,"
          "%sACTION,RESULT,OBJ_PRIME,OBJ_SEC,%s%sOBJ_KIND,HOW%s\n",
          o.extra_time ? "YEAR,MONTH,DAY,WEEKDAY,HOUR,MILLI,GMT_OFFSET," : "",
          o.extra_labels ? "SUBJ_LABEL," : "", o.extra_obj2 ? "OBJ2," : "",
          o.extra_labels ? "OBJ_LABEL," : "", o.extra_keys ? ",KEY" : "");
}

void Interpreter::write_csv(const Event& ev, const CsvOptions& opts, std::string& out) {
  csv_opts_ = &opts;
  feed(ev, FeedFormat::kCsv, out);
  csv_opts_ = nullptr;
}

void Interpreter::write_text(const Event& ev, std::string& out) {
  feed(ev, FeedFormat::kText, out);
}

// Stock hands every event to libauparse's normalizer through a feed that
// lives for the whole run, records in log order, each ending in a newline.
void Interpreter::feed(const Event& ev, FeedFormat format, std::string& out) {
  if (ev.records.empty()) {
    errors_.append("Error - no elements in record.");
    return;
  }
  auparse_state_t*& au = format == FeedFormat::kCsv ? csv_au_ : text_au_;
  if (au == nullptr) {
    au = auparse_init(AUSOURCE_FEED, nullptr);
    if (au == nullptr) {
      errors_.append("auparse_init failed\n");
      return;
    }
    auparse_set_escape_mode(au, static_cast<auparse_esc_t>(mode_));
    auparse_set_eoe_timeout(eoe_timeout_);
    auparse_add_callback(
        au,
        [](auparse_state_t* a, auparse_cb_event_t t, void* self) {
          static_cast<Interpreter*>(self)->feed_callback(a, t, self);
        },
        this, nullptr);
  }
  feed_out_ = &out;
  std::string line;
  for (const Record& r : ev.records) {
    // Stock feeds each record's strdup'd copy (ausearch-lol.c, 3.0.9):
    // nothing after an embedded NUL.
    line.assign(r.text, 0, std::min({r.text.find('\0'), r.text.size(), kMaxRecordLength}));
    line.push_back('\n');
    auparse_feed(au, line.data(), line.size());
  }
  auparse_flush_feed(au);
  feed_out_ = nullptr;
}

void Interpreter::feed_callback(auparse_state_t* au, int cb_type, void* user_data) {
  if (cb_type != AUPARSE_CB_EVENT_READY) return;
  auto* self = static_cast<Interpreter*>(user_data);
  if (self->feed_out_ == nullptr) return;
  self->key_texts_.clear();
  if (self->csv_opts_)
    self->csv_event(au);
  else
    self->text_event(au);
}

// The normalizer's fields are interpreted by libauparse itself, key= too:
// a key goes through checked_interpretation instead, as in -i. Its text
// lives until the next event, as libauparse's own interpretations do.
const char* Interpreter::interpret_field(auparse_state_t* au) {
  const char* val = auparse_get_field_str(au);
  if (mode_ == EscapeMode::kRaw || val == nullptr ||
      auparse_get_field_type(au) != AUPARSE_TYPE_ESCAPED_KEY)
    return auparse_interpret_field(au);
  AuparseIdata id{0, 0, 0, 0, nullptr, auparse_get_field_name(au), val};
  return key_texts_
      .emplace_back(checked_interpretation(AUPARSE_TYPE_ESCAPED_KEY, id,
                                           static_cast<auparse_esc_t>(mode_)))
      .c_str();
}

namespace {
// Stock counts a result as success for "yes", "suc...", and seccomp "allow".
bool result_is_success(auparse_state_t* au, const char* item) {
  return std::strcmp(item, "yes") == 0 || std::strncmp(item, "suc", 3) == 0 ||
         (auparse_get_field_type(au) == AUPARSE_TYPE_SECCOMP && std::strcmp(item, "allow") == 0);
}

void append_strftime(std::string& out, const char* fmt, const struct tm* tm) {
  char tmp[20];
  if (tm) {
    std::size_t n = std::strftime(tmp, sizeof(tmp), fmt, tm);
    out.append(tmp, n);
  }
}
}  // namespace

void Interpreter::csv_event(auparse_state_t* au) {
  std::string& out = *feed_out_;
  const CsvOptions& o = *csv_opts_;
  if (!csv_header_done_) {
    csv_header_done_ = true;
    write_csv_header(o, out);
  }
  time_t t = auparse_get_time(au);
  struct tm tmbuf;
  const struct tm* tv = localtime_r(&t, &tmbuf);

  if (const char* node = auparse_get_node(au)) {
    append_cstr(out, interpret_field(au));
    std::free(const_cast<char*>(node));
  }
  out.push_back(',');
  const char* type = auparse_get_type_name(au);
  if (type) out.append(type);
  out.push_back(',');

  int rc = auparse_normalize(au, o.extra_labels ? NORM_OPT_ALL : NORM_OPT_NO_ATTRS);
  append_strftime(out, "%x", tv);
  out.push_back(',');
  append_strftime(out, "%T", tv);
  out.push_back(',');
  if (o.extra_time) {
    for (const char* f : {"%Y", "%m", "%d", "%u", "%k"}) {
      append_strftime(out, f, tv);
      out.push_back(',');
    }
    appendf(out, "%u,", auparse_get_milli(au));
    if (tv) {
      // Stock's minutes are (seconds past the hour) % 60; kept as it prints.
      char sign = tv->tm_gmtoff >= 0 ? '+' : '-';
      unsigned long total = labs(tv->tm_gmtoff);
      unsigned long hour = total / 3600;
      unsigned long min = (total - hour * 3600) % 60;
      appendf(out, "%c%02lu:%02lu", sign, hour, min);
    }
    out.push_back(',');
  }
  appendf(out, "%lu,", auparse_get_serial(au));

  if (rc) {
    appendf(errors_, "error normalizing %s\n", type ? type : "(null)");
    appendf(out, ",,,,,,,,,%s%s\n", o.extra_labels ? ",," : "", o.extra_keys ? "," : "");
    return;
  }

  const char* evkind = auparse_normalize_get_event_kind(au);
  out.append(evkind ? evkind : "unknown");
  out.push_back(',');

  if (auparse_normalize_session(au) == 1) append_cstr(out, interpret_field(au));
  out.push_back(',');

  if (auparse_normalize_subject_primary(au) == 1) {
    const char* subj = interpret_field(au);
    if (subj && std::strcmp(subj, "unset") == 0) subj = "system";
    append_cstr(out, subj);
  }
  out.push_back(',');

  if (auparse_normalize_subject_secondary(au) == 1) append_cstr(out, interpret_field(au));
  out.push_back(',');

  if (const char* kind = auparse_normalize_subject_kind(au)) out.append(kind);
  out.push_back(',');

  if (o.extra_labels) {
    rc = auparse_normalize_subject_first_attribute(au);
    do {
      if (rc == 1 && std::strcmp(auparse_get_field_name(au), "subj") == 0) {
        append_cstr(out, interpret_field(au));
        break;
      }
    } while (auparse_normalize_subject_next_attribute(au) == 1);
    out.push_back(',');
  }

  const char* action = auparse_normalize_get_action(au);
  out.append(action ? action : "did-unknown");
  out.push_back(',');

  if (auparse_normalize_get_results(au) == 1) {
    const char* item = interpret_field(au);
    out.append(item && result_is_success(au, item) ? "success" : "failed");
  }
  out.push_back(',');

  if (auparse_normalize_object_primary(au) == 1) {
    const char* val;
    if (auparse_get_field_type(au) == AUPARSE_TYPE_ESCAPED_FILE)
      val = auparse_interpret_realpath(au);
    else if (auparse_get_type(au) == AUDIT_CONFIG_CHANGE && action &&
             (std::strcmp(action, "set") == 0 || std::strcmp(action, "seccomp-logging") == 0))
      val = auparse_get_field_name(au);
    else
      val = interpret_field(au);
    append_cstr(out, val);
  }
  out.push_back(',');

  if (auparse_normalize_object_secondary(au) == 1) append_cstr(out, interpret_field(au));
  out.push_back(',');

  if (o.extra_obj2) {
    if (auparse_normalize_object_primary2(au) == 1) {
      const char* val = auparse_get_field_type(au) == AUPARSE_TYPE_ESCAPED_FILE
                            ? auparse_interpret_realpath(au)
                            : interpret_field(au);
      append_cstr(out, val);
    }
    out.push_back(',');
  }

  if (o.extra_labels) {
    rc = auparse_normalize_object_first_attribute(au);
    do {
      if (rc == 1 && std::strcmp(auparse_get_field_name(au), "obj") == 0) {
        append_cstr(out, interpret_field(au));
        break;
      }
    } while (auparse_normalize_object_next_attribute(au) == 1);
    out.push_back(',');
  }

  append_cstr(out, auparse_normalize_object_kind(au));
  out.push_back(',');

  if (const char* how = auparse_normalize_how(au)) out.append(how);

  if (o.extra_keys) {
    out.push_back(',');
    if (auparse_normalize_key(au) == 1) append_cstr(out, interpret_field(au));
  }
  out.push_back('\n');
}

void Interpreter::text_event(auparse_state_t* au) {
  std::string& out = *feed_out_;
  time_t t = auparse_get_time(au);
  struct tm tmbuf;
  const struct tm* tv = localtime_r(&t, &tmbuf);
  char tmp[20];
  if (tv)
    std::strftime(tmp, sizeof(tmp), "%T %x", tv);
  else
    std::strcpy(tmp, "?");
  int type = auparse_get_type(au);
  auparse_normalize(au, NORM_OPT_NO_ATTRS);
  if (const char* node = auparse_get_node(au)) {
    out.append("On ");
    append_cstr(out, interpret_field(au));
    out.append(" at ");
    out.append(tmp);
    out.push_back(' ');
    std::free(const_cast<char*>(node));
  } else {
    out.append("At ");
    out.append(tmp);
    out.push_back(' ');
  }

  int id = -2;
  if (auparse_normalize_subject_primary(au) == 1) {
    const char* subj = interpret_field(au);
    id = auparse_get_field_int(au);
    if (subj && std::strcmp(subj, "unset") == 0) subj = "system";
    append_cstr(out, subj);
  }
  // "acting as" only when the uid differs from a known, set auid.
  if (auparse_normalize_subject_secondary(au) == 1) {
    int uid = auparse_get_field_int(au);
    if (uid != id && id != -2 && uid != -1) {
      out.append(", acting as ");
      append_cstr(out, interpret_field(au));
      out.push_back(',');
    }
  }

  if (auparse_normalize_get_results(au) == 1) {
    const char* item = interpret_field(au);
    out.append(item && result_is_success(au, item) ? " successfully " : " unsuccessfully ");
  } else {
    out.push_back(' ');
  }

  const char* action = auparse_normalize_get_action(au);
  out.append(action ? action : "did-unknown");
  out.push_back(' ');

  if (auparse_normalize_object_primary(au) == 1) {
    const char* val = nullptr;
    if (action && std::strstr(action, "violated")) val = "accessing ";
    int ftype = auparse_get_field_type(au);
    if (ftype == AUPARSE_TYPE_ESCAPED_FILE) {
      val = auparse_interpret_realpath(au);
    } else if (ftype == AUPARSE_TYPE_SOCKADDR) {
      val = auparse_interpret_sock_address(au);
      if (val == nullptr) val = auparse_interpret_sock_family(au);
    } else if (type == AUDIT_CONFIG_CHANGE) {
      if (action &&
          (std::strcmp(action, "set") == 0 || std::strcmp(action, "seccomp-logging") == 0))
        val = auparse_get_field_name(au);
      else
        val = interpret_field(au);
    }
    if (val == nullptr) val = interpret_field(au);
    append_cstr(out, val);
    out.push_back(' ');
  }

  if (auparse_normalize_object_primary2(au) == 1) {
    const char* val = auparse_get_field_type(au) == AUPARSE_TYPE_ESCAPED_FILE
                          ? auparse_interpret_realpath(au)
                          : interpret_field(au);
    out.append("to ");
    append_cstr(out, val);
    out.push_back(' ');
  }

  const char* how = auparse_normalize_how(au);
  if (how && action && *action != 'e') {  // not for ended-session
    out.append("using ");
    out.append(how);
  }
  out.push_back('\n');
}

void write_interpreted(const Event& ev, std::string& out, EscapeMode mode) {
  thread_local std::unique_ptr<Interpreter> interpreters[4];
  auto& in = interpreters[static_cast<int>(mode)];
  if (!in) in = std::make_unique<Interpreter>(mode);
  in->write_interpreted(ev, out);
}

}  // namespace bpfaudit::record
