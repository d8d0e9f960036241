// Where autrace's records go: the collector when one runs, otherwise a file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace bpfaudit::trace {

// The collector daemon (`bpfaudit daemon`, userspace/collector/) listens on this
// unix stream socket by default (--collector PATH, --no-collector) and takes
// newline-terminated audit records, writing them to the log that plain
// `ausearch` reads.
inline constexpr const char* kCollectorSocket = "/run/bpfaudit/collector.sock";
inline constexpr const char* kDefaultLogDir = "/var/log/bpfaudit";

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Writes whole records; false (with errno set) when the output failed.
  virtual bool write(std::string_view records) = 0;
  virtual bool close() = 0;
  // The ausearch command line that finds the records of `pid`.
  virtual std::string search_command(int pid) const = 0;
  virtual std::string describe() const = 0;
  // Whether EOE lines go in: the collector hands them to plugins; a log
  // file gets none, as auditd writes none to disk.
  virtual bool takes_eoe() const { return true; }
};

struct SinkChoice {
  std::optional<std::string> output_file;           // -o FILE: always this file
  std::string collector_socket = kCollectorSocket;  // tried when no -o
  std::string default_dir = kDefaultLogDir;         // file fallback: DIR/autrace-PID.log
  // A file written with O_DIRECT (BPFAUDIT_TRACE_DIRECT=1): off by default,
  // see DirectFileSink in sink.cc for the measurements.
  bool direct_io = false;
};

// Opens the collector connection or the file.
base::Result<std::unique_ptr<RecordSink>> open_sink(const SinkChoice& choice, int root_pid);

}  // namespace bpfaudit::trace
