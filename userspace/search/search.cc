#include "search.h"

#include <fcntl.h>
#include <libaudit.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint.h"
#include "event.h"
#include "history_index.h"
#include "input.h"
#include "interpret.h"
#include "json.h"
#include "log_reader.h"
#include "match.h"
#include "output.h"
#include "parallel_scan.h"
#include "unique_fd.h"

namespace bpfaudit::search {

namespace {

// Output is written in pieces this large: the buffer's pages are reused after
// each write, so a small search touches few of them (see kReadSize).
constexpr std::size_t kFlushAt = 16 << 10;

// Stock rewrites a few delimiters in place while extracting and prints the
// rewritten text; keep the output identical.
void apply_alterations(record::Event& ev, const SearchItems& items) {
  for (std::size_t i = 0; i < items.altered_raw.size() && i < ev.records.size(); ++i) {
    const auto& alt = items.altered_raw[i];
    if (!alt) continue;
    record::Record& r = ev.records[i];
    r.text = *alt + r.text.substr(r.raw_length);
    r.raw_length = alt->size();
  }
}

// ausearch's side of the parallel scan (parallel_scan.h): a worker keeps
// the verdict of each event it completes, and the matched events whole.
// Formatting stays on the main thread: -i, csv and text keep state across
// events. A checkpoint run, stdin and a single file are read sequentially.
class SearchScan : public FileScan {
 public:
  struct Outcome {
    std::uint32_t pos;    // records added when it left
    std::int32_t event;   // into `events` when matched, else -1
    std::string diagnostics;
  };
  explicit SearchScan(const Criteria& c) : c_(c) {}

  // Only events that write something (matched, or with a diagnostic) are
  // kept: the main thread writes nothing for the others, and stamp errors
  // still go before the next kept outcome by position. One Outcome per event
  // was 11.9 million for `-p 4242` over 10 GB (3,177 lines printed), and the
  // worker's on_event alone 149 of the run's 15,660 samples.
  void on_event(record::Event& ev, std::uint32_t ordinal) override {
    bool matched = matches(ev, c_, items_);
    if (!matched && items_.diagnostics.empty()) return;
    Outcome o{ordinal, -1, items_.diagnostics};
    if (matched) {
      apply_alterations(ev, items_);
      o.event = static_cast<std::int32_t>(events.size());
      events.push_back(std::move(ev));
      ev = record::Event{};
    }
    outcomes.push_back(std::move(o));
  }
  std::uint32_t outcome_count() const override { return static_cast<std::uint32_t>(outcomes.size()); }

  std::vector<Outcome> outcomes;
  std::vector<record::Event> events;

 private:
  const Criteria& c_;
  SearchItems items_;
};

class Searcher : public LogSink {
 public:
  Searcher(const Options& opts, std::FILE* out, std::FILE* err, std::uint64_t eoe_timeout,
           Checkpoint* checkpoint)
      : opts_(opts),
        checkpoint_(checkpoint),
        c_(opts.criteria),
        out_(out),
        err_(err),
        eoe_timeout_(eoe_timeout),
        assembler_(std::make_unique<record::EventAssembler>(eoe_timeout)) {
    interpreter_.emplace(opts.escape, static_cast<unsigned>(eoe_timeout));
    csv_.extra_keys = opts.extra_keys;
    csv_.extra_labels = opts.extra_labels;
    csv_.extra_obj2 = opts.extra_obj2;
    csv_.extra_time = opts.extra_time;
    // Grown by doubling, the buffer would copy itself into fresh pages at
    // every step; page faults are a visible part of a search of a small log.
    buf_.reserve(kFlushAt + (4 << 10));
  }

  ~Searcher() {
    flush();
  }

  // Reads one input to its end. `last` closes every open event at the end,
  // as stock does only for the last file it reads. A regular file is kept
  // open (a dup) while open events refer to its records, whose text can then
  // be read back from it instead of being held in memory.
  int process_fd(int fd, const std::string& name, bool last) override {
    // A single file (-if FILE): its index, when it has one.
    if (!checkpoint_ && !index_tried_ && last && name != "stdin") {
      index_tried_ = true;
      int rc = scan_indexed({name});
      if (rc != kNoIndex) {
        if (rc != kRestart) return rc;
        restart();
        ::lseek(fd, 0, SEEK_SET);
      }
    }
    struct stat st {};
    base::UniqueFd kept;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && kept_fds_.size() < kMaxKeptFds)
      kept.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    int rc = read_fd(fd, last, kept.get());
    if (kept) kept_fds_.push_back(std::move(kept));
    if (assembler_->empty()) kept_fds_.clear();
    return rc;
  }

  bool found() const { return found_; }
  void finish() { flush(); }
  bool done() const override { return done_; }

  int process_paths(const std::vector<std::string>& paths, std::FILE* err) override {
    // Indexed files first (history_index.h); a checkpoint run records what
    // it saw event by event and reads everything.
    if (!checkpoint_ && !index_tried_) {
      index_tried_ = true;
      int rc = scan_indexed(paths);
      if (rc != kNoIndex) {
        if (rc != kRestart) return rc;
        restart();
      }
    }
    // A checkpoint records what it saw event by event; that path stays as it was.
    unsigned threads = checkpoint_ ? 0 : parallel_workers(paths);
    if (threads == 0) return LogSink::process_paths(paths, err);
    int rc = scan_parallel(paths, threads);
    // For the tests: how much the workers' runs were used.
    if (std::getenv("BPFAUDIT_SCAN_STATS"))
      std::fprintf(err, "scan: %zu files, %zu taken from workers%s\n", paths.size(), synced_files_,
                   rc == kRestart ? ", restarted" : "");
    if (rc != kRestart) return rc;
    // Everything written so far is what the sequential read writes first.
    restart();
    return LogSink::process_paths(paths, err);
  }

 private:
  static constexpr int kRestart = -1;
  static constexpr int kNoIndex = -2;
  // Tags of placeholder records: this bit, and the mask of the criteria that
  // ruled out their block.
  static constexpr std::uint64_t kPlaceholder = 1ull << 63;

  // 0: a real event; 1: a placeholder event no criterion could match;
  // kRestart: placeholders mixed with real records, or no single criterion
  // rules out all of the event's blocks.
  int placeholder_verdict() const {
    std::size_t held = 0;
    std::uint32_t common = ~0u;
    for (std::uint64_t t : pop_tags_)
      if (t & kPlaceholder) {
        ++held;
        common &= static_cast<std::uint32_t>(t);
      }
    if (held == 0) return 0;
    if (held != pop_tags_.size() || common == 0) return kRestart;
    return 1;
  }

  // The header of a record line that passes -ts/-te; a bad time stamp is
  // reported in stock's words, anything else that is not a record skipped.
  std::optional<record::RecordHeader> admit(std::string_view line, std::string& bad_stamp,
                                            std::uint64_t max_sec) {
    record::HeaderError herr;
    auto h = record::parse_header(line, &herr, &bad_stamp, max_sec);
    if (!h) {
      if (herr == record::HeaderError::kBadTimestamp)
        put_err(stamp_error(bad_stamp));
      return std::nullopt;
    }
    auto sec = static_cast<std::int64_t>(h->id.sec);
    if ((c_.start_time && sec < c_.start_time) || (c_.end_time && sec > c_.end_time))
      return std::nullopt;
    return h;
  }

  // Reads the records of [start, end) of `fd` as read_fd does.
  int read_range(int fd, std::uint64_t start, std::uint64_t end, int backing_fd) {
    // Reads cut to the range, at its offset (pread, no lseek): a -sv no
    // failure range is a few hundred bytes, and a full 16 KiB read for each
    // made the kernel's copy 31% of that query's CPU (perf, 10 GB generated
    // history, 120,805 blocks read in part).
    record::LineReader reader(fd, record::kMaxRecordLength - 1, start, end - start);
    std::string bad_stamp;
    const std::uint64_t max_sec = static_cast<std::uint64_t>(LONG_MAX) - eoe_timeout_ - 1;
    // Stops after the line that reaches `end` rather than at the next one,
    // which would cost another read past the range.
    std::uint64_t next_off = start;
    while (!done_ && next_off < end) {
      auto line = reader.next();
      if (!line) break;
      const std::uint64_t off = reader.offset();  // the reader counts from the file start
      if (off >= end) break;
      next_off = off + line->size();
      auto h = admit(*line, bad_stamp, max_sec);
      if (!h) continue;
      std::optional<record::FileSpan> origin;
      if (backing_fd >= 0) origin = record::FileSpan{backing_fd, off};
      if (!assembler_->add(*h, record::view_record(*line, h->type), origin, 0)) continue;
      if (int rc = drain()) return rc;
    }
    return 0;
  }

  // Feeds a skipped block's placeholders (history_index.h).
  int feed_placeholders(const HistoryIndex& idx, std::size_t block, std::uint32_t mask) {
    idx.placeholders(block, placeholder_headers_);
    const std::uint64_t tag = kPlaceholder | mask;
    for (const auto& h : placeholder_headers_) {
      if (done_) break;
      auto sec = static_cast<std::int64_t>(h.id.sec);
      if ((c_.start_time && sec < c_.start_time) || (c_.end_time && sec > c_.end_time)) continue;
      record::RecordView view;
      view.type = h.type;
      if (!assembler_->add(h, view, std::nullopt, tag)) continue;
      if (int rc = drain()) return rc;
    }
    return 0;
  }

  // Reads `paths` in order using their indexes: kNoIndex when none has one
  // (or the criteria give the index nothing to rule out), kRestart when the
  // run must start again without it, else the exit status.
  int scan_indexed(const std::vector<std::string>& paths) {
    // BPFAUDIT_NO_INDEX=1: read as if no log had an index (tests, benches).
    if (const char* off = std::getenv("BPFAUDIT_NO_INDEX"); off && *off == '1') return kNoIndex;
    auto q = make_index_query(c_, eoe_timeout_);
    if (!q || !q->useful()) return kNoIndex;
    struct File {
      std::optional<HistoryIndex> idx;
      dev_t dev = 0;
      ino_t ino = 0;
      std::uint64_t size = 0;
      std::string why;
    };
    std::vector<File> files(paths.size());
    std::size_t indexed = 0;
    for (std::size_t i = 0; i < paths.size(); ++i) {
      // Held open only while its index is checked: a history of thousands
      // of files must not run out of descriptors.
      base::UniqueFd fd(::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC));
      struct stat st {};
      // The plain read reports what cannot be opened, in its order.
      if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return kNoIndex;
      files[i].dev = st.st_dev;
      files[i].ino = st.st_ino;
      files[i].size = static_cast<std::uint64_t>(st.st_size);
      files[i].idx = HistoryIndex::load(paths[i], fd.get(), &files[i].why);
      if (files[i].idx) ++indexed;
    }
    if (indexed == 0) return kNoIndex;

    // Files whose records all come in order (each new identity with a greater
    // time and serial, also from one file to the next), fully covered: no
    // event read later can leave before one read earlier, nor join an event
    // of a skipped block, so skipped blocks need no placeholders when one
    // criterion rules out every block of each run of blocks that share
    // events. (-hn and -f: the SOCKADDR messages keep their order only with
    // placeholders.)
    bool in_order = !q->reads_sockaddr;
    const HistoryIndex* prev = nullptr;
    for (std::size_t i = 0; i < paths.size() && in_order; ++i) {
      const auto& idx = files[i].idx;
      if (!idx || !idx->in_order() || files[i].size != idx->covered()) {
        in_order = false;
        break;
      }
      bool any = std::any_of(idx->blocks().begin(), idx->blocks().end(), [](const auto& b) {
        return (b.flags & HistoryIndex::kRecords) != 0;
      });
      if (!any) continue;
      // An event cut by the rotation continues the next file with the same
      // key: equal keys are that event unless a node could tell them apart.
      if (prev && (prev->any_node() || idx->any_node() ? !(prev->last() < idx->first())
                                                       : idx->first() < prev->last()))
        in_order = false;
      prev = &*idx;
    }
    // The files as one chain of units: an indexed file's blocks and, past
    // what its index covers, its tail; a file without index is one unit.
    enum class Act { kRead, kSkip, kDrop, kNone };
    struct Unit {
      std::size_t file;
      std::size_t block;  // kWhole: not a block
      std::uint64_t start, end;
      Act act;
      std::uint32_t mask;
      bool link_next;  // an event may continue into the next unit
    };
    constexpr std::size_t kWhole = ~std::size_t{0};
    constexpr std::uint64_t kEnd = ~std::uint64_t{0};
    std::vector<Unit> units;
    std::size_t skipped = 0, outside = 0, read_blocks = 0;
    for (std::size_t i = 0; i < paths.size(); ++i) {
      if (!files[i].idx) {
        units.push_back({i, kWhole, 0, kEnd, Act::kRead, 0, true});
        continue;
      }
      const HistoryIndex& idx = *files[i].idx;
      const auto& blocks = idx.blocks();
      for (std::size_t b = 0; b < blocks.size(); ++b) {
        Unit u{i, b, blocks[b].start, blocks[b].end, Act::kRead, 0,
               (blocks[b].flags & HistoryIndex::kCrossNext) != 0};
        if (idx.outside_time(b, *q)) {
          u.act = Act::kNone;
        } else {
          std::uint32_t m = idx.prune_mask(b, *q);
          // -sv no rules out only where every event lies within one
          // identity run (history_index.h, IndexQuery::kFailed).
          if (!in_order && m != HistoryIndex::kMustRead) m &= ~q->order_only_mask();
          if (m != 0 && m != HistoryIndex::kMustRead) {
            u.act = Act::kSkip;
            u.mask = m;
          }
        }
        units.push_back(u);
      }
      if (!blocks.empty()) units.back().link_next = units.back().link_next || idx.ends_open();
      // The tail past the covered part (an appended log) is read whole.
      if (files[i].size > idx.covered())
        units.push_back({i, kWhole, idx.covered(), kEnd, Act::kRead, 0, true});
    }
    // Blocks that share an event with a block that is read are read too: a
    // mixed event would make the run start again.
    for (std::size_t k = 0; k + 1 < units.size(); ++k)
      if (units[k].act == Act::kRead && units[k].link_next && units[k + 1].act == Act::kSkip)
        units[k + 1].act = Act::kRead;
    for (std::size_t k = units.size() - 1; k-- > 0;)
      if (units[k + 1].act == Act::kRead && units[k].link_next && units[k].act == Act::kSkip)
        units[k].act = Act::kRead;

    std::size_t dropped = 0, in_part = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges, block_ranges;
    if (in_order) {
      for (std::size_t k = 0; k < units.size();) {
        if (units[k].act != Act::kSkip) {
          ++k;
          continue;
        }
        std::size_t end = k;
        std::uint32_t common = units[k].mask;
        while (units[end].link_next && end + 1 < units.size() && units[end + 1].act == Act::kSkip)
          common &= units[++end].mask;
        if (common != 0)
          for (std::size_t j = k; j <= end; ++j) units[j].act = Act::kDrop;
        k = end + 1;
      }
    }

    indexed_ = true;
    int rc = 0;
    std::size_t u = 0;
    for (std::size_t i = 0; i < paths.size() && rc == 0 && !done_; ++i) {
      base::UniqueFd fd(::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC));
      struct stat st {};
      if (!fd || ::fstat(fd.get(), &st) != 0 || st.st_dev != files[i].dev ||
          st.st_ino != files[i].ino) {
        rc = kRestart;  // replaced since its index was checked
        break;
      }
      const int backing = kept_fds_.size() < kMaxKeptFds ? fd.get() : -1;
      for (; u < units.size() && units[u].file == i && rc == 0 && !done_; ++u) {
        Unit& un = units[u];
        if (un.act == Act::kNone) {
          ++outside;
        } else if (un.act == Act::kDrop) {
          ++skipped;
          ++dropped;
        } else if (un.act == Act::kSkip) {
          ++skipped;
          rc = feed_placeholders(*files[i].idx, un.block, un.mask);
        } else {
          // Consecutive blocks read are one range; with -sv no on files in
          // order, a block is read only where a run of its may be a
          // failure (nothing else in it can match, and in order nothing
          // left out changes how the others group or leave).
          ranges.clear();
          auto add = [&](std::uint64_t s, std::uint64_t e) {
            if (s >= e) return;
            if (!ranges.empty() && ranges.back().second == s)
              ranges.back().second = e;
            else
              ranges.emplace_back(s, e);
          };
          // Likewise with a number (-p, -ui, --session, ...): only the
          // pieces of the block whose filter may hold it.
          auto add_unit = [&](const Unit& x) {
            if (x.block != kWhole && in_order &&
                ((q->failed_term >= 0 && files[i].idx->failed_ranges(x.block, *q, block_ranges)) ||
                 (q->number_term >= 0 && files[i].idx->number_ranges(x.block, *q, block_ranges)))) {
              ++in_part;
              for (const auto& r : block_ranges) add(r.first, r.second);
            } else {
              add(x.start, x.end);
            }
          };
          if (un.block != kWhole) ++read_blocks;
          add_unit(un);
          while (un.block != kWhole && u + 1 < units.size() && units[u + 1].file == i &&
                 units[u + 1].act == Act::kRead && units[u + 1].block != kWhole) {
            ++u;
            ++read_blocks;
            add_unit(units[u]);
          }
          for (std::size_t r = 0; r < ranges.size() && rc == 0 && !done_; ++r)
            rc = read_range(fd.get(), ranges[r].first, ranges[r].second, backing);
        }
      }
      while (u < units.size() && units[u].file == i) ++u;
      if (rc) break;
      if (i + 1 == paths.size() && !done_) {
        assembler_->close_all();
        rc = drain();
      }
      if (backing >= 0) kept_fds_.push_back(std::move(fd));
      if (assembler_->empty()) kept_fds_.clear();
    }
    indexed_ = false;
    if (std::getenv("BPFAUDIT_INDEX_STATS")) {
      std::fprintf(err_.file(),
                   "index: %zu files, %zu indexed, blocks read %zu (%zu in part), skipped %zu (%zu "
                   "without placeholders), outside time %zu%s\n",
                   paths.size(), indexed, read_blocks, in_part, skipped, dropped, outside,
                   rc == kRestart ? ", restarted" : "");
      for (std::size_t i = 0; i < paths.size(); ++i)
        if (!files[i].idx && files[i].why != "no index")
          std::fprintf(err_.file(), "index: %s: %s\n", paths[i].c_str(), files[i].why.c_str());
    }
    return rc;
  }
  // Reads `fd` to its end (or, with `sync`, until the assembler agrees with
  // the worker's at one of its snapshots; *synced then says so).
  int read_fd(int fd, bool last, int backing_fd, std::size_t file = 0,
              ScanSync* sync = nullptr, bool* synced = nullptr) {
    record::LineReader reader(fd, record::kMaxRecordLength - 1);
    std::string bad_stamp;
    const std::uint64_t max_sec = static_cast<std::uint64_t>(LONG_MAX) - eoe_timeout_ - 1;
    std::uint32_t ordinal = 0;
    if (synced) *synced = false;
    while (!done_) {
      if (sync && sync->agrees(ordinal, *assembler_)) {
        *synced = true;
        return 0;
      }
      auto line = reader.next();
      if (!line) break;
      auto h = admit(*line, bad_stamp, max_sec);
      if (!h) continue;
      std::optional<record::FileSpan> origin;
      if (backing_fd >= 0) origin = record::FileSpan{backing_fd, reader.offset()};
      std::uint64_t tag = sync ? scan_tag(file, ordinal) : 0;
      ++ordinal;
      if (!assembler_->add(*h, record::view_record(*line, h->type), origin, tag)) continue;
      // Before this event leaves: what left so far was not ordered by slot.
      if (watch_ties_ && assembler_->ties() != 0) return kRestart;
      if (int rc = drain()) return rc;
    }
    // A checkpointing run leaves unfinished events for the next run.
    if (last && !done_ && !checkpoint_) {
      assembler_->close_all();
      return drain();
    }
    return drain();
  }

  // Main thread: the files in order (see FileScan).
  int scan_parallel(const std::vector<std::string>& paths, unsigned threads) {
    const std::size_t n = paths.size();
    const ScanWindow window{eoe_timeout_, c_.start_time, c_.end_time};
    ScanPool pool(n, threads, [&](std::size_t i, const std::atomic<bool>& stop) {
      auto f = std::make_unique<SearchScan>(c_);
      scan_file(paths[i], i, window, *f, stop);
      return f;
    });
    for (std::size_t i = 0; i < n && !done_; ++i) {
      std::unique_ptr<SearchScan> f(static_cast<SearchScan*>(pool.take(i).release()));
      const bool last = i + 1 == n;
      if (f->open_errno) {
        put_err("Error opening " + paths[i] + " (" + std::strerror(f->open_errno) + ")\n");
        return 1;
      }
      if (f->scanned && f->records == 0) {
        // Nothing in it passed -ts/-te (or it holds no records): reading it
        // only writes its bad time stamps.
        for (const auto& e : f->stamp_errors) put_err(e.second);
        if (last) {
          assembler_->close_all();
          if (int r = drain()) return r;
        }
        continue;
      }
      base::UniqueFd fd(::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) {
        put_err("Error opening " + paths[i] + " (" + std::strerror(errno) + ")\n");
        return 1;
      }
      base::UniqueFd kept;
      if (kept_fds_.size() < kMaxKeptFds) kept.reset(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
      ScanSync sync(*f);
      bool synced = false;
      int rc = read_fd(fd.get(), last, kept.get(), i, &sync, &synced);
      if (rc) return rc;
      if (!synced) {
        if (kept) kept_fds_.push_back(std::move(kept));
        if (assembler_->empty()) kept_fds_.clear();
        continue;
      }
      // From here the worker's run is the sequential run.
      ++synced_files_;
      const ScanSnapshot& snap = sync.snapshot();
      std::size_t e = snap.errors;
      for (std::size_t k = snap.outcomes; k < f->outcomes.size() && !done_; ++k) {
        SearchScan::Outcome& o = f->outcomes[k];
        for (; e < f->stamp_errors.size() && f->stamp_errors[e].first < o.pos; ++e)
          put_err(f->stamp_errors[e].second);
        if (!o.diagnostics.empty()) {
          flush();
          put_err(o.diagnostics);
        }
        if (o.event >= 0) {
          found_ = true;
          emit(f->events[static_cast<std::size_t>(o.event)]);
          if (opts_.just_one) done_ = true;
        }
      }
      if (done_) break;
      for (; e < f->stamp_errors.size(); ++e) put_err(f->stamp_errors[e].second);
      kept_fds_.clear();
      assembler_ = std::move(f->assembler);
      // Its slots are not the sequential run's: from here a tie means
      // starting again (the worker's own run had none after the snapshot).
      assembler_->reset_ties();
      watch_ties_ = true;
      kept_fds_.push_back(std::move(f->fd));
      if (last) {
        assembler_->close_all();
        if (int r = drain()) return r;
      }
    }
    return 0;
  }

  // Back to the state before the first input, keeping what was written: the
  // sequential rerun skips those bytes.
  void restart() {
    buf_.clear();
    out_.restart();
    err_.restart();
    kept_fds_.clear();
    assembler_ = std::make_unique<record::EventAssembler>(eoe_timeout_);
    interpreter_.reset();
    interpreter_.emplace(opts_.escape, static_cast<unsigned>(eoe_timeout_));
    found_ = done_ = false;
    watch_ties_ = false;
    indexed_ = false;
  }

  void put_err(std::string_view text) { err_.write(text); }

  int drain() {
    while (!done_) {
      if (!assembler_->pop_ready(event_, indexed_ ? &pop_tags_ : nullptr)) return 0;
      if (indexed_) {
        int verdict = placeholder_verdict();
        if (verdict == kRestart) return kRestart;
        if (verdict == 1) continue;
      }
      record::Event* ev = &event_;
      SearchItems& items = items_;
      bool matched = matches(*ev, c_, items);
      if (!items.diagnostics.empty()) {
        flush();
        put_err(items.diagnostics);
      }
      if (matched) {
        apply_alterations(*ev, items);
        auto decision = checkpoint_ ? checkpoint_->decide(ev->id, ev->first_type)
                                    : Checkpoint::Decision::kOutput;
        if (decision == Checkpoint::Decision::kOutput) {
          found_ = true;
          emit(*ev);
        } else if (decision == Checkpoint::Decision::kCorrupt) {
          const auto& m = checkpoint_->loaded_mark();
          flush();
          std::fprintf(err_.file(),
                       "Corrupted checkpoint file. Inode match, but newer complete event "
                       "(%lu.%03u:%lu) found before loaded checkpoint %lu.%03u:%lu\n",
                       static_cast<unsigned long>(ev->id.sec), ev->id.msec,
                       static_cast<unsigned long>(ev->id.serial), static_cast<unsigned long>(m.sec),
                       m.msec, static_cast<unsigned long>(m.serial));
          checkpoint_->add_failure(Checkpoint::kCorrupted);
          return 10;
        }
        if (opts_.just_one) {
          done_ = true;
          return 0;
        }
      }
      if (checkpoint_) checkpoint_->remember(ev->id, ev->first_type);
    }
    return 0;
  }

  void emit(const record::Event& ev) {
    switch (c_.format) {
      case ReportFormat::kRaw:
        write_raw(ev, buf_);
        break;
      case ReportFormat::kDefault:
        write_default(ev, opts_.escape, buf_);
        break;
      case ReportFormat::kJson:
        record::write_json(ev, buf_);
        break;
      case ReportFormat::kInterpret: {
        // Name searches (-ui NAME ...) make stock load the head record's
        // enriched values before printing, which changes what it prints.
        bool by_name = c_.tuid || c_.teuid || c_.tauid;
        bool preload = by_name && (ev.records.size() == 1 || ev.records[0].type == AUDIT_SYSCALL);
        interpreter_->write_interpreted(ev, buf_, preload);
        break;
      }
      case ReportFormat::kCsv:
        interpreter_->write_csv(ev, csv_, buf_);
        break;
      case ReportFormat::kText:
        interpreter_->write_text(ev, buf_);
        break;
    }
    if (std::string e = interpreter_->take_errors(); !e.empty()) {
      flush();
      put_err(e);
    }
    if (opts_.line_buffered || buf_.size() >= kFlushAt) flush();
  }

  void flush() {
    out_.write(buf_);
    buf_.clear();
    std::fflush(out_.file());
  }

  const Options& opts_;
  Checkpoint* checkpoint_;
  const Criteria& c_;
  SearchItems items_;    // reused for every event
  record::Event event_;  // likewise
  // Parallel scan: a sequential rerun skips what was written before.
  SkippingStream out_;
  SkippingStream err_;
  std::uint64_t eoe_timeout_;
  std::unique_ptr<record::EventAssembler> assembler_;
  std::optional<record::Interpreter> interpreter_;
  record::CsvOptions csv_;
  std::string buf_;
  bool found_ = false;
  bool done_ = false;
  static constexpr std::size_t kMaxKeptFds = 64;
  std::vector<base::UniqueFd> kept_fds_;
  std::size_t synced_files_ = 0;
  bool watch_ties_ = false;  // the assembler was taken over from a worker
  // History index: tried once per run; while `indexed_`, popped events are
  // checked for placeholders.
  bool index_tried_ = false;
  bool indexed_ = false;
  std::vector<std::uint64_t> pop_tags_;
  std::vector<record::RecordHeader> placeholder_headers_;
};

}  // namespace

int run(const Options& opts, std::FILE* out, std::FILE* err, const Environment& env) {
  const Criteria& c = opts.criteria;
  record::AuditdConf conf;
  if (auto loaded = record::load_auditd_conf(env.auditd_conf)) {
    conf = *loaded;
  } else {
    std::fprintf(err, "NOTE - using built-in logs: %s\n", conf.log_file.c_str());
  }
  std::uint64_t eoe = opts.eoe_timeout ? opts.eoe_timeout : conf.end_of_event_timeout;
  std::optional<Checkpoint> checkpoint;
  if (opts.checkpoint) {
    checkpoint.emplace(*opts.checkpoint, opts.checkpoint_time_only);
    if (checkpoint->load(err) < -1) return 10;
  }
  Checkpoint* cp = checkpoint ? &*checkpoint : nullptr;

  Searcher searcher(opts, out, err, eoe, cp);
  InputChoice choice{opts.input, opts.force_logs, conf.log_file, env.stdin_fd};
  bool dropped = false;
  int rc = read_inputs(choice, searcher, cp, err, &dropped);
  if (dropped) cp = nullptr;
  searcher.finish();
  if (cp) {
    if (!cp->failure() && rc == 0) cp->save(err);
    if (cp->failure()) rc = (cp->failure() & Checkpoint::kCorrupted) ? 12 : 11;
  }
  if (rc) return rc;
  if (!searcher.found()) {
    if (c.format != ReportFormat::kRaw) std::fprintf(err, "<no matches>\n");
    return 1;
  }
  return 0;
}

}  // namespace bpfaudit::search
