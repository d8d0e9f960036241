// aureport 3.0.9 command line: same options, same messages, same exit codes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "criteria.h"
#include "interpret.h"
#include "options.h"

namespace bpfaudit::report {

// Stock's report kinds, in stock's order (kTime and kSummary come first:
// only they track the first and last event of each input).
enum class ReportType {
  kUnset, kTime, kSummary, kAvc, kMac, kConfig, kEvent, kFile, kHost, kLogin, kAcctMod, kPid,
  kSyscall, kTerm, kUser, kExe, kAnomaly, kResponse, kCrypto, kAuth, kKey, kTty, kComm, kVirt,
  kInteg
};

enum class Detail { kUnset, kSummary, kDetailed };
enum class OnlyOutcome { kBoth, kFailed, kSuccess };  // --failed / --success
enum class ConfigAction { kNeither, kAdd, kDelete };  // --add / --delete (undocumented)

struct Options {
  ReportType type = ReportType::kUnset;
  Detail detail = Detail::kUnset;
  bool interpret = false;  // -i
  OnlyOutcome only = OnlyOutcome::kBoth;
  ConfigAction config_action = ConfigAction::kNeither;
  bool no_config = false;  // -nc
  std::optional<std::string> input;
  bool force_logs = false;
  std::uint64_t eoe_timeout = 0;  // 0: from auditd.conf
  record::EscapeMode escape = record::EscapeMode::kTty;
  std::vector<std::string> nodes;  // --node, OR-ed
  std::int64_t start_time = 0, end_time = 0;
  // The fields stock's extraction looks for: each report switches on the
  // ones it prints, which also decides which malformed events are skipped.
  search::Criteria criteria;
};

// Parses argv as stock does. Usage and version go to `out`, errors to `err`.
search::ParseOutcome parse_options(int argc, char** argv, Options& opts, std::FILE* out,
                                   std::FILE* err);

}  // namespace bpfaudit::report
