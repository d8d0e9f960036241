// auditd.conf: every keyword stock auditd 3.0.9 accepts, with its validation
// rules and messages, so that a configuration stock refuses is refused here
// with the same words, and one it accepts means the same thing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <cstdarg>
#include <string>
#include <string_view>
#include <vector>

namespace bpfaudit::record {

enum class LogFormat { kRaw, kNolog, kEnriched };
enum class FlushMode { kNone, kIncremental, kIncrementalAsync, kData, kSync };
enum class FailureAction { kIgnore, kSyslog, kRotate, kEmail, kExec, kSuspend, kSingle, kHalt };
enum class SizeAction { kIgnore, kSyslog, kSuspend, kRotate, kKeepLogs };
enum class NameFormat { kNone, kHostname, kFqd, kNumeric, kUser };
enum class OverflowAction { kIgnore, kSyslog, kSuspend, kSingle, kHalt };

// Defaults are stock's clear_config().
struct AuditdConf {
  bool local_events = true;
  bool write_logs = true;
  std::string log_file = "/var/log/audit/audit.log";
  LogFormat log_format = LogFormat::kEnriched;
  gid_t log_group = 0;
  unsigned priority_boost = 4;
  FlushMode flush = FlushMode::kNone;
  unsigned freq = 0;
  unsigned num_logs = 0;
  NameFormat name_format = NameFormat::kNone;
  std::optional<std::string> name;
  std::uint64_t max_log_file = 0;  // MiB
  SizeAction max_log_file_action = SizeAction::kIgnore;
  std::uint64_t space_left = 0;  // MiB
  unsigned space_left_percent = 0;
  FailureAction space_left_action = FailureAction::kIgnore;
  std::string space_left_exe;
  std::string action_mail_acct = "root";
  bool verify_email = true;
  std::uint64_t admin_space_left = 0;
  unsigned admin_space_left_percent = 0;
  FailureAction admin_space_left_action = FailureAction::kIgnore;
  std::string admin_space_left_exe;
  FailureAction disk_full_action = FailureAction::kIgnore;
  std::string disk_full_exe;
  FailureAction disk_error_action = FailureAction::kSyslog;
  std::string disk_error_exe;
  bool distribute_network = false;
  // The receiver (0: none). Stock's defaults: queue 5, one connection per
  // address, any client port, no idle limit.
  unsigned tcp_listen_port = 0;
  unsigned tcp_listen_queue = 5;
  unsigned tcp_max_per_addr = 1;
  unsigned tcp_client_min_port = 0;
  unsigned tcp_client_max_port = 65535;
  unsigned tcp_client_max_idle = 0;  // seconds
  // transport=KRB5 or enable_krb5=yes (Debian's stock is built with GSSAPI).
  bool transport_krb5 = false;
  unsigned q_depth = 2000;
  OverflowAction overflow_action = OverflowAction::kSyslog;
  unsigned max_restarts = 10;
  std::string plugin_dir = "/etc/audit/plugins.d";
  std::uint64_t end_of_event_timeout = 2;
};

// A message stock would print (stderr in the foreground, syslog otherwise).
struct ConfMessage {
  int priority;  // LOG_ERR, LOG_WARNING (syslog.h)
  std::string text;
};

// printf into stock's 1024-byte message buffer, as auditd.conf's and
// plugins.d's parsers both do: a longer message is cut where stock's is.
std::string format_conf_message(const char* fmt, va_list ap);

// Stock opens log_file for append when the daemon checks it, read-only for the
// search tools; the checks are otherwise the same.
enum class ConfCheck { kDaemon, kSearch };

struct ConfResult {
  AuditdConf conf;  // as far as parsing got (stock keeps the partial config too)
  bool ok = false;
  bool missing = false;  // the file does not exist: defaults, ok
  std::vector<ConfMessage> messages;
};

// Reads and validates a configuration file (owner root, not world writable,
// regular; no symlink unless allow_links), as stock's load_config does.
ConfResult parse_auditd_conf(const std::string& path, ConfCheck check, bool allow_links = false);

// The same rules on text already read; `path` names the file in messages.
ConfResult parse_auditd_conf_text(std::string_view text, const std::string& path, ConfCheck check);

// One line of a stock configuration file, split as stock's nv_split does:
// NAME = VALUE [OPTION], words separated by single spaces.
struct ConfLine {
  std::string name, value, option;
  bool has_name = false, has_value = false, has_option = false;
};

// Stock's get_line/nv_split loop, which auditd.conf and the plugins.d files
// share: lines read with fgets into 160 bytes (a longer line, or a last line
// without newline, is skipped with "Skipping line N in PATH: too long"), blank
// and '#' lines ignored, "Wrong number of arguments"/"Missing equal sign"
// said and the line still handed on. on_line gets every line with a name
// (has_value false when the split failed) and stops the scan by returning
// false; the return is false then. `lineno` ends as stock's line counter
// (1 + the lines read), which both callers test before their sanity checks.
bool scan_conf_lines(std::string_view text, const std::string& path,
                     std::vector<ConfMessage>& messages,
                     const std::function<bool(const ConfLine&, int lineno)>& on_line,
                     int& lineno);

// For DAEMON_START's format= and messages.
const char* log_format_name(LogFormat f);

// The gid getgrnam(name) gives, read straight from `group_file` when the
// group line of `nsswitch_file` consults files first and the file lists the
// name; nullopt when only getgrnam can tell. Stock resolves log_group with
// getgrnam at every ausearch/aureport start, and glibc's NSS set-up (nscd
// probes, nsswitch.conf, module code) is a tenth of a small-log search.
std::optional<gid_t> group_from_files(const std::string& name,
                                      const std::string& nsswitch_file = "/etc/nsswitch.conf",
                                      const std::string& group_file = "/etc/group");

// The auditd.conf settings the readers need; nullopt when the file cannot be
// read. Parses with the full rules above and keeps what was read even when a
// later line is invalid (stock's search tools do the same).
std::optional<AuditdConf> load_auditd_conf(const std::string& conf_path);

}  // namespace bpfaudit::record
