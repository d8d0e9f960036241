// ausearch --checkpoint: remembers the log file (device, inode) and the last
// complete event seen, so the next run outputs only newer events. File format
// and exit codes (10 bad checkpoint, 11 cannot write it, 12 corrupted) as in
// stock ausearch 3.0.9.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <optional>
#include <string>

#include "record.h"

namespace bpfaudit::search {

class Checkpoint {
 public:
  enum Failure : unsigned {
    kNoMemory = 0x1,
    kStatFailed = 0x2,
    kStatusIo = 0x4,
    kStatusBad = 0x8,
    kCorrupted = 0x10,
  };
  struct Mark {
    std::uint64_t sec = 0;
    std::uint32_t msec = 0;
    std::uint64_t serial = 0;
    std::optional<std::string> node;
    unsigned type = 0;
  };
  enum class Decision { kSkip = 0, kOutput = 1, kOutputAfter = 2, kCorrupt = 3 };

  Checkpoint(std::string path, bool time_only) : path_(std::move(path)), time_only_(time_only) {}

  // -1: no file yet, 0: loaded, < -1: unreadable or malformed (exit 10).
  int load(std::FILE* err);
  bool has_data() const { return has_data_; }
  bool is_checkpointed_file(dev_t dev, ino_t ino) const { return dev == dev_ && ino == ino_; }
  bool time_only() const { return time_only_; }

  // Whether a matching event may be printed.
  Decision decide(const record::EventId& id, int first_type);
  void remember(const record::EventId& id, int first_type);
  bool set_file(const std::string& path, std::FILE* err);
  void save(std::FILE* err);

  unsigned failure() const { return failure_; }
  void add_failure(unsigned f) { failure_ |= f; }
  const Mark& loaded_mark() const { return in_; }

 private:
  std::string path_;
  bool time_only_;
  bool has_data_ = false;
  bool can_output_ = false;
  unsigned failure_ = 0;
  dev_t dev_ = 0;  // of the loaded checkpoint
  ino_t ino_ = 0;
  Mark in_;
  dev_t out_dev_ = 0;
  ino_t out_ino_ = 0;
  Mark last_;
};

}  // namespace bpfaudit::search
