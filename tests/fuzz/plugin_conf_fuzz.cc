// A plugins.d file through collector::parse_plugin_conf_text, as the daemon
// reads plugin_dir. Absolute paths are moved under the scratch directory
// (fuzz::move_paths), so the path= checks never stat the host's files.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "plugin_conf.h"

using namespace bpfaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text;
  if (!fuzz::move_paths(std::string_view(reinterpret_cast<const char*>(data), size), text))
    return 0;
  auto r = collector::parse_plugin_conf_text(text, "/etc/audit/plugins.d/fuzz.conf");
  (void)collector::is_builtin_path(r.conf.path);
  return 0;
}
