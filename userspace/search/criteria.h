// Search criteria as stock ausearch 3.0.9 holds them. Sentinels mirror stock's
// (-1 / -2 meaning "not given") because which fields stock extracts from a
// record, and so which records fail to parse, depends on what is set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bpfaudit::search {

enum class Success { kUnset = -1, kFailed = 0, kSuccess = 1 };

enum class ReportFormat { kRaw, kDefault, kInterpret, kCsv, kText, kJson };

struct Criteria {
  // -a; ~0u means any event, so `-a 4294967295` matches everything, as in stock.
  std::uint32_t event_id = ~0u;
  std::int64_t pid = -1, ppid = -1;       // -p, -pp (stock: pid_t, -1 unset)
  std::uint32_t uid = ~0u, euid = ~0u;    // -ui, -ue (uid_t; -1 unset)
  std::uint32_t loginuid = ~0u - 1;       // -ul (-2 unset)
  std::uint32_t gid = ~0u, egid = ~0u;    // -gi, -ge
  bool uid_all = false, gid_all = false;  // -ua, -ga: OR over the family
  // Names given for -ui/-ue/-ua/-ul: stock then matches by user name.
  std::optional<std::string> tuid, teuid, tauid;
  int syscall = -1;                       // -sc
  int machine = -1;                       // --arch, or detected for -sc NAME
  std::uint32_t session_id = ~0u - 1;     // --session (-2 unset)
  std::optional<std::int64_t> exit;       // -e
  Success success = Success::kUnset;      // -sv
  std::vector<int> message_types;         // -m, OR-ed; empty means any
  std::vector<std::string> nodes;         // -n, OR-ed
  std::optional<std::string> key, filename, exe, comm, hostname, terminal, subject, object,
      uuid, vmname;
  bool context_either = false;            // -se: subject OR object
  bool exact_match = false;               // -w
  std::int64_t start_time = 0, end_time = 0;  // -ts / -te, 0 when not given
  ReportFormat format = ReportFormat::kDefault;
  bool debug = false;
};

}  // namespace bpfaudit::search
