#include "search.h"

#include <fcntl.h>
#include <libaudit.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "event.h"
#include "input.h"
#include "interpret.h"
#include "log_reader.h"
#include "match.h"
#include "output.h"
#include "unique_fd.h"

namespace bpfaudit::search {

namespace {

// Output is written in pieces this large: the buffer's pages are reused after
// each write, so a small search touches few of them (see kReadSize).
constexpr std::size_t kFlushAt = 16 << 10;

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
        assembler_(eoe_timeout),
        interpreter_(opts.escape, static_cast<unsigned>(eoe_timeout)) {
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
  int process_fd(int fd, const std::string& /*name*/, bool last) override {
    struct stat st {};
    base::UniqueFd kept;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && kept_fds_.size() < kMaxKeptFds)
      kept.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    int rc = read_fd(fd, last, kept.get());
    if (kept) kept_fds_.push_back(std::move(kept));
    if (assembler_.empty()) kept_fds_.clear();
    return rc;
  }

  bool found() const { return found_; }
  void finish() { flush(); }
  bool done() const override { return done_; }

 private:
  int read_fd(int fd, bool last, int backing_fd) {
    record::LineReader reader(fd, record::kMaxRecordLength - 1);
    std::string bad_stamp;
    const std::uint64_t max_sec = static_cast<std::uint64_t>(LONG_MAX) - eoe_timeout_ - 1;
    while (!done_) {
      auto line = reader.next();
      if (!line) break;
      record::HeaderError herr;
      auto h = record::parse_header(*line, &herr, &bad_stamp, max_sec);
      if (!h) {
        if (herr == record::HeaderError::kBadTimestamp)
          std::fprintf(err_, "Error extracting time stamp (%s)\n", bad_stamp.c_str());
        continue;
      }
      auto sec = static_cast<std::int64_t>(h->id.sec);
      if ((c_.start_time && sec < c_.start_time) || (c_.end_time && sec > c_.end_time)) continue;
      std::optional<record::FileSpan> origin;
      if (backing_fd >= 0) origin = record::FileSpan{backing_fd, reader.offset()};
      if (!assembler_.add(*h, record::view_record(*line, h->type), origin)) continue;
      if (int rc = drain()) return rc;
    }
    // A checkpointing run leaves unfinished events for the next run.
    if (last && !done_ && !checkpoint_) {
      assembler_.close_all();
      return drain();
    }
    return drain();
  }

  int drain() {
    while (!done_) {
      if (!assembler_.pop_ready(event_)) return 0;
      record::Event* ev = &event_;
      SearchItems& items = items_;
      bool matched = matches(*ev, c_, items);
      if (!items.diagnostics.empty()) {
        flush();
        std::fputs(items.diagnostics.c_str(), err_);
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
          std::fprintf(err_,
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

  // Stock rewrites a few delimiters in place while extracting and prints the
  // rewritten text; keep the output identical.
  static void apply_alterations(record::Event& ev, const SearchItems& items) {
    for (std::size_t i = 0; i < items.altered_raw.size() && i < ev.records.size(); ++i) {
      const auto& alt = items.altered_raw[i];
      if (!alt) continue;
      record::Record& r = ev.records[i];
      r.text = *alt + r.text.substr(r.raw_length);
      r.raw_length = alt->size();
    }
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
        write_json(ev, buf_);
        break;
      case ReportFormat::kInterpret: {
        // Name searches (-ui NAME ...) make stock load the head record's
        // enriched values before printing, which changes what it prints.
        bool by_name = c_.tuid || c_.teuid || c_.tauid;
        bool preload = by_name && (ev.records.size() == 1 || ev.records[0].type == AUDIT_SYSCALL);
        interpreter_.write_interpreted(ev, buf_, preload);
        break;
      }
      case ReportFormat::kCsv:
        interpreter_.write_csv(ev, csv_, buf_);
        break;
      case ReportFormat::kText:
        interpreter_.write_text(ev, buf_);
        break;
    }
    if (std::string e = interpreter_.take_errors(); !e.empty()) {
      flush();
      std::fputs(e.c_str(), err_);
    }
    if (opts_.line_buffered || buf_.size() >= kFlushAt) flush();
  }

  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), out_);
    buf_.clear();
    std::fflush(out_);
  }

  const Options& opts_;
  Checkpoint* checkpoint_;
  const Criteria& c_;
  SearchItems items_;    // reused for every event
  record::Event event_;  // likewise
  std::FILE* out_;
  std::FILE* err_;
  std::uint64_t eoe_timeout_;
  record::EventAssembler assembler_;
  record::Interpreter interpreter_;
  record::CsvOptions csv_;
  std::string buf_;
  bool found_ = false;
  bool done_ = false;
  static constexpr std::size_t kMaxKeptFds = 64;
  std::vector<base::UniqueFd> kept_fds_;
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
