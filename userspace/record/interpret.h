// Field interpretation (`ausearch -i`, `--format csv|text`, `aureport -i`) with
// audit-userspace 3.0.9's output, byte for byte.
//
// The value tables (syscall names per arch, open flags, socket families,
// capabilities, errno names, ...) are libauparse's: the very entry points
// stock ausearch calls (auparse_interp_adjust_type, auparse_do_interpretation)
// so that every interpretation type and every table entry agrees with stock by
// construction. This layer owns what stock keeps in ausearch itself: splitting
// a record into fields, the per-record context (arch, syscall, a0, a1), the
// event's time stamp, key splitting, enriched-log loading, and caches for the
// hot lookups (uid/gid names, syscall names, field types).
//
// libauparse keeps process-wide state (loaded interpretations, lookup caches):
// use Interpreters from one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "event.h"

typedef struct opaque auparse_state_t;  // from <auparse.h>

namespace bpfaudit::record {

// Stock's --escape modes; the values are libauparse's auparse_esc_t.
enum class EscapeMode { kRaw = 0, kTty = 1, kShell = 2, kShellQuote = 3 };

// "raw", "tty", "shell", "shell_quote" as stock's --escape accepts them.
std::optional<EscapeMode> parse_escape_mode(std::string_view word);

// A byte as libauparse's escape modes write it: backslash and three octal
// digits (used for control bytes in every mode but raw).
void append_octal_escape(std::string& out, unsigned char c);

// `s` with its control bytes (< 0x20) written as \ooo: libauparse's
// AUPARSE_ESC_TTY, what `ausearch -i` shows by default.
std::string escape_controls(std::string_view s);

// The extra columns of `ausearch --format csv`.
struct CsvOptions {
  bool extra_keys = false;    // --extra-keys
  bool extra_labels = false;  // --extra-labels
  bool extra_obj2 = false;    // --extra-obj2
  bool extra_time = false;    // --extra-time
};

// What stock knows about a field besides its name and value.
struct FieldContext {
  int record_type = -1;
  unsigned int machine = ~0u;  // libaudit machine (MACH_*), ~0u when unknown
  int syscall = 0;             // stock passes 0 outside SYSCALL/SECCOMP records
  std::uint64_t a0 = 0, a1 = 0;
};

class Interpreter {
 public:
  // eoe_timeout: the end-of-event timeout stock hands to auparse for csv/text.
  explicit Interpreter(EscapeMode mode = EscapeMode::kTty, unsigned eoe_timeout = 2);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  EscapeMode escape_mode() const { return mode_; }

  // libauparse's AUPARSE_TYPE_* for a field, cached by (record type, name).
  int field_type(int record_type, std::string_view name, std::string_view value);

  // One field's interpreted value, escaped for this interpreter's mode, as
  // stock prints it (without the trailing space). Ignores enriched data.
  std::string interpret(const FieldContext& ctx, std::string_view name, std::string_view value);

  // `ausearch -i` (format interpret) for one event: "----" and its records
  // last-first (only the last one for daemon records), each line ending in
  // " \n". preloaded_head: stock's -ua/-ue/-ui/-ul searches load the
  // enriched data of the event's head record before output, and the first
  // record printed then uses that data instead of its own.
  void write_interpreted(const Event& ev, std::string& out, bool preloaded_head = false);

  // `ausearch --format csv`: the header line, and one line per event.
  // write_csv emits the header itself before the first event, as stock does.
  static void write_csv_header(const CsvOptions& opts, std::string& out);
  void write_csv(const Event& ev, const CsvOptions& opts, std::string& out);

  // `ausearch --format text`: one English sentence per event.
  void write_text(const Event& ev, std::string& out);

  // What stock writes to stderr meanwhile ("can't find time stamp", ...).
  std::string take_errors() { return std::move(errors_); }

 private:
  struct Cache;
  enum class FeedFormat { kCsv, kText };

  void write_record(const Event& ev, const Record& rec, const Record* interp_from,
                    std::string& out);
  void write_field(char* name, char* val, bool comma, int rtype, std::string& out);
  std::string do_interpretation(int type, const FieldContext& ctx, const char* name,
                                const char* val, bool enriched);
  const std::string& format_time(std::uint64_t sec);
  void feed(const Event& ev, FeedFormat format, std::string& out);
  static void feed_callback(auparse_state_t* au, int cb_type, void* user_data);
  void csv_event(auparse_state_t* au);
  void text_event(auparse_state_t* au);
  const char* interpret_field(auparse_state_t* au);

  EscapeMode mode_;
  unsigned eoe_timeout_;
  unsigned int host_machine_ = ~0u;
  bool host_machine_known_ = false;

  // Stock keeps these across records; a0/a1 even across events.
  unsigned int machine_ = ~0u;
  int cur_syscall_ = -1;
  std::uint64_t a0_ = 0, a1_ = 0;
  bool interp_loaded_ = false;  // libauparse holds this record's enriched values

  std::uint64_t time_sec_ = ~0ull;
  std::string time_text_;
  std::string buf_;
  std::string errors_;

  Cache* cache_;
  auparse_state_t* csv_au_ = nullptr;
  auparse_state_t* text_au_ = nullptr;
  std::string* feed_out_ = nullptr;
  const CsvOptions* csv_opts_ = nullptr;
  std::deque<std::string> key_texts_;  // interpret_field's, for one event
  bool csv_header_done_ = false;
};

// Convenience for one-off callers: a per-thread Interpreter per escape mode.
void write_interpreted(const Event& ev, std::string& out, EscapeMode mode = EscapeMode::kTty);

}  // namespace bpfaudit::record
