// A rules file, loaded with `auditctl -R` against a fake kernel, then listed
// raw and interpreted. The file lives in the target's scratch directory.
#include <cstdint>
#include <string>

#include "ctl.h"
#include "fake_control.h"

using namespace bpfaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string path = fuzz::scratch_file(
      "audit.rules", std::string_view(reinterpret_cast<const char*>(data), size), 0600);
  fuzz::FakeControl kernel;
  rules::Ctl ctl(kernel, fuzz::fake_env(), fuzz::null_io());
  ctl.run({"auditctl", "-R", path});
  ctl.run({"auditctl", "-l"});
  ctl.run({"auditctl", "-l", "-i"});
  return 0;
}
