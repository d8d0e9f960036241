// Input selection shared by ausearch and aureport, as stock 3.0.9 chooses:
// -if FILE, -if DIR (DIR/audit.log and its rotations), stdin when it is a pipe
// (unless --input-logs), otherwise the configured log and its rotations,
// oldest first.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint.h"

namespace bpfaudit::search {

// What reads the chosen inputs, one at a time, in order.
class LogSink {
 public:
  virtual ~LogSink() = default;
  // Reads one input to its end. `name` is the path, or "stdin". `last` marks
  // the final input, after which stock closes every event still open.
  // A non-zero return stops reading and becomes the exit status.
  virtual int process_fd(int fd, const std::string& name, bool last) = 0;
  // True once the sink wants no more input (ausearch --just-one).
  virtual bool done() const { return false; }
  // Reads `paths` in order, as process_fd on each in turn would (the last
  // one closing open events), stopping at the first that cannot be opened
  // ("Error opening ..." on `err`, status 1) or once done(). A sink that can
  // scan the files side by side overrides it.
  virtual int process_paths(const std::vector<std::string>& paths, std::FILE* err);
};

struct InputChoice {
  std::optional<std::string> input;  // -if
  bool force_logs = false;           // --input-logs
  std::string log_file;              // from auditd.conf
  int stdin_fd = 0;
};

// Feeds the chosen inputs to `sink`. With a checkpoint (ausearch only), starts
// at the checkpointed file and records the last file read; stdin disables it
// (*checkpoint_dropped tells the caller). Returns 0 or the exit status.
int read_inputs(const InputChoice& choice, LogSink& sink, Checkpoint* cp, std::FILE* err,
                bool* checkpoint_dropped = nullptr);

}  // namespace bpfaudit::search
