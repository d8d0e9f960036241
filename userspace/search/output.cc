#include "output.h"

#include <libaudit.h>

#include <cstring>
#include <ctime>

namespace bpfaudit::search {

namespace {

void append_octal(unsigned char c, std::string& out) {
  out.push_back('\\');
  out.push_back(static_cast<char>('0' + ((c >> 6) & 7)));
  out.push_back(static_cast<char>('0' + ((c >> 3) & 7)));
  out.push_back(static_cast<char>('0' + (c & 7)));
}

constexpr const char* kShellSet = "\"'`$\\!()| ";
constexpr const char* kShellQuoteSet = "\"'`$\\!()| ;#&*?[]<>{}";

bool in_set(const char* set, char c) { return c != 0 && std::strchr(set, c) != nullptr; }

bool needs_escape(std::string_view s, EscapeMode mode) {
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    switch (mode) {
      case EscapeMode::kRaw:
        return false;
      case EscapeMode::kTty:
        if (u < 32) return true;
        break;
      case EscapeMode::kShell:
        // Stock tests a signed char here, so bytes >= 0x80 count too.
        if (static_cast<signed char>(ch) < 32 || in_set(kShellSet, ch)) return true;
        break;
      case EscapeMode::kShellQuote:
        if (u < 32 || in_set(kShellQuoteSet, ch)) return true;
        break;
    }
  }
  return false;
}

}  // namespace

bool append_escaped(std::string_view text, EscapeMode mode, std::string& out) {
  if (!needs_escape(text, mode)) return false;
  for (char ch : text) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 32) {
      append_octal(u, out);
    } else if ((mode == EscapeMode::kShell && in_set(kShellSet, ch)) ||
               (mode == EscapeMode::kShellQuote && in_set(kShellQuoteSet, ch))) {
      out.push_back('\\');
      out.push_back(ch);
    } else {
      out.push_back(ch);
    }
  }
  return true;
}

void write_raw(const record::Event& ev, std::string& out) {
  for (const auto& r : ev.records) {
    out.append(ev.enriched ? std::string_view(r.text) : r.raw());
    // Stock writes the separator back over the newline it cut, for every
    // record of an enriched event, so a plain record in one gains a trailing 0x1d.
    if (ev.enriched && !r.enriched) out.push_back(record::kInterpSeparator);
    out.push_back('\n');
  }
}

void write_default(const record::Event& ev, EscapeMode mode, std::string& out) {
  // ctime(3)'s layout, which ignores the locale.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char stamp[64];
  time_t sec = static_cast<time_t>(ev.id.sec);
  struct tm tm {};
  localtime_r(&sec, &tm);
  std::snprintf(stamp, sizeof(stamp), "%s %s %2d %02d:%02d:%02d %d", kDays[tm.tm_wday % 7],
                kMonths[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                tm.tm_year + 1900);
  out.append("----\ntime->").append(stamp).push_back('\n');
  const auto& last = ev.records.back();
  // Daemon records are written by auditd itself: stock prints only the last.
  if (last.type >= AUDIT_DAEMON_START && last.type < AUDIT_SYSCALL) {
    out.append(last.raw()).push_back('\n');
    return;
  }
  for (auto it = ev.records.rbegin(); it != ev.records.rend(); ++it) {
    std::string_view raw = it->raw();
    if (!append_escaped(raw, mode, out)) out.append(raw);
    out.push_back('\n');
  }
}

namespace {

void append_json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out.append(buf);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Untrusted strings the kernel hex-encodes when unsafe; decoded in JSON.
bool is_encoded_field(std::string_view name) {
  static constexpr std::string_view kNames[] = {"comm", "exe", "name", "cwd", "path", "proctitle",
                                                "acct", "cmd", "key", "data", "ocomm", "sig"};
  for (auto n : kNames)
    if (n == name) return true;
  return false;
}

}  // namespace

void write_json(const record::Event& ev, std::string& out) {
  out.append("{\"time\":");
  out.append(std::to_string(ev.id.sec)).push_back('.');
  char ms[8];
  std::snprintf(ms, sizeof(ms), "%03u", ev.id.msec);
  out.append(ms).append(",\"serial\":").append(std::to_string(ev.id.serial));
  if (ev.id.node) {
    out.append(",\"node\":");
    append_json_string(*ev.id.node, out);
  }
  out.append(",\"records\":[");
  bool first_record = true;
  for (const auto& r : ev.records) {
    if (!first_record) out.push_back(',');
    first_record = false;
    out.append("{\"type\":");
    append_json_string(record::type_name(r.type), out);
    out.append(",\"fields\":{");
    bool first_field = true;
    for (const auto& f : record::split_fields(r.raw())) {
      if (!first_field) out.push_back(',');
      first_field = false;
      append_json_string(f.name, out);
      out.push_back(':');
      bool quoted = f.value.size() >= 2 && f.value.front() == '"';
      bool execve_arg = r.type == AUDIT_EXECVE && f.name != "argc" &&
                        f.name.find("_len") == std::string_view::npos;
      if (quoted || ((is_encoded_field(f.name) || execve_arg) && f.value != "(null)"))
        append_json_string(record::decode_value(f.value), out);
      else
        append_json_string(f.value, out);
    }
    out.append("}}");
  }
  out.append("]}\n");
}

}  // namespace bpfaudit::search
