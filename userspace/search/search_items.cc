// Search-item extraction with stock ausearch 3.0.9's exact rules.
//
// Stock walks each record's text with strstr/strchr, carrying the search
// position from one field to the next and NUL-terminating values in place.
// Which records are "malformed" (and so which events are skipped) falls out of
// those positions, so this file keeps the same position discipline on a
// private, mutable, NUL-padded copy of each record instead of tokenising.
#include "search_items.h"

#include <libaudit.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "uring_ops.h"

namespace bpfaudit::search {
namespace {

// Bytes of NULs after each record copy. Stock sometimes moves its cursor a
// few bytes past the terminator (comm= +6, path= +7, PATH/CWD at a fixed
// offset of 28) and then reads whatever the heap holds there; the padding
// makes such reads see an empty string, i.e. "field not found".
constexpr std::size_t kPad = 64;
// Stock skips this many bytes of PATH and CWD records (header text) before searching.
constexpr std::size_t kNameOffset = 28;

bool is_hex(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}
bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }

int nibble(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return 0;  // stock's lookup maps anything else (the NUL of an odd tail too) to 0
}

// Stock's hex decoder, memory layout included: the result occupies as many
// bytes as the encoded run; decoded bytes come first, then a NUL, then what
// is left of the encoded text. "(...)" runs are returned as they are. An
// empty run, an unclosed '(' or a single hex digit yield nullopt; an odd run
// decodes its last digit as the high nibble of a final byte.
std::optional<std::string> unescape_buffer(const char* text) {
  const char* end = text;
  if (*text == '(') {
    end = std::strchr(text, ')');
    if (end == nullptr) return std::nullopt;
    ++end;
  } else {
    while (is_hex(*end)) ++end;
  }
  std::size_t n = end - text;
  if (n == 0) return std::nullopt;
  std::string out(text, n);
  if (*text == '(') return out;
  if (n < 2) return std::nullopt;
  std::size_t o = 0;
  for (std::size_t i = 0; i < n; i += 2) {
    int hi = nibble(out[i]);
    int lo = i + 1 < n ? nibble(out[i + 1]) : 0;
    out[o++] = static_cast<char>((hi << 4) | lo);
  }
  out[o] = '\0';
  return out;
}

// The decoded value as the C string stock goes on to use (cut at the first NUL).
std::optional<std::string> unescape(const char* text) {
  auto buf = unescape_buffer(text);
  if (buf) buf->resize(std::strlen(buf->c_str()));
  return buf;
}

std::string span(const char* begin, const char* end) { return std::string(begin, end - begin); }

// The values stock's id fields (uid_t) and pid fields hold before a record
// sets them; (uid_t)-1 is also what the kernel logs for an unset auid or ses.
constexpr std::uint32_t kUnsetId = ~0u;  // (uid_t)-1, 4294967295: "unset"
// (uid_t)-2, 4294967294: loginuid and ses not seen (and -ul, --session not given).
constexpr std::uint32_t kIdNotSeen = ~0u - 1;
constexpr std::int64_t kNoPid = -1;
constexpr int kNoMachine = -1;  // no --arch

// Number fields are converted as stock converts them and stored the way its
// typed fields hold them; false when errno flagged a range error (nothing is
// stored then). Most are strtoul, narrowed through `Via`:
template <class Via, class T>
bool store_ulong(const char* p, int base, T& out) {
  unsigned long v;
  if (!record::read_ulong(p, base, v)) return false;
  out = static_cast<T>(static_cast<Via>(v));
  return true;
}
bool convert(const char* p, int base, std::int64_t& pid) {  // pid_t: ppid, pid
  return store_ulong<std::int32_t>(p, base, pid);
}
bool convert(const char* p, int base, std::uint32_t& id) {  // uid_t, gid_t, ses
  return store_ulong<std::uint32_t>(p, base, id);
}
bool convert(const char* p, int base, Success& success) {  // success_t: res=
  return store_ulong<int>(p, base, success);
}
bool convert(const char* p, int base, int& n) {  // arch, syscall
  return store_ulong<int>(p, base, n);
}
// a0, a1: strtoull.
bool convert(const char* p, int base, std::uint64_t& arg) {
  errno = 0;
  arg = std::strtoull(p, nullptr, base);
  return errno == 0;
}
// exit=: strtoll (a plain std::int64_t destination would be read as a pid).
struct Signed {
  std::int64_t& value;
};
bool convert(const char* p, int base, Signed out) {
  errno = 0;
  long long v = std::strtoll(p, nullptr, base);
  if (errno != 0) return false;
  out.value = v;
  return true;
}

// The keys a field may be written under, tried in this order from the same
// place; null entries are skipped.
struct Keys {
  std::array<const char*, 3> alternatives{};
  Keys(const char* key) : alternatives{key} {}  // NOLINT: a single key converts
  Keys(const char* first, const char* second, const char* third = nullptr)
      : alternatives{first, second, third} {}
};

// Where the first of `keys` found from `from` has its value, or nullptr.
// `at_equals`: one byte earlier, on the key's '='.
char* find_value(char* from, const Keys& keys, bool at_equals) {
  for (const char* key : keys.alternatives) {
    if (key == nullptr) continue;
    if (char* str = std::strstr(from, key)) return str + std::strlen(key) - (at_equals ? 1 : 0);
  }
  return nullptr;
}

// What a value that reaches the record's end without its terminator comes to.
enum class Unended {
  kMalformed,      // the record is malformed: the field's `unended` rc
  kToEnd,          // the value is the rest of the record; the cursor stays at its start
  kToEndNoCursor,  // numbers: the same, but the cursor is left null, as stock leaves
                   // it; the caller chooses where the next search starts
  kSkipped,        // text: the value is not taken; the cursor stays at its start
};

// How stock reads one number field. The rc members are stock's return codes
// for a malformed record; `missing` 0 makes the field optional.
struct NumberField {
  int missing = 0;  // no key found
  int unended = 0;  // no space after the value (no digit at all with digits_only)
  int range = 0;    // the conversion's errno
  int base = 10;
  Unended at_end = Unended::kMalformed;
  // The value ends at the first non-digit, whatever that is, rather than at
  // the next space.
  bool digits_only = false;
  // The value is read from the key's '=' (stock's " uid=" + 4): it reads 0.
  bool at_equals = false;
  char* from = nullptr;  // where the key is searched for; nullptr: the cursor
};

// Reads the number at `ptr` as stock does: cut at its end (a NUL written in
// place), converted, the cut restored, the cursor `term` left at the end.
// On a range error the cut stays, as in stock: the record text it prints for
// the malformed event stops there.
template <class T>
int number_at(char* ptr, char*& term, const NumberField& f, T&& out) {
  char* end;
  if (f.digits_only) {
    for (end = ptr; is_digit(*end);) ++end;
    if (end == ptr) return f.unended;
  } else {
    end = std::strchr(ptr, ' ');
    if (end == nullptr && f.at_end == Unended::kMalformed) return f.unended;
  }
  char saved = end ? *end : '\0';
  if (end) *end = '\0';
  if (!convert(ptr, f.base, out)) return f.range;
  if (end) *end = saved;
  term = end ? end : f.at_end == Unended::kToEnd ? ptr : nullptr;
  return 0;
}

// Searches for the field's key and reads its number (number_at). Returns 0
// when it was read or an optional field is absent (`*found` tells which),
// else stock's rc. The cursor moves only when the key is found.
template <class T>
int number(char*& term, const Keys& keys, const NumberField& f, T&& out, bool* found = nullptr) {
  char* ptr = find_value(f.from ? f.from : term, keys, f.at_equals);
  if (found) *found = ptr != nullptr;
  if (ptr == nullptr) return f.missing;
  return number_at(ptr, term, f, out);
}

// A value that is either "quoted" or, when every character up to the next
// space is a hex digit, hex; anything else is a legacy plain value. `term`
// is left at the end of it.
std::optional<std::string> quoted_hex_or_legacy(char* str, char*& term) {
  char* end = str;
  bool legacy = false;
  while (*end != ' ' && *end) {
    if (!is_hex(*end)) legacy = true;
    ++end;
  }
  term = end;
  if (!legacy) return unescape(str);
  return span(str, end);
}

// How a text field's value is written.
enum class Text {
  kPlain,  // as is, up to the first of TextField::ends found
  // "quoted" up to the closing quote, else hex decoded (nullopt when it does
  // not decode); a hex value leaves the cursor where it was.
  kQuotedOrHex,
  // "quoted", else quoted_hex_or_legacy: the cursor moves past the value.
  kQuotedOrLegacy,
};

// How stock reads one text field; the rc members as in NumberField.
struct TextField {
  int missing = 0;      // no key found
  int unended = 0;      // a quoted value without its closing quote, a plain one with no end
  int undecodable = 0;  // kQuotedOrHex: hex that does not decode (0: the value is nullopt)
  Text text = Text::kPlain;
  Unended at_end = Unended::kMalformed;  // kPlain without any of `ends`
  // kPlain: the characters that may end the value, tried in this order, each
  // over the whole rest of the record (stock's chained strchr calls).
  const char* ends = " ";
  // kQuotedOrHex: after a hex value the cursor moves this far past the value's
  // start (stock's fixed step after an AVC's comm; may pass the end, see kPad).
  std::size_t hex_step = 0;
  char* from = nullptr;  // where the key is searched for; nullptr: the cursor
};

struct TextSeen {
  bool found = false;   // the key was there (also when the value was malformed)
  bool quoted = false;  // the value was "quoted"
};

// Searches for the field's key and reads its value into `out`, which is left
// as it was when the key is absent or a quoted/plain value is unended (hex
// that does not decode makes it nullopt). Returns 0 or stock's rc, as
// number() does.
int text(char*& term, const Keys& keys, const TextField& f, std::optional<std::string>& out,
         TextSeen* seen = nullptr) {
  char* ptr = find_value(f.from ? f.from : term, keys, false);
  if (seen) *seen = TextSeen{ptr != nullptr, f.text != Text::kPlain && ptr && *ptr == '"'};
  if (ptr == nullptr) return f.missing;
  char* end = nullptr;
  if (f.text == Text::kPlain) {
    for (const char* e = f.ends; *e && end == nullptr; ++e) end = std::strchr(ptr, *e);
    if (end == nullptr) {
      if (f.at_end == Unended::kMalformed) return f.unended;
      if (f.at_end == Unended::kToEnd) out = std::string(ptr);
      term = ptr;
      return 0;
    }
    out = span(ptr, end);
    term = end;
    return 0;
  }
  if (*ptr == '"') {
    ++ptr;
    if ((end = std::strchr(ptr, '"')) == nullptr) return f.unended;
    out = span(ptr, end);
    term = end;
    return 0;
  }
  if (f.text == Text::kQuotedOrLegacy) {
    out = quoted_hex_or_legacy(ptr, term);
    return 0;
  }
  out = unescape(ptr);
  if (!out && f.undecodable) return f.undecodable;
  if (f.hex_step) term = ptr + f.hex_step;
  return 0;
}

}  // namespace

std::optional<std::string> passwd_name(std::uint32_t uid) {
  // Stock retries getpwuid for uids it did not find, each time reading the
  // passwd database; the answer cannot change within one run, so misses are
  // remembered too (a log full of unknown auids otherwise spends its time
  // in open/read/close).
  // The parallel scan matches events on several threads; getpwuid is not
  // reentrant either.
  static std::mutex lock;
  std::lock_guard guard(lock);
  static std::unordered_map<std::uint32_t, std::optional<std::string>> cache;
  if (auto it = cache.find(uid); it != cache.end()) return it->second;
  struct passwd* pw = ::getpwuid(uid);
  std::optional<std::string> name;
  if (pw != nullptr) name = pw->pw_name;
  return cache.emplace(uid, std::move(name)).first->second;
}

namespace {

struct Parser {
  const Criteria& c;
  SearchItems& s;
  const Interpretations& interp;

  // Which criteria are active, named after what they make stock look for.
  bool want_ppid() const { return c.ppid != kNoPid; }
  bool want_pid() const { return c.pid != kNoPid; }
  bool want_uid() const { return c.uid != kUnsetId || c.tuid.has_value(); }
  bool want_auid() const { return c.loginuid != kIdNotSeen || c.tauid.has_value(); }
  bool want_euid() const { return c.euid != kUnsetId || c.teuid.has_value(); }
  bool want_gid() const { return c.gid != kUnsetId; }
  bool want_egid() const { return c.egid != kUnsetId; }
  bool want_ses() const { return c.session_id != kIdNotSeen; }
  bool want_success() const { return c.success != Success::kUnset; }

  std::optional<std::string> lookup_uid(const char* field, std::uint32_t uid) const {
    if (auto v = interp.lookup_id(field)) return v;
    if (uid == 0) return std::string("root");
    if (uid == kUnsetId) return std::string("unset");
    return passwd_name(uid);
  }

  // An id field with the user name stock looks up for it once it is read.
  int named_id(char*& term, const Keys& keys, const NumberField& f, std::uint32_t& id,
               std::optional<std::string>& name, const char* field) {
    bool found;
    if (int rc = number(term, keys, f, id, &found)) return rc;
    if (found) name = lookup_uid(field, id);
    return 0;
  }
  int read_uid(char*& term, const Keys& keys, const NumberField& f) {
    return named_id(term, keys, f, s.uid, s.tuid, "uid");
  }
  int read_auid(char*& term, const Keys& keys, const NumberField& f) {
    return named_id(term, keys, f, s.loginuid, s.tauid, "auid");
  }

  void add_filename(std::string name) {
    s.filenames.push_back(std::move(name));
    s.filename_keys.emplace_back();
  }

  // A relative name ("./x", "../x") is joined to the cwd seen so far, in a
  // PATH_MAX buffer as stock does.
  std::string rebuild_relative(std::string name) const {
    if (name.size() >= 2 && name[0] == '.' && (name[1] == '.' || name[1] == '/') && s.cwd) {
      std::string joined = *s.cwd + "/" + name;
      if (joined.size() > PATH_MAX - 1) joined.resize(PATH_MAX - 1);
      return joined;
    }
    return name;
  }

  int path_value(char* path) {
    s.has_filename_list = true;
    if (*path == '"') {
      ++path;
      char* close = std::strchr(path, '"');
      if (close == nullptr) return 2;
      add_filename(rebuild_relative(span(path, close)));
      return 0;
    }
    if (std::strncmp(path, "(null)", 6) == 0) {
      add_filename("(null)");
      return 0;
    }
    if (!is_hex(path[0])) return 4;
    std::optional<std::string> name;
    if (path[0] == '0' && path[1] == '0') {
      name = unescape(path + 2);  // abstract socket name
    } else {
      if (std::strchr(path, ' ') == nullptr) return 5;
      name = unescape(path);
    }
    if (!name) return 7;
    add_filename(rebuild_relative(std::move(*name)));
    return 0;
  }

  // A subject or object context of its own: a new AVC list entry.
  using Context = std::optional<std::string> AvcEntry::*;
  static constexpr Context kSubject = &AvcEntry::scontext, kObject = &AvcEntry::tcontext;
  void add_context(Context which, std::string ctx) {
    s.has_avc_list = true;
    AvcEntry an;
    an.*which = std::move(ctx);
    s.avcs.push_back(std::move(an));
  }

  // `key=` of SYSCALL and simple messages: quoted, or hex holding several
  // keys separated by 0x01 (empty pieces dropped).
  void add_keys(const std::string& joined) {
    std::size_t pos = 0;
    while (pos <= joined.size()) {
      std::size_t sep = joined.find(record::kKeySeparator, pos);
      if (sep == std::string::npos) sep = joined.size();
      if (sep > pos) s.keys.push_back(joined.substr(pos, sep - pos));
      pos = sep + 1;
    }
  }

  // Reads `key=` into the key list (add_keys for hex); the list exists once
  // the key is seen, even when its value is malformed.
  int key_field(char*& term, int unended, int undecodable) {
    std::optional<std::string> key;
    TextSeen seen;
    int rc = text(
        term, "key=", {.unended = unended, .undecodable = undecodable, .text = Text::kQuotedOrHex},
        key, &seen);
    if (seen.found) s.has_key_list = true;
    if (rc != 0) return rc;
    if (seen.quoted)
      s.keys.push_back(std::move(*key));
    else if (key)
      add_keys(*key);
    return 0;
  }

  // subj=, obj= and the like as a context entry, when the key is there.
  int context(char*& term, const Keys& keys, const TextField& f, Context which) {
    std::optional<std::string> ctx;
    if (int rc = text(term, keys, f, ctx)) return rc;
    if (ctx) add_context(which, std::move(*ctx));
    return 0;
  }

  // ---- per record type ----

  int task_info(char* msg) {
    char *str, *term = msg;
    int rc;
    if (want_ppid() && (rc = number(term, "ppid=", {.unended = 14, .range = 15}, s.ppid)))
      return rc;
    if (want_pid() &&
        (rc = number(term, " pid=", {.missing = 16, .unended = 17, .range = 18}, s.pid)))
      return rc;
    if (want_auid() &&
        (rc = read_auid(term, {"auid=", "loginuid="}, {.missing = 19, .unended = 20, .range = 21})))
      return rc;
    if (want_uid()) {
      for (;;) {
        if ((str = std::strstr(term, "uid=")) == nullptr) return 22;
        if (str > msg && str[-1] == 'a') {  // hit "auid=": look further on
          term = str + 1;
          continue;
        }
        break;
      }
      if ((rc = number_at(str + 4, term, {.unended = 23, .range = 24}, s.uid))) return rc;
      s.tuid = lookup_uid("uid", s.uid);
    }
    if (want_gid() &&
        (rc = number(term, "gid=", {.missing = 25, .unended = 26, .range = 27}, s.gid)))
      return rc;
    if (want_euid() && (rc = named_id(term, "euid=", {.missing = 28, .unended = 29, .range = 30},
                                      s.euid, s.teuid, "euid")))
      return rc;
    if (want_egid() &&
        (rc = number(term, "egid=", {.missing = 31, .unended = 32, .range = 33}, s.egid)))
      return rc;
    if (c.terminal && (rc = text(term, "tty=", {.unended = 34}, s.terminal))) return rc;
    if (want_ses() && (rc = number(term, "ses=", {.unended = 35, .range = 36}, s.session_id)))
      return rc;
    if (c.comm) {
      TextSeen seen;
      rc = text(term, "comm=", {.missing = 38, .unended = 37, .text = Text::kQuotedOrHex}, s.comm,
                &seen);
      if (rc != 0 && seen.found) s.comm.reset();  // stock drops an earlier record's comm first
      if (rc != 0) return rc;
    }
    // Stock searches exe= from the start of the record, not from the cursor.
    if (c.exe &&
        (rc = text(term, "exe=",
                   {.missing = 40, .unended = 39, .text = Text::kQuotedOrHex, .from = msg}, s.exe)))
      return rc;
    if (c.subject && (rc = context(term, "subj=", {.unended = 41}, kSubject))) return rc;
    if (want_success() &&
        (rc = number(term, "res=", {.range = 43, .at_end = Unended::kToEndNoCursor}, s.success)))
      return rc;
    return 0;
  }

  // SYSCALL, and (audit 3.1.1+) URINGOP, whose uring_op= stands for the
  // syscall number and which has no arch= or a0/a1.
  int syscall(char* msg, std::size_t index, bool uring) {
    char* term = msg;
    int rc;
    if (!uring && (c.format > ReportFormat::kDefault || c.machine != kNoMachine) &&
        (rc = number(term, "arch=", {.missing = 1, .unended = 2, .range = 3, .base = 16}, s.arch)))
      return rc;
    if ((rc = number(term, uring ? "uring_op=" : "syscall=", {.missing = 4, .unended = 5, .range = 6},
                     s.syscall)))
      return rc;
    // 4.x stores libaudit's io_uring machine number here, where a SYSCALL
    // record has its ELF arch.
    if (uring) s.arch = record::kMachIoUring;
    if (want_success()) {
      std::optional<std::string> success;  // exit_group has none
      if ((rc = text(term, "success=", {.unended = 7}, success))) return rc;
      if (success) s.success = *success == "yes" ? Success::kSuccess : Success::kFailed;
    }
    if (c.exit) {
      if ((rc = number(term, "exit=", {.missing = 8, .unended = 9, .range = 10, .base = 0},
                       Signed{s.exit})))
        return rc;
      s.exit_is_set = true;
    }
    for (int arg = 0; arg < (uring ? 0 : 2); ++arg) {
      if ((rc = number(term, arg == 0 ? "a0=" : "a1=",
                       {.missing = 11, .unended = 12, .range = 13, .base = 16},
                       (arg == 0 ? s.a0 : s.a1)[index])))
        return rc;
    }
    if ((rc = task_info(msg))) return rc;
    // key= from the cursor left after a1, not where task_info stopped.
    if (c.key && (rc = key_field(term, 44, 45))) return rc;
    return 0;
  }

  int dir(char* msg) {
    if (!c.filename) return 0;
    char* term = msg + kNameOffset;
    std::optional<std::string> cwd;  // the first CWD of an event counts
    if (int rc = text(term, " cwd=", {.unended = 1, .text = Text::kQuotedOrHex}, cwd)) return rc;
    if (!s.cwd) s.cwd = std::move(cwd);
    return 0;
  }

  int avc_path(char* msg) {
    if (!c.filename) return 0;
    char* str = std::strstr(msg, " path=");
    if (str == nullptr) return 1;
    return path_value(str + 6);
  }

  int path(char* msg) {
    char *str, *term = msg + kNameOffset;
    if (c.filename) {
      if ((str = std::strstr(term, " name=")) != nullptr) {
        str += 6;
        if (int rc = path_value(str); rc != 0) return rc;
        term = str;
        // Stock keeps everything after the first "type=" (nametype= or
        // objtype=) as the name's key: the rest of the record.
        if ((str = std::strstr(term, "type=")) != nullptr)
          s.filename_keys.back() = std::string(str + 5);
      }
    }
    if (c.object) context(term, "obj=", {.at_end = Unended::kToEnd}, kObject);
    return 0;
  }

  int obj(char* msg) {
    char* term = msg;
    if (c.object) context(term, "obj=", {.at_end = Unended::kToEnd}, kObject);
    return 0;
  }

  int user(char* msg, int type, AvcEntry* avc) {
    char *str, *ptr, *term = msg, *mptr;
    int rc;
    if (want_pid() && (rc = number(term, "pid=", {.missing = 1, .unended = 2, .range = 3}, s.pid)))
      return rc;
    if (want_uid() && (rc = read_uid(term, "uid=", {.missing = 4, .unended = 5, .range = 6})))
      return rc;
    if (want_auid() &&
        (rc = read_auid(term, {"auid=", "loginuid="}, {.missing = 7, .unended = 8, .range = 9})))
      return rc;
    if (want_ses() && (rc = number(term, "ses=", {.unended = 10, .range = 11}, s.session_id)))
      return rc;
    if (c.subject) {
      if (avc)
        rc = text(term, "subj=", {.unended = 12}, avc->scontext);
      else
        rc = context(term, "subj=", {.unended = 12}, kSubject);
      if (rc) return rc;
    }
    if (avc && c.object) {
      text(term, "tcontext=", {.at_end = Unended::kSkipped}, avc->tcontext);
      text(term, "tclass=", {.at_end = Unended::kSkipped}, avc->avc_class);
    }
    if (want_gid() &&
        (type == AUDIT_ADD_GROUP || type == AUDIT_DEL_GROUP || type == AUDIT_GRP_MGMT) &&
        (rc = number(term, {" id=", type == AUDIT_GRP_MGMT ? "gid=" : nullptr},
                     {.unended = 31, .range = 32}, s.gid)))
      return rc;
    if (c.vmname && (rc = text(term, "vm=", {.unended = 23, .text = Text::kQuotedOrHex}, s.vmname)))
      return rc;
    if (c.uuid) {
      if ((str = std::strstr(term, "uuid=")) != nullptr) {
        str += 5;
        term = str;
        while (*term != ' ' && *term != ':' && *term) ++term;
        if (term == str) return 24;
        s.uuid = span(str, term);
      }
    }
    if (type == AUDIT_VIRT_MACHINE_ID) {
      if (c.subject && (rc = context(term, "vm-ctx=", {.unended = 27}, kSubject))) return rc;
      if (c.object && (rc = context(term, "img-ctx=", {.unended = 29}, kObject))) return rc;
    } else if (type == AUDIT_VIRT_RESOURCE) {
      if (c.filename) {
        std::size_t skip = 6;
        if ((str = std::strstr(term, " path=")) == nullptr) {
          skip = 10;
          str = std::strstr(term, " new-disk=");
        }
        if (str != nullptr) {
          str += skip;
          if ((rc = path_value(str))) return rc;
          term = str;
        }
      }
    }
    // The uid that matters is sometimes the second one (USER_LOGIN's
    // uid= inside msg=): skip "auid=", stop at "suid="/"ouid=".
    if (want_uid()) {
      for (;;) {
        str = std::strstr(term, "uid=");
        if (str == nullptr) break;
        char before = str > msg ? str[-1] : '\0';
        if (before == 'a') {
          term = str + 1;
          continue;
        }
        if (before == 's' || before == 'u') break;
        if (before != '\'' && before != ' ') return 25;
        if ((rc = number_at(str + 4, term, {.unended = 14, .range = 15, .digits_only = true},
                            s.uid)))
          return rc;
        s.tuid = lookup_uid("uid", s.uid);
        break;
      }
    }
    mptr = term;

    if (c.comm && (rc = text(term, "comm=",
                             {.unended = 16, .text = Text::kQuotedOrHex, .from = mptr}, s.comm)))
      return rc;
    // acct= is always taken (user/group management reports need it).
    if ((str = std::strstr(mptr, "acct=")) != nullptr) {
      ptr = str + 5;
      if (*ptr == '"') {
        term = ptr + 1;
        while (*term != '"' && *term) ++term;
        s.acct = span(ptr + 1, term);
      } else {
        s.acct = quoted_hex_or_legacy(ptr, term);
      }
    }
    mptr = term;

    if (c.hostname) {
      TextSeen seen;
      if ((rc = text(term, "hostname=", {.unended = 17, .ends = ", ", .from = mptr}, s.hostname,
                     &seen)))
        return rc;
      if (seen.found && *s.hostname == "?") {  // addr= may say more
        ++term;
        if ((rc = text(term, "addr=", {.unended = 18, .ends = ", "}, s.hostname))) return rc;
      }
    }
    if (c.filename &&
        (rc = text(term, "cwd=", {.unended = 20, .text = Text::kQuotedOrLegacy, .from = mptr},
                   s.cwd)))
      return rc;
    if (c.terminal) {
      TextSeen seen;
      if ((rc = text(term, "terminal=", {.unended = 19, .ends = " )", .from = mptr}, s.terminal,
                     &seen)))
        return rc;
      if (seen.found) *term = ' ';  // stock restores a ' ' even where it cut at ')'
    }
    if (c.exe && (rc = text(term, "exe=",
                            {.unended = 26, .text = Text::kQuotedOrLegacy, .from = mptr}, s.exe)))
      return rc;
    if (want_success()) {
      if ((str = std::strstr(mptr, "res=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, '\'')) == nullptr) return 21;
        s.success = std::strncmp(ptr, "failed", 6) == 0 ? Success::kFailed : Success::kSuccess;
      } else if ((str = std::strstr(mptr, "result=")) != nullptr) {
        ptr = str + 7;
        if ((term = std::strchr(ptr, ')')) == nullptr) return 22;
        s.success = ::strncasecmp(ptr, "success", term - ptr) == 0 && term - ptr == 7
                        ? Success::kSuccess
                        : Success::kFailed;
      }
    }
    return 0;
  }

  int login(char* msg) {
    char* term = msg;
    int rc;
    if (want_pid() && (rc = number(term, "pid=", {.missing = 1, .unended = 2, .range = 3}, s.pid)))
      return rc;
    if (want_uid() && (rc = read_uid(term, "uid=", {.missing = 4, .unended = 5, .range = 6})))
      return rc;
    if (c.subject) {
      std::optional<std::string> ctx;
      if ((rc = text(term, "subj=", {.unended = 12}, ctx))) return rc;
      if (ctx) add_context(kSubject, "subj=" + *ctx);  // stock keeps the key here
    }
    // A value may end the record: the cursor is lost then and the next
    // search starts over from the beginning.
    if (want_auid() &&
        (rc = read_auid(term, {"new auid=", " auid=" /* 3.14+ kernels */, "new loginuid="},
                        {.missing = 7, .range = 8, .at_end = Unended::kToEndNoCursor})))
      return rc;
    if (want_success()) {
      if (term == nullptr) term = msg;
      bool found;
      if ((rc = number(term, "res=", {.range = 9, .at_end = Unended::kToEndNoCursor}, s.success,
                       &found)))
        return rc;
      if (!found) s.success = Success::kSuccess;  // older kernels: always successful
    }
    if (want_ses()) {
      if (term == nullptr) term = msg;
      if ((rc = number(term, {"new ses=", " ses="},
                       {.missing = 14, .range = 11, .at_end = Unended::kToEndNoCursor},
                       s.session_id)))
        return rc;
    }
    return 0;
  }

  // res= of daemon records, searched for from `from`: "failed..." means
  // failure, any other leading word success; no word is malformed.
  int word_result(char* from, int malformed) {
    char* ptr = find_value(from, "res=", false);
    if (ptr == nullptr) return 0;
    char* end = ptr;
    while (is_alpha(*end)) ++end;
    if (end == ptr) return malformed;
    s.success = std::strncmp(ptr, "failed", 6) == 0 && end - ptr >= 6 ? Success::kFailed
                                                                      : Success::kSuccess;
    return 0;
  }

  int daemon1(char* msg) {
    char *term, *mptr;
    int rc;
    // After the header's ')' when there is one.
    mptr = std::strchr(msg, ')');
    if (mptr == nullptr) mptr = msg;
    term = mptr;
    if (want_auid() && (rc = read_auid(term, "auid=", {.missing = 1, .unended = 2, .range = 3})))
      return rc;
    if (want_pid() && (rc = number(term, "pid=", {.missing = 4, .unended = 5, .range = 6}, s.pid)))
      return rc;
    // A user name alone does not make stock look here, nor look the name up.
    if (c.uid != kUnsetId && (rc = number(term, " uid=", {.unended = 7, .range = 8}, s.uid)))
      return rc;
    if (want_ses() && (rc = number(term, "ses=", {.unended = 9, .range = 10}, s.session_id)))
      return rc;
    if (c.subject) context(term, "subj=", {.at_end = Unended::kToEnd}, kSubject);
    if (want_success() && (rc = word_result(mptr, 12))) return rc;
    return 0;
  }

  int daemon2(char* msg) {
    char* term = msg;
    if (c.hostname) {
      if (int rc = text(term, "addr=", {.unended = 1, .ends = ": "}, s.hostname)) return rc;
    }
    if (want_success()) return word_result(term, 2);
    return 0;
  }

  int sockaddr(char* msg) {
    if (!c.hostname && !c.filename) return 0;
    char* str = std::strstr(msg, "saddr=");
    if (str == nullptr) return 0;
    str += 6;
    std::size_t len = 0;
    if (*str == '(') {
      if (const char* close = std::strchr(str, ')')) len = close - str + 1;
    } else {
      while (is_hex(str[len])) ++len;
      len /= 2;
    }
    auto buf = unescape_buffer(str);
    s.hostname.reset();
    if (!buf) return 4;
    // Room for any family's structure; bytes past the decoded ones are only
    // read when the length checks below allowed it, as in stock.
    sockaddr_storage ss{};
    std::memcpy(&ss, buf->data(), std::min(buf->size(), sizeof ss));
    auto* sa = reinterpret_cast<struct sockaddr*>(&ss);
    socklen_t salen;
    if (sa->sa_family == AF_INET) {
      if (len < sizeof(sockaddr_in)) {
        s.diagnostics += "sockaddr len too short\n";
        return 1;
      }
      salen = sizeof(sockaddr_in);
    } else if (sa->sa_family == AF_INET6) {
      if (len < sizeof(sockaddr_in6)) {
        s.diagnostics += "sockaddr6 len too short\n";
        return 2;
      }
      salen = sizeof(sockaddr_in6);
    } else if (sa->sa_family == AF_UNIX) {
      if (len < 4) {
        s.diagnostics += "sun_path len too short\n";
        return 3;
      }
      if (c.filename) {
        s.has_filename_list = true;
        // The decoded bytes end with a NUL inside buf, so these stay in range.
        const char* sun_path = buf->c_str() + 2;
        add_filename(sun_path[0] ? std::string(sun_path) : std::string(sun_path + 1));
      }
      return 0;
    } else {
      return 0;  // a family stock does not look at
    }
    if (!c.hostname) return 0;
    char name[NI_MAXHOST];
    if (::getnameinfo(sa, salen, name, sizeof name, nullptr, 0, NI_NUMERICHOST) == 0)
      s.hostname = std::string(name);
    return 0;
  }

  int integrity(char* msg) {
    char *str, *term = msg;
    int rc;
    // pid= is taken whatever the criteria.
    if ((rc = number(term, "pid=", {.unended = 1, .range = 2}, s.pid))) return rc;
    // Stock starts the number at the '=', so this always reads 0.
    if (want_uid() && (rc = read_uid(term, " uid=", {.unended = 3, .range = 4, .at_equals = true})))
      return rc;
    if (want_auid() && (rc = read_auid(term, "auid=", {.unended = 5, .range = 6, .from = msg})))
      return rc;
    if (want_ses() && (rc = number(term, "ses=", {.unended = 10, .range = 11}, s.session_id)))
      return rc;
    if (c.subject && (rc = context(term, "subj=", {.unended = 12}, kSubject))) return rc;
    if (c.comm && (rc = text(term, "comm=", {.unended = 7, .text = Text::kQuotedOrHex}, s.comm)))
      return rc;
    if (c.filename) {
      if ((str = std::strstr(term, " name=")) != nullptr) {
        if (path_value(str + 6) != 0) return 8;
      }
    }
    if (want_success() &&
        (rc = number(term, "res=", {.range = 9, .at_end = Unended::kToEndNoCursor}, s.success)))
      return rc;
    return 0;
  }

  int avc(char* msg, int type) {
    char *str, *term = msg;
    int rc;
    AvcEntry an;
    bool kernel_format = false;
    if ((str = std::strstr(term, "avc: ")) != nullptr) {
      str += 5;
      if ((term = std::strchr(str, '{')) == nullptr) {
        term = msg;
      } else {
        kernel_format = true;
      }
    }
    if (kernel_format) {
      if (want_success()) {
        *term = 0;
        // Stock lets the AVC override a syscall's verdict.
        if (std::strstr(str, "denied")) {
          s.success = Success::kFailed;
          an.result = AvcResult::kDenied;
        } else {
          s.success = Success::kSuccess;
          an.result = AvcResult::kGranted;
        }
        *term = '{';
      }
      str = term + 1;
      while (*str == ' ') ++str;
      if ((term = std::strchr(str, '}')) == nullptr) return 2;
      while (term[-1] == ' ') --term;
      // With "{ }" the cut lands before str and stock keeps the rest of the record.
      *term = 0;
      an.avc_perm = std::string(str);
      *term = ' ';
    }
    if (type == AUDIT_USER_AVC) {
      rc = user(msg, type, &an);
      if (rc > 20) rc = 0;
      s.has_avc_list = true;
      s.avcs.push_back(std::move(an));
      return rc;
    }
    if (want_pid() && (rc = number(term, "pid=", {.unended = 3, .range = 4}, s.pid))) return rc;
    if (c.comm && !s.comm &&
        (rc = text(term, "comm=",
                   {.missing = 5,
                    .unended = 6,
                    .undecodable = 11,
                    .text = Text::kQuotedOrHex,
                    .hex_step = 6},
                   s.comm)))
      return rc;
    if (c.filename) {
      const char* key = " path=";
      if ((str = std::strstr(term, key)) == nullptr) str = std::strstr(term, key = " name=");
      if (str != nullptr) {
        if ((rc = path_value(str + 6))) return rc;
        term += 7;
      }
    }
    if (c.subject && (rc = text(term, "scontext=", {.unended = 7}, an.scontext))) return rc;
    if (c.object && (rc = text(term, "tcontext=", {.unended = 8}, an.tcontext))) return rc;
    // Required: records without it (AppArmor's AVCs) fail here.
    if ((rc = text(term, "tclass=", {.missing = 9, .at_end = Unended::kToEnd}, an.avc_class)))
      return rc;
    s.has_avc_list = true;
    s.avcs.push_back(std::move(an));
    return 0;
  }

  int kernel_anom(char* msg, int type) {
    char* term = msg;
    int rc;
    if (want_auid() &&
        (rc = read_auid(term, "auid=", {.missing = 1, .range = 2, .at_end = Unended::kToEnd})))
      return rc;
    if (want_uid() && (rc = read_uid(term, "uid=", {.unended = 3, .range = 4}))) return rc;
    if (want_gid() && (rc = number(term, "gid=", {.unended = 5, .range = 6}, s.gid))) return rc;
    if (want_ses() &&
        (rc = number(term, "ses=", {.range = 7, .at_end = Unended::kToEnd}, s.session_id)))
      return rc;
    if (type == AUDIT_ANOM_PROMISCUOUS) return 0;
    if (c.subject && (rc = context(term, "subj=", {.unended = 8}, kSubject))) return rc;
    if (want_pid() && (rc = number(term, "pid=", {.unended = 10, .range = 11}, s.pid))) return rc;
    if (c.comm && (rc = text(term, "comm=", {.unended = 12, .text = Text::kQuotedOrHex}, s.comm)))
      return rc;
    if (c.exe && (rc = text(term, "exe=",
                            {.missing = type != AUDIT_ANOM_ABEND ? 14 : 0,
                             .unended = 13,
                             .text = Text::kQuotedOrHex},
                            s.exe)))
      return rc;
    if (type == AUDIT_SECCOMP) {
      bool found;  // some kernels omit arch=
      if ((rc = number(term, "arch=", {.unended = 15, .range = 16, .base = 16}, s.arch, &found)))
        return rc;
      if (!found) return 0;
      if ((rc = number(term, "syscall=", {.missing = 17, .unended = 18, .range = 19}, s.syscall)))
        return rc;
    }
    if (want_success() &&
        (rc = number(term, "res=", {.range = 68, .at_end = Unended::kToEndNoCursor}, s.success)))
      return rc;
    return 0;
  }

  int simple_message(char* msg, int type) {
    char* term = msg;
    int rc;
    // Old kernels leave auid out of CONFIG_CHANGE.
    if (want_auid() && (rc = read_auid(term, "auid=",
                                       {.missing = type != AUDIT_CONFIG_CHANGE ? 1 : 0,
                                        .range = 2,
                                        .at_end = Unended::kToEnd})))
      return rc;
    if (want_ses() &&
        (rc = number(term, "ses=", {.range = 3, .at_end = Unended::kToEnd}, s.session_id)))
      return rc;
    if (c.subject) context(term, "subj=", {.at_end = Unended::kToEnd}, kSubject);
    if (c.key && (rc = key_field(term, 6, 8))) return rc;
    // The kernel rarely logs res= for these; success unless it says otherwise.
    if (type == AUDIT_CONFIG_CHANGE) s.success = Success::kSuccess;
    if (want_success() &&
        (rc = number(term, "res=", {.range = 7, .at_end = Unended::kToEndNoCursor}, s.success)))
      return rc;
    return 0;
  }

  int tty(char* msg) {
    char* term = msg;
    int rc;
    if (want_pid() && (rc = number(term, "pid=", {.unended = 1, .range = 2, .from = msg}, s.pid)))
      return rc;
    // At the '=': always reads 0, as stock does.
    if (want_uid() && (rc = read_uid(term, " uid=", {.unended = 3, .range = 4, .at_equals = true})))
      return rc;
    if (want_auid() &&
        (rc = read_auid(term, "auid=", {.missing = 5, .range = 6, .at_end = Unended::kToEnd})))
      return rc;
    if (want_ses() && (rc = number(term, "ses=", {.unended = 7, .range = 8}, s.session_id)))
      return rc;
    if (c.comm && (rc = text(term, "comm=", {.unended = 11, .text = Text::kQuotedOrHex}, s.comm)))
      return rc;
    return 0;
  }

  int pkt(char* msg) {
    char* term = msg;
    if (c.hostname) {
      if (int rc = text(term, "saddr=", {.unended = 1, .from = msg}, s.hostname)) return rc;
    }
    if (c.object) context(term, "obj=", {.at_end = Unended::kToEnd}, kObject);
    return 0;
  }

  // NETFILTER_CFG / EVENT_LISTENER: subject fields in yet another order; only
  // what earlier records left unset is taken, and an absent field counts as
  // unset.
  int kernel(char* msg) {
    char* term = msg;
    int rc;
    bool found;
    if (want_pid() && s.pid == kNoPid &&
        (rc = number(term, " pid=", {.missing = 54, .unended = 52, .range = 53}, s.pid)))
      return rc;
    if (s.uid == kUnsetId && !s.tuid && want_uid()) {
      if ((rc = number(term, "uid=", {.unended = 55, .range = 56}, s.uid, &found))) return rc;
      if (!found) s.uid = 0;
      s.tuid = lookup_uid("uid", s.uid);
    }
    if (s.loginuid == kIdNotSeen && !s.tauid && want_auid()) {
      if ((rc = number(term, "auid=", {.unended = 57, .range = 58}, s.loginuid, &found))) return rc;
      if (!found) s.loginuid = kUnsetId;
      s.tauid = lookup_uid("auid", s.loginuid);
    }
    if (!s.terminal && c.terminal) {
      TextSeen seen;
      if ((rc = text(term, "tty=", {.unended = 59}, s.terminal, &seen))) return rc;
      if (!seen.found) s.terminal = "(none)";
    }
    if (s.session_id == kIdNotSeen && want_ses()) {
      if ((rc = number(term, "ses=", {.unended = 60, .range = 61}, s.session_id, &found)))
        return rc;
      if (!found) s.session_id = kUnsetId;
    }
    if (!s.has_avc_list && c.subject &&
        (rc = context(term, "subj=", {.missing = 64, .unended = 62}, kSubject)))
      return rc;
    if (!s.comm && c.comm &&
        (rc = text(term, "comm=", {.missing = 66, .unended = 65, .text = Text::kQuotedOrHex},
                   s.comm)))
      return rc;
    if (!s.exe && c.exe) {
      TextSeen seen;
      if ((rc = text(term, "exe=", {.unended = 67, .text = Text::kQuotedOrHex, .from = msg}, s.exe,
                     &seen)))
        return rc;
      if (!seen.found) s.exe = "(null)";
    }
    if (want_success() &&
        (rc = number(term, "res=", {.range = 69, .at_end = Unended::kToEndNoCursor}, s.success)))
      return rc;
    return 0;
  }
};

bool in(int type, int first, int last) { return type >= first && type <= last; }

bool is_user_message(int t) {
  return t == AUDIT_USER || in(t, AUDIT_FIRST_USER_MSG, AUDIT_USER_END) ||
         in(t, AUDIT_USER_CHAUTHTOK, AUDIT_LAST_USER_MSG) ||
         in(t, AUDIT_FIRST_USER_MSG2, AUDIT_LAST_USER_MSG2);
}

bool has_nothing_to_parse(int t) {
  switch (t) {
    case AUDIT_KERNEL:
    case AUDIT_SELINUX_ERR:
    case AUDIT_EXECVE:
    case AUDIT_IPC_SET_PERM:
    case AUDIT_MQ_OPEN:
    case AUDIT_MQ_SENDRECV:
    case AUDIT_MQ_NOTIFY:
    case AUDIT_MQ_GETSETATTR:
    case AUDIT_FD_PAIR:
    case AUDIT_BPRM_FCAPS:
    case AUDIT_CAPSET:
    case AUDIT_MMAP:
    case AUDIT_PROCTITLE:
    case AUDIT_OPENAT2:
      return true;
    default:
      return in(t, AUDIT_REPLACE, AUDIT_BPF);
  }
}

// Dispatch on the record type in stock's case order (the first matching case wins).
int parse_record(Parser& p, char* msg, int t, std::size_t index, bool& unparsed) {
  unparsed = false;
  switch (t) {
    case AUDIT_SYSCALL:
    case AUDIT_URINGOP:
      return p.syscall(msg, index, t == AUDIT_URINGOP);
    case AUDIT_CWD:
      return p.dir(msg);
    case AUDIT_AVC_PATH:
      return p.avc_path(msg);
    case AUDIT_PATH:
      return p.path(msg);
    default:
      break;
  }
  if (is_user_message(t)) return p.user(msg, t, nullptr);
  switch (t) {
    case AUDIT_SOCKADDR:
      return p.sockaddr(msg);
    case AUDIT_LOGIN:
      return p.login(msg);
    case AUDIT_IPC:
    case AUDIT_OBJ_PID:
      return p.obj(msg);
    case AUDIT_DAEMON_START:
    case AUDIT_DAEMON_END:
    case AUDIT_DAEMON_ABORT:
    case AUDIT_DAEMON_CONFIG:
    case AUDIT_DAEMON_ROTATE:
    case AUDIT_DAEMON_RESUME:
      return p.daemon1(msg);
    case AUDIT_DAEMON_ACCEPT:
    case AUDIT_DAEMON_CLOSE:
      return p.daemon2(msg);
    case AUDIT_CONFIG_CHANGE: {
      int rc = p.simple_message(msg, t);
      // Newer kernels add path= to rule changes; older ones lack it, so
      // stock ignores whether this finds one.
      p.avc_path(msg);
      return rc;
    }
    case AUDIT_AVC:
    case AUDIT_USER_AVC:
      return p.avc(msg, t);
    case AUDIT_NETFILTER_PKT:
      return p.pkt(msg);
    case AUDIT_FEATURE_CHANGE:
    case AUDIT_ANOM_LINK:
      return p.task_info(msg);
    case AUDIT_SECCOMP:
    case AUDIT_ANOM_PROMISCUOUS:
    case AUDIT_ANOM_ABEND:
      return p.kernel_anom(msg, t);
    default:
      break;
  }
  if (in(t, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_UNLBL_STCDEL)) return p.simple_message(msg, t);
  if (in(t, AUDIT_INTEGRITY_DATA, AUDIT_INTEGRITY_RULE)) return p.integrity(msg);
  if (has_nothing_to_parse(t)) return 0;
  switch (t) {
    case AUDIT_NETFILTER_CFG:
    case AUDIT_EVENT_LISTENER:
      return p.kernel(msg);
    case AUDIT_TTY:
      return p.tty(msg);
    default:
      break;
  }
  unparsed = true;
  return 0;
}

}  // namespace

void Interpretations::load(std::string_view text) {
  entries_.clear();
  loaded_ = false;
  if (text.substr(0, 6) == "SADDR=") {
    // auparse keeps only a "saddr" item for these; no uid can be found.
    std::size_t open = text.find('{', 6);
    loaded_ = open != std::string_view::npos && text.find('}', open) != std::string_view::npos;
    if (loaded_) entries_.emplace_back("saddr", std::string(text.substr(open)));
    return;
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t sp = text.find(' ', pos);
    std::string_view tok = text.substr(pos, sp == std::string_view::npos ? sp : sp - pos);
    pos = sp == std::string_view::npos ? text.size() : sp + 1;
    if (tok.empty()) continue;
    std::size_t eq = tok.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(tok.substr(0, eq));
    for (char& ch : name)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    entries_.emplace_back(std::move(name), std::string(tok.substr(eq + 1)));
  }
  loaded_ = !entries_.empty();
}

std::optional<std::string> Interpretations::lookup_id(const std::string& field) const {
  if (!loaded_) return std::nullopt;
  for (const auto& [name, value] : entries_) {
    if (name != field) continue;
    const char* v = value.c_str();
    if (*v == '"') {
      const char* close = std::strchr(v + 1, '"');
      if (close == nullptr) return std::string(" ");
      return span(v + 1, close);
    }
    auto decoded = unescape(v[0] == '0' && v[1] == '0' ? v + 2 : v);
    if (decoded) return decoded;
    return value;
  }
  return std::nullopt;
}

std::optional<std::string> Interpretations::lookup(const std::string& field) const {
  if (!loaded_) return std::nullopt;
  for (const auto& [name, value] : entries_)
    if (name == field) return value;
  return std::nullopt;
}

void SearchItems::reset(std::size_t records) {
  ppid = pid = kNoPid;
  uid = euid = kUnsetId;
  loginuid = kIdNotSeen;
  gid = egid = kUnsetId;
  success = Success::kUnset;
  arch = syscall = 0;
  session_id = kIdNotSeen;
  exit = 0;
  exit_is_set = false;
  for (auto* o :
       {&hostname, &cwd, &exe, &terminal, &comm, &acct, &uuid, &vmname, &tuid, &teuid, &tauid})
    o->reset();
  filenames.clear();
  filename_keys.clear();
  has_filename_list = false;
  keys.clear();
  has_key_list = false;
  avcs.clear();
  has_avc_list = false;
  diagnostics.clear();
  a0.assign(records, 0);
  a1.assign(records, 0);
  altered_raw.assign(records, std::nullopt);
}

int extract_search_items(const record::Event& ev, const Criteria& c, SearchItems& s) {
  const std::size_t n = ev.records.size();
  s.reset(n);

  // Stock loads the enriched interpretations only for user-name criteria,
  // and only from the first record of a one-record or SYSCALL-led event.
  Interpretations interp;
  if ((c.tuid || c.teuid || c.tauid) && n > 0 &&
      (n == 1 || ev.records.front().type == AUDIT_SYSCALL) && ev.records.front().enriched)
    interp.load(ev.records.front().interpreted());

  Parser p{c, s, interp};
  std::string& buf = s.scratch;
  int rc = 0;
  for (std::size_t i = 0; i < n && rc == 0; ++i) {
    const record::Record& r = ev.records[i];
    std::string_view raw = r.raw();
    buf.assign(raw);
    buf.append(kPad + kNameOffset, '\0');
    bool unparsed;
    rc = parse_record(p, buf.data(), r.type, i, unparsed);
    const char* now = buf.c_str();
    if (std::string_view(now) != raw) s.altered_raw[i] = std::string(now);
    if (c.debug && unparsed) {
      s.diagnostics += "Unparsed type:" + std::to_string(r.type) + "\n - skipped";
    }
    if (c.debug && rc != 0) {
      s.diagnostics += "Malformed event skipped, rc=" + std::to_string(rc) + ". " + now + "\n";
    }
  }
  return rc;
}

std::optional<std::string> decode_hex_value(const char* text) { return unescape(text); }

namespace {

// Whether `s` holds "denied": 8 positions a step, a position a candidate
// when it holds the needle's first letter and 5 bytes on its last (both a
// 'd'), each candidate then compared. string_view::find ran memchr to every
// 'd' of the record instead (pid=, uid=, gid=, ...).
bool has_denied(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  constexpr std::uint64_t kD = kOnes * static_cast<unsigned char>('d');
  auto zero_bytes = [&](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const char* p = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0;
  if (n >= 13) {
    for (; i + 13 <= n; i += 8) {
      std::uint64_t a, b;
      std::memcpy(&a, p + i, 8);
      std::memcpy(&b, p + i + 5, 8);
      // True zero bytes are always flagged (a borrow can only add flags
      // above one), so no candidate is missed; each flagged one is checked.
      std::uint64_t m = zero_bytes(a ^ kD) & zero_bytes(b ^ kD);
      while (m) {
        // Byte k of the word is p[i + k] on a little-endian host; on a
        // big-endian one the bits run the other way.
        const int bit = std::endian::native == std::endian::little ? __builtin_ctzll(m)
                                                                   : 63 - __builtin_clzll(m);
        const std::size_t k = std::endian::native == std::endian::little
                                  ? static_cast<std::size_t>(bit / 8)
                                  : static_cast<std::size_t>(7 - bit / 8);
        if (std::memcmp(p + i + k, "denied", 6) == 0) return true;
        m &= ~(std::uint64_t{0x80} << (bit / 8 * 8));
      }
    }
  }
  return s.substr(i).find("denied") != std::string_view::npos;
}

}  // namespace

bool record_may_fail(int type, std::string_view raw) {
  // "denied" anywhere, then one pass over the '=' of the record, each
  // checked for the keys that end there. It was a string_view::find per
  // needle, each a memchr to every 'd', 'r' or 's' of the record: 13% of the
  // history index build's CPU (perf, 64 MiB of scripts/gen-history).
  // The AVC parsers: "denied" fails.
  if (has_denied(raw)) return true;
  const bool user = is_user_message(type);
  const char* p = raw.data();
  const std::size_t n = raw.size();
  bool any_res = false, success_fails = false;
  auto ends_at = [&](std::size_t eq, std::string_view key) {
    return eq >= key.size() && std::memcmp(p + eq - key.size(), key.data(), key.size()) == 0;
  };
  for (const void* at = std::memchr(p, '=', n); at;) {
    const auto i = static_cast<std::size_t>(static_cast<const char*>(at) - p);
    // Every occurrence counts: which one a parser finds depends on where
    // the other criteria left its cursor.
    const std::string_view v = raw.substr(i + 1);
    if (ends_at(i, "result")) {
      // result= (user messages, after res=) fails unless it is exactly
      // "success".
      return true;
    } else if (ends_at(i, "res")) {
      any_res = true;
      // user(): the first res= after the message start fails when it
      // starts with "failed", whatever follows.
      if (user && v.starts_with("failed")) return true;
    } else if (ends_at(i, "success")) {
      // syscall(): success= is a word, "yes" (ended by a space: at the end
      // of the record stock finds it unended) succeeds, anything else fails.
      if (!(v.starts_with("yes") && v.size() > 3 && v[3] == ' ')) success_fails = true;
    }
    at = std::memchr(p + i + 1, '=', n - i - 1);
  }
  if (user) return false;
  // The other parsers take res= as a number (0 fails, and a word converts to
  // 0) or as a word ("failed" fails): any res= may fail.
  return success_fails || any_res;
}

}  // namespace bpfaudit::search
