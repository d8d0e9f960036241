// The history index (issue 19): a file beside each log, `LOG.bpfidx`, that
// lets ausearch read only the blocks of the log that can hold a match.
//
// Per block of the log (whole lines, about `block_size` bytes) it keeps the
// byte range, the time range, flags, and summaries of every value a search
// criterion could read from the block's records: the message types, every
// value after "key=", "exe=", "comm=" (quoted, hex-decoded and as written),
// and, per piece of the block (whole runs of records of one identity,
// about a quarter of the block), a Bloom filter of every number after
// "pid=", "uid=", "gid=", "ses=", "syscall=" and "uring_op=" (each needle
// also finds ppid=, auid=, euid=, loginuid=, egid=, ..., which only makes
// the summary larger). These are
// supersets of what stock's extraction can read from the same text whatever
// other criteria are active, so a block whose summary rules a criterion out
// holds no record that could make an event satisfy it.
//
// For -sv no it keeps the block's failure ranges: the byte ranges of runs
// of records of one identity that may be a failure (record_may_fail), with
// their record types. In a history whose records come in order an event
// lies within one such run, so the rest of the block can be left unread.
//
// It also keeps, per block, the identities of the records (time, serial,
// node) and whether each one can open an event: a skipped block's records
// still go through the event assembler as empty placeholders, so events
// group, time out and leave exactly as in a full read. A placeholder event
// is dropped when one criterion rules out every block its records came
// from; an event that mixes placeholders and real records, or whose blocks
// no single criterion rules out, makes the search start again without the
// index (skipping the output already written, which is the full read's).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "criteria.h"
#include "record.h"
#include "result.h"

namespace bpfaudit::search {

// The index of `log_path` is `log_path + kIndexSuffix`.
inline constexpr std::string_view kIndexSuffix = ".bpfidx";
std::string index_path_for(const std::string& log_path);

// 64 KiB: see README "History index" (index 1.3-1.7% of the log on the
// generated history; 16 KiB blocks cost about 2.5%).
inline constexpr std::uint32_t kDefaultIndexBlock = 64 << 10;
// The largest end-of-event timeout an index may be used with: records whose
// time is within this of LONG_MAX are flagged as stock's bad time stamps.
inline constexpr std::uint64_t kIndexMaxEoe = 1000;

struct IndexBuildStats {
  std::uint64_t log_bytes = 0;   // size of the log when read
  std::uint64_t covered = 0;     // bytes the index covers (whole lines)
  std::uint64_t index_bytes = 0;
  std::uint64_t records = 0;
  std::uint32_t blocks = 0;
  std::uint64_t reused = 0;      // bytes whose blocks an extended index kept
};

class HistoryIndex;

// Builds the index of the log at `log_path` (up to its last complete line)
// and writes it atomically (a temporary file renamed over `index_path_for`).
// `eoe_timeout` only decides which blocks are marked as sharing events.
// `extend`: when the log's index is usable (HistoryIndex::load) and of this
// block size, only what the log gained since is read (with the last blocks
// of the old index, see make_index); the result is the same bytes.
base::Result<IndexBuildStats> build_index(const std::string& log_path,
                                          std::uint32_t block_size = kDefaultIndexBlock,
                                          std::uint64_t eoe_timeout = 2, bool extend = false);

// The index bytes of `log_fd`'s content (for tests and the builder). With
// `prior`, an index of the same file that HistoryIndex::parse accepted
// against `log_fd`, the blocks it has that no later record can change are
// taken from it instead of being read again.
base::Result<std::string> make_index(int log_fd, std::uint32_t block_size,
                                     std::uint64_t eoe_timeout, IndexBuildStats* stats = nullptr,
                                     const HistoryIndex* prior = nullptr);

// The checksum an index file keeps of its body (after the header); for the
// fuzz target, which forges indexes that pass it.
std::uint64_t index_body_hash(std::string_view body);

// What the index can rule out, prepared from the criteria once.
struct IndexQuery {
  bool time = false;
  std::int64_t start_time = 0, end_time = 0;
  // Criteria, in bit order: bit i of a prune mask says criterion i rules the
  // block out.
  // kFailed (-sv no): the block holds a run of records of one identity
  // that may be a failure (search_items.h, record_may_fail) with a record
  // of one of `types` (or any, when empty). Sound only where every event is
  // within one run: files in order (see HistoryIndex::in_order), so its
  // bit is used only there (order_only_mask).
  enum class Kind { kTypes, kString, kNumbers, kSerial, kNodes, kFailed };
  struct Term {
    Kind kind;
    int field = 0;                   // kString: 0 key, 1 exe, 2 comm
    std::string needle;              // kString
    std::vector<int> types;          // kTypes
    std::vector<std::uint64_t> any;  // kNumbers: hashes, any present passes; kSerial: serial
    std::vector<std::string> nodes;  // kNodes
  };
  std::vector<Term> terms;
  // -hn / -f: stock writes "sockaddr len too short" for events that do not
  // match too, so blocks with SOCKADDR records are read.
  bool reads_sockaddr = false;
  // The kFailed term's index, -1 without one.
  int failed_term = -1;
  // The first kNumbers term's index, -1 without one.
  int number_term = -1;
  std::uint32_t order_only_mask() const {
    return failed_term < 0 ? 0u : 1u << failed_term;
  }
  // True when the index can skip anything for these criteria.
  bool useful() const { return time || !terms.empty(); }
};

// Nullopt when these criteria make skipping unsafe (--debug, an
// end-of-event timeout of 0 or above kIndexMaxEoe).
std::optional<IndexQuery> make_index_query(const Criteria& c, std::uint64_t eoe_timeout);

class HistoryIndex {
 public:
  struct Block {
    std::uint64_t start = 0, end = 0;
    std::uint64_t min_sec = 0, max_sec = 0;
    std::uint32_t flags = 0;
    std::string_view payload;
  };
  enum BlockFlag : std::uint32_t {
    kBadStamp = 1,   // a line stock reports as a bad time stamp
    kSockaddr = 2,   // a SOCKADDR record
    kCrossNext = 4,  // an event has records here and in the next block
    kRecords = 8,    // at least one record
  };

  // Loads `log_path`'s index and checks it against `log_fd` (the log as
  // opened for reading): device and inode, a size at least the covered
  // size, the same modification time when nothing was appended, hashes of
  // the covered content's first and last 4 KiB, and the index's own hash.
  // Nullopt, with the reason in *why, when it does not fit.
  static std::optional<HistoryIndex> load(const std::string& log_path, int log_fd,
                                          std::string* why = nullptr);
  // The same from index bytes already read.
  static std::optional<HistoryIndex> parse(std::string bytes, int log_fd, std::string* why);

  std::uint64_t covered() const { return covered_; }
  std::uint32_t block_size() const { return block_size_; }
  const std::vector<std::string>& nodes() const { return nodes_; }
  // The identity of the block's last record; nullopt without records.
  std::optional<record::EventId> last_record(std::size_t block) const;
  bool ends_open() const { return ends_open_; }
  // Every record of a new identity came with a greater (sec, msec, serial)
  // than the record before; first() and last() are the outer ones.
  struct Key {
    std::uint64_t sec = 0;
    std::uint32_t msec = 0;
    std::uint64_t serial = 0;
    auto operator<=>(const Key&) const = default;
  };
  bool in_order() const { return in_order_; }
  // Whether any record has a node= (equal keys may then be other events).
  bool any_node() const { return any_node_; }
  Key first() const { return first_; }
  Key last() const { return last_; }
  const std::vector<Block>& blocks() const { return blocks_; }

  // ~0u: the block must be read; otherwise the criteria that rule it out
  // (0: it may match).
  static constexpr std::uint32_t kMustRead = ~0u;
  std::uint32_t prune_mask(std::size_t block, const IndexQuery& q) const;
  // Whether no record of the block passes -ts/-te (and none needs reading).
  bool outside_time(std::size_t block, const IndexQuery& q) const;

  // Calls fn(header) for the block's placeholder records in order: the
  // records that can open an event (the others would only join one).
  template <class Fn>
  void for_each_placeholder(std::size_t block, Fn&& fn) const {
    std::vector<record::RecordHeader> hs;
    placeholders(block, hs);
    for (auto& h : hs) fn(h);
  }
  void placeholders(std::size_t block, std::vector<record::RecordHeader>& out) const;

  // With a kFailed term, in files in order: the byte ranges of the block
  // (whole lines, in order) that hold every event that can be a failure of
  // the term's types; nothing else in the block can match. False when the
  // block must be read whole (no such term, a bad time stamp, too many
  // ranges to keep).
  bool failed_ranges(std::size_t block, const IndexQuery& q,
                     std::vector<std::pair<std::uint64_t, std::uint64_t>>& out) const;
  // The same for a number (the query's first kNumbers term), in files in
  // order: the block's pieces whose Bloom filter may hold one of the
  // term's values, and its edge pieces (a run crosses into the next or
  // previous block or file there). Every event that can match lies within
  // them: its records are one run, its values in the filter of every piece
  // the run is in. False when the block must be read whole (no such term,
  // a bad time stamp, malformed pieces).
  bool number_ranges(std::size_t block, const IndexQuery& q,
                     std::vector<std::pair<std::uint64_t, std::uint64_t>>& out) const;

 private:
  // Checks `bytes` (the whole index file) and builds the index on it;
  // `owner` keeps the bytes alive (a string or a mapping).
  static std::optional<HistoryIndex> parse_view(std::string_view bytes, std::shared_ptr<const void> owner,
                                                int log_fd, std::string* why);
  std::shared_ptr<const void> owner_;
  std::uint64_t covered_ = 0;
  std::uint32_t block_size_ = 0;
  bool ends_open_ = false;
  bool has_nodes_ = false;
  bool in_order_ = false;
  bool any_node_ = false;
  Key first_, last_;
  std::vector<std::string> nodes_;
  std::vector<Block> blocks_;
};

}  // namespace bpfaudit::search
