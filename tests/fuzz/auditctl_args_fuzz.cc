// auditctl command lines against a fake kernel: each input line is one
// command (split on blanks, as a shell without quotes would), run in order
// so that adds, deletes, -D, -e 2 and listings meet each other's state; the
// rules are listed raw and interpreted at the end.
#include <cstdint>
#include <string>

#include "ctl.h"
#include "fake_control.h"

using namespace bpfaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  fuzz::FakeControl kernel;
  rules::Ctl ctl(kernel, fuzz::fake_env(), fuzz::null_io());
  static const std::string missing = fuzz::ScratchDir::path() + "/no-such.rules";
  for (int n = 0; in.left() && n < 64; ++n) fuzz::run_ctl_line(ctl, in.line(), missing);
  ctl.run({"auditctl", "-l"});
  ctl.run({"auditctl", "-l", "-i"});
  ctl.run({"auditctl", "-s"});
  return 0;
}
