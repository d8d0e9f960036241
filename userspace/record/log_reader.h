// Buffered line reading from a file descriptor, optionally split the way
// stock's fgets(buf, 8970) splits lines longer than a record can be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfaudit::record {

class LineReader {
 public:
  // max_chunk: 0 reads whole lines of any length; otherwise a line longer
  // than max_chunk bytes comes back as several pieces, as fgets returns them.
  explicit LineReader(int fd, std::size_t max_chunk = 0);

  // The next line including its '\n' when present; nullopt at end of input.
  // The view is valid until the next call. Read errors set error().
  std::optional<std::string_view> next();
  int error() const { return error_; }
  // File offset of the start of the line next() returned last (counted
  // from where the fd stood when the reader was made).
  std::uint64_t offset() const { return last_offset_; }

 private:
  bool fill();

  int fd_;
  std::size_t max_chunk_;
  std::vector<char> buf_;
  std::size_t begin_ = 0, end_ = 0;
  std::uint64_t base_ = 0;  // file offset of buf_[0]
  std::uint64_t last_offset_ = 0;
  bool eof_ = false;
  int error_ = 0;
};

// The auditd.conf settings the readers need.
struct AuditdConf {
  std::string log_file = "/var/log/audit/audit.log";
  std::uint64_t end_of_event_timeout = 2;
};

// Reads an auditd.conf; nullopt when the file cannot be read.
std::optional<AuditdConf> load_auditd_conf(const std::string& conf_path);

}  // namespace bpfaudit::record
