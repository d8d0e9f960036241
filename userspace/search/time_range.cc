// -ts / -te parsing with stock ausearch 3.0.9's rules and messages.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>

#include "options.h"
#include "unique_fd.h"

namespace bpfaudit::search {

namespace {

constexpr time_t kDay = 24 * 60 * 60;

enum class Keyword { kNow, kRecent, kBoot, kToday, kYesterday, kThisWeek, kWeekAgo, kThisMonth, kThisYear };

std::optional<Keyword> lookup_keyword(const char* s) {
  static constexpr std::pair<std::string_view, Keyword> kWords[] = {
      {"now", Keyword::kNow},           {"recent", Keyword::kRecent},
      {"boot", Keyword::kBoot},         {"today", Keyword::kToday},
      {"yesterday", Keyword::kYesterday}, {"this-week", Keyword::kThisWeek},
      {"week-ago", Keyword::kWeekAgo},  {"this-month", Keyword::kThisMonth},
      {"this-year", Keyword::kThisYear}};
  for (const auto& [w, k] : kWords)
    if (w == s) return k;
  return std::nullopt;
}

void copy_time(struct tm& to, const struct tm& from) {
  to.tm_sec = from.tm_sec;
  to.tm_min = from.tm_min;
  to.tm_hour = from.tm_hour;
}

void copy_date(struct tm& to, const struct tm& from) {
  to.tm_mday = from.tm_mday;
  to.tm_mon = from.tm_mon;
  to.tm_year = from.tm_year;
  to.tm_isdst = from.tm_isdst;
  to.tm_wday = from.tm_wday;
  to.tm_yday = from.tm_yday;
}

struct tm local_at(time_t t) {
  struct tm out {};
  localtime_r(&t, &out);
  return out;
}

void set_now(struct tm& d) {
  struct tm now = local_at(time(nullptr));
  copy_time(d, now);
  copy_date(d, now);
}

void midnight(struct tm& d) { d.tm_sec = d.tm_min = d.tm_hour = 0; }

// Fills d for a keyword; false (after a message) when the uptime is unreadable.
bool apply_keyword(Keyword k, struct tm& d, std::FILE* err) {
  time_t now = time(nullptr);
  switch (k) {
    case Keyword::kNow:
      set_now(d);
      break;
    case Keyword::kRecent: {
      struct tm t = local_at(now - 10 * 60);
      copy_time(d, t);
      copy_date(d, t);
      break;
    }
    case Keyword::kBoot: {
      base::UniqueFd fd(open("/proc/uptime", O_RDONLY | O_CLOEXEC));
      char buf[128];
      ssize_t n = fd ? read(fd.get(), buf, sizeof(buf) - 1) : -1;
      if (n <= 0) {
        std::fprintf(err, "Can't read uptime (%s)\n", std::strerror(errno));
        return false;
      }
      buf[n] = 0;
      if (char* sp = std::strchr(buf, ' ')) *sp = 0;
      unsigned long uptime = static_cast<unsigned long>(std::strtof(buf, nullptr) + 0.5f);
      struct tm t = local_at(now - static_cast<time_t>(uptime));
      copy_time(d, t);
      copy_date(d, t);
      break;
    }
    case Keyword::kToday:
      midnight(d);
      copy_date(d, local_at(now));
      break;
    case Keyword::kYesterday:
      midnight(d);
      copy_date(d, local_at(now - kDay));
      break;
    case Keyword::kThisWeek: {
      midnight(d);
      struct tm t = local_at(now);
      copy_date(d, local_at(now - t.tm_wday * kDay));
      break;
    }
    case Keyword::kWeekAgo:
      midnight(d);
      copy_date(d, local_at(now - 7 * kDay));
      break;
    case Keyword::kThisMonth:
      midnight(d);
      copy_date(d, local_at(now));
      d.tm_mday = 1;
      break;
    case Keyword::kThisYear:
      midnight(d);
      copy_date(d, local_at(now));
      d.tm_mday = 1;
      d.tm_mon = 0;
      d.tm_isdst = 0;
      break;
  }
  return true;
}

struct tm cleared() {
  struct tm d {};
  return d;
}

// Shared by start and end; `start` picks the messages and the defaults stock
// uses when a part is missing.
std::optional<std::int64_t> parse_time(bool start, const char* date, const char* time_text,
                                       std::FILE* err) {
  const char* which = start ? "start" : "end";
  struct tm d = cleared();
  bool finish_now = false;
  if (date == nullptr) {
    set_now(d);
  } else if (auto k = lookup_keyword(date)) {
    if (!apply_keyword(*k, d, err)) return std::nullopt;
    bool no_time = time_text == nullptr || std::strcmp(time_text, "00:00:00") == 0;
    if ((*k == Keyword::kRecent || *k == Keyword::kNow || *k == Keyword::kBoot) && no_time)
      finish_now = true;
    // As an end time, "today" means now.
    if (!start && *k == Keyword::kToday) {
      set_now(d);
      if (no_time) finish_now = true;
    }
  } else {
    char* rest = strptime(date, "%x", &d);
    if (rest == nullptr) {
      std::fprintf(err, "Invalid %s date (%s). Month, Day, and Year are required.\n", which,
                   date);
      return std::nullopt;
    }
    if (*rest != 0) {
      std::fprintf(err, "Error parsing %s date (%s)\n", which, date);
      return std::nullopt;
    }
  }
  if (!finish_now) {
    if (time_text != nullptr) {
      char buf[64];
      if (std::strlen(time_text) <= 5)
        std::snprintf(buf, sizeof(buf), "%s:00", time_text);
      else
        std::snprintf(buf, sizeof(buf), "%s", time_text);
      char* rest = strptime(buf, "%X", &d);
      if (rest == nullptr) {
        std::fprintf(err, "Invalid %s time (%s). Hour, Minute, and Second are required.\n",
                     which, time_text);
        return std::nullopt;
      }
      if (*rest != 0) {
        std::fprintf(err, "Error parsing %s time (%s)\n", which, time_text);
        return std::nullopt;
      }
    } else if (start) {
      d = cleared();
    } else {
      struct tm now = local_at(time(nullptr));
      d.tm_hour = now.tm_hour;
      d.tm_min = now.tm_min;
      d.tm_sec = now.tm_sec;
      d.tm_isdst = now.tm_isdst;
    }
    if (d.tm_year < 104) {
      std::fprintf(err, "Error - year is %d\n", d.tm_year + 1900);
      return std::nullopt;
    }
  }
  time_t t = mktime(&d);
  if (t == -1) {
    std::fprintf(err, "Error converting %s time\n", which);
    return std::nullopt;
  }
  return static_cast<std::int64_t>(t);
}

}  // namespace

std::optional<std::int64_t> parse_start_time(const char* date, const char* time, std::FILE* err) {
  return parse_time(true, date, time, err);
}

std::optional<std::int64_t> parse_end_time(const char* date, const char* time, std::FILE* err) {
  return parse_time(false, date, time, err);
}

}  // namespace bpfaudit::search
