// `bpfaudit engine`: which engine holds each exit rule, and the engine's
// state. Our own command, so CLI11 parses it; it is a binary of its own
// because CLI11's static set-up (iostreams, locale) would otherwise run at
// every start of the multi-call binary, which ausearch's speed depends on.
#include <libaudit.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "control.h"
#include "prefilter_control.h"
#include "rule.h"
#include "trace_probe.h"

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

// autrace's engine, kept loaded between runs (trace_probe.h, TracePreload).
int trace_status() {
  auto st = bpfaudit::ebpf::TracePreload::state();
  if (!st.loaded) {
    std::printf("trace_engine none\n");
    return 0;
  }
  std::printf("trace_engine %s\ntrace_path %s\ntrace_ring_mib %zu\ntrace_in_use %d\n",
              st.other_build ? "preloaded-by-another-build" : "preloaded",
              bpfaudit::ebpf::TracePreload::kPinDir, st.ring_bytes >> 20, st.in_use ? 1 : 0);
  std::printf("trace_entry_events %s\n", st.entry_events ? "attached" : "per-run");
  std::printf("trace_vfs_hooks %s\n", st.vfs_hooks ? "loaded" : "none");
  if (!st.other_build) std::printf("trace_runs %u\n", st.runs);
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
  auto* status_cmd = app.add_subcommand(
      "status", "The engine's state: path, rules, losses, reader; and autrace's preloaded engine");
  unsigned ring_mib = static_cast<unsigned>(bpfaudit::ebpf::kDefaultRingBytes >> 20);
  auto* preload_cmd = app.add_subcommand(
      "preload-trace",
      "Load autrace's engine and keep it loaded (pinned in " +
          std::string(bpfaudit::ebpf::TracePreload::kPinDir) +
          "; attached meanwhile: only its exec and chdir entry events, which act for no "
          "process outside a trace), so that autrace starts without loading it; replaces "
          "an engine preloaded before");
  preload_cmd
      ->add_option("-b,--ring-mib", ring_mib,
                   "Its ring buffer in MiB (a power of two, 1-4096); autrace uses the preloaded "
                   "engine when its own -b is the same")
      ->check([](const std::string& v) -> std::string {
        unsigned long n = std::strtoul(v.c_str(), nullptr, 10);
        if (n < 1 || n > 4096 || (n & (n - 1))) return "not a power of two from 1 to 4096: " + v;
        return "";
      });
  auto* unload_cmd = app.add_subcommand(
      "unload-trace", "Remove autrace's preloaded engine (a trace in progress goes on)");
  CLI11_PARSE(app, argc, argv);

  if (*preload_cmd) {
    bpfaudit::ebpf::ProbeConfig config;
    config.ring_bytes = static_cast<std::size_t>(ring_mib) << 20;
    std::string vfs;
    if (auto r = bpfaudit::ebpf::TracePreload::load(config, &vfs); !r) {
      std::fprintf(stderr, "bpfaudit engine: %s\n", r.error().text().c_str());
      return 1;
    }
    // Which records its runs will have: said, never left to be guessed.
    std::fprintf(stderr, "bpfaudit engine: trace engine preloaded; %s\n", vfs.c_str());
    return 0;
  }
  if (*unload_cmd) {
    if (auto r = bpfaudit::ebpf::TracePreload::unload(); !r) {
      std::fprintf(stderr, "bpfaudit engine: %s\n", r.error().text().c_str());
      return 1;
    }
    return 0;
  }

  bpfaudit::kernel::NetlinkControl kernel;
  PrefilterControl control(kernel);
  if (*list_cmd) return list(control, why);
  if (*status_cmd) return status(control) | trace_status();
  return 1;
}
