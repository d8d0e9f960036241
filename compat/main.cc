// Multi-call entry: `ausearch ...` through a symlink, or `bpfaudit search ...`.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
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
    {"ausearch", "search", bpfaudit::compat::ausearch_main,
     "search audit logs (ausearch 3.0.9 compatible)"},
    {"aureport", "report", bpfaudit::compat::aureport_main,
     "summary reports from audit logs (aureport 3.0.9 compatible)"},
    {"bpfaudit-capture", "capture", bpfaudit::compat::capture_main,
     "write kernel audit records to a log (read-only)"},
    {"autrace", "trace", bpfaudit::compat::autrace_main,
     "trace a program and its process tree (eBPF)"},
    {"auditctl", "ctl", bpfaudit::compat::auditctl_main,
     "kernel audit rules and status (auditctl 3.0.9 compatible)"},
    {"augenrules", "augenrules", bpfaudit::compat::augenrules_main,
     "merge rules.d into audit.rules (augenrules 3.0.9 compatible)"},
    {"bpfaudit-daemon", "daemon", bpfaudit::compat::daemon_main,
     "audit log writer: kernel events, eBPF sources, rotation (auditd 3.0.9 style)"},
};

std::string_view basename_of(const char* path) {
  std::string_view p(path);
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// Commands that are binaries of their own next to this one.
struct External {
  std::string_view subcommand;
  const char* binary;
  std::string_view summary;
};
constexpr External kExternal[] = {
    {"engine", "bpfaudit-engine", "the prefilter engine: which engine holds each rule, its state"},
    {"index", "bpfaudit-index", "build or refresh the history index beside audit logs"},
};

int run_external(const External& e, int argc, char** argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string path = e.binary;
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    path = dir.substr(0, dir.rfind('/') + 1) + e.binary;
  }
  argv[0] = const_cast<char*>(e.binary);
  execv(path.c_str(), argv);
  std::fprintf(stderr, "bpfaudit: cannot run %s (%s)\n", path.c_str(), std::strerror(errno));
  return 1;
}

int usage(FILE* out) {
  std::fprintf(out, "usage: bpfaudit COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& t : kTools)
    std::fprintf(out, "  %-10.*s %.*s (also as '%.*s')\n", static_cast<int>(t.subcommand.size()),
                 t.subcommand.data(), static_cast<int>(t.summary.size()), t.summary.data(),
                 static_cast<int>(t.link_name.size()), t.link_name.data());
  for (const auto& e : kExternal)
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(e.subcommand.size()),
                 e.subcommand.data(), static_cast<int>(e.summary.size()), e.summary.data());
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
  for (const auto& e : kExternal)
    if (sub == e.subcommand) return run_external(e, argc - 1, argv + 1);
  std::fprintf(stderr, "bpfaudit: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 1;
}
