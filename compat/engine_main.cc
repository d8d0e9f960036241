// `bpfaudit engine`: which engine holds each exit rule, and the engine's
// state. Our own command, so CLI11 parses it; it is a binary of its own
// because CLI11's static set-up (iostreams, locale) would otherwise run at
// every start of the multi-call binary, which ausearch's speed depends on.
#include <libaudit.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "control.h"
#include "prefilter_control.h"
#include "rule.h"

namespace {

using bpfaudit::rules::PrefilterControl;

int list(PrefilterControl& control, bool why) {
  auto entries = control.placement();
  if (!entries.ok()) {
    std::fprintf(stderr, "bpfaudit engine: cannot list rules (%s)\n",
                 std::strerror(-entries.code()));
    return 1;
  }
  // Printed as a whole, as `auditctl -l` prints: one rule's arch can decide
  // how the next rule's syscalls are named.
  std::vector<bpfaudit::rules::Rule> rules;
  for (const auto& e : *entries) rules.emplace_back(e.bytes);
  bpfaudit::rules::PrintOptions po;
  po.host_machine = audit_detect_machine();
  std::string text = bpfaudit::rules::print_rules(rules, po);
  std::size_t start = 0;
  for (const auto& e : *entries) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (why && !e.engine && !e.reason.empty())
      std::printf("%s\t%s\t# %s\n", e.engine ? "engine" : "kernel", line.c_str(), e.reason.c_str());
    else
      std::printf("%s\t%s\n", e.engine ? "engine" : "kernel", line.c_str());
  }
  return 0;
}

int status(PrefilterControl& control) {
  std::printf("prefilter %s\n", control.chosen() ? "on" : "off");
  auto st = control.engine_state();
  if (!st) {
    std::printf("engine not loaded\n");
    return 0;
  }
  std::printf("path %s\nattached %d\nenabled %d\ngeneration %u\nrules %u\n", st->path.c_str(),
              st->attached ? 1 : 0, st->enabled ? 1 : 0, st->gen, st->rules);
  for (int r = 0; r < bpfaudit::ebpf::kLossReasons; ++r)
    std::printf("lost_%s %llu\n", bpfaudit::ebpf::loss_reason_name(r),
                static_cast<unsigned long long>(st->losses[static_cast<std::size_t>(r)]));
  std::uint32_t reader = control.reader_tgid();
  if (reader)
    std::printf("reader %u\n", reader);
  else
    std::printf("reader none\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The bpfaudit prefilter engine: where each audit rule lives, and the engine's state",
               "bpfaudit engine"};
  app.require_subcommand(1);
  bool why = false;
  auto* list_cmd = app.add_subcommand(
      "list",
      "Every exit rule in kernel-alone order, as `auditctl -l` prints it, after the "
      "engine that holds it (engine or kernel)");
  list_cmd->add_flag("--why", why, "Say why each kernel rule is not on the engine");
  auto* status_cmd =
      app.add_subcommand("status", "The engine's state: path, rules, losses, reader");
  CLI11_PARSE(app, argc, argv);

  bpfaudit::kernel::NetlinkControl kernel;
  PrefilterControl control(kernel);
  if (*list_cmd) return list(control, why);
  if (*status_cmd) return status(control);
  return 1;
}
