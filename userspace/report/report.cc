#include "report.h"

#include <libaudit.h>
#include <unistd.h>
#include <pwd.h>

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

void append_octal(std::string& out, unsigned char c) {
  out.push_back('\\');
  out.push_back(static_cast<char>('0' + ((c & 0300) >> 6)));
  out.push_back(static_cast<char>('0' + ((c & 0070) >> 3)));
  out.push_back(static_cast<char>('0' + (c & 0007)));
}

class Reporter : public search::LogSink {
 public:
  Reporter(const Options& opts, std::FILE* out, std::FILE* err, std::uint64_t eoe)
      : o_(opts),
        out_(out),
        err_(err),
        eoe_(eoe),
        assembler_(eoe),
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
    if (last) assembler_.close_all();
    drain();
    very_last_ = file_last_;
    if (o_.type == ReportType::kTime) {
      if (!file_first_) {
        buf_ += name + ": no records\n";
      } else {
        buf_ += name + ": " + date(file_first_->sec) + "." + msec3(file_first_->msec) + " - " +
                date(file_last_.sec) + "." + msec3(file_last_.msec) + "\n";
      }
    }
    return 0;
  }

 private:
  static constexpr std::uint64_t kToEnd = ~std::uint64_t{0};

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
      std::fprintf(err_, "index: blocks read %zu, skipped %zu\n", read, skipped);
    }
  }

  void read_range(int fd, std::uint64_t from, std::uint64_t to) {
    if (::lseek(fd, static_cast<off_t>(from), SEEK_SET) < 0) return;
    read_lines(fd, to);
  }

  // The records from the fd's position to `end` (a line start) or its end.
  void read_lines(int fd, std::uint64_t end) {
    record::LineReader reader(fd, record::kMaxRecordLength - 1);
    std::string bad_stamp;
    const std::uint64_t max_sec = static_cast<std::uint64_t>(LONG_MAX) - eoe_ - 1;
    while (auto line = reader.next()) {
      if (end != kToEnd && reader.offset() >= end) break;
      record::HeaderError herr;
      auto h = record::parse_header(*line, &herr, &bad_stamp, max_sec);
      if (!h) {
        if (herr == record::HeaderError::kBadTimestamp) {
          flush();
          std::fprintf(err_, "Error extracting time stamp (%s)\n", bad_stamp.c_str());
        }
        continue;
      }
      auto sec = static_cast<std::int64_t>(h->id.sec);
      bool outside = (o_.start_time && sec < o_.start_time) || (o_.end_time && sec > o_.end_time);
      // Stock notes the first stamp it reads: any stamp without -ts, and
      // only an out-of-range one with it.
      if (very_first_.sec == 0 && (outside || o_.start_time == 0)) very_first_ = {h->id.sec, h->id.msec};
      if (outside) continue;
      if (!assembler_.add(*h, record::view_record(*line, h->type))) continue;
      drain();
    }
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
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), out_);
    buf_.clear();
    std::fflush(out_);
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
    while (assembler_.pop_ready(event_)) {
      record::Event* ev = &event_;
      if (ev->records.empty()) continue;
      if (o_.type == ReportType::kTime || o_.type == ReportType::kSummary) {
        Stamp s{ev->id.sec, ev->id.msec};
        if (!file_first_) file_first_ = s;
        file_last_ = s;
      }
      process_event(*ev);
      if (buf_.size() >= kFlushAt) flush();
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
    if (!s.diagnostics.empty()) {
      flush();
      std::fputs(s.diagnostics.c_str(), err_);
    }
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
  std::string passwd_text(std::uint32_t uid) {
    auto it = names_.find(uid);
    if (it != names_.end()) return it->second;
    std::string name;
    if (struct passwd* pw = ::getpwuid(uid))
      name = pw->pw_name;
    else
      name = "unknown(" + std::to_string(static_cast<int>(uid)) + ")";
    return names_.emplace(uid, std::move(name)).first->second;
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
    ++line_item_;
    buf_ += std::to_string(line_item_) + ". " + date(ev_->id.sec) + " ";
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
            if (t) avc_objs_.add(*t);
          }
        }
        break;
      case ReportType::kMac:
        if (has_range(ev, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_MAP_DEL) ||
            has_range(ev, AUDIT_FIRST_USER_LSPP_MSG, AUDIT_LAST_USER_LSPP_MSG))
          types_.add(head);
        break;
      case ReportType::kInteg:
        if (has_range(ev, AUDIT_INTEGRITY_FIRST_MSG, AUDIT_INTEGRITY_LAST_MSG)) types_.add(head);
        break;
      case ReportType::kVirt:
        if (has_range(ev, AUDIT_FIRST_VIRT_MSG, AUDIT_LAST_VIRT_MSG)) types_.add(head);
        break;
      case ReportType::kConfig:
        if (is_config(ev)) types_.add(head);
        break;
      case ReportType::kAuth:
        if (has_type(ev, AUDIT_USER_AUTH) ||
            (has_type(ev, AUDIT_USER_MGMT) && s.success == Success::kFailed)) {
          if (s.loginuid == ~0u - 1 && s.acct)
            strings_.add(*s.acct);
          else
            add_users_name(strings_, s.loginuid, 64);
        }
        break;
      case ReportType::kLogin:
        if (has_type(ev, AUDIT_USER_LOGIN)) {
          if (static_cast<int>(s.loginuid) < 0 && s.acct)
            strings_.add(*s.acct);
          else
            add_users_name(strings_, s.loginuid, 64);
        }
        break;
      case ReportType::kAcctMod:
        if (is_acct_mod(ev)) types_.add(head);
        break;
      case ReportType::kEvent:
        if (head != -1) types_.add(head);
        break;
      case ReportType::kFile:
        if (s.has_filename_list)
          for (const auto& f : s.filenames) strings_.add(f);
        break;
      case ReportType::kHost:
        if (s.hostname) strings_.add(*s.hostname);
        break;
      case ReportType::kPid:
        if (s.pid != -1) types_.add(static_cast<int>(s.pid));
        break;
      case ReportType::kSyscall:
        if (s.syscall > 0) strings_.add(syscall_text(32));
        break;
      case ReportType::kTerm:
        if (s.terminal) strings_.add(*s.terminal);
        break;
      case ReportType::kUser:
        if (s.loginuid != ~0u - 1) add_users_name(strings_, s.loginuid, 32);
        break;
      case ReportType::kExe:
        if (s.exe) strings_.add(*s.exe);
        break;
      case ReportType::kComm:
        if (s.comm) strings_.add(*s.comm);
        break;
      case ReportType::kAnomaly:
        if (is_anomaly(ev)) types_.add(head);
        break;
      case ReportType::kResponse:
        if (has_range(ev, AUDIT_FIRST_ANOM_RESP, AUDIT_LAST_ANOM_RESP)) types_.add(head);
        break;
      case ReportType::kCrypto:
        if (has_range(ev, AUDIT_FIRST_KERN_CRYPTO_MSG, AUDIT_LAST_KERN_CRYPTO_MSG) ||
            has_range(ev, AUDIT_FIRST_CRYPTO_MSG, AUDIT_LAST_CRYPTO_MSG))
          types_.add(head);
        break;
      case ReportType::kKey:
        for (const auto& k : s.keys)
          if (k != "(null)") strings_.add(k);
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
    ++sd_.events;
    for (int t : {AUDIT_CONFIG_CHANGE, AUDIT_DAEMON_CONFIG, AUDIT_USYS_CONFIG, AUDIT_NETFILTER_CFG,
                  AUDIT_FEATURE_CHANGE, AUDIT_USER_MAC_CONFIG_CHANGE})
      if (has_type(ev, t)) ++sd_.changes;
    if (has_range(ev, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_UNLBL_STCDEL)) ++sd_.changes;
    if (has_type(ev, AUDIT_USER_CHAUTHTOK)) ++sd_.acct_changes;
    if (has_range(ev, AUDIT_ADD_USER, AUDIT_DEL_GROUP)) ++sd_.acct_changes;
    if (has_type(ev, AUDIT_USER_MGMT)) ++sd_.acct_changes;
    if (has_type(ev, AUDIT_GRP_MGMT)) ++sd_.acct_changes;
    if (has_range(ev, AUDIT_ROLE_ASSIGN, AUDIT_ROLE_REMOVE)) ++sd_.acct_changes;
    if (has_range(ev, AUDIT_FIRST_KERN_CRYPTO_MSG, AUDIT_LAST_KERN_CRYPTO_MSG)) ++sd_.crypto;
    if (has_range(ev, AUDIT_FIRST_CRYPTO_MSG, AUDIT_LAST_CRYPTO_MSG)) ++sd_.crypto;
    if (has_type(ev, AUDIT_USER_LOGIN)) {
      if (s.success == Success::kSuccess) ++sd_.good_logins;
      else if (s.success == Success::kFailed) ++sd_.bad_logins;
    }
    if (has_type(ev, AUDIT_USER_AUTH)) {
      if (s.success == Success::kSuccess) ++sd_.good_auth;
      else if (s.success == Success::kFailed) ++sd_.bad_auth;
    } else if (has_type(ev, AUDIT_USER_MGMT)) {
      if (s.success == Success::kFailed) ++sd_.bad_auth;
    } else if (has_type(ev, AUDIT_GRP_AUTH)) {
      if (s.success == Success::kSuccess) ++sd_.good_auth;
      else if (s.success == Success::kFailed) ++sd_.bad_auth;
    }
    if (s.loginuid != ~0u - 1) sd_.users.add(std::to_string(static_cast<int>(s.loginuid)));
    if (s.terminal) sd_.terms.add(*s.terminal);
    if (s.hostname) sd_.hosts.add(*s.hostname);
    if (s.exe) sd_.exes.add(*s.exe);
    if (s.comm) sd_.comms.add(*s.comm);
    if (s.has_filename_list)
      for (const auto& f : s.filenames) sd_.files.add(f);
    if (has_type(ev, AUDIT_AVC) || has_type(ev, AUDIT_USER_AVC)) ++sd_.avcs;
    if (has_range(ev, AUDIT_MAC_POLICY_LOAD, AUDIT_MAC_UNLBL_STCDEL)) ++sd_.mac;
    if (has_range(ev, AUDIT_FIRST_USER_LSPP_MSG, AUDIT_LAST_USER_LSPP_MSG)) ++sd_.mac;
    if (has_range(ev, AUDIT_FIRST_VIRT_MSG, AUDIT_LAST_VIRT_MSG)) ++sd_.virt;
    if (has_range(ev, AUDIT_INTEGRITY_FIRST_MSG, AUDIT_INTEGRITY_LAST_MSG)) ++sd_.integ;
    if (s.success == Success::kFailed && s.syscall > 0) ++sd_.failed_syscalls;
    if (s.pid != -1) sd_.pids.add(static_cast<int>(s.pid));
    if (has_range(ev, AUDIT_FIRST_ANOM_MSG, AUDIT_LAST_ANOM_MSG)) ++sd_.anomalies;
    if (has_range(ev, AUDIT_FIRST_KERN_ANOM_MSG, AUDIT_LAST_KERN_ANOM_MSG)) ++sd_.anomalies;
    if (has_range(ev, AUDIT_FIRST_ANOM_RESP, AUDIT_LAST_ANOM_RESP)) ++sd_.responses;
    for (const auto& k : s.keys)
      if (k != "(null)") sd_.keys.add(k);
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
      case ReportType::kAvc: tally_plain(avc_objs_); break;
      case ReportType::kAuth:
      case ReportType::kLogin:
      case ReportType::kUser: tally_users(strings_); break;
      case ReportType::kFile:
      case ReportType::kExe:
      case ReportType::kComm:
      case ReportType::kKey:
      case ReportType::kSyscall: tally_safe(strings_); break;
      case ReportType::kHost:
      case ReportType::kTerm: tally_plain(strings_); break;
      case ReportType::kPid: tally_ints(types_); break;
      case ReportType::kConfig: case ReportType::kAcctMod: case ReportType::kEvent:
      case ReportType::kAnomaly: case ReportType::kResponse: case ReportType::kMac:
      case ReportType::kInteg: case ReportType::kVirt: case ReportType::kCrypto:
        tally_types(types_);
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
    line("Number of changes in configuration: ", sd_.changes);
    line("Number of changes to accounts, groups, or roles: ", sd_.acct_changes);
    line("Number of logins: ", sd_.good_logins);
    line("Number of failed logins: ", sd_.bad_logins);
    line("Number of authentications: ", sd_.good_auth);
    line("Number of failed authentications: ", sd_.bad_auth);
    line("Number of users: ", sd_.users.size());
    line("Number of terminals: ", sd_.terms.size());
    line("Number of host names: ", sd_.hosts.size());
    line("Number of executables: ", sd_.exes.size());
    line("Number of commands: ", sd_.comms.size());
    line("Number of files: ", sd_.files.size());
    line("Number of AVC's: ", sd_.avcs);
    line("Number of MAC events: ", sd_.mac);
    line("Number of failed syscalls: ", sd_.failed_syscalls);
    line("Number of anomaly events: ", sd_.anomalies);
    line("Number of responses to anomaly events: ", sd_.responses);
    line("Number of crypto events: ", sd_.crypto);
    line("Number of integrity events: ", sd_.integ);
    line("Number of virt events: ", sd_.virt);
    line("Number of keys: ", sd_.keys.size());
    line("Number of process IDs: ", sd_.pids.size());
    line("Number of events: ", sd_.events);
    buf_ += "\n";
  }

  struct SummaryData {
    unsigned long changes = 0, crypto = 0, acct_changes = 0, good_logins = 0, bad_logins = 0,
                  good_auth = 0, bad_auth = 0, events = 0, avcs = 0, mac = 0,
                  failed_syscalls = 0, anomalies = 0, responses = 0, virt = 0, integ = 0;
    StringTally users, terms, files, hosts, exes, comms, keys;
    IntTally pids;
  };

  const Options& o_;
  std::FILE* out_;
  std::FILE* err_;
  std::uint64_t eoe_;
  record::EventAssembler assembler_;
  record::Interpreter interpreter_;
  search::SearchItems items_;
  record::Event event_;  // reused for every event
  search::Interpretations interp_;
  const record::Event* ev_ = nullptr;
  std::unordered_map<std::uint32_t, std::string> names_;
  SummaryData sd_;
  StringTally strings_, avc_objs_;
  IntTally types_;
  std::optional<Stamp> file_first_;
  Stamp file_last_, very_first_, very_last_;
  unsigned line_item_ = 0;
  bool found_ = false;
  std::string buf_;
  std::uint64_t date_sec_ = 0;
  std::string date_text_;
};

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
        append_octal(out, u);
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
  Reporter reporter(opts, out, err, eoe);
  reporter.title();
  if (reporter.unimplemented_summary()) {
    reporter.flush();
    std::fputs("Unimplemented option\n", err);
    return 1;
  }
  search::InputChoice choice{opts.input, opts.force_logs, conf.log_file, env.stdin_fd};
  int rc = search::read_inputs(choice, reporter, nullptr, err);
  if (rc) {
    reporter.flush();
    return rc;
  }
  return reporter.finish();
}

}  // namespace bpfaudit::report
