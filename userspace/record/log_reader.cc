#include "log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "unique_fd.h"

namespace bpfaudit::record {

namespace {
// Small enough that the buffer's pages are faulted in once and then reused:
// every page a read first lands on is a page fault (~15 us on this VM), and
// with 64 KiB reads a 42 KB log cost ten more faults than stock's mmap. Large
// enough that a big log's extra system calls stay in the noise (the 35 MB
// dense log searched as fast with 8 KiB reads as with 64 KiB).
constexpr std::size_t kReadSize = 8 << 10;
}  // namespace

LineReader::LineReader(int fd, std::size_t max_chunk) : fd_(fd), max_chunk_(max_chunk) {
  capacity_ = kReadSize * 2;
  buf_ = std::make_unique_for_overwrite<char[]>(capacity_);
  off_t at = ::lseek(fd, 0, SEEK_CUR);
  base_ = at > 0 ? static_cast<std::uint64_t>(at) : 0;
}

LineReader::LineReader(int fd, std::size_t max_chunk, std::uint64_t start, std::uint64_t expect)
    : fd_(fd), max_chunk_(max_chunk), base_(start), expect_(expect), positioned_(true), pos_(start) {
  capacity_ = kReadSize * 2;
  buf_ = std::make_unique_for_overwrite<char[]>(capacity_);
}

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    base_ += begin_;
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (capacity_ - end_ < kReadSize) {
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity_ * 2);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    capacity_ *= 2;
  }
  std::size_t want = capacity_ - end_;
  if (expect_ > 0 && expect_ < want) want = static_cast<std::size_t>(expect_);
  for (;;) {
    ssize_t n = positioned_ ? ::pread(fd_, buf_.get() + end_, want, static_cast<off_t>(pos_))
                            : ::read(fd_, buf_.get() + end_, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = errno;
      eof_ = true;
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<std::size_t>(n);
    pos_ += static_cast<std::uint64_t>(n);
    expect_ -= std::min<std::uint64_t>(expect_, static_cast<std::uint64_t>(n));
    return true;
  }
}

std::optional<std::string_view> LineReader::next() {
  std::size_t scanned = 0;
  for (;;) {
    std::size_t avail = end_ - begin_;
    std::size_t window = max_chunk_ ? std::min(avail, max_chunk_) : avail;
    const char* start = buf_.get() + begin_;
    if (const void* nl = std::memchr(start + scanned, '\n', window - scanned)) {
      std::size_t len = static_cast<const char*>(nl) - start + 1;
      last_offset_ = base_ + begin_;
      begin_ += len;
      return std::string_view(start, len);
    }
    scanned = window;
    if (max_chunk_ && avail >= max_chunk_) {
      last_offset_ = base_ + begin_;
      begin_ += max_chunk_;
      return std::string_view(start, max_chunk_);
    }
    if (!fill()) {
      if (end_ == begin_) return std::nullopt;
      std::string_view rest(buf_.get() + begin_, end_ - begin_);
      last_offset_ = base_ + begin_;
      begin_ = end_;
      return rest;
    }
  }
}

bool read_all(int fd, std::string& out) {
  // A regular file is read in one allocation of its size plus the byte that
  // lets the next read see its end; anything else in doubling steps.
  struct stat st;
  bool sized = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  std::size_t grow = sized ? static_cast<std::size_t>(st.st_size) + 1 : 4096;
  // Reads smaller than this wait for a bigger buffer, unless the size is known.
  const std::size_t min_room = sized ? 1 : 1024;
  if (sized) out.reserve(out.size() + grow);
  for (;;) {
    std::size_t used = out.size();
    if (out.capacity() - used < min_room) out.reserve(used + grow);
    out.resize(out.capacity());
    ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    out.resize(used + static_cast<std::size_t>(n > 0 ? n : 0));
    if (n == 0) return true;
    if (n < 0 && errno != EINTR) return false;
    grow = std::min<std::size_t>(std::max<std::size_t>(grow, 4096) * 2, 1u << 20);
  }
}

std::vector<std::string> split_pieces(std::string_view text, char sep) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    pieces.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return pieces;
}

bool read_file(const std::string& path, std::string& out) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  bool ok = read_all(fd.get(), out);
  int saved = errno;  // read_all's, not close's
  fd.reset();
  errno = saved;
  return ok;
}

std::size_t pread_full(int fd, char* out, std::size_t length, std::uint64_t offset) {
  std::size_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(fd, out + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

}  // namespace bpfaudit::record
