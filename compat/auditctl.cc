// auditctl front end: stock 3.0.9 command line over the kernel's netlink interface.
#include <libaudit.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <optional>

#include "augenrules.h"
#include "control.h"
#include "ctl.h"
#include "tools.h"

namespace bpfaudit::compat {

namespace {

rules::Environment host_environment(kernel::AuditControl& kernel) {
  auto cached = std::make_shared<std::optional<uint32_t>>();
  return rules::Environment::host([&kernel, cached]() -> uint32_t {
    if (!*cached) {
      auto st = kernel.get_status();
      *cached = st.ok() ? st->status.feature_bitmap : 0u;
    }
    return **cached;
  });
}

// Runs `command` with the auditctl of this host: the kernel and, when the
// prefilter is on, the eBPF engine beside it.
template <class Command>
int with_host_ctl(Command command) {
  kernel::NetlinkControl kernel;
  rules::PrefilterControl control(kernel);
  rules::CtlIo io;
  io.is_root = audit_can_control() != 0;
  rules::Ctl ctl(control, host_environment(kernel), io);
  ctl.set_prefilter(&control);
  return command(ctl);
}

int load_file(const std::string& file) {
  return with_host_ctl([&](rules::Ctl& ctl) { return ctl.run({"auditctl", "-R", file}); });
}

}  // namespace

int auditctl_main(int argc, char** argv) {
  return with_host_ctl([&](rules::Ctl& ctl) { return ctl.run(argc, argv); });
}

// augenrules [--check|--load], plus --rules-dir DIR and --output FILE to work on
// other directories than /etc/audit (tests, image builds).
int augenrules_main(int argc, char** argv) {
  rules::AugenOptions opts;
  opts.program = argc > 0 ? argv[0] : "augenrules";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--check")
      opts.check = true;
    else if (a == "--load")
      opts.load = true;
    else if (a == "--rules-dir" && i + 1 < argc)
      opts.source_dir = argv[++i];
    else if (a == "--output" && i + 1 < argc)
      opts.destination = argv[++i];
    else {
      std::printf("Usage: %s [--check|--load]\n", opts.program.c_str());
      return 1;
    }
  }
  return rules::augenrules(opts, stdout, load_file);
}

}  // namespace bpfaudit::compat
