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

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <utility>

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

// strtoul/strtoull/strtoll exactly as stock calls them: the value and whether
// errno flagged a range error.
bool read_ul(const char* p, int base, unsigned long& out) { return record::read_ulong(p, base, out); }
bool read_ull(const char* p, int base, unsigned long long& out) {
  errno = 0;
  out = std::strtoull(p, nullptr, base);
  return errno == 0;
}
bool read_ll(const char* p, long long& out) {
  errno = 0;
  out = std::strtoll(p, nullptr, 0);
  return errno == 0;
}

// Stock stores into pid_t / uid_t / success_t fields: narrow the same way.
std::int64_t as_pid(unsigned long v) { return static_cast<std::int32_t>(v); }
std::uint32_t as_id(unsigned long v) { return static_cast<std::uint32_t>(v); }
Success as_success(unsigned long v) { return static_cast<Success>(static_cast<int>(v)); }

std::optional<std::string> passwd_name(std::uint32_t uid) {
  // Stock retries getpwuid for uids it did not find, each time reading the
  // passwd database; the answer cannot change within one run, so misses are
  // remembered too (a log full of unknown auids otherwise spends its time
  // in open/read/close).
  static std::unordered_map<std::uint32_t, std::optional<std::string>> cache;
  if (auto it = cache.find(uid); it != cache.end()) return it->second;
  struct passwd* pw = ::getpwuid(uid);
  std::optional<std::string> name;
  if (pw != nullptr) name = pw->pw_name;
  return cache.emplace(uid, std::move(name)).first->second;
}

struct Parser {
  const Criteria& c;
  SearchItems& s;
  const Interpretations& interp;

  // Which criteria are active, named after what they make stock look for.
  bool want_ppid() const { return c.ppid != -1; }
  bool want_pid() const { return c.pid != -1; }
  bool want_uid() const { return c.uid != ~0u || c.tuid.has_value(); }
  bool want_auid() const { return c.loginuid != ~0u - 1 || c.tauid.has_value(); }
  bool want_euid() const { return c.euid != ~0u || c.teuid.has_value(); }
  bool want_gid() const { return c.gid != ~0u; }
  bool want_egid() const { return c.egid != ~0u; }
  bool want_ses() const { return c.session_id != ~0u - 1; }
  bool want_success() const { return c.success != Success::kUnset; }

  std::optional<std::string> lookup_uid(const char* field, std::uint32_t uid) const {
    if (auto v = interp.lookup_id(field)) return v;
    if (uid == 0) return std::string("root");
    if (uid == ~0u) return std::string("unset");
    return passwd_name(uid);
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

  void add_subject(const char* ctx) {
    s.has_avc_list = true;
    AvcEntry an;
    an.scontext = ctx;
    s.avcs.push_back(std::move(an));
  }
  void add_object(const char* ctx) {
    s.has_avc_list = true;
    AvcEntry an;
    an.tcontext = ctx;
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

  // ---- per record type ----

  int task_info(char* msg) {
    char *str, *ptr, *term = msg;
    unsigned long v;
    if (want_ppid()) {
      if ((str = std::strstr(term, "ppid=")) != nullptr) {  // optional field
        ptr = str + 5;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 14;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 15;
        s.ppid = as_pid(v);
        *term = ' ';
      }
    }
    if (want_pid()) {
      if ((str = std::strstr(term, " pid=")) == nullptr) return 16;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 17;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 18;
      s.pid = as_pid(v);
      *term = ' ';
    }
    if (want_auid()) {
      if ((str = std::strstr(term, "auid=")) != nullptr) {
        ptr = str + 5;
      } else {
        if ((str = std::strstr(term, "loginuid=")) == nullptr) return 19;
        ptr = str + 9;
      }
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 20;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 21;
      s.loginuid = as_id(v);
      *term = ' ';
      s.tauid = lookup_uid("auid", s.loginuid);
    }
    if (want_uid()) {
      for (;;) {
        if ((str = std::strstr(term, "uid=")) == nullptr) return 22;
        if (str > msg && str[-1] == 'a') {  // hit "auid=": look further on
          term = str + 1;
          continue;
        }
        break;
      }
      ptr = str + 4;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 23;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 24;
      s.uid = as_id(v);
      *term = ' ';
      s.tuid = lookup_uid("uid", s.uid);
    }
    if (want_gid()) {
      if ((str = std::strstr(term, "gid=")) == nullptr) return 25;
      ptr = str + 4;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 26;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 27;
      s.gid = as_id(v);
      *term = ' ';
    }
    if (want_euid()) {
      if ((str = std::strstr(term, "euid=")) == nullptr) return 28;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 29;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 30;
      s.euid = as_id(v);
      *term = ' ';
      s.teuid = lookup_uid("euid", s.euid);
    }
    if (want_egid()) {
      if ((str = std::strstr(term, "egid=")) == nullptr) return 31;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 32;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 33;
      s.egid = as_id(v);
      *term = ' ';
    }
    if (c.terminal) {
      if ((str = std::strstr(term, "tty=")) != nullptr) {
        str += 4;
        if ((term = std::strchr(str, ' ')) == nullptr) return 34;
        s.terminal = span(str, term);
      }
    }
    if (want_ses()) {
      if ((str = std::strstr(term, "ses=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 35;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 36;
        s.session_id = as_id(v);
        *term = ' ';
      }
    }
    if (c.comm) {
      if ((str = std::strstr(term, "comm=")) == nullptr) return 38;
      s.comm.reset();  // this record's comm replaces an earlier one
      str += 5;
      if (*str == '"') {
        ++str;
        if ((term = std::strchr(str, '"')) == nullptr) return 37;
        s.comm = span(str, term);
      } else {
        s.comm = unescape(str);
      }
    }
    if (c.exe) {
      // Stock searches exe= from the start of the record, not from the cursor.
      if ((str = std::strstr(msg, "exe=")) == nullptr) return 40;
      str += 4;
      if (*str == '"') {
        ++str;
        if ((term = std::strchr(str, '"')) == nullptr) return 39;
        s.exe = span(str, term);
      } else {
        s.exe = unescape(str);
      }
    }
    if (c.subject) {
      if ((str = std::strstr(term, "subj=")) != nullptr) {
        str += 5;
        if ((term = std::strchr(str, ' ')) == nullptr) return 41;
        add_subject(span(str, term).c_str());
      }
    }
    if (want_success()) {
      if ((str = std::strstr(term, "res=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 43;
        s.success = as_success(v);
        if (term) *term = ' ';
      }
    }
    return 0;
  }

  int syscall(char* msg, std::size_t index) {
    char *str, *ptr, *term = msg;
    unsigned long v;
    unsigned long long a;
    if (c.format > ReportFormat::kDefault || c.machine != -1) {
      if ((str = std::strstr(term, "arch=")) == nullptr) return 1;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 2;
      *term = 0;
      if (!read_ul(ptr, 16, v)) return 3;
      s.arch = static_cast<int>(v);
      *term = ' ';
    }
    if ((str = std::strstr(term, "syscall=")) == nullptr) return 4;
    ptr = str + 8;
    if ((term = std::strchr(ptr, ' ')) == nullptr) return 5;
    *term = 0;
    if (!read_ul(ptr, 10, v)) return 6;
    s.syscall = static_cast<int>(v);
    *term = ' ';
    if (want_success()) {
      if ((str = std::strstr(term, "success=")) != nullptr) {  // exit_group has none
        ptr = str + 8;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 7;
        *term = 0;
        s.success = std::strcmp(ptr, "yes") == 0 ? Success::kSuccess : Success::kFailed;
        *term = ' ';
      }
    }
    if (c.exit) {
      if ((str = std::strstr(term, "exit=")) == nullptr) return 8;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 9;
      *term = 0;
      long long e;
      if (!read_ll(ptr, e)) return 10;
      s.exit = e;
      s.exit_is_set = true;
      *term = ' ';
    }
    for (int arg = 0; arg < 2; ++arg) {
      if ((str = std::strstr(term, arg == 0 ? "a0=" : "a1=")) == nullptr) return 11;
      ptr = str + 3;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 12;
      *term = 0;
      if (!read_ull(ptr, 16, a)) return 13;
      (arg == 0 ? s.a0 : s.a1)[index] = a;
      *term = ' ';
    }
    if (int rc = task_info(msg); rc != 0) return rc;
    if (c.key) {
      // From the cursor left after a1, not where task_info stopped.
      if ((str = std::strstr(term, "key=")) != nullptr) {
        s.has_key_list = true;
        str += 4;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 44;
          s.keys.push_back(span(str, term));
        } else {
          auto joined = unescape(str);
          if (!joined) return 45;
          add_keys(*joined);
        }
      }
    }
    return 0;
  }

  int dir(char* msg) {
    if (!c.filename) return 0;
    char *str, *term;
    if ((str = std::strstr(msg + kNameOffset, " cwd=")) != nullptr) {
      str += 5;
      if (*str == '"') {
        ++str;
        if ((term = std::strchr(str, '"')) == nullptr) return 1;
        if (!s.cwd) s.cwd = span(str, term);
      } else if (!s.cwd) {
        s.cwd = unescape(str);
      }
    }
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
    if (c.object) {
      if ((str = std::strstr(term, "obj=")) != nullptr) {
        str += 4;
        term = std::strchr(str, ' ');
        add_object(term ? span(str, term).c_str() : str);
      }
    }
    return 0;
  }

  int obj(char* msg) {
    if (!c.object) return 0;
    char *str = std::strstr(msg, "obj="), *term;
    if (str != nullptr) {
      str += 4;
      term = std::strchr(str, ' ');
      add_object(term ? span(str, term).c_str() : str);
    }
    return 0;
  }

  // A value that is either "quoted" or, when every character up to the next
  // space is a hex digit, hex; anything else is a legacy plain value.
  static std::optional<std::string> quoted_hex_or_legacy(char* str, char*& term) {
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

  int user(char* msg, int type, AvcEntry* avc) {
    char *str, *ptr, *term = msg, *mptr;
    unsigned long v;
    if (want_pid()) {
      if ((str = std::strstr(term, "pid=")) == nullptr) return 1;
      ptr = str + 4;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 2;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 3;
      s.pid = as_pid(v);
      *term = ' ';
    }
    if (want_uid()) {
      if ((str = std::strstr(term, "uid=")) == nullptr) return 4;
      ptr = str + 4;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 5;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 6;
      s.uid = as_id(v);
      *term = ' ';
      s.tuid = lookup_uid("uid", s.uid);
    }
    if (want_auid()) {
      if ((str = std::strstr(term, "auid=")) != nullptr) {
        ptr = str + 5;
      } else {
        if ((str = std::strstr(term, "loginuid=")) == nullptr) return 7;
        ptr = str + 9;
      }
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 8;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 9;
      s.loginuid = as_id(v);
      *term = ' ';
      s.tauid = lookup_uid("auid", s.loginuid);
    }
    if (want_ses()) {
      if ((str = std::strstr(term, "ses=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 10;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 11;
        s.session_id = as_id(v);
        *term = ' ';
      }
    }
    if (c.subject) {
      if ((str = std::strstr(term, "subj=")) != nullptr) {
        str += 5;
        if ((term = std::strchr(str, ' ')) == nullptr) return 12;
        if (avc)
          avc->scontext = span(str, term);
        else
          add_subject(span(str, term).c_str());
      }
    }
    if (avc && c.object) {
      if ((str = std::strstr(term, "tcontext=")) != nullptr) {
        str += 9;
        if ((term = std::strchr(str, ' ')) != nullptr)
          avc->tcontext = span(str, term);
        else
          term = str;
      }
      if ((str = std::strstr(term, "tclass=")) != nullptr) {
        str += 7;
        if ((term = std::strchr(str, ' ')) != nullptr)
          avc->avc_class = span(str, term);
        else
          term = str;
      }
    }
    if (want_gid() &&
        (type == AUDIT_ADD_GROUP || type == AUDIT_DEL_GROUP || type == AUDIT_GRP_MGMT)) {
      str = std::strstr(term, " id=");
      if (str == nullptr && type == AUDIT_GRP_MGMT) str = std::strstr(term, "gid=");
      if (str != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 31;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 32;
        s.gid = as_id(v);
        *term = ' ';
      }
    }
    if (c.vmname) {
      if ((str = std::strstr(term, "vm=")) != nullptr) {
        str += 3;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 23;
          s.vmname = span(str, term);
        } else {
          s.vmname = unescape(str);
        }
      }
    }
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
      if (c.subject) {
        if ((str = std::strstr(term, "vm-ctx=")) != nullptr) {
          str += 7;
          if ((term = std::strchr(str, ' ')) == nullptr) return 27;
          add_subject(span(str, term).c_str());
        }
      }
      if (c.object) {
        if ((str = std::strstr(term, "img-ctx=")) != nullptr) {
          str += 8;
          if ((term = std::strchr(str, ' ')) == nullptr) return 29;
          add_object(span(str, term).c_str());
        }
      }
    } else if (type == AUDIT_VIRT_RESOURCE) {
      if (c.filename) {
        std::size_t skip = 6;
        if ((str = std::strstr(term, " path=")) == nullptr) {
          skip = 10;
          str = std::strstr(term, " new-disk=");
        }
        if (str != nullptr) {
          str += skip;
          if (int rc = path_value(str); rc != 0) return rc;
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
        ptr = str + 4;
        term = ptr;
        while (is_digit(*term)) ++term;
        if (term == ptr) return 14;
        char saved = *term;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 15;
        *term = saved;
        s.uid = as_id(v);
        s.tuid = lookup_uid("uid", s.uid);
        break;
      }
    }
    mptr = term;

    if (c.comm) {
      if ((str = std::strstr(mptr, "comm=")) != nullptr) {
        str += 5;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 16;
          s.comm = span(str, term);
        } else {
          s.comm = unescape(str);
        }
      }
    }
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
      if ((str = std::strstr(mptr, "hostname=")) != nullptr) {
        str += 9;
        if ((term = std::strchr(str, ',')) == nullptr && (term = std::strchr(str, ' ')) == nullptr)
          return 17;
        s.hostname = span(str, term);
        if (*s.hostname == "?") {  // addr= may say more
          ++term;
          if ((str = std::strstr(term, "addr=")) != nullptr) {
            str += 5;
            if ((term = std::strchr(str, ',')) == nullptr &&
                (term = std::strchr(str, ' ')) == nullptr)
              return 18;
            s.hostname = span(str, term);
          }
        }
      }
    }
    if (c.filename) {
      if ((str = std::strstr(mptr, "cwd=")) != nullptr) {
        str += 4;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 20;
          s.cwd = span(str, term);
        } else {
          s.cwd = quoted_hex_or_legacy(str, term);
        }
      }
    }
    if (c.terminal) {
      if ((str = std::strstr(mptr, "terminal=")) != nullptr) {
        str += 9;
        if ((term = std::strchr(str, ' ')) == nullptr && (term = std::strchr(str, ')')) == nullptr)
          return 19;
        s.terminal = span(str, term);
        *term = ' ';  // stock restores a ' ' even where it cut at ')'
      }
    }
    if (c.exe) {
      if ((str = std::strstr(mptr, "exe=")) != nullptr) {
        str += 4;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 26;
          s.exe = span(str, term);
        } else {
          s.exe = quoted_hex_or_legacy(str, term);
        }
      }
    }
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
    char *str, *ptr, *term = msg;
    unsigned long v;
    if (want_pid()) {
      if ((str = std::strstr(term, "pid=")) == nullptr) return 1;
      ptr = str + 4;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 2;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 3;
      s.pid = as_pid(v);
      *term = ' ';
    }
    if (want_uid()) {
      if ((str = std::strstr(term, "uid=")) == nullptr) return 4;
      ptr = str + 4;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 5;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 6;
      s.uid = as_id(v);
      *term = ' ';
      s.tuid = lookup_uid("uid", s.uid);
    }
    if (c.subject) {
      if ((str = std::strstr(term, "subj=")) != nullptr) {
        ptr = str + 5;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 12;
        // Stock keeps the "subj=" prefix in the context here.
        add_subject(span(str, term).c_str());
      }
    }
    if (want_auid()) {
      if ((str = std::strstr(term, "new auid=")) != nullptr) {
        ptr = str + 9;
      } else if ((str = std::strstr(term, " auid=")) != nullptr) {  // 3.14+ kernels
        ptr = str + 6;
      } else {
        if ((str = std::strstr(term, "new loginuid=")) == nullptr) return 7;
        ptr = str + 13;
      }
      if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
      if (!read_ul(ptr, 10, v)) return 8;
      s.loginuid = as_id(v);
      if (term) *term = ' ';
      s.tauid = lookup_uid("auid", s.loginuid);
    }
    if (want_success()) {
      if (term == nullptr) term = msg;
      if ((str = std::strstr(term, "res=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 9;
        s.success = as_success(v);
        if (term) *term = ' ';
      } else {
        s.success = Success::kSuccess;  // older kernels: always successful
      }
    }
    if (want_ses()) {
      if (term == nullptr) term = msg;
      if ((str = std::strstr(term, "new ses=")) != nullptr) {
        ptr = str + 8;
      } else {
        if ((str = std::strstr(term, " ses=")) == nullptr) return 14;
        ptr = str + 5;
      }
      if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
      if (!read_ul(ptr, 10, v)) return 11;
      s.session_id = as_id(v);
      if (term) *term = ' ';
    }
    return 0;
  }

  // "failed..." means failure, any other leading word success; no word is an error.
  static bool word_result(char* ptr, Success& out) {
    char* end = ptr;
    while (is_alpha(*end)) ++end;
    if (end == ptr) return false;
    out = std::strncmp(ptr, "failed", 6) == 0 && end - ptr >= 6 ? Success::kFailed
                                                                : Success::kSuccess;
    return true;
  }

  int daemon1(char* msg) {
    char *str, *ptr, *term, *mptr;
    unsigned long v;
    // After the header's ')' when there is one.
    mptr = std::strchr(msg, ')');
    if (mptr == nullptr) mptr = msg;
    term = mptr;
    if (want_auid()) {
      if ((str = std::strstr(mptr, "auid=")) == nullptr) return 1;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 2;
      char saved = *term;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 3;
      *term = saved;
      s.loginuid = as_id(v);
      s.tauid = lookup_uid("auid", s.loginuid);
    }
    if (want_pid()) {
      if ((str = std::strstr(term, "pid=")) == nullptr) return 4;
      ptr = str + 4;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 5;
      char saved = *term;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 6;
      *term = saved;
      s.pid = as_pid(v);
    }
    if (c.uid != ~0u) {  // a user name alone does not make stock look here
      if ((str = std::strstr(term, " uid=")) != nullptr) {
        ptr = str + 5;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 7;
        char saved = *term;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 8;
        *term = saved;
        s.uid = as_id(v);
      }
    }
    if (want_ses()) {
      if ((str = std::strstr(term, "ses=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 9;
        char saved = *term;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 10;
        *term = saved;
        s.session_id = as_id(v);
      }
    }
    if (c.subject) {
      if ((str = std::strstr(term, "subj=")) != nullptr) {
        str += 5;
        term = std::strchr(str, ' ');
        add_subject(term ? span(str, term).c_str() : str);
      }
    }
    if (want_success()) {
      if ((str = std::strstr(mptr, "res=")) != nullptr) {
        if (!word_result(str + 4, s.success)) return 12;
      }
    }
    return 0;
  }

  int daemon2(char* msg) {
    char *str, *term = msg;
    if (c.hostname) {
      if ((str = std::strstr(term, "addr=")) != nullptr) {
        str += 5;
        if ((term = std::strchr(str, ':')) == nullptr && (term = std::strchr(str, ' ')) == nullptr)
          return 1;
        s.hostname = span(str, term);
      }
    }
    if (want_success()) {
      if ((str = std::strstr(term, "res=")) != nullptr) {
        if (!word_result(str + 4, s.success)) return 2;
      }
    }
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
    char *str, *ptr, *term = msg;
    unsigned long v;
    if ((str = std::strstr(term, "pid=")) != nullptr) {  // taken whatever the criteria
      ptr = str + 4;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 1;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 2;
      s.pid = as_pid(v);
      *term = ' ';
    }
    if (want_uid()) {
      if ((str = std::strstr(term, " uid=")) != nullptr) {
        // Stock starts the number at the '=', so this always reads 0.
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 3;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 4;
        s.uid = as_id(v);
        *term = ' ';
        s.tuid = lookup_uid("uid", s.uid);
      }
    }
    if (want_auid()) {
      if ((str = std::strstr(msg, "auid=")) != nullptr) {
        ptr = str + 5;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 5;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 6;
        s.loginuid = as_id(v);
        *term = ' ';
        s.tauid = lookup_uid("auid", s.loginuid);
      }
    }
    if (want_ses()) {
      if ((str = std::strstr(term, "ses=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 10;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 11;
        s.session_id = as_id(v);
        *term = ' ';
      }
    }
    if (c.subject) {
      if ((str = std::strstr(term, "subj=")) != nullptr) {
        str += 5;
        if ((term = std::strchr(str, ' ')) == nullptr) return 12;
        add_subject(span(str, term).c_str());
      }
    }
    if (c.comm) {
      if ((str = std::strstr(term, "comm=")) != nullptr) {
        str += 5;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 7;
          s.comm = span(str, term);
        } else {
          s.comm = unescape(str);
        }
      }
    }
    if (c.filename) {
      if ((str = std::strstr(term, " name=")) != nullptr) {
        if (path_value(str + 6) != 0) return 8;
      }
    }
    if (want_success()) {
      if ((str = std::strstr(term, "res=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 9;
        s.success = as_success(v);
        if (term) *term = ' ';
      }
    }
    return 0;
  }

  int avc(char* msg, int type) {
    char *str, *term = msg;
    unsigned long v;
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
      int rc = user(msg, type, &an);
      if (rc > 20) rc = 0;
      s.has_avc_list = true;
      s.avcs.push_back(std::move(an));
      return rc;
    }
    if (want_pid()) {
      if ((str = std::strstr(term, "pid=")) != nullptr) {
        str += 4;
        if ((term = std::strchr(str, ' ')) == nullptr) return 3;
        *term = 0;
        if (!read_ul(str, 10, v)) return 4;
        s.pid = as_pid(v);
        *term = ' ';
      }
    }
    if (c.comm && !s.comm) {
      if ((str = std::strstr(term, "comm=")) == nullptr) return 5;
      str += 5;
      if (*str == '"') {
        ++str;
        if ((term = std::strchr(str, '"')) == nullptr) return 6;
        s.comm = span(str, term);
      } else {
        s.comm = unescape(str);
        if (!s.comm) return 11;
        term = str + 6;  // stock's fixed step; may pass the end (see kPad)
      }
    }
    if (c.filename) {
      const char* key = " path=";
      if ((str = std::strstr(term, key)) == nullptr) str = std::strstr(term, key = " name=");
      if (str != nullptr) {
        if (int rc = path_value(str + 6); rc != 0) return rc;
        term += 7;
      }
    }
    if (c.subject) {
      if ((str = std::strstr(term, "scontext=")) != nullptr) {
        str += 9;
        if ((term = std::strchr(str, ' ')) == nullptr) return 7;
        an.scontext = span(str, term);
      }
    }
    if (c.object) {
      if ((str = std::strstr(term, "tcontext=")) != nullptr) {
        str += 9;
        if ((term = std::strchr(str, ' ')) == nullptr) return 8;
        an.tcontext = span(str, term);
      }
    }
    // Required: records without it (AppArmor's AVCs) fail here.
    if ((str = std::strstr(term, "tclass=")) == nullptr) return 9;
    str += 7;
    term = std::strchr(str, ' ');
    an.avc_class = term ? span(str, term) : std::string(str);
    s.has_avc_list = true;
    s.avcs.push_back(std::move(an));
    return 0;
  }

  int kernel_anom(char* msg, int type) {
    char *str, *ptr, *term = msg;
    unsigned long v;
    if (want_auid()) {
      if ((str = std::strstr(term, "auid=")) == nullptr) return 1;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
      if (!read_ul(ptr, 10, v)) return 2;
      s.loginuid = as_id(v);
      if (term)
        *term = ' ';
      else
        term = ptr;
      s.tauid = lookup_uid("auid", s.loginuid);
    }
    if (want_uid()) {
      if ((str = std::strstr(term, "uid=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 3;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 4;
        s.uid = as_id(v);
        *term = ' ';
        s.tuid = lookup_uid("uid", s.uid);
      }
    }
    if (want_gid()) {
      if ((str = std::strstr(term, "gid=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 5;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 6;
        s.gid = as_id(v);
        *term = ' ';
      }
    }
    if (want_ses()) {
      if ((str = std::strstr(term, "ses=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 7;
        s.session_id = as_id(v);
        if (term)
          *term = ' ';
        else
          term = ptr;
      }
    }
    if (type == AUDIT_ANOM_PROMISCUOUS) return 0;
    if (c.subject) {
      if ((str = std::strstr(term, "subj=")) != nullptr) {
        str += 5;
        if ((term = std::strchr(str, ' ')) == nullptr) return 8;
        add_subject(span(str, term).c_str());
      }
    }
    if (want_pid()) {
      if ((str = std::strstr(term, "pid=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 10;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 11;
        s.pid = as_pid(v);
        *term = ' ';
      }
    }
    if (c.comm) {
      if ((str = std::strstr(term, "comm=")) != nullptr) {
        str += 5;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 12;
          s.comm = span(str, term);
        } else {
          s.comm = unescape(str);
        }
      }
    }
    if (c.exe) {
      if ((str = std::strstr(term, "exe=")) != nullptr) {
        str += 4;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 13;
          s.exe = span(str, term);
        } else {
          s.exe = unescape(str);
        }
      } else if (type != AUDIT_ANOM_ABEND) {
        return 14;
      }
    }
    if (type == AUDIT_SECCOMP) {
      if ((str = std::strstr(term, "arch=")) == nullptr) return 0;  // some kernels omit it
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 15;
      *term = 0;
      if (!read_ul(ptr, 16, v)) return 16;
      s.arch = static_cast<int>(v);
      *term = ' ';
      if ((str = std::strstr(term, "syscall=")) == nullptr) return 17;
      ptr = str + 8;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 18;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 19;
      s.syscall = static_cast<int>(v);
      *term = ' ';
    }
    if (want_success()) {
      if ((str = std::strstr(term, "res=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 68;
        s.success = as_success(v);
        if (term) *term = ' ';
      }
    }
    return 0;
  }

  int simple_message(char* msg, int type) {
    char *str, *ptr, *term = msg;
    unsigned long v;
    if (want_auid()) {
      // Old kernels leave auid out of CONFIG_CHANGE.
      str = std::strstr(term, "auid=");
      if (str == nullptr && type != AUDIT_CONFIG_CHANGE) return 1;
      if (str != nullptr) {
        ptr = str + 5;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 2;
        s.loginuid = as_id(v);
        if (term)
          *term = ' ';
        else
          term = ptr;
        s.tauid = lookup_uid("auid", s.loginuid);
      }
    }
    if (want_ses()) {
      if ((str = std::strstr(term, "ses=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 3;
        s.session_id = as_id(v);
        if (term)
          *term = ' ';
        else
          term = ptr;
      }
    }
    if (c.subject) {
      if ((str = std::strstr(term, "subj=")) != nullptr) {
        str += 5;
        term = std::strchr(str, ' ');
        add_subject(term ? span(str, term).c_str() : str);
        if (term == nullptr) term = str;
      }
    }
    if (c.key) {
      if ((str = std::strstr(term, "key=")) != nullptr) {
        s.has_key_list = true;
        ptr = str + 4;
        if (*ptr == '"') {
          ++ptr;
          if ((term = std::strchr(ptr, '"')) == nullptr) return 6;
          s.keys.push_back(span(ptr, term));
        } else {
          auto joined = unescape(ptr);
          if (!joined) return 8;
          add_keys(*joined);
        }
      }
    }
    // The kernel rarely logs res= for these; success unless it says otherwise.
    if (type == AUDIT_CONFIG_CHANGE) s.success = Success::kSuccess;
    if (want_success()) {
      if ((str = std::strstr(term, "res=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 7;
        s.success = as_success(v);
        if (term) *term = ' ';
      }
    }
    return 0;
  }

  int tty(char* msg) {
    char *str, *ptr, *term = msg;
    unsigned long v;
    if (want_pid()) {
      if ((str = std::strstr(msg, "pid=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 1;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 2;
        s.pid = as_pid(v);
        *term = ' ';
      }
    }
    if (want_uid()) {
      if ((str = std::strstr(term, " uid=")) != nullptr) {
        ptr = str + 4;  // at the '=': always reads 0, as stock does
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 3;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 4;
        s.uid = as_id(v);
        *term = ' ';
        s.tuid = lookup_uid("uid", s.uid);
      }
    }
    if (want_auid()) {
      if ((str = std::strstr(term, "auid=")) == nullptr) return 5;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
      if (!read_ul(ptr, 10, v)) return 6;
      s.loginuid = as_id(v);
      if (term)
        *term = ' ';
      else
        term = ptr;
      s.tauid = lookup_uid("auid", s.loginuid);
    }
    if (want_ses()) {
      if ((str = std::strstr(term, "ses=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 7;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 8;
        s.session_id = as_id(v);
        *term = ' ';
      }
    }
    if (c.comm) {
      if ((str = std::strstr(term, "comm=")) != nullptr) {
        str += 5;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 11;
          s.comm = span(str, term);
        } else {
          s.comm = unescape(str);
        }
      }
    }
    return 0;
  }

  int pkt(char* msg) {
    char *str, *ptr, *term = msg;
    if (c.hostname) {
      if ((str = std::strstr(msg, "saddr=")) != nullptr) {
        ptr = str + 6;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 1;
        s.hostname = span(ptr, term);
      }
    }
    if (c.object) {
      if ((str = std::strstr(term, "obj=")) != nullptr) {
        str += 4;
        term = std::strchr(str, ' ');
        add_object(term ? span(str, term).c_str() : str);
      }
    }
    return 0;
  }

  // NETFILTER_CFG / EVENT_LISTENER: subject fields in yet another order; only
  // what earlier records left unset is taken.
  int kernel(char* msg) {
    char *str, *ptr, *term = msg;
    unsigned long v;
    if (want_pid() && s.pid == -1) {
      if ((str = std::strstr(term, " pid=")) == nullptr) return 54;
      ptr = str + 5;
      if ((term = std::strchr(ptr, ' ')) == nullptr) return 52;
      *term = 0;
      if (!read_ul(ptr, 10, v)) return 53;
      s.pid = as_pid(v);
      *term = ' ';
    }
    if (s.uid == ~0u && !s.tuid && want_uid()) {
      if ((str = std::strstr(term, "uid=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 55;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 56;
        s.uid = as_id(v);
        *term = ' ';
      } else {
        s.uid = 0;
      }
      s.tuid = lookup_uid("uid", s.uid);
    }
    if (s.loginuid == ~0u - 1 && !s.tauid && want_auid()) {
      if ((str = std::strstr(term, "auid=")) != nullptr) {
        ptr = str + 5;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 57;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 58;
        s.loginuid = as_id(v);
        *term = ' ';
      } else {
        s.loginuid = ~0u;
      }
      s.tauid = lookup_uid("auid", s.loginuid);
    }
    if (!s.terminal && c.terminal) {
      if ((str = std::strstr(term, "tty=")) != nullptr) {
        str += 4;
        if ((term = std::strchr(str, ' ')) == nullptr) return 59;
        s.terminal = span(str, term);
      } else {
        s.terminal = "(none)";
      }
    }
    if (s.session_id == ~0u - 1 && want_ses()) {
      if ((str = std::strstr(term, "ses=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) == nullptr) return 60;
        *term = 0;
        if (!read_ul(ptr, 10, v)) return 61;
        s.session_id = as_id(v);
        *term = ' ';
      } else {
        s.session_id = ~0u;
      }
    }
    if (!s.has_avc_list && c.subject) {
      if ((str = std::strstr(term, "subj=")) == nullptr) return 64;
      str += 5;
      if ((term = std::strchr(str, ' ')) == nullptr) return 62;
      add_subject(span(str, term).c_str());
    }
    if (!s.comm && c.comm) {
      if ((str = std::strstr(term, "comm=")) == nullptr) return 66;
      str += 5;
      if (*str == '"') {
        ++str;
        if ((term = std::strchr(str, '"')) == nullptr) return 65;
        s.comm = span(str, term);
      } else {
        s.comm = unescape(str);
      }
    }
    if (!s.exe && c.exe) {
      if ((str = std::strstr(msg, "exe=")) != nullptr) {
        str += 4;
        if (*str == '"') {
          ++str;
          if ((term = std::strchr(str, '"')) == nullptr) return 67;
          s.exe = span(str, term);
        } else {
          s.exe = unescape(str);
        }
      } else {
        s.exe = "(null)";
      }
    }
    if (want_success()) {
      if ((str = std::strstr(term, "res=")) != nullptr) {
        ptr = str + 4;
        if ((term = std::strchr(ptr, ' ')) != nullptr) *term = 0;
        if (!read_ul(ptr, 10, v)) return 69;
        s.success = as_success(v);
        if (term) *term = ' ';
      }
    }
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
      return p.syscall(msg, index);
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
  ppid = pid = -1;
  uid = euid = ~0u;
  loginuid = ~0u - 1;
  gid = egid = ~0u;
  success = Success::kUnset;
  arch = syscall = 0;
  session_id = ~0u - 1;
  exit = 0;
  exit_is_set = false;
  for (auto* o : {&hostname, &cwd, &exe, &terminal, &comm, &acct, &uuid, &vmname, &tuid, &teuid,
                  &tauid})
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

}  // namespace bpfaudit::search
