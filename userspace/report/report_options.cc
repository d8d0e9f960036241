#include "report_options.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace bpfaudit::report {

namespace {

enum class Opt {
  kInput,
  kEnd,
  kStart,
  kVersion,
  kLogTimes,
  kConfig,
  kLogin,
  kUser,
  kTerminal,
  kHost,
  kExe,
  kFile,
  kAvc,
  kSyscall,
  kPid,
  kEvent,
  kAcctMod,
  kInterpret,
  kHelp,
  kAnomaly,
  kResponse,
  kSummary,
  kCrypto,
  kMac,
  kFailed,
  kSuccess,
  kAdd,
  kDelete,
  kAuth,
  kNode,
  kInputLogs,
  kKey,
  kTty,
  kNoConfig,
  kComm,
  kVirt,
  kInteg,
  kEscape,
  kDebug,
  kEoeTimeout
};

struct OptName {
  std::string_view name;
  Opt opt;
};

constexpr OptName kOptions[] = {
    {"-au", Opt::kAuth},
    {"--auth", Opt::kAuth},
    {"-a", Opt::kAvc},
    {"--avc", Opt::kAvc},
    {"--add", Opt::kAdd},
    {"-c", Opt::kConfig},
    {"--comm", Opt::kComm},
    {"--config", Opt::kConfig},
    {"-cr", Opt::kCrypto},
    {"--crypto", Opt::kCrypto},
    {"--debug", Opt::kDebug},
    {"--delete", Opt::kDelete},
    {"-e", Opt::kEvent},
    {"--event", Opt::kEvent},
    {"--escape", Opt::kEscape},
    {"--eoe-timeout", Opt::kEoeTimeout},
    {"-f", Opt::kFile},
    {"--file", Opt::kFile},
    {"--failed", Opt::kFailed},
    {"-h", Opt::kHost},
    {"--host", Opt::kHost},
    {"--help", Opt::kHelp},
    {"-i", Opt::kInterpret},
    {"--interpret", Opt::kInterpret},
    {"-if", Opt::kInput},
    {"--input", Opt::kInput},
    {"--input-logs", Opt::kInputLogs},
    {"--integrity", Opt::kInteg},
    {"-k", Opt::kKey},
    {"--key", Opt::kKey},
    {"-l", Opt::kLogin},
    {"--login", Opt::kLogin},
    {"-m", Opt::kAcctMod},
    {"--mods", Opt::kAcctMod},
    {"-ma", Opt::kMac},
    {"--mac", Opt::kMac},
    {"--node", Opt::kNode},
    {"-nc", Opt::kNoConfig},
    {"--no-config", Opt::kNoConfig},
    {"-n", Opt::kAnomaly},
    {"--anomaly", Opt::kAnomaly},
    {"-p", Opt::kPid},
    {"--pid", Opt::kPid},
    {"-r", Opt::kResponse},
    {"--response", Opt::kResponse},
    {"-s", Opt::kSyscall},
    {"--syscall", Opt::kSyscall},
    {"--success", Opt::kSuccess},
    {"--summary", Opt::kSummary},
    {"-t", Opt::kLogTimes},
    {"--log", Opt::kLogTimes},
    {"-te", Opt::kEnd},
    {"--end", Opt::kEnd},
    {"-tm", Opt::kTerminal},
    {"--terminal", Opt::kTerminal},
    {"-ts", Opt::kStart},
    {"--tty", Opt::kTty},
    {"--start", Opt::kStart},
    {"-u", Opt::kUser},
    {"--user", Opt::kUser},
    {"-v", Opt::kVersion},
    {"--version", Opt::kVersion},
    {"-x", Opt::kExe},
    {"--executable", Opt::kExe},
    {"--virt", Opt::kVirt},
};

constexpr const char* kUsage =
    "usage: aureport [options]\n"
    "\t-a,--avc\t\t\tAvc report\n"
    "\t-au,--auth\t\t\tAuthentication report\n"
    "\t--comm\t\t\t\tCommands run report\n"
    "\t-c,--config\t\t\tConfig change report\n"
    "\t-cr,--crypto\t\t\tCrypto report\n"
    "\t--debug\t\t\t\tWrite malformed events that are skipped to stderr\n"
    "\t--eoe-timeout secs\t\tEnd of Event Timeout\n"
    "\t-e,--event\t\t\tEvent report\n"
    "\t--escape option\t\t\tEscape output\n"
    "\t-f,--file\t\t\tFile name report\n"
    "\t--failed\t\t\tonly failed events in report\n"
    "\t-h,--host\t\t\tRemote Host name report\n"
    "\t--help\t\t\t\thelp\n"
    "\t-i,--interpret\t\t\tInterpretive mode\n"
    "\t-if,--input <Input File name>\tuse this file as input\n"
    "\t--input-logs\t\t\tUse the logs even if stdin is a pipe\n"
    "\t--integrity\t\t\tIntegrity event report\n"
    "\t-k,--key\t\t\tKey report\n"
    "\t-l,--login\t\t\tLogin report\n"
    "\t-m,--mods\t\t\tModification to accounts report\n"
    "\t-ma,--mac\t\t\tMandatory Access Control (MAC) report\n"
    "\t-n,--anomaly\t\t\taNomaly report\n"
    "\t-nc,--no-config\t\t\tDon't include config events\n"
    "\t--node <node name>\t\tOnly events from a specific node\n"
    "\t-p,--pid\t\t\tPid report\n"
    "\t-r,--response\t\t\tResponse to anomaly report\n"
    "\t-s,--syscall\t\t\tSyscall report\n"
    "\t--success\t\t\tonly success events in report\n"
    "\t--summary\t\t\tsorted totals for main object in report\n"
    "\t-t,--log\t\t\tLog time range report\n"
    "\t-te,--end [end date] [end time]\tending date & time for reports\n"
    "\t-tm,--terminal\t\t\tTerMinal name report\n"
    "\t-ts,--start [start date] [start time]\tstarting data & time for reports\n"
    "\t--tty\t\t\t\tReport about tty keystrokes\n"
    "\t-u,--user\t\t\tUser name report\n"
    "\t-v,--version\t\t\tVersion\n"
    "\t--virt\t\t\t\tVirtualization report\n"
    "\t-x,--executable\t\t\teXecutable name report\n"
    "\tIf no report is given, the summary report will be displayed\n";

// Stock's placeholder: these criteria only need to be "set" so that the
// extraction fills the fields the report prints.
constexpr const char* kWanted = "dummy";

// What each report makes stock's extraction look for.
struct Wants {
  bool exe = false, host = false, term = false, comm = false, subj_obj = false, file = false,
       key = false, uid = false, auid = false, session = false;
};

void apply(const Wants& w, search::Criteria& c) {
  if (w.exe) c.exe = kWanted;
  if (w.host) c.hostname = kWanted;
  if (w.term) c.terminal = kWanted;
  if (w.comm) c.comm = kWanted;
  if (w.subj_obj) c.subject = c.object = kWanted;
  if (w.file) c.filename = kWanted;
  if (w.key) c.key = kWanted;
  if (w.uid) c.uid = 1;
  if (w.auid) {
    c.loginuid = 1;
    c.tauid = kWanted;
  }
  if (w.session) c.session_id = 1;
}

}  // namespace

search::ParseOutcome parse_options(int argc, char** argv, Options& opts, std::FILE* out,
                                   std::FILE* err) {
  using search::ParseOutcome;
  search::Criteria& c = opts.criteria;
  // aureport's fixed extraction settings: success and pid are always read.
  c.success = search::Success::kSuccess;
  c.pid = 0;
  bool ok = true;
  auto set_report = [&](ReportType t) {
    if (opts.type != ReportType::kUnset) {
      std::fputs("Error - only one report can be specified", err);
      return false;
    }
    opts.type = t;
    return true;
  };
  auto unimplemented = [&]() {
    std::fputs("Unimplemented option\n", err);
    return ParseOutcome::kExitFailure;
  };
  for (int i = 1; i < argc && ok; ++i) {
    const char* name = argv[i];
    const char* arg = (i + 1 < argc && argv[i + 1][0] != '-') ? argv[i + 1] : nullptr;
    const OptName* found = nullptr;
    for (const auto& o : kOptions)
      if (o.name == name) {
        found = &o;
        break;
      }
    if (!found) {
      std::fprintf(err, "%s is an unsupported option\n", name);
      ok = false;
      break;
    }
    // Reports: `takes_no_value` reports refuse a following word as stock's
    // (unfinished) specific reports do.
    auto report = [&](ReportType t, const Wants& w, bool specific_unimplemented) -> int {
      if (!set_report(t)) return -1;
      if (specific_unimplemented && arg) return 1;
      if (opts.detail == Detail::kUnset) opts.detail = Detail::kDetailed;
      apply(w, c);
      return 0;
    };
    int r = 0;
    switch (found->opt) {
      case Opt::kInput:
        if (!arg) {
          std::fprintf(err, "Argument is required for %s\n", name);
          ok = false;
        } else if (std::strlen(arg) >= PATH_MAX - 32) {
          std::fprintf(err, "File name is too long %s\n", arg);
          ok = false;
        } else {
          opts.input = arg;
          ++i;
        }
        break;
      case Opt::kLogTimes:
        r = report(ReportType::kTime, {}, false);
        break;
      case Opt::kAvc:
        r = report(ReportType::kAvc, {.comm = true, .subj_obj = true}, false);
        break;
      case Opt::kAuth:
        r = report(ReportType::kAuth, {.exe = true, .host = true, .term = true, .uid = true},
                   false);
        break;
      case Opt::kMac:
        r = report(ReportType::kMac, {.auid = true}, false);
        break;
      case Opt::kInteg:
        r = report(ReportType::kInteg, {.auid = true}, false);
        break;
      case Opt::kVirt:
        r = report(ReportType::kVirt, {}, false);
        break;
      case Opt::kConfig:
        r = report(ReportType::kConfig, {.auid = true}, false);
        break;
      case Opt::kCrypto:
        r = report(ReportType::kCrypto, {.auid = true}, false);
        break;
      case Opt::kLogin:
        r = report(ReportType::kLogin, {.exe = true, .host = true, .term = true, .auid = true},
                   false);
        break;
      case Opt::kAcctMod:
        r = report(ReportType::kAcctMod, {.exe = true, .host = true, .term = true, .auid = true},
                   false);
        break;
      case Opt::kEvent:
        r = report(ReportType::kEvent, {.auid = true}, false);
        break;
      case Opt::kFile:
        r = report(ReportType::kFile, {.exe = true, .file = true, .auid = true}, true);
        break;
      case Opt::kHost:
        r = report(ReportType::kHost, {.host = true, .auid = true}, true);
        break;
      case Opt::kPid:
        r = report(ReportType::kPid, {.exe = true, .auid = true}, true);
        break;
      case Opt::kSyscall:
        r = report(ReportType::kSyscall, {.comm = true, .auid = true}, true);
        break;
      case Opt::kTerminal:
        r = report(ReportType::kTerm, {.exe = true, .host = true, .term = true, .auid = true},
                   true);
        break;
      case Opt::kUser:
        r = report(ReportType::kUser,
                   {.exe = true, .host = true, .term = true, .uid = true, .auid = true}, true);
        break;
      case Opt::kExe:
        r = report(ReportType::kExe, {.exe = true, .host = true, .term = true, .auid = true}, true);
        break;
      case Opt::kComm:
        r = report(ReportType::kComm, {.host = true, .term = true, .comm = true, .auid = true},
                   true);
        break;
      case Opt::kAnomaly:
        r = report(ReportType::kAnomaly,
                   {.exe = true, .host = true, .term = true, .comm = true, .auid = true}, true);
        break;
      case Opt::kResponse:
        r = report(ReportType::kResponse, {}, true);
        break;
      case Opt::kKey:
        r = report(ReportType::kKey, {.exe = true, .key = true, .auid = true}, true);
        break;
      case Opt::kTty:
        r = report(ReportType::kTty, {.term = true, .comm = true, .auid = true, .session = true},
                   false);
        break;
      case Opt::kInterpret:
        opts.interpret = true;
        c.format = search::ReportFormat::kInterpret;
        if (arg) {
          std::fprintf(err, "Argument is NOT required for %s\n", name);
          ok = false;
        }
        break;
      case Opt::kEnd:
      case Opt::kStart: {
        bool start = found->opt == Opt::kStart;
        if (!arg) {
          std::fprintf(err, "%s requires either date and/or time\n", name);
          ok = false;
          break;
        }
        const char* second = (i + 2 < argc && argv[i + 2][0] != '-') ? argv[i + 2] : nullptr;
        std::int64_t& slot = start ? opts.start_time : opts.end_time;
        if (!search::parse_time_words(start, arg, second, slot, nullptr, err)) ok = false;
        if (second) ++i;
        ++i;
        break;
      }
      case Opt::kNode:
        if (!arg) {
          std::fprintf(err, "Argument is required for %s\n", name);
          ok = false;
        } else {
          opts.nodes.emplace_back(arg);
          ++i;
        }
        break;
      case Opt::kEscape:
        if (!arg) {
          std::fprintf(err, "Argument is required for %s\n", name);
          ok = false;
        } else if (auto mode = record::parse_escape_mode(arg)) {
          opts.escape = *mode;
          ++i;
        } else {
          std::fprintf(err, "Unknown option (%s)\n", arg);
          ok = false;
        }
        break;
      case Opt::kSummary:
        opts.detail = Detail::kSummary;
        break;
      case Opt::kFailed:
        opts.only = OnlyOutcome::kFailed;
        break;
      case Opt::kSuccess:
        opts.only = OnlyOutcome::kSuccess;
        break;
      case Opt::kAdd:
        opts.config_action = ConfigAction::kAdd;
        break;
      case Opt::kDelete:
        opts.config_action = ConfigAction::kDelete;
        break;
      case Opt::kDebug:
        c.debug = true;
        break;
      case Opt::kInputLogs:
        opts.force_logs = true;
        break;
      case Opt::kNoConfig:
        opts.no_config = true;
        break;
      case Opt::kVersion:
        std::fputs("aureport version 3.0.9\n", out);
        return ParseOutcome::kExitSuccess;
      case Opt::kHelp:
        std::fputs(kUsage, out);
        return ParseOutcome::kExitSuccess;
      case Opt::kEoeTimeout:
        if (!arg) {
          std::fprintf(err, "Argument is required for %s\n", name);
          ok = false;
        } else {
          bool consumed = false;
          if (!search::parse_eoe_timeout(arg, opts.eoe_timeout, &consumed, err)) ok = false;
          if (consumed) ++i;
        }
        break;
    }
    if (r < 0) ok = false;
    if (r > 0) return unimplemented();
  }
  if (!ok) {
    std::fputs(kUsage, out);
    return ParseOutcome::kExitFailure;
  }
  if (opts.type == ReportType::kUnset) {
    opts.type = ReportType::kSummary;
    opts.detail = Detail::kSummary;
    apply({.exe = true,
           .host = true,
           .term = true,
           .comm = true,
           .file = true,
           .key = true,
           .auid = true},
          c);
  }
  return ParseOutcome::kRun;
}

}  // namespace bpfaudit::report
