// ausearch engine: chooses inputs as stock does, assembles events with stock's
// grouping in linear time, matches criteria and writes the chosen format.
#pragma once

#include <cstdio>

#include "options.h"

namespace bpfaudit::search {

struct Environment {
  const char* auditd_conf = "/etc/audit/auditd.conf";
  int stdin_fd = 0;
};

// Runs a search; returns ausearch's exit status (0 found, 1 nothing or error,
// 10-12 checkpoint errors).
int run(const Options& opts, std::FILE* out, std::FILE* err, const Environment& env = {});

}  // namespace bpfaudit::search
