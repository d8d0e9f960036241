// ausearch 3.0.9 command line: same options, same messages, same exit codes.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "criteria.h"
#include "interpret.h"

namespace bpfaudit::search {

using record::EscapeMode;

struct Options {
  Criteria criteria;
  std::optional<std::string> input;       // -if: file or directory
  bool force_logs = false;                // --input-logs
  bool just_one = false;                  // --just-one
  bool line_buffered = false;             // -l
  std::optional<std::string> checkpoint;  // --checkpoint FILE
  bool checkpoint_time_only = false;      // -ts checkpoint
  std::uint64_t eoe_timeout = 0;          // --eoe-timeout, 0: from auditd.conf
  EscapeMode escape = EscapeMode::kTty;
  bool extra_keys = false, extra_labels = false, extra_obj2 = false, extra_time = false;
};

// What parsing asks the caller to do next.
enum class ParseOutcome { kRun, kExitSuccess, kExitFailure };

// Parses argv as stock does (a value is the next word unless it starts with
// '-', except for -e, --session and -ul). Usage and version go to `out`,
// errors to `err`.
ParseOutcome parse_options(int argc, char** argv, Options& opts, std::FILE* out, std::FILE* err);

// -ts/-te: a date in the locale's %x form and/or a time, or a keyword
// (now, recent, boot, today, yesterday, this-week, week-ago, this-month,
// this-year). Returns the time, or nullopt after printing stock's message.
std::optional<std::int64_t> parse_start_time(const char* date, const char* time, std::FILE* err);
std::optional<std::int64_t> parse_end_time(const char* date, const char* time, std::FILE* err);

// The words after -ts/-te as stock reads them: "DATE TIME" in either order
// (`second` non-null), one keyword, one date or one time. Sets `value`, or
// returns false after stock's message. `checkpoint_keyword`: ausearch only;
// when given, "-ts checkpoint" sets it instead of a time (aureport treats
// the word as a bad date).
bool parse_time_words(bool start, const char* first, const char* second, std::int64_t& value,
                      bool* checkpoint_keyword, std::FILE* err);

// --eoe-timeout VALUE as stock ausearch and aureport check it: prints stock's
// message and returns false for a bad value. `*consumed` says whether VALUE
// was taken (stock takes it only when it starts with a digit).
bool parse_eoe_timeout(const char* value, std::uint64_t& timeout, bool* consumed, std::FILE* err);

}  // namespace bpfaudit::search
