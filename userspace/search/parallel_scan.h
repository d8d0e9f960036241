// The parallel scan of rotated logs (issue 19), shared by ausearch and
// aureport: several files read side by side, the output the sequential
// read's, byte for byte.
//
// Events cross files (stock closes open events only at the end of the last
// file), so a worker cannot know what a file starts with. Each worker reads
// one file from an empty assembler and keeps what the tool derives from the
// events it completes (its outcomes), a fingerprint of the events it holds
// at a few record counts (snapshots), and its assembler as it stands at the
// end of the file. The main thread reads the head of each file itself,
// through the assembler carried over from the previous file, exactly as the
// sequential read does, until its assembler's fingerprint equals the
// worker's at the same record count (ScanSync): the same events hold the
// same records, so from there on the worker's run is the sequential run.
// The tool then applies the worker's outcomes from that snapshot, in their
// order, and takes the worker's assembler over for the next file. A file
// where that never happens (a short file; events kept open across it) is
// read whole by the main thread; the worker's work is dropped.
//
// Stock breaks ties between events of the same time and serial (several
// nodes, records that reuse an event's serial after it closed) by array
// slot, and the slots depend on everything read before, which a worker does
// not see: a snapshot followed by a tie in the worker's run is not agreed
// on, and a tie met on the main thread after an assembler was taken over
// makes the tool start again sequentially, skipping the bytes it already
// wrote (SkippingStream: identical up to there).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "event.h"
#include "record.h"
#include "unique_fd.h"

namespace bpfaudit::search {

// Files smaller than this are read by the main thread alone: the stretch
// where the previous file's events still count is most of a small file, and
// a worker's run would only cost a second read.
inline constexpr off_t kMinScanBytes = 128 << 10;

// Worker threads: the CPUs this process may run on, at most 8;
// BPFAUDIT_SCAN_THREADS=N overrides (1 = the sequential read).
unsigned scan_threads();

// Workers for `paths`, or 0 when they are to be read sequentially: one CPU,
// a single file, or fewer than two files of kMinScanBytes or more (hundreds
// of small rotated files would only pay for threads).
unsigned parallel_workers(const std::vector<std::string>& paths);

// Record tags in the parallel scan: file number and record ordinal.
inline std::uint64_t scan_tag(std::size_t file, std::uint32_t ordinal) {
  return (static_cast<std::uint64_t>(file + 1) << 32) | ordinal;
}

// Stock's message for a record whose time stamp cannot be read.
std::string stamp_error(std::string_view stamp);

struct ScanSnapshot {
  std::uint32_t pos;       // records added (ordinal)
  std::uint32_t outcomes;  // outcome_count() then
  std::uint32_t errors;    // stamp_errors.size() then
  std::uint64_t ties;      // the assembler's ties() then
  std::vector<std::uint64_t> fingerprint;
};

// What a worker leaves of one file; each tool derives its outcomes.
class FileScan {
 public:
  virtual ~FileScan() = default;

  // An event the worker's assembler completed, after `ordinal` records.
  virtual void on_event(record::Event& ev, std::uint32_t ordinal) = 0;
  // How many outcomes so far (a snapshot keeps it).
  virtual std::uint32_t outcome_count() const = 0;
  // A snapshot was just taken.
  virtual void on_snapshot() {}
  // Every record header read, in or out of -ts/-te, before `ordinal`
  // records were added, for as long as wants_headers is set.
  virtual void on_header(const record::RecordHeader&, bool /*outside*/, std::uint32_t /*ordinal*/) {}

  // Cleared by a scan that needs no more headers: the virtual call per
  // record was 62 of the run's 13,468 samples (0.5%) in aureport's
  // one-hour --summary over 10 GB, which needs only the first stamp.
  bool wants_headers = false;
  int open_errno = 0;
  bool scanned = false;       // read to its end (not left to the main thread)
  std::uint32_t records = 0;  // records that passed -ts/-te
  base::UniqueFd fd;          // backs the assembler's records kept as file offsets
  std::vector<std::pair<std::uint32_t, std::string>> stamp_errors;  // before record pos
  std::vector<ScanSnapshot> snapshots;
  std::unique_ptr<record::EventAssembler> assembler;  // at the end of the file
};

struct ScanWindow {
  std::uint64_t eoe_timeout = 2;
  std::int64_t start_time = 0, end_time = 0;  // -ts / -te, 0 when not given
};

// Worker: reads `path` (file number `file`) alone into `f`.
void scan_file(const std::string& path, std::size_t file, const ScanWindow& w, FileScan& f,
               const std::atomic<bool>& stop);

// The workers: file i is scanned by make(i) ahead of the main thread, at
// most two files per worker ahead (they hold their outcomes in memory).
class ScanPool {
 public:
  using Make = std::function<std::unique_ptr<FileScan>(std::size_t file, const std::atomic<bool>& stop)>;
  ScanPool(std::size_t files, unsigned threads, Make make);
  ~ScanPool();  // stops the workers and joins them
  ScanPool(const ScanPool&) = delete;
  ScanPool& operator=(const ScanPool&) = delete;
  // Waits for file i (taken in order).
  std::unique_ptr<FileScan> take(std::size_t i);

 private:
  std::vector<std::unique_ptr<FileScan>> scans_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t next_ = 0, consuming_ = 0, window_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
};

// The main thread's side while it reads a file's head: whether its
// assembler agrees with the worker's at a snapshot.
class ScanSync {
 public:
  explicit ScanSync(const FileScan& f) : f_(f) {}
  // Asked before reading on, with `ordinal` records added: true when the
  // worker's run from here is the sequential run (snapshot() says where).
  bool agrees(std::uint32_t ordinal, const record::EventAssembler& a);
  const ScanSnapshot& snapshot() const { return f_.snapshots[agreed_]; }

 private:
  const FileScan& f_;
  std::size_t next_ = 0, agreed_ = 0;
  std::vector<std::uint64_t> scratch_;
};

// A stream written by a run that may start again sequentially: counts the
// bytes written and leaves out those an earlier attempt already wrote.
class SkippingStream {
 public:
  explicit SkippingStream(std::FILE* f) : f_(f) {}
  void write(std::string_view text);
  // The next attempt writes the same bytes first: skip them.
  void restart() {
    skip_ = written_;
    written_ = 0;
  }
  std::FILE* file() const { return f_; }

 private:
  std::FILE* f_;
  std::uint64_t written_ = 0, skip_ = 0;
};

}  // namespace bpfaudit::search
