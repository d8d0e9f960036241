// The option sets the ausearch and aureport targets choose from with one byte:
// criteria that decide which fields are extracted (and so which malformed
// events are skipped), and a last slot that takes an option line from the
// input itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"

namespace bpfaudit::fuzz {

inline constexpr const char* kSearchCriteria[] = {
    "",
    "-m SYSCALL,PATH,EXECVE,CWD,PROCTITLE",
    "-m ALL",
    "-k key",
    "-ui 0",
    "-ui root",
    "-ua 1000",
    "-ue 0",
    "-ul 1000",
    "-ul -1",
    "-gi 0",
    "-ga root",
    "-ge 1000",
    "-p 1",
    "-pp 1",
    "-sc open",
    "-sc 59",
    "--arch b32 -sc socketcall",
    "-sv yes",
    "-sv no",
    "-e -2",
    "-e EACCES",
    "-f /etc/passwd",
    "-f passwd -w",
    "-x /usr/bin/cat",
    "-c bash",
    "-hn localhost",
    "-tm pts/0",
    "-se system_u:system_r:init_t",
    "-su unconfined_u",
    "-o object_r",
    "--session 1",
    "-n node1",
    "-a 1234",
    "-uu 01234567-89ab-cdef-0123-456789abcdef",
    "-vm guest",
    "-ts 01/01/2000 00:00:00 -te now",
    "-ts recent",
    "-ts this-year -te today",
    "--eoe-timeout 0",
    "--eoe-timeout 100000",
    "--debug",
    "--just-one",
    "-l",
};
inline constexpr std::size_t kSearchCriteriaCount = std::size(kSearchCriteria);

// Words an option line from the input may not use: they would read or write
// files outside the scratch directory.
inline bool forbidden_word(const std::string& w) {
  return w == "-if" || w == "--input" || w == "--input-logs" || w == "--checkpoint";
}

// The option words for choice byte `pick`: a fixed set, or (for the last
// slot) the next line of the input with file options removed.
inline void add_criteria(std::uint8_t pick, Bytes& in, std::vector<std::string>& args) {
  std::size_t i = pick % (kSearchCriteriaCount + 1);
  std::vector<std::string> w;
  if (i < kSearchCriteriaCount) {
    w = words(kSearchCriteria[i]);
  } else {
    w = words(in.line());
    if (w.size() > 32) w.resize(32);
  }
  for (std::size_t k = 0; k < w.size(); ++k) {
    if (forbidden_word(w[k])) {
      ++k;  // and its value
      continue;
    }
    args.push_back(w[k]);
  }
}

}  // namespace bpfaudit::fuzz
