// Multi-call entry: `ausearch ...` through a symlink, or `bpfaudit search ...`.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "tools.h"

namespace {

using ToolMain = int (*)(int, char**);

struct Tool {
  std::string_view link_name;   // argv[0] basename, as the stock tool is named
  std::string_view subcommand;  // `bpfaudit SUBCOMMAND`
  ToolMain entry;
  std::string_view summary;
};

constexpr Tool kTools[] = {
    {"ausearch", "search", bpfaudit::compat::ausearch_main, "search audit logs (ausearch 3.0.9 compatible)"},
    {"aureport", "report", bpfaudit::compat::aureport_main, "summary reports from audit logs (aureport 3.0.9 compatible)"},
    {"bpfaudit-capture", "capture", bpfaudit::compat::capture_main, "write kernel audit records to a log (read-only)"},
    {"autrace", "trace", bpfaudit::compat::autrace_main, "trace a program and its process tree (eBPF)"},
    {"auditctl", "ctl", bpfaudit::compat::auditctl_main, "kernel audit rules and status (auditctl 3.0.9 compatible)"},
    {"augenrules", "augenrules", bpfaudit::compat::augenrules_main, "merge rules.d into audit.rules (augenrules 3.0.9 compatible)"},
    {"bpfaudit-daemon", "daemon", bpfaudit::compat::daemon_main, "audit log writer: kernel events, eBPF sources, rotation (auditd 3.0.9 style)"},
};

std::string_view basename_of(const char* path) {
  std::string_view p(path);
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

int usage(FILE* out) {
  std::fprintf(out, "usage: bpfaudit COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& t : kTools)
    std::fprintf(out, "  %-10.*s %.*s (also as '%.*s')\n", static_cast<int>(t.subcommand.size()),
                 t.subcommand.data(), static_cast<int>(t.summary.size()), t.summary.data(),
                 static_cast<int>(t.link_name.size()), t.link_name.data());
  return out == stdout ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view self = argc > 0 ? basename_of(argv[0]) : std::string_view("bpfaudit");
  for (const auto& t : kTools)
    if (self == t.link_name) return t.entry(argc, argv);

  if (argc < 2) return usage(stderr);
  std::string_view sub(argv[1]);
  if (sub == "-h" || sub == "--help" || sub == "help") return usage(stdout);
  for (const auto& t : kTools) {
    if (sub == t.subcommand || sub == t.link_name) {
      // The tool sees itself as argv[0], exactly as through its symlink.
      return t.entry(argc - 1, argv + 1);
    }
  }
  std::fprintf(stderr, "bpfaudit: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 1;
}
