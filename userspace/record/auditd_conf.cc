#include "auditd_conf.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "log_reader.h"
#include "record.h"
#include "unique_fd.h"

namespace bpfaudit::record {

std::string format_conf_message(const char* fmt, va_list ap) {
  char buf[1024];
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  return buf;
}

namespace {

constexpr unsigned kTcpPortMax = 65535;
// Stock reads auditd.conf with fgets into 160 bytes: longer lines are skipped.
constexpr std::size_t kLineBuffer = 160;
constexpr const char* kEmailCommand = "/usr/lib/sendmail";

template <class E>
struct Word {
  const char* name;
  E value;
};

constexpr Word<bool> kYesNo[] = {{"yes", true}, {"no", false}};
constexpr Word<FlushMode> kFlush[] = {{"none", FlushMode::kNone},
                                      {"incremental", FlushMode::kIncremental},
                                      {"incremental_async", FlushMode::kIncrementalAsync},
                                      {"data", FlushMode::kData},
                                      {"sync", FlushMode::kSync}};
constexpr Word<FailureAction> kFailure[] = {
    {"ignore", FailureAction::kIgnore}, {"syslog", FailureAction::kSyslog},
    {"rotate", FailureAction::kRotate}, {"email", FailureAction::kEmail},
    {"exec", FailureAction::kExec},     {"suspend", FailureAction::kSuspend},
    {"single", FailureAction::kSingle}, {"halt", FailureAction::kHalt}};
constexpr Word<SizeAction> kSize[] = {{"ignore", SizeAction::kIgnore},
                                      {"syslog", SizeAction::kSyslog},
                                      {"suspend", SizeAction::kSuspend},
                                      {"rotate", SizeAction::kRotate},
                                      {"keep_logs", SizeAction::kKeepLogs}};
constexpr Word<NameFormat> kNameFormats[] = {{"none", NameFormat::kNone},
                                             {"hostname", NameFormat::kHostname},
                                             {"fqd", NameFormat::kFqd},
                                             {"numeric", NameFormat::kNumeric},
                                             {"user", NameFormat::kUser}};
constexpr Word<OverflowAction> kOverflow[] = {{"ignore", OverflowAction::kIgnore},
                                              {"syslog", OverflowAction::kSyslog},
                                              {"suspend", OverflowAction::kSuspend},
                                              {"single", OverflowAction::kSingle},
                                              {"halt", OverflowAction::kHalt}};
constexpr Word<LogFormat> kFormats[] = {
    {"raw", LogFormat::kRaw}, {"nolog", LogFormat::kNolog}, {"enriched", LogFormat::kEnriched}};
// Debian builds stock with GSSAPI, so krb5 is a transport it accepts.
constexpr Word<int> kTransports[] = {{"tcp", 0}, {"krb5", 1}};

class Parser {
 public:
  // debug: collect the LOG_DEBUG lines too (a line per keyword, which only the
  // daemon shows; formatting them was half of a small-log search's work).
  Parser(ConfResult& r, std::string path, ConfCheck check, bool debug)
      : r_(r), c_(r.conf), path_(std::move(path)), check_(check), debug_(debug) {}

  bool run(std::string_view text);

 private:
  void msg(int prio, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  bool line(const ConfLine& nv, int lineno);
  bool sanity_check();

  template <class E, std::size_t N>
  bool pick(const ConfLine& nv, int line, const Word<E> (&words)[N], E& out) {
    for (const auto& w : words)
      if (strcasecmp(nv.value.c_str(), w.name) == 0) {
        out = w.value;
        return true;
      }
    msg(LOG_ERR, "Option %s not found - line %d", nv.value.c_str(), line);
    return false;
  }
  // Digits only, strtoul, then an optional upper bound (INT_MAX style message).
  bool number(const ConfLine& nv, int line, unsigned long& out, unsigned long max = ULONG_MAX);
  bool space(const ConfLine& nv, int line, std::uint64_t& mb, unsigned& percent);
  bool failure_action(const ConfLine& nv, int line, const char* keyword, FailureAction& action,
                      std::string& exe);
  bool check_exe_name(const ConfLine& nv, int line);
  bool log_file(const ConfLine& nv, int line);
  bool listener_number(const ConfLine& nv, int line, unsigned long min, unsigned long max,
                       unsigned& out);

  ConfResult& r_;
  AuditdConf& c_;
  std::string path_;
  ConfCheck check_;
  bool debug_;
};

void Parser::msg(int prio, const char* fmt, ...) {
  if (prio == LOG_DEBUG && !debug_) return;
  va_list ap;
  va_start(ap, fmt);
  r_.messages.push_back({prio, format_conf_message(fmt, ap)});
  va_end(ap);
}

bool Parser::number(const ConfLine& nv, int line, unsigned long& out, unsigned long max) {
  for (char ch : nv.value)
    if (!std::isdigit(static_cast<unsigned char>(ch))) {
      msg(LOG_ERR, "Value %s should only be numbers - line %d", nv.value.c_str(), line);
      return false;
    }
  errno = 0;
  unsigned long v = std::strtoul(nv.value.c_str(), nullptr, 10);
  if (errno) {
    msg(LOG_ERR, "Error converting string to a number (%s) - line %d", std::strerror(errno), line);
    return false;
  }
  if (v > max) {
    msg(LOG_ERR, "Error - converted number (%s) is too large - line %d", nv.value.c_str(), line);
    return false;
  }
  out = v;
  return true;
}

bool Parser::listener_number(const ConfLine& nv, int line, unsigned long min, unsigned long max,
                             unsigned& out) {
  unsigned long v;
  if (!number(nv, line, v, max)) return false;
  if (v < min) {
    msg(LOG_ERR, "Error - converted number (%s) is too small - line %d", nv.value.c_str(), line);
    return false;
  }
  out = static_cast<unsigned>(v);
  return true;
}

bool Parser::space(const ConfLine& nv, int line, std::uint64_t& mb, unsigned& percent) {
  percent = 0;
  for (char ch : nv.value)
    if (!std::isdigit(static_cast<unsigned char>(ch)) && ch != '%') {
      msg(LOG_ERR, "Value %c %s should only be numbers or percent - line %d", ch, nv.value.c_str(),
          line);
      return false;
    }
  // Stock blanks the first '%' and converts what strtoul then sees.
  std::string v = nv.value;
  bool is_percent = false;
  if (auto p = v.find('%'); p != std::string::npos) {
    is_percent = true;
    v[p] = ' ';
  }
  errno = 0;
  unsigned long n = std::strtoul(v.c_str(), nullptr, 10);
  if (errno) {
    msg(LOG_ERR, "Error converting string to a number (%s) - line %d", std::strerror(errno), line);
    return false;
  }
  if (is_percent) {
    if (n > 99) {
      msg(LOG_ERR, "Percentages should be less than 100 - line %d", line);
      return false;
    }
    percent = static_cast<unsigned>(n);
    mb = 0;
  } else {
    mb = n;
  }
  return true;
}

bool Parser::check_exe_name(const ConfLine& nv, int line) {
  if (!nv.has_option) {
    msg(LOG_ERR, "Executable path needed for line %d", line);
    return false;
  }
  const char* val = nv.option.c_str();
  if (*val != '/') {
    msg(LOG_ERR, "Absolute path needed for %s - line %d", val, line);
    return false;
  }
  struct stat st;
  if (stat(val, &st) < 0) {
    msg(LOG_ERR, "Unable to stat %s (%s) - line %d", val, std::strerror(errno), line);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    msg(LOG_ERR, "%s is not a regular file - line %d", val, line);
    return false;
  }
  if (st.st_uid != 0) {
    msg(LOG_ERR, "%s is not owned by root - line %d", val, line);
    return false;
  }
  mode_t m = st.st_mode & 0777;
  if (m != 0750 && m != 0755 && m != 0555) {
    msg(LOG_ERR, "%s permissions should be 0750, 0755, 0555 or 0550 - line %d", val, line);
    return false;
  }
  return true;
}

bool Parser::failure_action(const ConfLine& nv, int line, const char* keyword,
                            FailureAction& action, std::string& exe) {
  FailureAction a;
  if (!pick(nv, line, kFailure, a)) return false;
  bool full = std::strcmp(keyword, "disk_full_action") == 0;
  bool error = std::strcmp(keyword, "disk_error_action") == 0;
  if (a == FailureAction::kEmail && (full || error)) {
    msg(LOG_ERR, "Illegal option %s for %s - line %d", nv.value.c_str(), keyword, line);
    return false;
  }
  if (a == FailureAction::kRotate && error) {
    msg(LOG_ERR, "Illegal option %s for %s - line %d", nv.value.c_str(), keyword, line);
    return false;
  }
  if (a == FailureAction::kEmail && access(kEmailCommand, X_OK))
    msg(LOG_ERR, "Email option is specified but %s doesn't seem executable.", kEmailCommand);
  if (a == FailureAction::kExec) {
    if (!check_exe_name(nv, line)) return false;
    exe = nv.option;
  }
  action = a;
  return true;
}

bool Parser::log_file(const ConfLine& nv, int line) {
  std::string copy = nv.value;
  std::string dir = dirname(copy.data());
  if (dir.size() < 4) {  // '/var' is the shortest directory stock allows
    msg(LOG_ERR, "The directory name: %s is too short - line %d", dir.c_str(), line);
    return false;
  }
  if (DIR* d = opendir(dir.c_str())) {
    closedir(d);
  } else {
    msg(LOG_ERR, "Could not open dir %s (%s)", dir.c_str(), std::strerror(errno));
    return false;
  }
  base::UniqueFd fd(::open(nv.value.c_str(), check_ == ConfCheck::kDaemon ? O_APPEND : O_RDONLY));
  if (!fd) {
    if (errno != ENOENT) {
      msg(LOG_ERR, "Unable to open %s (%s)", nv.value.c_str(), std::strerror(errno));
      return false;
    }
  } else {
    struct stat st;
    if (fstat(fd.get(), &st) < 0) {
      msg(LOG_ERR, "Unable to stat %s (%s)", nv.value.c_str(), std::strerror(errno));
      return false;
    }
    fd.reset();
    if (!S_ISREG(st.st_mode)) {
      msg(LOG_ERR, "%s is not a regular file", nv.value.c_str());
      return false;
    }
    if (st.st_uid != 0) {
      msg(LOG_ERR, "%s is not owned by root", nv.value.c_str());
      return false;
    }
    if (st.st_mode & (S_IXUSR | S_IWGRP | S_IXGRP | S_IRWXO))
      msg(LOG_WARNING, "%s permissions should be 0600 or 0640", nv.value.c_str());
    if (!(st.st_mode & S_IWUSR)) msg(LOG_WARNING, "audit log is not writable by owner");
  }
  c_.log_file = nv.value;
  return true;
}

// Keywords whose option word (the 4th token) is allowed: the exec actions.
bool takes_option(std::string_view kw) {
  return kw == "space_left_action" || kw == "admin_space_left_action" || kw == "disk_full_action" ||
         kw == "disk_error_action";
}

constexpr const char* kKeywords[] = {"local_events",
                                     "write_logs",
                                     "log_file",
                                     "log_format",
                                     "log_group",
                                     "flush",
                                     "freq",
                                     "num_logs",
                                     "dispatcher",
                                     "name_format",
                                     "name",
                                     "disp_qos",
                                     "max_log_file",
                                     "max_log_file_action",
                                     "space_left",
                                     "space_left_action",
                                     "action_mail_acct",
                                     "verify_email",
                                     "admin_space_left",
                                     "admin_space_left_action",
                                     "disk_full_action",
                                     "disk_error_action",
                                     "priority_boost",
                                     "tcp_listen_port",
                                     "tcp_listen_queue",
                                     "tcp_max_per_addr",
                                     "use_libwrap",
                                     "tcp_client_ports",
                                     "tcp_client_max_idle",
                                     "transport",
                                     "enable_krb5",
                                     "krb5_principal",
                                     "krb5_key_file",
                                     "distribute_network",
                                     "q_depth",
                                     "overflow_action",
                                     "max_restarts",
                                     "plugin_dir",
                                     "end_of_event_timeout"};

// The function name stock's debug line carries for each keyword.
const char* debug_name(std::string_view kw) {
  if (kw == "max_log_file") return "max_log_size_parser";
  if (kw == "max_log_file_action") return "max_log_size_action_parser";
  if (kw == "dispatcher") return "dispatch_parser";
  if (kw == "space_left_action") return "space_action_parser";
  if (kw == "end_of_event_timeout") return "eoe_timeout_parser";
  return nullptr;
}

bool Parser::line(const ConfLine& nv, int ln) {
  const char* kw = nullptr;
  const int first = std::tolower(static_cast<unsigned char>(nv.name[0]));
  for (const char* k : kKeywords)
    if (!kw && k[0] == first && strcasecmp(k, nv.name.c_str()) == 0) kw = k;
  if (!kw) {
    msg(LOG_ERR, "Unknown keyword \"%s\" in line %d of %s", nv.name.c_str(), ln, path_.c_str());
    return false;
  }
  std::string_view k(kw);
  if (!takes_option(k) && nv.has_option) {
    msg(LOG_ERR, "Keyword \"%s\" has invalid option \"%s\" in line %d of %s", nv.name.c_str(),
        nv.option.c_str(), ln, path_.c_str());
    return false;
  }
  if (debug_ && k != "disp_qos") {
    const char* dn = debug_name(k);
    std::string name = dn ? dn : std::string(k) + "_parser";
    msg(LOG_DEBUG, "%s called with: %s", name.c_str(), nv.value.c_str());
  }
  unsigned long n;
  if (k == "local_events") return pick(nv, ln, kYesNo, c_.local_events);
  if (k == "write_logs") return pick(nv, ln, kYesNo, c_.write_logs);
  if (k == "log_file") return log_file(nv, ln);
  if (k == "log_format") {
    if (!pick(nv, ln, kFormats, c_.log_format)) return false;
    if (c_.log_format == LogFormat::kNolog) {
      msg(LOG_WARNING,
          "The NOLOG option to log_format is deprecated. Please use the write_logs option.");
      if (c_.write_logs)
        msg(LOG_WARNING, "The NOLOG option is overriding the write_logs current setting.");
      c_.write_logs = false;
    }
    return true;
  }
  if (k == "log_group") {
    if (std::isdigit(static_cast<unsigned char>(nv.value[0]))) {
      errno = 0;
      unsigned long g = std::strtoul(nv.value.c_str(), nullptr, 10);
      if (errno) {
        msg(LOG_ERR, "Numeric group ID conversion error (%s) for %s - line %d\n",
            std::strerror(errno), nv.value.c_str(), ln);
        return false;
      }
      c_.log_group = static_cast<gid_t>(g);
    } else {
      if (auto gid = group_from_files(nv.value)) {
        c_.log_group = *gid;
        return true;
      }
      struct group* gr = getgrnam(nv.value.c_str());
      if (!gr) {
        msg(LOG_ERR, "Group ID is non-numeric and unknown (%s) - line %d\n", nv.value.c_str(), ln);
        return false;
      }
      c_.log_group = gr->gr_gid;
    }
    return true;
  }
  if (k == "flush") return pick(nv, ln, kFlush, c_.flush);
  if (k == "freq") {
    if (!number(nv, ln, n, INT_MAX)) return false;
    c_.freq = static_cast<unsigned>(n);
    return true;
  }
  if (k == "num_logs") {
    if (!number(nv, ln, n)) return false;
    if (n > 999) {
      msg(LOG_ERR, "num_logs must be 999 or less");
      return false;
    }
    c_.num_logs = static_cast<unsigned>(n);
    return true;
  }
  if (k == "dispatcher") {
    msg(LOG_WARNING, "The dispatcher option is deprecated - line %d", ln);
    return true;
  }
  if (k == "disp_qos") {
    msg(LOG_WARNING, "The disp_qos option is deprecated - line %d", ln);
    return true;
  }
  if (k == "name_format") return pick(nv, ln, kNameFormats, c_.name_format);
  if (k == "name") {
    c_.name = nv.value;
    return true;
  }
  if (k == "max_log_file") {
    if (!number(nv, ln, n)) return false;
    c_.max_log_file = n;
    return true;
  }
  if (k == "max_log_file_action") return pick(nv, ln, kSize, c_.max_log_file_action);
  if (k == "space_left") return space(nv, ln, c_.space_left, c_.space_left_percent);
  if (k == "admin_space_left")
    return space(nv, ln, c_.admin_space_left, c_.admin_space_left_percent);
  if (k == "space_left_action")
    return failure_action(nv, ln, kw, c_.space_left_action, c_.space_left_exe);
  if (k == "admin_space_left_action")
    return failure_action(nv, ln, kw, c_.admin_space_left_action, c_.admin_space_left_exe);
  if (k == "disk_full_action")
    return failure_action(nv, ln, kw, c_.disk_full_action, c_.disk_full_exe);
  if (k == "disk_error_action")
    return failure_action(nv, ln, kw, c_.disk_error_action, c_.disk_error_exe);
  if (k == "action_mail_acct") {
    // Stock's checks without its DNS lookup, whose failure it treats as
    // temporary (accepted) anyway.
    const std::string& a = nv.value;
    if (c_.verify_email) {
      if (a.size() < 2) {
        msg(LOG_ERR, "email: %s is too short, expecting at least 2 characters", a.c_str());
        return false;
      }
      for (char ch : a)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '@' || ch == '.' || ch == '-' ||
              ch == '_')) {
          msg(LOG_ERR, "email: %s has illegal character", a.c_str());
          return false;
        }
      if (auto at = a.find('@'); at != std::string::npos) {
        auto dot = a.rfind('.');
        if (dot == std::string::npos || at > dot) {
          msg(LOG_ERR, "email: %s should have . after @", a.c_str());
          return false;
        }
      }
    }
    c_.action_mail_acct = a;
    return true;
  }
  if (k == "verify_email") return pick(nv, ln, kYesNo, c_.verify_email);
  if (k == "priority_boost") {
    if (!number(nv, ln, n, INT_MAX)) return false;
    c_.priority_boost = static_cast<unsigned>(n);
    return true;
  }
  if (k == "tcp_listen_port") return listener_number(nv, ln, 1, kTcpPortMax, c_.tcp_listen_port);
  if (k == "tcp_listen_queue") return listener_number(nv, ln, 1, kTcpPortMax, c_.tcp_listen_queue);
  if (k == "tcp_max_per_addr") return listener_number(nv, ln, 1, 1024, c_.tcp_max_per_addr);
  if (k == "tcp_client_max_idle") {
    if (!number(nv, ln, n, INT_MAX)) return false;
    c_.tcp_client_max_idle = static_cast<unsigned>(n);
    return true;
  }
  if (k == "use_libwrap" || k == "enable_krb5" || k == "distribute_network") {
    bool b;
    if (!pick(nv, ln, kYesNo, b)) return false;
    if (k == "distribute_network") c_.distribute_network = b;
    // Stock's enable_krb5=yes sets the transport; =no leaves it as it was.
    if (k == "enable_krb5" && b) c_.transport_krb5 = true;
    return true;
  }
  if (k == "tcp_client_ports") {
    const std::string& v = nv.value;
    std::size_t dash = std::string::npos;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0 && v[i] == '-' && i + 1 < v.size() && dash == std::string::npos) {
        dash = i;
        continue;
      }
      if (!std::isdigit(static_cast<unsigned char>(v[i]))) {
        msg(LOG_ERR,
            "Value %s should only be numbers, or two numbers separated by a dash - line %d",
            v.c_str(), ln);
        return false;
      }
    }
    errno = 0;
    unsigned long lo = std::strtoul(v.c_str(), nullptr, 10), hi = lo;
    if (dash != std::string::npos) hi = std::strtoul(v.c_str() + dash + 1, nullptr, 10);
    if (errno) {
      msg(LOG_ERR, "Error converting string to a number (%s) - line %d", std::strerror(errno), ln);
      return false;
    }
    if (lo > kTcpPortMax || hi > kTcpPortMax) {
      msg(LOG_ERR, "Error - converted number (%ld) is too large - line %d",
          static_cast<long>(lo > kTcpPortMax ? lo : hi), ln);
      return false;
    }
    if (lo > hi) {
      msg(LOG_ERR, "Error - converted range (%ld-%ld) is reversed - line %d", static_cast<long>(lo),
          static_cast<long>(hi), ln);
      return false;
    }
    c_.tcp_client_min_port = static_cast<unsigned>(lo);
    c_.tcp_client_max_port = static_cast<unsigned>(hi);
    return true;
  }
  if (k == "transport") {
    int t;
    if (!pick(nv, ln, kTransports, t)) return false;
    c_.transport_krb5 = t == 1;
    return true;
  }
  if (k == "krb5_principal" || k == "krb5_key_file") return true;
  if (k == "q_depth") {
    if (!number(nv, ln, n)) return false;
    if (n > 99999) {
      msg(LOG_ERR, "q_depth must be 99999 or less");
      return false;
    }
    if (n < 512) msg(LOG_WARNING, "q_depth should be larger than 512 for safety margin");
    c_.q_depth = static_cast<unsigned>(n);
    return true;
  }
  if (k == "overflow_action") return pick(nv, ln, kOverflow, c_.overflow_action);
  if (k == "max_restarts") {
    if (!number(nv, ln, n, INT_MAX)) return false;
    c_.max_restarts = static_cast<unsigned>(n);
    return true;
  }
  if (k == "plugin_dir") {
    c_.plugin_dir = nv.value;
    if (c_.plugin_dir.back() != '/') c_.plugin_dir.push_back('/');
    return true;
  }
  if (k == "end_of_event_timeout") {
    if (!number(nv, ln, n)) return false;
    c_.end_of_event_timeout = n;
    return true;
  }
  return true;
}

bool Parser::sanity_check() {
  if (c_.space_left_percent == 0 && c_.admin_space_left_percent == 0 &&
      c_.space_left <= c_.admin_space_left) {
    msg(LOG_ERR, "Error - space_left(%lu) must be larger than admin_space_left(%lu)",
        static_cast<unsigned long>(c_.space_left), static_cast<unsigned long>(c_.admin_space_left));
    return false;
  }
  if ((c_.flush == FlushMode::kIncremental || c_.flush == FlushMode::kIncrementalAsync) &&
      c_.freq == 0) {
    msg(LOG_ERR, "Error - incremental flushing chosen, but 0 selected for freq");
    return false;
  }
  if (c_.log_group != 0) {
    std::string copy = c_.log_file;
    std::string dir = dirname(copy.data());
    if (dir == "/var/log") {
      msg(LOG_ERR,
          "Error - log_file is directly in %s and chgrp will alter a system directory's "
          "permissions. Use another directory.",
          dir.c_str());
      return false;
    }
  }
  if ((c_.flush == FlushMode::kData || c_.flush == FlushMode::kSync) && c_.freq != 0)
    msg(LOG_WARNING, "Warning - freq is non-zero and incremental flushing not selected.");
  return true;
}

// Stock splits on single spaces only (tabs belong to the words).
// The space-separated words of a line, as views into it.
std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(4);  // name = value [option]
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    std::size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool Parser::run(std::string_view text) {
  int lineno = 1;
  bool finished = scan_conf_lines(
      text, path_, r_.messages,
      [this](const ConfLine& nv, int ln) {
        if (!nv.has_value) {
          msg(LOG_ERR, "Not processing any more lines in %s", path_.c_str());
          return false;
        }
        return line(nv, ln);
      },
      lineno);
  if (!finished) return false;
  if (lineno > 1) return sanity_check();
  return true;
}

}  // namespace

const char* log_format_name(LogFormat f) {
  switch (f) {
    case LogFormat::kRaw:
      return "raw";
    case LogFormat::kNolog:
      return "nolog";
    case LogFormat::kEnriched:
      return "enriched";
  }
  return "UNKNOWN";
}

bool scan_conf_lines(std::string_view text, const std::string& path,
                     std::vector<ConfMessage>& messages,
                     const std::function<bool(const ConfLine&, int)>& on_line, int& lineno) {
  lineno = 1;
  std::size_t pos = 0;
  bool too_long = false;
  auto say = [&](const char* fmt, int n) {
    char buf[1024];
    std::snprintf(buf, sizeof(buf), fmt, n, path.c_str());
    messages.push_back({LOG_ERR, buf});
  };
  // fgets(buf, 160): at most 159 bytes per read; a read without '\n' means the
  // line did not fit (or the file ended without one), and the line is skipped.
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t avail = (nl == std::string_view::npos ? text.size() : nl + 1) - pos;
    std::size_t take = std::min(avail, kLineBuffer - 1);
    std::string_view chunk = text.substr(pos, take);
    pos += take;
    if (chunk.back() != '\n') {
      if (!too_long) say("Skipping line %d in %s: too long", lineno);
      too_long = true;
      continue;
    }
    if (too_long) {
      too_long = false;
      ++lineno;
      continue;
    }
    chunk.remove_suffix(1);
    // A NUL ends the line, as it does for stock's C strings.
    if (auto z = chunk.find('\0'); z != std::string_view::npos) chunk = chunk.substr(0, z);
    // Blank and comment lines (most of a stock auditd.conf) need no words.
    std::size_t first = chunk.find_first_not_of(' ');
    bool blank = first == std::string_view::npos || chunk[first] == '#';
    auto words = blank ? std::vector<std::string_view>{} : split_words(chunk);
    ConfLine nv;
    int rc = 0;
    if (!words.empty() && words[0][0] != '#') {
      nv.has_name = true;
      nv.name = words[0];
      if (words.size() < 2) {
        rc = 1;
      } else if (words[1] != "=") {
        rc = 2;
      } else if (words.size() < 3) {
        rc = 1;
      } else {
        nv.has_value = true;
        nv.value = words[2];
        if (words.size() >= 4) {
          nv.has_option = true;
          nv.option = words[3];
          if (words.size() > 4) rc = 1;
        }
      }
    }
    if (rc == 1)
      say("Wrong number of arguments for line %d in %s", lineno);
    else if (rc == 2)
      say("Missing equal sign for line %d in %s", lineno);
    if (!nv.has_name) {
      ++lineno;
      continue;
    }
    if (!on_line(nv, lineno)) return false;
    ++lineno;
  }
  return true;
}

namespace {

ConfResult parse_text(std::string_view text, const std::string& path, ConfCheck check, bool debug) {
  ConfResult r;
  Parser p(r, path, check, debug);
  r.ok = p.run(text);
  return r;
}

ConfResult parse_file(const std::string& path, ConfCheck check, bool allow_links, bool debug) {
  ConfResult r;
  auto fail = [&](const char* fmt, const char* arg) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), fmt, arg);
    r.messages.push_back({LOG_ERR, buf});
    return r;
  };
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (allow_links ? 0 : O_NOFOLLOW)));
  if (!fd) {
    if (errno != ENOENT) return fail("Error opening config file (%s)", std::strerror(errno));
    r.messages.push_back({LOG_WARNING, "Config file " + path + " doesn't exist, skipping"});
    r.ok = r.missing = true;
    return r;
  }
  if (debug) r.messages.push_back({LOG_DEBUG, "Config file " + path + " opened for parsing"});
  struct stat st;
  if (fstat(fd.get(), &st) < 0) return fail("Error fstat'ing config file (%s)", std::strerror(errno));
  std::string text;
  if (st.st_uid == 0 && !(st.st_mode & S_IWOTH) && S_ISREG(st.st_mode)) {
    read_all(fd.get(), text);  // stock parses what it could read
  }
  fd.reset();
  if (st.st_uid != 0) return fail("Error - %s isn't owned by root", path.c_str());
  if (st.st_mode & S_IWOTH) return fail("Error - %s is world writable", path.c_str());
  if (!S_ISREG(st.st_mode)) return fail("Error - %s is not a regular file", path.c_str());
  ConfResult body = parse_text(text, path, check, debug);
  body.messages.insert(body.messages.begin(), r.messages.begin(), r.messages.end());
  return body;
}

}  // namespace

ConfResult parse_auditd_conf_text(std::string_view text, const std::string& path, ConfCheck check) {
  return parse_text(text, path, check, true);
}

ConfResult parse_auditd_conf(const std::string& path, ConfCheck check, bool allow_links) {
  return parse_file(path, check, allow_links, true);
}

namespace {

// The words of a text line up to a '#', split on spaces and tabs.
std::vector<std::string_view> line_words(std::string_view line) {
  std::vector<std::string_view> out;
  line = line.substr(0, line.find('#'));
  std::size_t i = 0;
  while ((i = line.find_first_not_of(" \t", i)) != std::string_view::npos) {
    std::size_t j = std::min(line.find_first_of(" \t", i), line.size());
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// True when the group database's first source is plain "files" (no action
// such as [SUCCESS=merge] after it), the only case a file read can answer.
bool groups_from_files_first(std::string_view nsswitch) {
  for (const auto& text : split_pieces(nsswitch, '\n')) {
    std::string_view line = text;
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || !line.substr(start).starts_with("group")) continue;
    std::string_view rest = line.substr(start + 5);
    std::size_t colon = rest.find_first_not_of(" \t");
    if (colon == std::string_view::npos || rest[colon] != ':') continue;
    auto words = line_words(rest.substr(colon + 1));
    return !words.empty() && words[0] == "files" && (words.size() == 1 || words[1][0] != '[');
  }
  return false;  // glibc's default then; leave it to getgrnam
}

}  // namespace

std::optional<gid_t> group_from_files(const std::string& name, const std::string& nsswitch_file,
                                      const std::string& group_file) {
  std::string nsswitch, groups;
  if (!read_file(nsswitch_file, nsswitch) || !groups_from_files_first(nsswitch))
    return std::nullopt;
  if (!read_file(group_file, groups)) return std::nullopt;
  for (const auto& text : split_pieces(groups, '\n')) {
    std::string_view line = text;
    // glibc's files backend skips leading blanks, empty and '#' lines; the
    // first entry with the name wins.
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (!line.starts_with(name) || line.size() <= name.size() || line[name.size()] != ':') continue;
    std::string_view fields = line.substr(name.size() + 1);
    std::size_t gid_at = fields.find(':');
    if (gid_at == std::string_view::npos) return std::nullopt;
    std::string_view gid = fields.substr(gid_at + 1);
    gid = gid.substr(0, gid.find(':'));
    if (gid.empty() || gid.size() > 10 ||
        gid.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;  // not plainly numeric: let getgrnam judge the entry
    unsigned long value;    // the digits end at ':' or the line's end
    if (!read_ulong(gid.data(), 10, value) || value > 0xffffffffUL) return std::nullopt;
    return static_cast<gid_t>(value);
  }
  return std::nullopt;  // not listed: NSS may still know it (systemd, sssd, LDAP)
}

std::optional<AuditdConf> load_auditd_conf(const std::string& conf_path) {
  if (::access(conf_path.c_str(), R_OK) != 0) return std::nullopt;
  return parse_file(conf_path, ConfCheck::kSearch, false, false).conf;
}

}  // namespace bpfaudit::record
