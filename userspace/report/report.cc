#include "report.h"

#include <libaudit.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>

#include <algorithm>
#include <climits>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event.h"
#include "history_index.h"
#include "input.h"
#include "interpret.h"
#include "log_reader.h"
#include "parallel_scan.h"
#include "search_items.h"

namespace bpfaudit::report {

using record::EscapeMode;
using search::Success;

namespace {

// As ausearch's output buffer: pages reused after each write.
constexpr std::size_t kFlushAt = 16 << 10;

// Stock's string tally (slist_add_if_uniq + slist_sort_by_hits): first-seen
// order, then a stable sort by hits, most first. Hashed here so that dense
// logs stay linear.
class StringTally {
 public:
  void add(const std::string& s) {
    auto [it, inserted] = index_.try_emplace(s, entries_.size());
    if (inserted)
      entries_.push_back({s, 1});
    else
      ++entries_[it->second].hits;
  }
  std::size_t size() const { return entries_.size(); }
  // Adds what `later` counted after this one: the order of first appearance
  // stays the one adding `later`'s strings one by one would give.
  void merge(const StringTally& later) {
    for (const auto& e : later.entries_) {
      auto [it, inserted] = index_.try_emplace(e.str, entries_.size());
      if (inserted)
        entries_.push_back(e);
      else
        entries_[it->second].hits += e.hits;
    }
  }
  struct Entry {
    std::string str;
    unsigned hits;
  };
  std::vector<Entry> by_hits() const {
    std::vector<Entry> v = entries_;
    std::stable_sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.hits > b.hits; });
    return v;
  }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

// Stock's integer tally (ilist_add_if_uniq + ilist_sort_by_hits): ascending
// numbers, then a stable sort by hits, most first.
class IntTally {
 public:
  void add(int n) { ++counts_[n]; }
  void merge(const IntTally& later) {
    for (const auto& [n, hits] : later.counts_) counts_[n] += hits;
  }
  std::size_t size() const { return counts_.size(); }
  std::vector<std::pair<int, unsigned>> by_hits() const {
    std::vector<std::pair<int, unsigned>> v(counts_.begin(), counts_.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return v;
  }

 private:
  std::map<int, unsigned> counts_;
};

struct Stamp {
  std::uint64_t sec = 0;
  std::uint32_t msec = 0;
};

bool has_type(const record::Event& ev, int type) {
  for (const auto& r : ev.records)
    if (r.type == type) return true;
  return false;
}

bool has_range(const record::Event& ev, int low, int high) {
  if (high <= low) return false;
  for (const auto& r : ev.records)
    if (r.type >= low && r.type <= high) return true;
  return false;
}

// printf("%s", NULL) in glibc.
const char* or_null(const std::optional<std::string>& s) { return s ? s->c_str() : "(null)"; }

std::string truncated(std::string s, std::size_t size) {
  if (s.size() > size - 1) s.resize(size - 1);
  return s;
}

std::string msg_type_name(int type) {
  const char* n = audit_msg_type_to_name(type);
  return n ? n : "(null)";
}

const char* success_word(Success s) {
  switch (s) {
    case Success::kFailed: return "no";
    case Success::kSuccess: return "yes";
    default: return "unset";
  }
}

const char* avc_result_word(search::AvcResult r) {
  switch (r) {
    case search::AvcResult::kDenied: return "denied";
    case search::AvcResult::kGranted: return "granted";
    default: return "unset";
  }
}

// What the summary report counts.
struct SummaryData {
  unsigned long changes = 0, crypto = 0, acct_changes = 0, good_logins = 0, bad_logins = 0,
                good_auth = 0, bad_auth = 0, events = 0, avcs = 0, mac = 0,
                failed_syscalls = 0, anomalies = 0, responses = 0, virt = 0, integ = 0;
  StringTally users, terms, files, hosts, exes, comms, keys;
  IntTally pids;
};

// Everything a report counts over the events: sums, and tallies in order of
// first appearance, so the counts of a later stretch of events merge exactly
// (the parallel scan counts each file's tail on a worker).
struct Tallies {
  SummaryData sd;
  StringTally strings, avc_objs;
  IntTally types;

  void merge(const Tallies& later) {
    SummaryData& a = sd;
    const SummaryData& b = later.sd;
    for (auto [x, y] : {std::pair{&a.changes, &b.changes}, {&a.crypto, &b.crypto},
                        {&a.acct_changes, &b.acct_changes}, {&a.good_logins, &b.good_logins},
                        {&a.bad_logins, &b.bad_logins}, {&a.good_auth, &b.good_auth},
                        {&a.bad_auth, &b.bad_auth}, {&a.events, &b.events}, {&a.avcs, &b.avcs},
                        {&a.mac, &b.mac}, {&a.failed_syscalls, &b.failed_syscalls},
                        {&a.anomalies, &b.anomalies}, {&a.responses, &b.responses},
                        {&a.virt, &b.virt}, {&a.integ, &b.integ}})
      *x += *y;
    for (auto [x, y] : {std::pair{&a.users, &b.users}, {&a.terms, &b.terms}, {&a.files, &b.files},
                        {&a.hosts, &b.hosts}, {&a.exes, &b.exes}, {&a.comms, &b.comms},
                        {&a.keys, &b.keys}})
      x->merge(*y);
    a.pids.merge(b.pids);
    strings.merge(later.strings);
    avc_objs.merge(later.avc_objs);
    types.merge(later.types);
  }
};

class ReportScan;

class Reporter : public search::LogSink {
 public:
  // `out`, `err`: null for a worker's Reporter of the parallel scan, which
  // keeps its text (items without their numbers) and messages for the main
  // thread (see ReportScan).
  Reporter(const Options& opts, search::SkippingStream* out, search::SkippingStream* err,
           std::uint64_t eoe)
      : o_(opts),
        out_(out),
        err_(err),
        eoe_(eoe),
        assembler_(std::make_unique<record::EventAssembler>(eoe)),
        interpreter_(opts.escape, static_cast<unsigned>(eoe)) {}

  int process_fd(int fd, const std::string& name, bool last) override {
    file_first_.reset();
    file_last_ = {};
    std::optional<search::HistoryIndex> idx;
    if (indexable() && name != "stdin") idx = search::HistoryIndex::load(name, fd);
    if (!idx) {
      read_lines(fd, kToEnd);
    } else {
      read_indexed(fd, *idx);
    }
    if (last) assembler_->close_all();
    drain();
    end_file(name);
    return 0;
  }

  int process_paths(const std::vector<std::string>& paths, std::FILE* err) override;

  // After the parallel scan met a tie it could not order: the inputs to read
  // again sequentially (a fresh Reporter skips what this one wrote).
  const std::optional<std::vector<std::string>>& restart_paths() const { return restart_paths_; }

 private:
  friend class ReportScan;
  static constexpr std::uint64_t kToEnd = ~std::uint64_t{0};

  void end_file(const std::string& name) {
    very_last_ = file_last_;
    if (o_.type == ReportType::kTime) {
      if (!file_first_) {
        buf_ += name + ": no records\n";
      } else {
        buf_ += name + ": " + date(file_first_->sec) + "." + msec3(file_first_->msec) + " - " +
                date(file_last_.sec) + "." + msec3(file_last_.msec) + "\n";
      }
    }
  }

  int scan_parallel(const std::vector<std::string>& paths, unsigned threads);
  void apply(const ReportScan& f, const search::ScanSync& sync);

  // Stderr: after what stdout holds so far, as stock's unbuffered stderr
  // lands after its flushed stdout.
  void put_err(std::string_view text) {
    if (!err_) {
      captured_err_.append(text);
      return;
    }
    flush();
    err_->write(text);
  }

  // The history index serves -ts/-te: a block none of whose records is in
  // range only has records stock drops before assembling events, so it is
  // not read, once the first stamp stock notes has been read. Blocks with
  // bad time stamps are read (stock reports them). -t prints each file's
  // range and reads everything.
  bool indexable() const {
    if (!o_.start_time && !o_.end_time) return false;
    if (o_.type == ReportType::kTime || eoe_ == 0 || eoe_ > search::kIndexMaxEoe) return false;
    const char* off = std::getenv("BPFAUDIT_NO_INDEX");
    return !(off && *off == '1');
  }

  void read_indexed(int fd, const search::HistoryIndex& idx) {
    search::IndexQuery q;
    q.time = true;
    q.start_time = o_.start_time;
    q.end_time = o_.end_time;
    bool noted = very_first_.sec != 0;
    std::uint64_t from = 0, to = 0;  // the range still to read
    std::size_t read = 0, skipped = 0;
    for (std::size_t b = 0; b < idx.blocks().size(); ++b) {
      const auto& blk = idx.blocks()[b];
      if (noted && idx.outside_time(b, q)) {
        if (to > from) read_range(fd, from, to);
        from = to = blk.end;
        ++skipped;
        continue;
      }
      ++read;
      to = blk.end;
      // Reading a block with a record out of range (or, without -ts, any
      // record) notes the first stamp.
      if (blk.flags & search::HistoryIndex::kRecords) {
        const auto lo = static_cast<std::int64_t>(blk.min_sec);
        const auto hi = static_cast<std::int64_t>(blk.max_sec);
        if (!o_.start_time || lo < o_.start_time || (o_.end_time && hi > o_.end_time)) noted = true;
      }
    }
    // The rest of the covered part and whatever was appended after it.
    read_range(fd, from, kToEnd);
    if (std::getenv("BPFAUDIT_INDEX_STATS")) {
      flush();
      std::fprintf(err_->file(), "index: blocks read %zu, skipped %zu\n", read, skipped);
    }
  }

  void read_range(int fd, std::uint64_t from, std::uint64_t to) {
    if (::lseek(fd, static_cast<off_t>(from), SEEK_SET) < 0) return;
    read_lines(fd, to);
  }

  // The records from the fd's position to `end` (a line start) or its end;
  // with `sync` (file number `file` of the parallel scan), until the
  // assembler agrees with the worker's. False when a tie makes the parallel
  // scan start again.
  bool read_lines(int fd, std::uint64_t end, std::size_t file = 0,
                  search::ScanSync* sync = nullptr, bool* synced = nullptr) {
    record::LineReader reader(fd, record::kMaxRecordLength - 1);
    std::string bad_stamp;
    const std::uint64_t max_sec = static_cast<std::uint64_t>(LONG_MAX) - eoe_ - 1;
    std::uint32_t ordinal = 0;
    if (synced) *synced = false;
    for (;;) {
      if (sync && sync->agrees(ordinal, *assembler_)) {
        *synced = true;
        return true;
      }
      auto line = reader.next();
      if (!line) break;
      if (end != kToEnd && reader.offset() >= end) break;
      record::HeaderError herr;
      auto h = record::parse_header(*line, &herr, &bad_stamp, max_sec);
      if (!h) {
        if (herr == record::HeaderError::kBadTimestamp) put_err(search::stamp_error(bad_stamp));
        continue;
      }
      auto sec = static_cast<std::int64_t>(h->id.sec);
      bool outside = (o_.start_time && sec < o_.start_time) || (o_.end_time && sec > o_.end_time);
      // Stock notes the first stamp it reads: any stamp without -ts, and
      // only an out-of-range one with it.
      if (very_first_.sec == 0 && (outside || o_.start_time == 0)) very_first_ = {h->id.sec, h->id.msec};
      if (outside) continue;
      std::uint64_t tag = sync ? search::scan_tag(file, ordinal) : 0;
      ++ordinal;
      if (!assembler_->add(*h, record::view_record(*line, h->type), std::nullopt, tag)) continue;
      // Before this event leaves: what left so far was not ordered by slot.
      if (watch_ties_ && assembler_->ties() != 0) return false;
      drain();
    }
    return true;
  }

 public:

  void title() {
    buf_ += "\n";
    if (o_.detail == Detail::kSummary)
      summary_title();
    else if (o_.detail == Detail::kDetailed)
      detailed_title();
  }

  // Stock exits at once for reports it never implemented.
  bool unimplemented_summary() const {
    return o_.detail == Detail::kSummary &&
           (o_.type == ReportType::kTime || o_.type == ReportType::kTty);
  }

  int finish() {
    if (!found_ && o_.detail == Detail::kDetailed && o_.type != ReportType::kTime) {
      buf_ += "<no events of interest were found>\n\n";
      flush();
      return 1;
    }
    wrap_up();
    flush();
    return 0;
  }

  void flush() {
    if (!out_) return;  // a worker's text stays for the main thread
    if (!buf_.empty()) out_->write(buf_);
    buf_.clear();
    std::fflush(out_->file());
  }

 private:
  static std::string msec3(std::uint32_t ms) {
    char b[16];
    std::snprintf(b, sizeof b, "%03u", ms);
    return b;
  }

  std::string date(std::uint64_t sec) {
    if (sec != date_sec_ || date_text_.empty()) {
      time_t t = static_cast<time_t>(sec);
      struct tm tm {};
      char b[48];
      if (localtime_r(&t, &tm))
        std::strftime(b, sizeof b, "%x %T", &tm);
      else
        std::strcpy(b, "?");
      date_text_ = b;
      date_sec_ = sec;
    }
    return date_text_;
  }

  void drain() {
    while (assembler_->pop_ready(event_)) {
      record::Event* ev = &event_;
      if (ev->records.empty()) continue;
      note_event(ev->id.sec, ev->id.msec);
      process_event(*ev);
      if (buf_.size() >= kFlushAt) flush();
    }
  }

  void note_event(std::uint64_t sec, std::uint32_t msec) {
    if (o_.type == ReportType::kTime || o_.type == ReportType::kSummary) {
      Stamp s{sec, msec};
      if (!file_first_) file_first_ = s;
      file_last_ = s;
    }
  }

  bool classify_conf(int head) const {
    const bool add = o_.config_action == ConfigAction::kAdd;
    const bool del = o_.config_action == ConfigAction::kDelete;
    switch (head) {
      case AUDIT_CONFIG_CHANGE: return !o_.no_config;
      case AUDIT_ADD_USER: case AUDIT_ADD_GROUP: case AUDIT_MAC_CIPSOV4_ADD:
      case AUDIT_MAC_MAP_ADD: case AUDIT_MAC_IPSEC_ADDSA: case AUDIT_MAC_IPSEC_ADDSPD:
      case AUDIT_MAC_UNLBL_STCADD:
        return !del;
      case AUDIT_DEL_USER: case AUDIT_DEL_GROUP: case AUDIT_MAC_CIPSOV4_DEL:
      case AUDIT_MAC_MAP_DEL: case AUDIT_MAC_IPSEC_DELSA: case AUDIT_MAC_IPSEC_DELSPD:
      case AUDIT_MAC_UNLBL_STCDEL:
        return !add;
      default: return true;
    }
  }

  void process_event(record::Event& ev) {
    search::SearchItems& s = items_;
    int rc = search::extract_search_items(ev, o_.criteria, s);
    if (!s.diagnostics.empty()) put_err(s.diagnostics);
    if (rc != 0) return;
    if (!o_.nodes.empty()) {
      if (!ev.id.node) return;
      if (std::find(o_.nodes.begin(), o_.nodes.end(), *ev.id.node) == o_.nodes.end()) return;
    }
    if (o_.only == OnlyOutcome::kFailed && s.success != Success::kFailed) return;
    if (o_.only == OnlyOutcome::kSuccess && s.success != Success::kSuccess) return;
    if (!classify_conf(ev.records.front().type)) return;
    // Stock loads the head record's enriched values for -i name lookups.
    interp_ = search::Interpretations();
    const record::Record& head = ev.records.front();
    if ((ev.records.size() == 1 || head.type == AUDIT_SYSCALL) && head.enriched)
      interp_.load(head.interpreted());
    for (std::size_t i = 0; i < s.altered_raw.size() && i < ev.records.size(); ++i) {
      if (!s.altered_raw[i]) continue;
      record::Record& r = ev.records[i];
      r.text = *s.altered_raw[i] + r.text.substr(r.raw_length);
      r.raw_length = s.altered_raw[i]->size();
    }
    ev_ = &ev;
    bool printed = o_.detail == Detail::kSummary ? per_event_summary(ev) : per_event_detailed(ev);
    if (printed) found_ = true;
    interp_ = search::Interpretations();
  }

  // aulookup_uid: the number, or with -i a name (the head record's enriched
  // AUID first, whatever id is asked for, as stock does).
  std::string uid_text(std::uint32_t uid, std::size_t size) {
    if (!o_.interpret) return truncated(std::to_string(static_cast<int>(uid)), size);
    if (uid == ~0u) return "unset";
    if (auto v = interp_.lookup_id("auid")) return truncated(*v, size);
    return truncated(passwd_text(uid), size);
  }

  // Names are looked up once per uid, found or not (see search_items.cc).
  static std::string passwd_text(std::uint32_t uid) {
    if (auto name = search::passwd_name(uid)) return *name;
    return "unknown(" + std::to_string(static_cast<int>(uid)) + ")";
  }

  std::string syscall_text(std::size_t size) {
    const search::SearchItems& s = items_;
    if (!o_.interpret) return truncated(std::to_string(s.syscall), size);
    if (auto v = interp_.lookup("syscall")) return truncated(*v, size);
    int machine = audit_elf_to_machine(static_cast<unsigned>(s.arch));
    if (machine < 0) return "?";
    if (const char* n = audit_syscall_to_name(s.syscall, machine)) return truncated(n, size);
    return truncated(std::to_string(s.syscall), size);
  }

  void safe(std::string_view str, bool newline = false) { append_safe(buf_, str, o_.escape, newline); }
  void safe_opt(const std::optional<std::string>& str) {
    if (str)
      safe(*str);
    else
      buf_ += "(null)";
  }

  void item_prefix() {
    if (!out_) {
      item_starts_.push_back(static_cast<std::uint32_t>(buf_.size()));  // numbered later
    } else {
      ++line_item_;
      buf_ += std::to_string(line_item_) + ". ";
    }
    buf_ += date(ev_->id.sec) + " ";
  }
  std::string serial() const { return std::to_string(ev_->id.serial); }

  void add_users_name(StringTally& t, std::uint32_t uid, std::size_t size) { t.add(uid_text(uid, size)); }

  bool per_event_summary(const record::Event& ev) {
    const search::SearchItems& s = items_;
    const int head = ev.records.front().type;
    switch (o_.type) {
      case ReportType::kSummary: summary_total(ev); return true;
      case ReportType::kAvc:
        if (has_type(ev, AUDIT_AVC) || has_type(ev, AUDIT_USER_AVC)) {
          for (std::size_t i : avc_walk()) {
            const auto& t = s.avcs[i].tcontext;
            // slist_add_if_uniq ignores NULL.
            if (t) t_.avc_objs.add(*t);
          }
        }
        break;
      case ReportType::kMac:
        if (has_range(ev, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_MAP_DEL) ||
            has_range(ev, AUDIT_FIRST_USER_LSPP_MSG, AUDIT_LAST_USER_LSPP_MSG))
          t_.types.add(head);
        break;
      case ReportType::kInteg:
        if (has_range(ev, AUDIT_INTEGRITY_FIRST_MSG, AUDIT_INTEGRITY_LAST_MSG)) t_.types.add(head);
        break;
      case ReportType::kVirt:
        if (has_range(ev, AUDIT_FIRST_VIRT_MSG, AUDIT_LAST_VIRT_MSG)) t_.types.add(head);
        break;
      case ReportType::kConfig:
        if (is_config(ev)) t_.types.add(head);
        break;
      case ReportType::kAuth:
        if (has_type(ev, AUDIT_USER_AUTH) ||
            (has_type(ev, AUDIT_USER_MGMT) && s.success == Success::kFailed)) {
          if (s.loginuid == ~0u - 1 && s.acct)
            t_.strings.add(*s.acct);
          else
            add_users_name(t_.strings, s.loginuid, 64);
        }
        break;
      case ReportType::kLogin:
        if (has_type(ev, AUDIT_USER_LOGIN)) {
          if (static_cast<int>(s.loginuid) < 0 && s.acct)
            t_.strings.add(*s.acct);
          else
            add_users_name(t_.strings, s.loginuid, 64);
        }
        break;
      case ReportType::kAcctMod:
        if (is_acct_mod(ev)) t_.types.add(head);
        break;
      case ReportType::kEvent:
        if (head != -1) t_.types.add(head);
        break;
      case ReportType::kFile:
        if (s.has_filename_list)
          for (const auto& f : s.filenames) t_.strings.add(f);
        break;
      case ReportType::kHost:
        if (s.hostname) t_.strings.add(*s.hostname);
        break;
      case ReportType::kPid:
        if (s.pid != -1) t_.types.add(static_cast<int>(s.pid));
        break;
      case ReportType::kSyscall:
        if (s.syscall > 0) t_.strings.add(syscall_text(32));
        break;
      case ReportType::kTerm:
        if (s.terminal) t_.strings.add(*s.terminal);
        break;
      case ReportType::kUser:
        if (s.loginuid != ~0u - 1) add_users_name(t_.strings, s.loginuid, 32);
        break;
      case ReportType::kExe:
        if (s.exe) t_.strings.add(*s.exe);
        break;
      case ReportType::kComm:
        if (s.comm) t_.strings.add(*s.comm);
        break;
      case ReportType::kAnomaly:
        if (is_anomaly(ev)) t_.types.add(head);
        break;
      case ReportType::kResponse:
        if (has_range(ev, AUDIT_FIRST_ANOM_RESP, AUDIT_LAST_ANOM_RESP)) t_.types.add(head);
        break;
      case ReportType::kCrypto:
        if (has_range(ev, AUDIT_FIRST_KERN_CRYPTO_MSG, AUDIT_LAST_KERN_CRYPTO_MSG) ||
            has_range(ev, AUDIT_FIRST_CRYPTO_MSG, AUDIT_LAST_CRYPTO_MSG))
          t_.types.add(head);
        break;
      case ReportType::kKey:
        for (const auto& k : s.keys)
          if (k != "(null)") t_.strings.add(k);
        break;
      default: break;
    }
    return false;
  }

  static bool is_config(const record::Event& ev) {
    return has_type(ev, AUDIT_CONFIG_CHANGE) || has_type(ev, AUDIT_DAEMON_CONFIG) ||
           has_type(ev, AUDIT_USYS_CONFIG) || has_type(ev, AUDIT_NETFILTER_CFG) ||
           has_type(ev, AUDIT_FEATURE_CHANGE) || has_type(ev, AUDIT_USER_MAC_CONFIG_CHANGE) ||
           has_range(ev, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_UNLBL_STCDEL);
  }
  static bool is_acct_mod(const record::Event& ev) {
    return has_type(ev, AUDIT_USER_CHAUTHTOK) || has_range(ev, AUDIT_ADD_USER, AUDIT_DEL_GROUP) ||
           has_type(ev, AUDIT_USER_MGMT) || has_type(ev, AUDIT_GRP_MGMT) ||
           has_range(ev, AUDIT_ROLE_ASSIGN, AUDIT_ROLE_REMOVE);
  }
  static bool is_anomaly(const record::Event& ev) {
    return has_range(ev, AUDIT_FIRST_ANOM_MSG, AUDIT_LAST_ANOM_MSG) ||
           has_range(ev, AUDIT_FIRST_KERN_ANOM_MSG, AUDIT_LAST_KERN_ANOM_MSG) ||
           has_type(ev, AUDIT_SECCOMP);
  }

  // The AVC entries stock visits: from the first with a result (or, when
  // none has one, the last entry added, where the list cursor was left), then
  // every later entry with a result.
  std::vector<std::size_t> avc_walk() const {
    const auto& avcs = items_.avcs;
    std::vector<std::size_t> out;
    if (avcs.empty()) return out;
    std::size_t start = avcs.size() - 1;
    for (std::size_t i = 0; i < avcs.size(); ++i)
      if (avcs[i].result != search::AvcResult::kUnset) {
        start = i;
        break;
      }
    out.push_back(start);
    for (std::size_t i = start + 1; i < avcs.size(); ++i)
      if (avcs[i].result != search::AvcResult::kUnset) out.push_back(i);
    return out;
  }

  bool per_event_detailed(const record::Event& ev) {
    const search::SearchItems& s = items_;
    const int head = ev.records.front().type;
    switch (o_.type) {
      case ReportType::kAvc:
        if (!has_type(ev, AUDIT_AVC) && !has_type(ev, AUDIT_USER_AVC)) return false;
        break;
      case ReportType::kMac:
        if (!has_range(ev, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_UNLBL_STCDEL) &&
            !has_range(ev, AUDIT_FIRST_USER_LSPP_MSG, AUDIT_LAST_USER_LSPP_MSG))
          return false;
        break;
      case ReportType::kInteg:
        if (!has_range(ev, AUDIT_INTEGRITY_FIRST_MSG, AUDIT_INTEGRITY_LAST_MSG)) return false;
        break;
      case ReportType::kVirt:
        if (!has_range(ev, AUDIT_FIRST_VIRT_MSG, AUDIT_LAST_VIRT_MSG)) return false;
        break;
      case ReportType::kConfig:
        if (!is_config(ev)) return false;
        break;
      case ReportType::kAuth:
        if (!has_type(ev, AUDIT_USER_AUTH) &&
            !(has_type(ev, AUDIT_USER_MGMT) && s.success == Success::kFailed))
          return false;
        break;
      case ReportType::kLogin:
        if (!has_type(ev, AUDIT_USER_LOGIN)) return false;
        break;
      case ReportType::kAcctMod:
        if (!is_acct_mod(ev)) return false;
        break;
      case ReportType::kEvent: break;
      case ReportType::kFile:
        if (!s.has_filename_list) return false;
        break;
      case ReportType::kHost:
        if (!s.hostname) return false;
        break;
      case ReportType::kPid:
        if (s.pid < 0) return false;
        break;
      case ReportType::kSyscall:
        if (!s.syscall) return false;
        break;
      case ReportType::kTerm:
        if (!s.terminal) return false;
        break;
      case ReportType::kUser:
        if (s.uid == ~0u) return false;
        break;
      case ReportType::kExe:
        if (!s.exe) return false;
        break;
      case ReportType::kComm:
        if (!s.comm) return false;
        break;
      case ReportType::kAnomaly:
        if (!is_anomaly(ev)) return false;
        break;
      case ReportType::kResponse:
        if (!has_range(ev, AUDIT_FIRST_ANOM_RESP, AUDIT_LAST_ANOM_RESP)) return false;
        break;
      case ReportType::kCrypto:
        if (!has_range(ev, AUDIT_FIRST_KERN_CRYPTO_MSG, AUDIT_LAST_KERN_CRYPTO_MSG) &&
            !has_range(ev, AUDIT_FIRST_CRYPTO_MSG, AUDIT_LAST_CRYPTO_MSG))
          return false;
        break;
      case ReportType::kKey:
        // Stock looks at the first key only.
        if (!s.has_key_list || s.keys.empty() || s.keys.front() == "(null)") return false;
        break;
      case ReportType::kTty:
        if (head != AUDIT_TTY && head != AUDIT_USER_TTY) return false;
        break;
      default: return false;
    }
    print_item(ev);
    return true;
  }

  void print_item(const record::Event& ev) {
    const search::SearchItems& s = items_;
    const int head = ev.records.front().type;
    if (o_.type != ReportType::kAvc) item_prefix();
    switch (o_.type) {
      case ReportType::kAvc:
        for (std::size_t i : avc_walk()) {
          const auto& an = s.avcs[i];
          item_prefix();
          safe(s.comm ? std::string_view(*s.comm) : std::string_view("?"));
          buf_ += std::string(" ") + or_null(an.scontext) + " " + syscall_text(128) + " " +
                  or_null(an.avc_class) + " " + or_null(an.avc_perm) + " " + or_null(an.tcontext) +
                  " " + avc_result_word(an.result) + " " + serial() + "\n";
        }
        break;
      case ReportType::kConfig:
        buf_ += msg_type_name(head) + " " + uid_text(s.loginuid, 64) + " " +
                success_word(s.success) + " " + serial() + "\n";
        break;
      case ReportType::kAuth:
        { std::string who = s.acct ? *s.acct : uid_text(s.uid, 64); safe(std::string_view(who)); }
        buf_ += std::string(" ") + or_null(s.hostname) + " " + or_null(s.terminal) + " " +
                or_null(s.exe) + " " + success_word(s.success) + " " + serial() + "\n";
        break;
      case ReportType::kLogin:
        { std::string who = (s.success == Success::kFailed && s.acct) ? *s.acct : uid_text(s.loginuid, 64); safe(std::string_view(who)); }
        buf_ += std::string(" ") + or_null(s.hostname) + " " + or_null(s.terminal) + " " +
                or_null(s.exe) + " " + success_word(s.success) + " " + serial() + "\n";
        break;
      case ReportType::kAcctMod:
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + s.hostname.value_or("?") + " " + s.terminal.value_or("?") + " " +
                s.exe.value_or("?") + " " + s.acct.value_or("?") + " " + success_word(s.success) +
                " " + serial() + "\n";
        break;
      case ReportType::kEvent:
        buf_ += serial() + " " + msg_type_name(head) + " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += std::string(" ") + success_word(s.success) + "\n";
        break;
      case ReportType::kFile: {
        // The first name, skipping PARENT entries when there are several.
        std::size_t i = 0;
        if (s.filenames.size() > 1)
          while (i < s.filenames.size() && s.filename_keys[i] && *s.filename_keys[i] == "PARENT") ++i;
        safe(i < s.filenames.size() ? std::string_view(s.filenames[i]) : std::string_view());
        buf_ += " " + syscall_text(128) + " " + success_word(s.success) + " ";
        safe(s.exe ? std::string_view(*s.exe) : std::string_view("?"));
        buf_ += " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      }
      case ReportType::kHost:
        buf_ += std::string(or_null(s.hostname)) + " " + syscall_text(128) + " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kPid:
        buf_ += std::to_string(static_cast<std::uint32_t>(s.pid)) + " ";
        safe(s.exe ? std::string_view(*s.exe) : std::string_view("?"));
        buf_ += " " + syscall_text(128) + " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kSyscall:
        buf_ += syscall_text(128) + " " + std::to_string(static_cast<std::uint32_t>(s.pid)) + " ";
        safe(s.comm ? std::string_view(*s.comm) : std::string_view("?"));
        buf_ += " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kTerm:
        buf_ += std::string(or_null(s.terminal)) + " " + or_null(s.hostname) + " ";
        safe_opt(s.exe);
        buf_ += " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kUser:
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + s.terminal.value_or("?") + " " + s.hostname.value_or("?") + " ";
        safe(s.exe ? std::string_view(*s.exe) : std::string_view("?"));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kExe:
        safe(s.exe ? std::string_view(*s.exe) : std::string_view("?"));
        buf_ += " " + s.terminal.value_or("?") + " " + s.hostname.value_or("?") + " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kComm:
        safe(s.comm ? std::string_view(*s.comm) : std::string_view("?"));
        buf_ += " " + s.terminal.value_or("?") + " " + s.hostname.value_or("?") + " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kAnomaly:
        buf_ += msg_type_name(head) + " ";
        safe(s.exe ? std::string_view(*s.exe) : s.comm ? std::string_view(*s.comm) : std::string_view("?"));
        buf_ += " " + s.terminal.value_or("?") + " " + s.hostname.value_or("?") + " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kResponse:
      case ReportType::kInteg:
      case ReportType::kVirt:
        buf_ += msg_type_name(head) + " " + success_word(s.success) + " " + serial() + "\n";
        break;
      case ReportType::kMac:
        buf_ += uid_text(s.loginuid, 64) + " " + msg_type_name(head) + " " +
                success_word(s.success) + " " + serial() + "\n";
        break;
      case ReportType::kCrypto:
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + msg_type_name(head) + " " + success_word(s.success) + " " + serial() + "\n";
        break;
      case ReportType::kKey:
        buf_ += s.keys.front() + " " + success_word(s.success) + " ";
        safe(s.exe ? std::string_view(*s.exe) : std::string_view("?"));
        buf_ += " ";
        safe(std::string_view(uid_text(s.loginuid, 64)));
        buf_ += " " + serial() + "\n";
        break;
      case ReportType::kTty: tty_item(ev); break;
      default: break;
    }
  }

  void tty_item(const record::Event& ev) {
    const search::SearchItems& s = items_;
    std::string msg(ev.records.front().raw());
    std::size_t pos = msg.find("data=");
    if (pos == std::string::npos) return;
    std::string data = msg.substr(pos + 5);
    if (auto sp = data.rfind(' '); sp != std::string::npos) data.resize(sp);
    buf_ += serial() + " ";
    safe(std::string_view(uid_text(s.loginuid, 64)));
    buf_ += " " + s.terminal.value_or("?") + " " + std::to_string(s.session_id) + " ";
    safe(s.comm ? std::string_view(*s.comm) : std::string_view("?"));
    buf_ += " ";
    record::FieldContext ctx;
    ctx.record_type = ev.records.front().type;
    buf_ += interpreter_.interpret(ctx, "data", data);
    buf_ += "\n";
  }

  void summary_total(const record::Event& ev) {
    const search::SearchItems& s = items_;
    ++t_.sd.events;
    for (int t : {AUDIT_CONFIG_CHANGE, AUDIT_DAEMON_CONFIG, AUDIT_USYS_CONFIG, AUDIT_NETFILTER_CFG,
                  AUDIT_FEATURE_CHANGE, AUDIT_USER_MAC_CONFIG_CHANGE})
      if (has_type(ev, t)) ++t_.sd.changes;
    if (has_range(ev, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_UNLBL_STCDEL)) ++t_.sd.changes;
    if (has_type(ev, AUDIT_USER_CHAUTHTOK)) ++t_.sd.acct_changes;
    if (has_range(ev, AUDIT_ADD_USER, AUDIT_DEL_GROUP)) ++t_.sd.acct_changes;
    if (has_type(ev, AUDIT_USER_MGMT)) ++t_.sd.acct_changes;
    if (has_type(ev, AUDIT_GRP_MGMT)) ++t_.sd.acct_changes;
    if (has_range(ev, AUDIT_ROLE_ASSIGN, AUDIT_ROLE_REMOVE)) ++t_.sd.acct_changes;
    if (has_range(ev, AUDIT_FIRST_KERN_CRYPTO_MSG, AUDIT_LAST_KERN_CRYPTO_MSG)) ++t_.sd.crypto;
    if (has_range(ev, AUDIT_FIRST_CRYPTO_MSG, AUDIT_LAST_CRYPTO_MSG)) ++t_.sd.crypto;
    if (has_type(ev, AUDIT_USER_LOGIN)) {
      if (s.success == Success::kSuccess) ++t_.sd.good_logins;
      else if (s.success == Success::kFailed) ++t_.sd.bad_logins;
    }
    if (has_type(ev, AUDIT_USER_AUTH)) {
      if (s.success == Success::kSuccess) ++t_.sd.good_auth;
      else if (s.success == Success::kFailed) ++t_.sd.bad_auth;
    } else if (has_type(ev, AUDIT_USER_MGMT)) {
      if (s.success == Success::kFailed) ++t_.sd.bad_auth;
    } else if (has_type(ev, AUDIT_GRP_AUTH)) {
      if (s.success == Success::kSuccess) ++t_.sd.good_auth;
      else if (s.success == Success::kFailed) ++t_.sd.bad_auth;
    }
    if (s.loginuid != ~0u - 1) t_.sd.users.add(std::to_string(static_cast<int>(s.loginuid)));
    if (s.terminal) t_.sd.terms.add(*s.terminal);
    if (s.hostname) t_.sd.hosts.add(*s.hostname);
    if (s.exe) t_.sd.exes.add(*s.exe);
    if (s.comm) t_.sd.comms.add(*s.comm);
    if (s.has_filename_list)
      for (const auto& f : s.filenames) t_.sd.files.add(f);
    if (has_type(ev, AUDIT_AVC) || has_type(ev, AUDIT_USER_AVC)) ++t_.sd.avcs;
    if (has_range(ev, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_UNLBL_STCDEL)) ++t_.sd.mac;
    if (has_range(ev, AUDIT_FIRST_USER_LSPP_MSG, AUDIT_LAST_USER_LSPP_MSG)) ++t_.sd.mac;
    if (has_range(ev, AUDIT_FIRST_VIRT_MSG, AUDIT_LAST_VIRT_MSG)) ++t_.sd.virt;
    if (has_range(ev, AUDIT_INTEGRITY_FIRST_MSG, AUDIT_INTEGRITY_LAST_MSG)) ++t_.sd.integ;
    if (s.success == Success::kFailed && s.syscall > 0) ++t_.sd.failed_syscalls;
    if (s.pid != -1) t_.sd.pids.add(static_cast<int>(s.pid));
    if (has_range(ev, AUDIT_FIRST_ANOM_MSG, AUDIT_LAST_ANOM_MSG)) ++t_.sd.anomalies;
    if (has_range(ev, AUDIT_FIRST_KERN_ANOM_MSG, AUDIT_LAST_KERN_ANOM_MSG)) ++t_.sd.anomalies;
    if (has_range(ev, AUDIT_FIRST_ANOM_RESP, AUDIT_LAST_ANOM_RESP)) ++t_.sd.responses;
    for (const auto& k : s.keys)
      if (k != "(null)") t_.sd.keys.add(k);
  }

  void summary_title() {
    if (o_.only == OnlyOutcome::kFailed) buf_ += "Failed ";
    if (o_.only == OnlyOutcome::kSuccess) buf_ += "Success ";
    auto block = [&](const char* title, const char* rule, const char* cols) {
      buf_ += std::string(title) + "\n" + rule + "\n";
      if (cols) buf_ += std::string(cols) + "\n" + rule + "\n";
    };
    switch (o_.type) {
      case ReportType::kSummary: block("Summary Report", "======================", nullptr); break;
      case ReportType::kAvc: block("Avc Object Summary Report", "=================================", "total  obj"); break;
      case ReportType::kMac: block("MAC Summary Report", "==================", "total  type"); break;
      case ReportType::kInteg: block("Integrity Summary Report", "========================", "total  type"); break;
      case ReportType::kVirt: block("Virtualization Summary Report", "=============================", "total  type"); break;
      case ReportType::kConfig: block("Config Change Summary Report", "============================", "total  type"); break;
      case ReportType::kAuth: block("Authentication Summary Report", "=============================", "total  acct"); break;
      case ReportType::kLogin: block("Login Summary Report", "============================", "total  auid"); break;
      case ReportType::kAcctMod: block("Acct Modification Summary Report", "================================", "total  type"); break;
      case ReportType::kEvent: block("Event Summary Report", "======================", "total  type"); break;
      case ReportType::kFile: block("File Summary Report", "===========================", "total  file"); break;
      case ReportType::kHost: block("Host Summary Report", "===========================", "total  host"); break;
      case ReportType::kPid: block("Pid Summary Report", "==========================", "total  pid"); break;
      case ReportType::kSyscall: block("Syscall Summary Report", "==========================", "total  syscall"); break;
      case ReportType::kTerm: block("Terminal Summary Report", "===============================", "total  terminal"); break;
      case ReportType::kUser: block("User Summary Report", "===========================", "total  auid"); break;
      case ReportType::kExe: block("Executable Summary Report", "=================================", "total  file"); break;
      case ReportType::kComm: block("Command Summary Report", "=================================", "total  command"); break;
      case ReportType::kAnomaly: block("Anomaly Summary Report", "======================", "total  type"); break;
      case ReportType::kResponse: block("Anomaly Response Summary Report", "===============================", "total  type"); break;
      case ReportType::kCrypto: block("Crypto Summary Report", "=====================", "total  type"); break;
      case ReportType::kKey: block("Key Summary Report", "===========================", "total  key"); break;
      default: break;
    }
  }

  void detailed_title() {
    auto block = [&](const char* title, const char* rule, const char* cols, const char* rule2 = nullptr) {
      buf_ += std::string(title) + "\n" + rule + "\n";
      if (cols) buf_ += std::string(cols) + "\n" + (rule2 ? rule2 : rule) + "\n";
    };
    switch (o_.type) {
      case ReportType::kAvc:
        block("AVC Report", "===============================================================",
              "# date time comm subj syscall class permission obj result event");
        break;
      case ReportType::kConfig: block("Config Change Report", "===================================", "# date time type auid success event"); break;
      case ReportType::kAuth: block("Authentication Report", "============================================", "# date time acct host term exe success event"); break;
      case ReportType::kLogin: block("Login Report", "============================================", "# date time auid host term exe success event"); break;
      case ReportType::kAcctMod: block("Account Modifications Report", "=================================================", "# date time auid addr term exe acct success event"); break;
      case ReportType::kTime: block("Log Time Range Report", "=====================", nullptr); break;
      case ReportType::kEvent: block("Event Report", "===================================", "# date time event type auid success"); break;
      case ReportType::kFile: block("File Report", "===============================================", "# date time file syscall success exe auid event"); break;
      case ReportType::kHost: block("Host Report", "===================================", "# date time host syscall auid event"); break;
      case ReportType::kPid: block("Process ID Report", "======================================", "# date time pid exe syscall auid event"); break;
      case ReportType::kSyscall: block("Syscall Report", "=======================================", "# date time syscall pid comm auid event"); break;
      case ReportType::kTerm: block("Terminal Report", "====================================", "# date time term host exe auid event"); break;
      case ReportType::kUser: block("User ID Report", "====================================", "# date time auid term host exe event"); break;
      case ReportType::kExe: block("Executable Report", "====================================", "# date time exe term host auid event"); break;
      case ReportType::kComm: block("Command Report", "====================================", "# date time comm term host auid event", "====================================="); break;
      case ReportType::kAnomaly: block("Anomaly Report", "=========================================", "# date time type exe term host auid event"); break;
      case ReportType::kResponse: block("Response to Anomaly Report", "==============================", "# date time type success event"); break;
      case ReportType::kMac: block("MAC Report", "===================================", "# date time auid type success event"); break;
      case ReportType::kInteg: block("Integrity Report", "==============================", "# date time type success event"); break;
      case ReportType::kVirt: block("Virtualization Report", "==============================", "# date time type success event"); break;
      case ReportType::kCrypto: block("Crypto Report", "===================================", "# date time auid type success event"); break;
      case ReportType::kKey: block("Key Report", "===============================================", "# date time key success exe auid event"); break;
      case ReportType::kTty: block("TTY Report", "===============================================", "# date time event auid term sess comm data"); break;
      default: break;
    }
  }

  static constexpr const char* kNone = "<no events of interest were found>\n\n";

  void tally_safe(const StringTally& t) {  // do_file/do_syscall_summary_output
    if (t.size() == 0) {
      buf_ += kNone;
      return;
    }
    for (const auto& e : t.by_hits()) {
      buf_ += std::to_string(e.hits) + "  ";
      safe(std::string_view(e.str), true);
    }
  }
  void tally_plain(const StringTally& t) {  // do_string_summary_output
    if (t.size() == 0) {
      buf_ += kNone;
      return;
    }
    for (const auto& e : t.by_hits()) buf_ += std::to_string(e.hits) + "  " + e.str + "\n";
  }
  void tally_users(const StringTally& t) {  // do_user_summary_output
    if (t.size() == 0) {
      buf_ += kNone;
      return;
    }
    interp_ = search::Interpretations();  // stock has freed the event's values by now
    for (const auto& e : t.by_hits()) {
      buf_ += std::to_string(e.hits) + "  ";
      char c0 = e.str.empty() ? '\0' : e.str[0];
      if (c0 == '-' || (c0 >= '0' && c0 <= '9')) {
        long uid = std::strtol(e.str.c_str(), nullptr, 10);
        safe(uid_text(static_cast<std::uint32_t>(uid), 64), true);
      } else {
        safe(std::string_view(e.str), true);
      }
    }
  }
  void tally_ints(const IntTally& t) {
    if (t.size() == 0) {
      buf_ += kNone;
      return;
    }
    for (const auto& [n, hits] : t.by_hits()) buf_ += std::to_string(hits) + "  " + std::to_string(n) + "\n";
  }
  void tally_types(const IntTally& t) {
    if (t.size() == 0) {
      buf_ += kNone;
      return;
    }
    for (const auto& [n, hits] : t.by_hits()) {
      buf_ += std::to_string(hits) + "  ";
      buf_ += o_.interpret ? msg_type_name(n) : std::to_string(n);
      buf_ += "\n";
    }
  }

  void wrap_up() {
    if (o_.detail != Detail::kSummary) return;
    switch (o_.type) {
      case ReportType::kSummary: summary_output(); break;
      case ReportType::kAvc: tally_plain(t_.avc_objs); break;
      case ReportType::kAuth:
      case ReportType::kLogin:
      case ReportType::kUser: tally_users(t_.strings); break;
      case ReportType::kFile:
      case ReportType::kExe:
      case ReportType::kComm:
      case ReportType::kKey:
      case ReportType::kSyscall: tally_safe(t_.strings); break;
      case ReportType::kHost:
      case ReportType::kTerm: tally_plain(t_.strings); break;
      case ReportType::kPid: tally_ints(t_.types); break;
      case ReportType::kConfig: case ReportType::kAcctMod: case ReportType::kEvent:
      case ReportType::kAnomaly: case ReportType::kResponse: case ReportType::kMac:
      case ReportType::kInteg: case ReportType::kVirt: case ReportType::kCrypto:
        tally_types(t_.types);
        break;
      default: break;
    }
  }

  void summary_output() {
    buf_ += "Range of time in logs: " + date(very_first_.sec) + "." + msec3(very_first_.msec) +
            " - " + date(very_last_.sec) + "." + msec3(very_last_.msec) + "\n";
    buf_ += "Selected time for report: ";
    buf_ += date(o_.start_time ? static_cast<std::uint64_t>(o_.start_time) : very_first_.sec) + " - ";
    if (o_.end_time)
      buf_ += date(static_cast<std::uint64_t>(o_.end_time)) + "\n";
    else
      buf_ += date(very_last_.sec) + "." + msec3(very_last_.msec) + "\n";
    auto line = [&](const char* label, unsigned long v) {
      buf_ += std::string(label) + std::to_string(v) + "\n";
    };
    line("Number of changes in configuration: ", t_.sd.changes);
    line("Number of changes to accounts, groups, or roles: ", t_.sd.acct_changes);
    line("Number of logins: ", t_.sd.good_logins);
    line("Number of failed logins: ", t_.sd.bad_logins);
    line("Number of authentications: ", t_.sd.good_auth);
    line("Number of failed authentications: ", t_.sd.bad_auth);
    line("Number of users: ", t_.sd.users.size());
    line("Number of terminals: ", t_.sd.terms.size());
    line("Number of host names: ", t_.sd.hosts.size());
    line("Number of executables: ", t_.sd.exes.size());
    line("Number of commands: ", t_.sd.comms.size());
    line("Number of files: ", t_.sd.files.size());
    line("Number of AVC's: ", t_.sd.avcs);
    line("Number of MAC events: ", t_.sd.mac);
    line("Number of failed syscalls: ", t_.sd.failed_syscalls);
    line("Number of anomaly events: ", t_.sd.anomalies);
    line("Number of responses to anomaly events: ", t_.sd.responses);
    line("Number of crypto events: ", t_.sd.crypto);
    line("Number of integrity events: ", t_.sd.integ);
    line("Number of virt events: ", t_.sd.virt);
    line("Number of keys: ", t_.sd.keys.size());
    line("Number of process IDs: ", t_.sd.pids.size());
    line("Number of events: ", t_.sd.events);
    buf_ += "\n";
  }

  const Options& o_;
  search::SkippingStream* out_;
  search::SkippingStream* err_;
  std::uint64_t eoe_;
  std::unique_ptr<record::EventAssembler> assembler_;
  record::Interpreter interpreter_;
  search::SearchItems items_;
  record::Event event_;  // reused for every event
  search::Interpretations interp_;
  const record::Event* ev_ = nullptr;
  Tallies t_;
  std::optional<Stamp> file_first_;
  Stamp file_last_, very_first_, very_last_;
  unsigned line_item_ = 0;
  std::size_t synced_files_ = 0;
  bool found_ = false;
  std::string buf_;
  std::uint64_t date_sec_ = 0;
  std::string date_text_;
  // Parallel scan: the assembler taken over from a worker (a tie then means
  // starting again), the fd behind its records, and the restart's inputs.
  bool watch_ties_ = false;
  base::UniqueFd kept_fd_;
  std::optional<std::vector<std::string>> restart_paths_;
  // A worker's Reporter: where its item lines start in buf_, and its stderr.
  std::vector<std::uint32_t> item_starts_;
  std::string captured_err_;
};


// aureport's side of the parallel scan (search/parallel_scan.h). A worker
// runs a Reporter of its own over the file's events and keeps, per event,
// what it wrote (item lines without their numbers, which depend on the items
// before) and its stderr; its counts go into one Tallies per stretch between
// snapshots, so the main thread adds exactly the counts after the snapshot
// it agreed on. Sums add up and tallies keep the order of first appearance
// when merged in file order (StringTally::merge), so the result is the
// sequential one for every report; -t's per-file ranges and the summary's
// time range come from the events' stamps and the first stamp stock notes.
// The TTY report reads sequentially: it interprets through libauparse,
// whose state is not for several threads.
class ReportScan : public search::FileScan {
 public:
  struct Outcome {
    std::uint32_t pos;  // records added when it left
    Stamp stamp;
    bool has_records;
    bool printed;        // a detailed report's line(s), or a summary's count
    std::uint32_t text_end;   // its text in the worker's buffer ends here
    std::uint32_t items_end;  // and its items in item_starts_
    std::string diagnostics;
  };

  ReportScan(const Options& o, std::uint64_t eoe)
      : start_time_(o.start_time), reporter(o, nullptr, nullptr, eoe) {
    wants_headers = true;
  }

  void on_event(record::Event& ev, std::uint32_t ordinal) override {
    Outcome o{ordinal, {ev.id.sec, ev.id.msec}, !ev.records.empty(), false, 0, 0, {}};
    if (o.has_records) {
      reporter.found_ = false;
      reporter.process_event(ev);
      o.printed = reporter.found_;
    }
    o.diagnostics = std::move(reporter.captured_err_);
    reporter.captured_err_.clear();
    o.text_end = static_cast<std::uint32_t>(reporter.buf_.size());
    o.items_end = static_cast<std::uint32_t>(reporter.item_starts_.size());
    outcomes.push_back(std::move(o));
  }
  std::uint32_t outcome_count() const override { return static_cast<std::uint32_t>(outcomes.size()); }
  void on_snapshot() override { end_segment(); }
  void on_header(const record::RecordHeader& h, bool outside, std::uint32_t ordinal) override {
    // Stock notes the first stamp it reads (read_lines).
    if (!first_noted && (outside || start_time_ == 0)) {
      first_noted = Stamp{h.id.sec, h.id.msec};
      first_noted_pos = ordinal;
      wants_headers = false;  // only the first one counts
    }
  }
  void end_segment() {
    segments.push_back(std::move(reporter.t_));
    reporter.t_ = Tallies{};
  }

  std::vector<Outcome> outcomes;
  // segments[j]: the counts between snapshot j-1 and snapshot j; the last
  // one, after the last snapshot.
  std::vector<Tallies> segments;
  std::optional<Stamp> first_noted;
  std::uint32_t first_noted_pos = 0;  // records added before it

 private:
  std::int64_t start_time_;

 public:
  Reporter reporter;
};

int Reporter::process_paths(const std::vector<std::string>& paths, std::FILE* err) {
  // Logs with an index and -ts/-te: the index skips blocks (read_indexed),
  // read sequentially as before.
  unsigned threads = o_.type == ReportType::kTty ? 0 : search::parallel_workers(paths);
  if (threads && indexable())
    for (const auto& p : paths)
      if (struct stat st {}; ::stat((p + std::string(search::kIndexSuffix)).c_str(), &st) == 0) {
        threads = 0;
        break;
      }
  if (threads == 0) return LogSink::process_paths(paths, err);
  int rc = scan_parallel(paths, threads);
  if (std::getenv("BPFAUDIT_SCAN_STATS"))
    std::fprintf(err, "scan: %zu files, %zu taken from workers%s\n", paths.size(), synced_files_,
                 restart_paths_ ? ", restarted" : "");
  return rc;
}

int Reporter::scan_parallel(const std::vector<std::string>& paths, unsigned threads) {
  const std::size_t n = paths.size();
  const search::ScanWindow window{eoe_, o_.start_time, o_.end_time};
  search::ScanPool pool(n, threads, [&](std::size_t i, const std::atomic<bool>& stop) {
    auto f = std::make_unique<ReportScan>(o_, eoe_);
    search::scan_file(paths[i], i, window, *f, stop);
    f->end_segment();
    return f;
  });
  for (std::size_t i = 0; i < n; ++i) {
    std::unique_ptr<ReportScan> f(static_cast<ReportScan*>(pool.take(i).release()));
    const bool last = i + 1 == n;
    file_first_.reset();
    file_last_ = {};
    if (f->open_errno) {
      put_err("Error opening " + paths[i] + " (" + std::strerror(f->open_errno) + ")\n");
      return 1;
    }
    if (f->scanned && f->records == 0) {
      // Nothing in it passed -ts/-te: reading it only writes its bad time
      // stamps and notes its first stamp.
      for (const auto& e : f->stamp_errors) put_err(e.second);
      if (very_first_.sec == 0 && f->first_noted) very_first_ = *f->first_noted;
    } else {
      base::UniqueFd fd(::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) {
        put_err("Error opening " + paths[i] + " (" + std::strerror(errno) + ")\n");
        return 1;
      }
      search::ScanSync sync(*f);
      bool synced = false;
      if (!read_lines(fd.get(), kToEnd, i, &sync, &synced)) {
        restart_paths_ = paths;
        return 0;
      }
      if (synced) {
        // From here the worker's run is the sequential run.
        ++synced_files_;
        apply(*f, sync);
        if (very_first_.sec == 0 && f->first_noted && f->first_noted_pos >= sync.snapshot().pos)
          very_first_ = *f->first_noted;
        assembler_ = std::move(f->assembler);
        // Its slots are not the sequential run's: from here a tie means
        // starting again (the worker's own run had none after the snapshot).
        assembler_->reset_ties();
        watch_ties_ = true;
        kept_fd_ = std::move(f->fd);
      }
    }
    if (last) assembler_->close_all();
    drain();
    end_file(paths[i]);
  }
  return 0;
}

void Reporter::apply(const ReportScan& f, const search::ScanSync& sync) {
  const search::ScanSnapshot& snap = sync.snapshot();
  const std::string& text = f.reporter.buf_;
  const auto& starts = f.reporter.item_starts_;
  std::uint32_t at = 0, item = 0;  // in text, in starts
  if (snap.outcomes) {
    at = f.outcomes[snap.outcomes - 1].text_end;
    item = f.outcomes[snap.outcomes - 1].items_end;
  }
  std::size_t e = snap.errors;
  for (std::size_t k = snap.outcomes; k < f.outcomes.size(); ++k) {
    const ReportScan::Outcome& o = f.outcomes[k];
    for (; e < f.stamp_errors.size() && f.stamp_errors[e].first < o.pos; ++e)
      put_err(f.stamp_errors[e].second);
    if (!o.diagnostics.empty()) put_err(o.diagnostics);
    if (o.has_records) note_event(o.stamp.sec, o.stamp.msec);
    while (at < o.text_end) {
      if (item < o.items_end && starts[item] == at) {
        ++line_item_;
        buf_ += std::to_string(line_item_) + ". ";
        ++item;
      }
      std::uint32_t end = item < o.items_end ? starts[item] : o.text_end;
      buf_.append(text, at, end - at);
      at = end;
    }
    if (o.printed) found_ = true;
    if (buf_.size() >= kFlushAt) flush();
  }
  for (; e < f.stamp_errors.size(); ++e) put_err(f.stamp_errors[e].second);
  const std::size_t agreed = static_cast<std::size_t>(&snap - f.snapshots.data());
  for (std::size_t j = agreed + 1; j < f.segments.size(); ++j) t_.merge(f.segments[j]);
}

}  // namespace

void append_safe(std::string& out, std::string_view s, EscapeMode mode, bool newline) {
  static constexpr std::string_view kShell = "\"'`$\\!()| ";
  static constexpr std::string_view kShellQuote = "\"'`$\\!()| ;#&*?[]<>{}";
  if (s.size() > record::kMaxRecordLength) s = s.substr(0, record::kMaxRecordLength);
  std::string_view set;
  bool need = false;
  switch (mode) {
    case EscapeMode::kRaw: break;
    case EscapeMode::kTty:
      for (char c : s)
        if (static_cast<unsigned char>(c) < 32) need = true;
      break;
    case EscapeMode::kShell:
    case EscapeMode::kShellQuote:
      set = mode == EscapeMode::kShell ? kShell : kShellQuote;
      // Stock tests a plain (signed) char here, so bytes >= 0x80 count too;
      // they are still written unchanged below.
      for (char c : s)
        if (static_cast<signed char>(c) < 32 || set.find(c) != std::string_view::npos) need = true;
      break;
  }
  if (!need) {
    out.append(s);
  } else {
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (u < 32)
        record::append_octal_escape(out, u);
      else if (!set.empty() && set.find(c) != std::string_view::npos) {
        out.push_back('\\');
        out.push_back(c);
      } else {
        out.push_back(c);
      }
    }
  }
  if (newline) out.push_back('\n');
}

int run(const Options& opts, std::FILE* out, std::FILE* err, const search::Environment& env) {
  record::AuditdConf conf;
  if (auto loaded = record::load_auditd_conf(env.auditd_conf))
    conf = *loaded;
  else
    std::fprintf(err, "NOTE - using built-in logs: %s\n", conf.log_file.c_str());
  std::uint64_t eoe = opts.eoe_timeout ? opts.eoe_timeout : conf.end_of_event_timeout;
  search::SkippingStream sout(out), serr(err);
  auto reporter = std::make_unique<Reporter>(opts, &sout, &serr, eoe);
  reporter->title();
  if (reporter->unimplemented_summary()) {
    reporter->flush();
    std::fputs("Unimplemented option\n", err);
    return 1;
  }
  search::InputChoice choice{opts.input, opts.force_logs, conf.log_file, env.stdin_fd};
  int rc = search::read_inputs(choice, *reporter, nullptr, err);
  if (auto paths = reporter->restart_paths()) {
    // The parallel scan met a tie it cannot order: the sequential read,
    // leaving out what was already written (the same bytes).
    sout.restart();
    serr.restart();
    reporter = std::make_unique<Reporter>(opts, &sout, &serr, eoe);
    reporter->title();
    rc = reporter->search::LogSink::process_paths(*paths, err);
  }
  if (rc) {
    reporter->flush();
    return rc;
  }
  return reporter->finish();
}

}  // namespace bpfaudit::report
