#include "output.h"

#include <libaudit.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "interpret.h"

namespace bpfaudit::search {

namespace {

constexpr const char* kShellSet = "\"'`$\\!()| ";
constexpr const char* kShellQuoteSet = "\"'`$\\!()| ;#&*?[]<>{}";

bool in_set(const char* set, char c) { return c != 0 && std::strchr(set, c) != nullptr; }

// Bytes each mode escapes, as stock tests them; kTty escapes only controls.
struct EscapeTable {
  bool shell[256] = {};
  bool shell_quote[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 256; ++c) {
      // Stock tests a signed char for shell, so bytes >= 0x80 count too.
      shell[c] = c < 32 || c >= 0x80;
      shell_quote[c] = c < 32;
    }
    for (const char* p = kShellSet; *p; ++p) shell[static_cast<unsigned char>(*p)] = true;
    for (const char* p = kShellQuoteSet; *p; ++p)
      shell_quote[static_cast<unsigned char>(*p)] = true;
  }
};
constexpr EscapeTable kEscapes;

// Whether any of the eight bytes of `w` is below 0x20: the borrow of a
// byte's subtraction reaches its top bit only when it was below, and never
// spills into a "no" answer for the word (Hacker's Delight, "haszero").
bool has_control(std::uint64_t w) {
  return ((w - 0x2020202020202020ull) & ~w & 0x8080808080808080ull) != 0;
}

bool needs_escape(std::string_view s, EscapeMode mode) {
  switch (mode) {
    case EscapeMode::kRaw:
      return false;
    case EscapeMode::kTty: {
      // Every record of a default-format search passes here: 8 bytes a step.
      std::size_t i = 0;
      for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if (has_control(w)) return true;
      }
      for (; i < s.size(); ++i)
        if (static_cast<unsigned char>(s[i]) < 32) return true;
      return false;
    }
    case EscapeMode::kShell:
    case EscapeMode::kShellQuote: {
      const bool* table = mode == EscapeMode::kShell ? kEscapes.shell : kEscapes.shell_quote;
      for (char ch : s)
        if (table[static_cast<unsigned char>(ch)]) return true;
      return false;
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
      record::append_octal_escape(out, u);
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
  // Formatted by hand for years 1000-9999: snprintf's parts were about 10%
  // of `-m USER_LOGIN -sv no`'s CPU on the 10 GB history (476,869 lines).
  char stamp[64];
  std::size_t stamp_len = 0;
  {
    time_t sec = static_cast<time_t>(ev.id.sec);
    struct tm tm {};
    localtime_r(&sec, &tm);
    const int year = tm.tm_year + 1900;
    if (year >= 1000 && year <= 9999 && tm.tm_mday >= 0 && tm.tm_mday <= 99 && tm.tm_hour >= 0 &&
        tm.tm_hour <= 99 && tm.tm_min >= 0 && tm.tm_min <= 99 && tm.tm_sec >= 0 && tm.tm_sec <= 99) {
      char* p = stamp;
      auto two = [&](int v, char pad) {
        *p++ = v >= 10 ? static_cast<char>('0' + v / 10) : pad;
        *p++ = static_cast<char>('0' + v % 10);
      };
      std::memcpy(p, kDays[tm.tm_wday % 7], 3);
      p += 3;
      *p++ = ' ';
      std::memcpy(p, kMonths[tm.tm_mon % 12], 3);
      p += 3;
      *p++ = ' ';
      two(tm.tm_mday, ' ');
      *p++ = ' ';
      two(tm.tm_hour, '0');
      *p++ = ':';
      two(tm.tm_min, '0');
      *p++ = ':';
      two(tm.tm_sec, '0');
      *p++ = ' ';
      two(year / 100, '0');
      two(year % 100, '0');
      stamp_len = static_cast<std::size_t>(p - stamp);
    } else {
      int n = std::snprintf(stamp, sizeof(stamp), "%s %s %2d %02d:%02d:%02d %d", kDays[tm.tm_wday % 7],
                            kMonths[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                            year);
      stamp_len = n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof(stamp) - 1) : 0;
    }
  }
  out.append("----\ntime->").append(stamp, stamp_len).push_back('\n');
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

}  // namespace bpfaudit::search
