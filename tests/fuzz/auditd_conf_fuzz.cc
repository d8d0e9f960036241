// auditd.conf text through record::parse_auditd_conf_text, as the daemon and
// as the search tools check it. Absolute paths in the input are moved under
// the scratch directory (fuzz::move_paths), so the checks' stat/opendir/open
// never reach the host's files.
//
// Input: byte 0 chooses the daemon's or the search tools' checks; the rest
// is the file.
#include <cstdint>
#include <string>

#include "auditd_conf.h"
#include "fuzz_util.h"

using namespace bpfaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  std::uint8_t sel = in.byte();
  std::string text;
  if (!fuzz::move_paths(in.rest(), text)) return 0;
  auto check = sel & 1 ? record::ConfCheck::kDaemon : record::ConfCheck::kSearch;
  record::ConfResult r = record::parse_auditd_conf_text(text, "/etc/audit/auditd.conf", check);
  (void)record::log_format_name(r.conf.log_format);
  return 0;
}
