// The autrace engine: start a program stopped, trace it and every descendant
// with the eBPF probe, write audit records, say where they are.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "sink.h"
#include "trace_probe.h"

namespace bpfaudit::trace {

struct Options {
  bool resource_only = false;        // -r: stock's resource syscall list
  std::optional<std::string> key;    // -k KEY (ours)
  SinkChoice sink;                   // -o FILE (ours), collector, default file
  std::vector<std::string> command;  // program and its arguments
  std::size_t ring_bytes = ebpf::kDefaultRingBytes;
};

// Runs the whole trace; returns the exit code stock autrace would give.
int run(const Options& options, std::FILE* out, std::FILE* err);

}  // namespace bpfaudit::trace
