#include "options.h"

#include <fcntl.h>
#include <grp.h>
#include <libaudit.h>
#include <linux/limits.h>
#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>

namespace bpfaudit::search {

namespace {

enum class Opt {
  kEvent,
  kArch,
  kComm,
  kCheckpoint,
  kDebug,
  kExit,
  kEoeTimeout,
  kEscape,
  kExtraKeys,
  kExtraLabels,
  kExtraObj2,
  kExtraTime,
  kFile,
  kFormat,
  kGidAll,
  kGidEff,
  kGid,
  kHelp,
  kHost,
  kInterpret,
  kInput,
  kInputLogs,
  kJustOne,
  kKey,
  kLineBuffered,
  kMessage,
  kNode,
  kObject,
  kPid,
  kPpid,
  kRaw,
  kSyscall,
  kContext,
  kSession,
  kSubject,
  kSuccess,
  kEnd,
  kStart,
  kTerminal,
  kUidAll,
  kUidEff,
  kUid,
  kUuid,
  kLoginUid,
  kVersion,
  kVmName,
  kWord,
  kExecutable,
};

struct OptName {
  std::string_view name;
  Opt opt;
};

constexpr OptName kOptNames[] = {
    {"-a", Opt::kEvent},
    {"--event", Opt::kEvent},
    {"--arch", Opt::kArch},
    {"-c", Opt::kComm},
    {"--comm", Opt::kComm},
    {"--checkpoint", Opt::kCheckpoint},
    {"--debug", Opt::kDebug},
    {"-e", Opt::kExit},
    {"--exit", Opt::kExit},
    {"--eoe-timeout", Opt::kEoeTimeout},
    {"--escape", Opt::kEscape},
    {"--extra-keys", Opt::kExtraKeys},
    {"--extra-labels", Opt::kExtraLabels},
    {"--extra-obj2", Opt::kExtraObj2},
    {"--extra-time", Opt::kExtraTime},
    {"-f", Opt::kFile},
    {"--file", Opt::kFile},
    {"--format", Opt::kFormat},
    {"-ga", Opt::kGidAll},
    {"--gid-all", Opt::kGidAll},
    {"-ge", Opt::kGidEff},
    {"--gid-effective", Opt::kGidEff},
    {"-gi", Opt::kGid},
    {"--gid", Opt::kGid},
    {"-h", Opt::kHelp},
    {"--help", Opt::kHelp},
    {"-hn", Opt::kHost},
    {"--host", Opt::kHost},
    {"-i", Opt::kInterpret},
    {"--interpret", Opt::kInterpret},
    {"-if", Opt::kInput},
    {"--input", Opt::kInput},
    {"--input-logs", Opt::kInputLogs},
    {"--just-one", Opt::kJustOne},
    {"-k", Opt::kKey},
    {"--key", Opt::kKey},
    {"-l", Opt::kLineBuffered},
    {"--line-buffered", Opt::kLineBuffered},
    {"-m", Opt::kMessage},
    {"--message", Opt::kMessage},
    {"-n", Opt::kNode},
    {"--node", Opt::kNode},
    {"-o", Opt::kObject},
    {"--object", Opt::kObject},
    {"-p", Opt::kPid},
    {"--pid", Opt::kPid},
    {"-pp", Opt::kPpid},
    {"--ppid", Opt::kPpid},
    {"-r", Opt::kRaw},
    {"--raw", Opt::kRaw},
    {"-sc", Opt::kSyscall},
    {"--syscall", Opt::kSyscall},
    {"-se", Opt::kContext},
    {"--context", Opt::kContext},
    {"--session", Opt::kSession},
    {"-su", Opt::kSubject},
    {"--subject", Opt::kSubject},
    {"-sv", Opt::kSuccess},
    {"--success", Opt::kSuccess},
    {"-te", Opt::kEnd},
    {"--end", Opt::kEnd},
    {"-ts", Opt::kStart},
    {"--start", Opt::kStart},
    {"-tm", Opt::kTerminal},
    {"--terminal", Opt::kTerminal},
    {"-ua", Opt::kUidAll},
    {"--uid-all", Opt::kUidAll},
    {"-ue", Opt::kUidEff},
    {"--uid-effective", Opt::kUidEff},
    {"-ui", Opt::kUid},
    {"--uid", Opt::kUid},
    {"-uu", Opt::kUuid},
    {"--uuid", Opt::kUuid},
    {"-ul", Opt::kLoginUid},
    {"--loginuid", Opt::kLoginUid},
    {"-v", Opt::kVersion},
    {"--version", Opt::kVersion},
    {"-vm", Opt::kVmName},
    {"--vm-name", Opt::kVmName},
    {"-w", Opt::kWord},
    {"--word", Opt::kWord},
    {"-x", Opt::kExecutable},
    {"--executable", Opt::kExecutable},
};

std::optional<Opt> lookup_option(std::string_view name) {
  for (const auto& o : kOptNames)
    if (o.name == name) return o.opt;
  return std::nullopt;
}

// The usage text is part of the stock command-line interface and is printed
// byte for byte as ausearch 3.0.9 prints it.
constexpr const char* kUsage =
    "usage: ausearch [options]\n"
    "\t-a,--event <Audit event id>\tsearch based on audit event id\n"
    "\t--arch <CPU>\t\t\tsearch based on the CPU architecture\n"
    "\t-c,--comm  <Comm name>\t\tsearch based on command line name\n"
    "\t--checkpoint <checkpoint file>\tsearch from last complete event\n"
    "\t--debug\t\t\tWrite malformed events that are skipped to stderr\n"
    "\t-e,--exit  <Exit code or errno>\tsearch based on syscall exit code\n"
    "\t-escape <option>\t\tescape output\n"
    "\t--eoe-timeout secs\t\tEnd of Event timeout\n"
    "\t--extra-keys\t\t\tadd a final column with key information\n"
    "\t--extra-labels\t\t\tadd columns of information about subject and object labels\n"
    "\t--extra-obj2\t\t\tadd columns of information about a second object\n"
    "\t--extra-time\t\t\tadd columns of information about broken down time\n"
    "\t-f,--file  <File name>\t\tsearch based on file name\n"
    "\t--format [raw|default|interpret|csv|text] results format options\n"
    "\t-ga,--gid-all <all Group id>\tsearch based on All group ids\n"
    "\t-ge,--gid-effective <effective Group id>  search based on Effective\n\t\t\t\t\tgroup id\n"
    "\t-gi,--gid <Group Id>\t\tsearch based on group id\n"
    "\t-h,--help\t\t\thelp\n"
    "\t-hn,--host <Host Name>\t\tsearch based on remote host name\n"
    "\t-i,--interpret\t\t\tInterpret results to be human readable\n"
    "\t-if,--input <Input File name>\tuse this file instead of current logs\n"
    "\t--input-logs\t\t\tUse the logs even if stdin is a pipe\n"
    "\t--just-one\t\t\tEmit just one event\n"
    "\t-k,--key  <key string>\t\tsearch based on key field\n"
    "\t-l, --line-buffered\t\tFlush output on every line\n"
    "\t-m,--message  <Message type>\tsearch based on message type\n"
    "\t-n,--node  <Node name>\t\tsearch based on machine's name\n"
    "\t-o,--object  <SE Linux Object context> search based on context of object\n"
    "\t-p,--pid  <Process id>\t\tsearch based on process id\n"
    "\t-pp,--ppid <Parent Process id>\tsearch based on parent process id\n"
    "\t-r,--raw\t\t\toutput is completely unformatted\n"
    "\t-sc,--syscall <SysCall name>\tsearch based on syscall name or number\n"
    "\t-se,--context <SE Linux context> search based on either subject or\n\t\t\t\t\t object\n"
    "\t--session <login session id>\tsearch based on login session id\n"
    "\t-su,--subject <SE Linux context> search based on context of the Subject\n"
    "\t-sv,--success <Success Value>\tsearch based on syscall or event\n\t\t\t\t\tsuccess value\n"
    "\t-te,--end [end date] [end time]\tending date & time for search\n"
    "\t-ts,--start [start date] [start time]\tstarting date & time for search\n"
    "\t-tm,--terminal <TerMinal>\tsearch based on terminal\n"
    "\t-ua,--uid-all <all User id>\tsearch based on All user id's\n"
    "\t-ue,--uid-effective <effective User id>  search based on Effective\n\t\t\t\t\tuser id\n"
    "\t-ui,--uid <User Id>\t\tsearch based on user id\n"
    "\t-ul,--loginuid <login id>\tsearch based on the User's Login id\n"
    "\t-uu,--uuid <guest UUID>\t\tsearch for events related to the virtual\n"
    "\t\t\t\t\tmachine with the given UUID.\n"
    "\t-v,--version\t\t\tversion\n"
    "\t-vm,--vm-name <guest name>\tsearch for events related to the virtual\n"
    "\t\t\t\t\tmachine with the name.\n"
    "\t-w,--word\t\t\tstring matches are whole word\n"
    "\t-x,--executable <executable name>  search based on executable name\n";

bool is_digit(const char* s) { return std::isdigit(static_cast<unsigned char>(s[0])) != 0; }

// Message types: a number, a name, or a comma list; "ALL" clears nothing.
bool add_message_types(const char* arg, Criteria& c, std::FILE* err) {
  std::string_view all(arg);
  std::size_t pos = 0;
  bool list = all.find(',') != std::string_view::npos;
  while (pos <= all.size()) {
    std::size_t comma = list ? all.find(',', pos) : std::string_view::npos;
    std::string item(
        all.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    pos = comma == std::string_view::npos ? all.size() + 1 : comma + 1;
    if (item.empty()) continue;  // strtok skips empty fields
    int type;
    if (is_digit(item.c_str())) {
      errno = 0;
      type = static_cast<int>(std::strtoul(item.c_str(), nullptr, 10));
      if (errno) {
        std::fprintf(err, "Numeric message type conversion error (%s) for %s\n",
                     std::strerror(errno), item.c_str());
        return false;
      }
    } else {
      type = audit_name_to_msg_type(item.c_str());
      if (type < 0) return false;
    }
    c.message_types.push_back(type);
  }
  return true;
}

void print_message_types(std::FILE* err) {
  std::fprintf(err, "Valid message types are: ALL ");
  for (int i = AUDIT_USER; i <= AUDIT_LAST_VIRT_MSG; ++i) {
    if (i == AUDIT_WATCH_INS) i = AUDIT_FIRST_USER_MSG;
    if (const char* name = audit_msg_type_to_name(i)) std::fprintf(err, "%s ", name);
  }
  std::fprintf(err, "\n");
}

}  // namespace

bool parse_eoe_timeout(const char* value, std::uint64_t& timeout, bool* consumed, std::FILE* err) {
  *consumed = is_digit(value);
  if (!*consumed) {
    std::fprintf(err, "End of Event Timeout must be a numeric value, was %s\n", value);
    return false;
  }
  errno = 0;
  timeout = std::strtoul(value, nullptr, 10);
  if (errno || timeout == 0) {
    std::fprintf(err, "Illegal value for End of Event Timeout, was %s\n", value);
    return false;
  }
  return true;
}

bool parse_time_words(bool start, const char* first, const char* second, std::int64_t& value,
                      bool* checkpoint_keyword, std::FILE* err) {
  auto set = [&](const char* d, const char* t) {
    auto v = start ? parse_start_time(d, t, err) : parse_end_time(d, t, err);
    if (!v) return false;
    value = *v;
    return true;
  };
  if (second) {
    if (std::strchr(first, ':')) return set(second, first);
    return set(first, second);
  }
  static constexpr std::string_view kKeywords[] = {"now",      "recent",     "boot",
                                                   "today",    "yesterday",  "this-week",
                                                   "week-ago", "this-month", "this-year"};
  for (auto k : kKeywords)
    if (k == first) return set(first, "00:00:00");
  if (start && checkpoint_keyword && std::strcmp(first, "checkpoint") == 0) {
    *checkpoint_keyword = true;
    return true;
  }
  if (std::strchr(first, ':') == nullptr) return set(first, start ? "00:00:00" : nullptr);
  return set(nullptr, first);
}

ParseOutcome parse_options(int argc, char** argv, Options& opts, std::FILE* out, std::FILE* err) {
  Criteria& c = opts.criteria;
  if (argc < 2) {
    std::fputs(kUsage, out);
    return ParseOutcome::kExitFailure;
  }
  bool ok = true;
  int i = 1;
  while (i < argc && ok) {
    const char* name = argv[i];
    const char* arg = (i + 1 < argc && argv[i + 1][0] != '-') ? argv[i + 1] : nullptr;
    auto need_arg = [&] {
      if (arg) return true;
      std::fprintf(err, "Argument is required for %s\n", name);
      ok = false;
      return false;
    };
    auto no_arg = [&] {
      if (!arg) return;
      std::fprintf(err, "Argument is NOT required for %s\n", name);
      ok = false;
    };
    // Options whose value may start with '-' (negative numbers).
    auto take_any = [&] {
      if (!arg && i + 1 < argc) arg = argv[i + 1];
      return need_arg();
    };
    auto string_value = [&](std::optional<std::string>& field) {
      if (!need_arg()) return;
      field = arg;
      ++i;
    };
    auto lookup_group = [&](const char* what, std::uint32_t& field) {
      if (!need_arg()) return false;
      if (is_digit(arg)) {
        errno = 0;
        field = static_cast<std::uint32_t>(std::strtoul(arg, nullptr, 10));
        if (errno) {
          std::fprintf(err, "Numeric group ID conversion error (%s) for %s\n", std::strerror(errno),
                       arg);
          ok = false;
        }
      } else {
        struct group* gr = getgrnam(arg);
        if (!gr) {
          std::fprintf(err, "%s is non-numeric and unknown (%s)\n", what, arg);
          ok = false;
          return false;
        }
        field = gr->gr_gid;
      }
      return true;
    };
    // Returns the looked-up uid, or nullopt (message printed) for unknown names.
    auto lookup_user = [&](const char* what, std::uint32_t& field, bool& by_name) {
      by_name = false;
      if (is_digit(arg)) {
        errno = 0;
        field = static_cast<std::uint32_t>(std::strtoul(arg, nullptr, 10));
        if (errno) {
          std::fprintf(err, "Numeric user ID conversion error (%s) for %s\n", std::strerror(errno),
                       arg);
          ok = false;
        }
        return true;
      }
      struct passwd* pw = getpwnam(arg);
      if (!pw) {
        std::fprintf(err, "%s is non-numeric and unknown (%s)\n", what, arg);
        ok = false;
        return false;
      }
      field = pw->pw_uid;
      by_name = true;
      return true;
    };
    // A user option's value: a number, or a name kept for the text match too.
    auto user_value = [&](const char* what, std::uint32_t& field,
                          std::initializer_list<std::optional<std::string>*> names) {
      if (!need_arg()) return false;
      bool by_name;
      if (!lookup_user(what, field, by_name)) return false;
      if (by_name)
        for (auto* n : names) *n = arg;
      ++i;
      return true;
    };

    auto opt = lookup_option(name);
    if (!opt) {
      std::fprintf(err, "%s is an unsupported option\n", name);
      ok = false;
      break;
    }
    switch (*opt) {
      case Opt::kEvent:
        if (!need_arg()) break;
        if (is_digit(arg)) {
          errno = 0;
          c.event_id = static_cast<std::uint32_t>(std::strtoul(arg, nullptr, 10));
          if (errno) {
            std::fprintf(err, "Illegal value for audit event ID");
            ok = false;
          }
          ++i;
        } else {
          std::fprintf(err, "Audit event id must be a numeric value, was %s\n", arg);
          ok = false;
        }
        break;
      case Opt::kEoeTimeout:
        if (!need_arg()) break;
        {
          bool consumed = false;
          if (!parse_eoe_timeout(arg, opts.eoe_timeout, &consumed, err)) ok = false;
          if (consumed) ++i;
        }
        break;
      case Opt::kExtraKeys:
        opts.extra_keys = true;
        no_arg();
        break;
      case Opt::kExtraLabels:
        opts.extra_labels = true;
        no_arg();
        break;
      case Opt::kExtraObj2:
        opts.extra_obj2 = true;
        no_arg();
        break;
      case Opt::kExtraTime:
        opts.extra_time = true;
        no_arg();
        break;
      case Opt::kComm:
        string_value(c.comm);
        break;
      case Opt::kFile:
        if (!need_arg()) break;
        if (std::strlen(arg) >= PATH_MAX) {
          std::fprintf(err, "File name is too long %s\n", arg);
          ok = false;
          break;
        }
        c.filename = arg;
        ++i;
        break;
      case Opt::kKey:
        string_value(c.key);
        break;
      case Opt::kGidAll:
        if (lookup_group("Group ID", c.gid)) {
          c.egid = c.gid;
          c.gid_all = true;
          ++i;
        }
        break;
      case Opt::kGidEff:
        if (lookup_group("Effective group ID", c.egid)) ++i;
        break;
      case Opt::kGid:
        if (lookup_group("Group ID", c.gid)) ++i;
        break;
      case Opt::kHelp:
        std::fputs(kUsage, out);
        return ParseOutcome::kExitSuccess;
      case Opt::kHost:
        string_value(c.hostname);
        break;
      case Opt::kInterpret:
        if (c.format == ReportFormat::kDefault) {
          c.format = ReportFormat::kInterpret;
        } else {
          std::fprintf(err, "Conflicting output format %s\n", name);
          ok = false;
        }
        no_arg();
        break;
      case Opt::kInput:
        if (!need_arg()) break;
        if (std::strlen(arg) >= PATH_MAX - 32) {
          std::fprintf(err, "File name is too longs %s\n", arg);
          ok = false;
          break;
        }
        opts.input = arg;
        ++i;
        break;
      case Opt::kMessage:
        if (!need_arg()) {
          print_message_types(err);
          break;
        }
        if (strcasecmp(arg, "ALL") != 0 && !add_message_types(arg, c, err)) {
          ok = false;
          print_message_types(err);
        }
        ++i;
        break;
      case Opt::kObject:
        string_value(c.object);
        break;
      case Opt::kPpid:
      case Opt::kPid: {
        if (!need_arg()) break;
        bool pp = *opt == Opt::kPpid;
        if (is_digit(arg)) {
          errno = 0;
          long v = std::strtol(arg, nullptr, 10);
          // pid_t is 32 bits: stock stores the truncated value.
          (pp ? c.ppid : c.pid) = static_cast<std::int32_t>(v);
          if (errno) ok = false;
          ++i;
        } else {
          std::fprintf(err,
                       pp ? "Parent process id must be a numeric value, was %s\n"
                          : "Process id must be a numeric value, was %s\n",
                       arg);
          ok = false;
        }
        break;
      }
      case Opt::kRaw:
        if (c.format == ReportFormat::kDefault) {
          c.format = ReportFormat::kRaw;
        } else {
          std::fprintf(err, "Conflicting output format --raw\n");
          ok = false;
        }
        if (arg) {
          std::fprintf(err, "Argument is NOT required for --raw\n");
          ok = false;
        }
        break;
      case Opt::kEscape:
        if (!need_arg()) break;
        if (std::strcmp(arg, "raw") == 0) {
          opts.escape = EscapeMode::kRaw;
        } else if (std::strcmp(arg, "tty") == 0) {
          opts.escape = EscapeMode::kTty;
        } else if (std::strcmp(arg, "shell") == 0) {
          opts.escape = EscapeMode::kShell;
        } else if (std::strcmp(arg, "shell_quote") == 0) {
          opts.escape = EscapeMode::kShellQuote;
        } else {
          std::fprintf(err, "Unknown option (%s)\n", arg);
          ok = false;
          break;
        }
        ++i;
        break;
      case Opt::kFormat:
        if (c.format != ReportFormat::kDefault) {
          std::fprintf(err, "Multiple output formats, use only 1\n");
          ok = false;
          break;
        }
        if (!need_arg()) break;
        if (std::strcmp(arg, "raw") == 0) {
          c.format = ReportFormat::kRaw;
        } else if (std::strcmp(arg, "default") == 0) {
          c.format = ReportFormat::kDefault;
        } else if (std::strncmp(arg, "interp", 6) == 0) {
          c.format = ReportFormat::kInterpret;
        } else if (std::strcmp(arg, "csv") == 0) {
          c.format = ReportFormat::kCsv;
        } else if (std::strcmp(arg, "text") == 0) {
          c.format = ReportFormat::kText;
        } else if (std::strcmp(arg, "json") == 0) {
          c.format = ReportFormat::kJson;  // ours: stock has no JSON
        } else {
          std::fprintf(err, "Unknown option (%s)\n", arg);
          ok = false;
          break;
        }
        ++i;
        break;
      case Opt::kNode:
        if (!need_arg()) break;
        c.nodes.emplace_back(arg);
        ++i;
        break;
      case Opt::kSyscall:
        if (!need_arg()) break;
        if (is_digit(arg)) {
          errno = 0;
          c.syscall = static_cast<int>(std::strtoul(arg, nullptr, 10));
          if (errno) {
            std::fprintf(err, "Syscall numeric conversion error (%s) for %s\n",
                         std::strerror(errno), arg);
            ok = false;
          }
        } else {
          if (c.machine == -1) {
            int m = audit_detect_machine();
            if (m < 0) {
              std::fprintf(err, "Error detecting machine type");
              ok = false;
              break;
            }
            c.machine = m;
          }
          c.syscall = audit_name_to_syscall(arg, c.machine);
          if (c.syscall == -1) {
            std::fprintf(err, "Syscall %s not found\n", arg);
            ok = false;
          }
        }
        ++i;
        break;
      case Opt::kContext:
        if (!need_arg()) break;
        c.subject = arg;
        c.object = arg;
        c.context_either = true;
        ++i;
        break;
      case Opt::kSubject:
        string_value(c.subject);
        break;
      case Opt::kSuccess:
        if (!need_arg()) break;
        if (std::strstr(arg, "yes") || std::strstr(arg, "no")) {
          c.success = std::strcmp(arg, "yes") == 0 ? Success::kSuccess : Success::kFailed;
        } else {
          std::fprintf(err, "Success must be 'yes' or 'no'.\n");
          ok = false;
        }
        ++i;
        break;
      case Opt::kSession: {
        if (!take_any()) break;
        std::size_t len = std::strlen(arg);
        if (is_digit(arg)) {
          errno = 0;
          c.session_id = static_cast<std::uint32_t>(std::strtoul(arg, nullptr, 10));
          if (errno) ok = false;
          ++i;
        } else if (len >= 2 && arg[0] == '-' && is_digit(arg + 1)) {
          errno = 0;
          c.session_id = static_cast<std::uint32_t>(std::strtoul(arg, nullptr, 0));
          if (errno) {
            ok = false;
            std::fprintf(err, "Error converting %s\n", arg);
          }
          ++i;
        } else {
          std::fprintf(err, "Session id must be a numeric value, was %s\n", arg);
          ok = false;
        }
        break;
      }
      case Opt::kExit: {
        if (!take_any()) break;
        std::size_t len = std::strlen(arg);
        bool good = true;
        std::int64_t v = 0;
        if (is_digit(arg) || (len >= 2 && arg[0] == '-' && is_digit(arg + 1))) {
          errno = 0;
          v = std::strtoll(arg, nullptr, 0);
          if (errno) {
            good = false;
            std::fprintf(err, "Error converting %s\n", arg);
          }
        } else {
          v = audit_name_to_errno(arg);
          if (v == 0) {
            good = false;
            std::fprintf(err, "Unknown errno, was %s\n", arg);
          }
        }
        ++i;
        if (good) c.exit = v;
        ok = good;
        break;
      }
      case Opt::kEnd:
      case Opt::kStart: {
        bool start = *opt == Opt::kStart;
        if (!arg) {
          std::fprintf(err, "%s requires either date and/or time\n", name);
          ok = false;
          break;
        }
        const char* second = (i + 2 < argc && argv[i + 2][0] != '-') ? argv[i + 2] : nullptr;
        std::int64_t& slot = start ? c.start_time : c.end_time;
        if (!parse_time_words(start, arg, second, slot, &opts.checkpoint_time_only, err))
          ok = false;
        if (second) ++i;
        ++i;
        break;
      }
      case Opt::kTerminal:
        string_value(c.terminal);
        break;
      // Stock's labels: -ui says "Effective user ID", -ue "User ID".
      case Opt::kUid:
        user_value("Effective user ID", c.uid, {&c.tuid});
        break;
      case Opt::kUidEff:
        user_value("User ID", c.euid, {&c.teuid});
        break;
      case Opt::kUidAll:
        if (!user_value("User ID", c.uid, {&c.tuid, &c.teuid, &c.tauid})) break;
        c.uid_all = true;
        c.euid = c.uid;
        c.loginuid = c.uid;
        break;
      case Opt::kLoginUid: {
        if (!take_any()) break;
        std::size_t len = std::strlen(arg);
        if (len >= 2 && arg[0] == '-' && is_digit(arg + 1)) {
          errno = 0;
          c.loginuid = static_cast<std::uint32_t>(std::strtol(arg, nullptr, 0));
          if (errno) {
            ok = false;
            std::fprintf(err, "Error converting %s\n", arg);
          }
        } else {
          bool by_name;
          if (!lookup_user("Login user ID", c.loginuid, by_name)) break;
          if (by_name) c.tauid = arg;
        }
        ++i;
        break;
      }
      case Opt::kUuid:
        string_value(c.uuid);
        break;
      case Opt::kVmName:
        string_value(c.vmname);
        break;
      case Opt::kVersion:
        std::fprintf(out, "ausearch version %s\n", "3.0.9");
        return ParseOutcome::kExitSuccess;
      case Opt::kWord:
        c.exact_match = true;
        break;
      case Opt::kInputLogs:
        opts.force_logs = true;
        break;
      case Opt::kJustOne:
        opts.just_one = true;
        break;
      case Opt::kExecutable:
        string_value(c.exe);
        break;
      case Opt::kLineBuffered:
        opts.line_buffered = true;
        break;
      case Opt::kDebug:
        c.debug = true;
        break;
      case Opt::kCheckpoint:
        string_value(opts.checkpoint);
        break;
      case Opt::kArch:
        if (!need_arg()) break;
        if (c.machine != -1) {
          std::fprintf(err, c.syscall != -1 ? "Arch needs to be defined before the syscall\n"
                                            : "Arch is already defined\n");
          ok = false;
          break;
        } else {
          int m = audit_determine_machine(arg);
          if (m < 0) {
            std::fprintf(err, "Unknown arch %s\n", arg);
            ok = false;
          }
          c.machine = m;
        }
        ++i;
        break;
    }
    ++i;
  }
  if ((opts.extra_time || opts.extra_labels || opts.extra_keys) && c.format != ReportFormat::kCsv) {
    std::fprintf(err, "--extra options requires format to be csv\n");
    ok = false;
  }
  return ok ? ParseOutcome::kRun : ParseOutcome::kExitFailure;
}

}  // namespace bpfaudit::search
