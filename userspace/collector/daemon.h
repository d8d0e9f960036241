// The collector daemon: kernel audit events (as the registered audit daemon,
// or read-only from the AUDIT_NLGRP_READLOG multicast group), records from
// eBPF sources on a unix socket, and the daemon's own records, written to the
// standard log by LogFile.
#pragma once

#include <optional>
#include <string>

namespace bpfaudit::collector {

enum class StartupState { kDisable, kEnable, kNochange };

struct Options {
  std::string config_dir = "/etc/audit";
  bool foreground = false;   // -f: messages to stderr, debug included
  bool no_fork = false;      // -n: stay attached, messages to syslog
  bool allow_links = false;  // -l
  StartupState startup = StartupState::kEnable;
  bool startup_given = false;
  bool readlog = false;  // read-only multicast instead of taking the audit pid
  // Unix socket that autrace sessions (and later probes) send records to;
  // empty: none.
  std::string collector_socket;
};

// Runs until SIGTERM; returns the exit code (6: configuration refused, as stock).
int run(const Options& opts);

}  // namespace bpfaudit::collector
