// Buffered line reading from a file descriptor, optionally split the way
// stock's fgets(buf, 8970) splits lines longer than a record can be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditd_conf.h"

namespace bpfaudit::record {

class LineReader {
 public:
  // max_chunk: 0 reads whole lines of any length; otherwise a line longer
  // than max_chunk bytes comes back as several pieces, as fgets returns them.
  explicit LineReader(int fd, std::size_t max_chunk = 0);
  // Reads the file from offset `start` with pread (the fd's offset is not
  // used or moved). `expect`: the caller wants about this many bytes (a
  // range of the file): reads are cut to what is left of it, and go on at
  // the usual size past it (the lines returned are the same either way).
  LineReader(int fd, std::size_t max_chunk, std::uint64_t start, std::uint64_t expect);

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
  // Not zero-filled: pages a short input never reaches are never touched,
  // which keeps start-up on small logs as cheap as stock's.
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0, end_ = 0;
  std::uint64_t base_ = 0;  // file offset of buf_[0]
  std::uint64_t last_offset_ = 0;
  bool eof_ = false;
  int error_ = 0;
  std::uint64_t expect_ = 0;  // bytes of the caller's range not yet read
  bool positioned_ = false;   // pread at pos_
  std::uint64_t pos_ = 0;
};

// Appends what is left to read in `fd` to `out`, reading straight into the
// string (no bounce buffer: a short-lived tool pays a page fault per stack
// page it touches). False, with errno set, when a read fails.
bool read_all(int fd, std::string& out);

// The pieces of `text` between `sep`s as std::getline yields them: a trailing
// separator ends the last piece rather than starting an empty one.
std::vector<std::string> split_pieces(std::string_view text, char sep);

// Reads up to `length` bytes at `offset` (pread, retried); fewer only when
// the file ends first or a read fails.
std::size_t pread_full(int fd, char* out, std::size_t length, std::uint64_t offset);

// read_all over `path` opened read-only; false, with errno set, when it
// cannot be opened or read.
bool read_file(const std::string& path, std::string& out);

}  // namespace bpfaudit::record
