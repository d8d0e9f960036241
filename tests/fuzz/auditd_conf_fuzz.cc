// auditd.conf text through record::parse_auditd_conf_text, as the daemon and
// as the search tools check it.
//
// Every absolute path in the input is moved under the scratch directory
// (which holds var/log/audit/audit.log and an executable sbin/action), and
// an input with ".." is skipped, so the checks' stat/opendir/open never
// reach the host's files.
#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "auditd_conf.h"
#include "fuzz_util.h"

using namespace bpfaudit;

namespace {

const std::string& root() {
  static const std::string r = [] {
    std::string base = fuzz::ScratchDir::path() + "/root";
    for (const char* d : {"", "/var", "/var/log", "/var/log/audit", "/sbin", "/etc"})
      ::mkdir((base + d).c_str(), 0755);
    fuzz::scratch_file("root/var/log/audit/audit.log", "", 0600);
    fuzz::scratch_file("root/sbin/action", "#!/bin/sh\n", 0755);
    return base;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  std::uint8_t sel = in.byte();
  std::string_view text = in.rest();
  if (text.find("..") != std::string_view::npos) return 0;
  std::string moved;
  moved.reserve(text.size() + 64);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char prev = i ? text[i - 1] : '\n';
    if (text[i] == '/' && (prev == '\n' || prev == ' ' || prev == '\t' || prev == '='))
      moved += root();
    moved += text[i];
  }
  auto check = sel & 1 ? record::ConfCheck::kDaemon : record::ConfCheck::kSearch;
  record::ConfResult r = record::parse_auditd_conf_text(moved, "/etc/audit/auditd.conf", check);
  // What the daemon prints for the format it chose must be one of its names.
  (void)record::log_format_name(r.conf.log_format);
  return 0;
}
