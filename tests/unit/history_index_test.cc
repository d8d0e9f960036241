// The history index: when an index is trusted, what it rules out, and that
// a search with it writes what the full read writes (including when it has
// to start again).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "history_index.h"
#include "log_reader.h"
#include "memstream.h"
#include "search.h"
#include "unique_fd.h"

namespace bpfaudit::search {
namespace {

namespace fs = std::filesystem;

// One exec-like event of four records: SYSCALL, CWD, PATH, EOE.
std::string event(std::uint64_t sec, std::uint64_t serial, int pid, const std::string& key,
                  const char* exe = "/usr/bin/cat") {
  std::string stamp = "msg=audit(" + std::to_string(sec) + ".000:" + std::to_string(serial) + "):";
  return "type=SYSCALL " + stamp + " arch=c000003e syscall=2 success=yes exit=3 a0=1 a1=2 a2=0 a3=0 items=1 ppid=1 pid=" +
         std::to_string(pid) + " auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"cat\" exe=\"" +
         exe + "\" key=\"" + key + "\"\n" + "type=CWD " + stamp + " cwd=\"/root\"\n" +
         "type=PATH " + stamp + " item=0 name=\"/etc/passwd\" inode=1 dev=fd:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n" +
         "type=EOE " + stamp + "\n";
}

class HistoryIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bpfaudit-idx-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    log_ = (dir_ / "audit.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // 600 events, one a second (two records per event fill a 4 KiB block
  // about every 9 events); "beta" only in events 300 and 301, pid 4242 only
  // in event 450.
  std::string history(int events = 600) {
    std::string s;
    for (int i = 0; i < events; ++i)
      s += event(1000 + i, i + 1, i == 450 ? 4242 : 100 + i % 7, i == 300 || i == 301 ? "beta" : "alpha");
    return s;
  }
  void write(const std::string& text, bool append = false) {
    std::ofstream f(log_, append ? std::ios::app : std::ios::trunc);
    f << text;
  }
  std::optional<HistoryIndex> load(std::string* why) {
    base::UniqueFd fd(::open(log_.c_str(), O_RDONLY));
    return HistoryIndex::load(log_, fd.get(), why);
  }
  // ausearch -if LOG ARGS... --raw, with or without the index.
  struct Run {
    int rc;
    std::string out, err;
  };
  // Searches opts.input, the test's log when none is set.
  Run search(Options opts, bool use_index) {
    if (!opts.input) opts.input = log_;
    opts.criteria.format = ReportFormat::kRaw;
    if (use_index)
      ::setenv("BPFAUDIT_INDEX_STATS", "1", 1);
    else
      ::setenv("BPFAUDIT_NO_INDEX", "1", 1);
    testing::MemStream out, err;
    Environment env;
    env.auditd_conf = "/nonexistent/auditd.conf";
    int rc = run(opts, out.file(), err.file(), env);
    ::unsetenv("BPFAUDIT_INDEX_STATS");
    ::unsetenv("BPFAUDIT_NO_INDEX");
    return {rc, out.str(), err.str()};
  }
  // The stderr of an indexed run without its "index:" and NOTE lines.
  static std::string plain_err(const std::string& err) {
    std::string out;
    std::size_t pos = 0;
    while (pos < err.size()) {
      std::size_t nl = err.find('\n', pos);
      std::string line = err.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos + 1);
      if (line.rfind("index:", 0) != 0) out += line;
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    return out;
  }
  // The block counts of an indexed run's "index:" line
  // (BPFAUDIT_INDEX_STATS) over `files` files, all indexed.
  static bool read_block_stats(const std::string& err, int files, std::size_t& read,
                               std::size_t& in_part, std::size_t& skipped) {
    const std::size_t at = err.find("index:");
    if (at == std::string::npos) return false;
    const std::string format = "index: " + std::to_string(files) + " files, " +
                               std::to_string(files) +
                               " indexed, blocks read %zu (%zu in part), skipped %zu";
    return std::sscanf(err.c_str() + at, format.c_str(), &read, &in_part, &skipped) == 3;
  }

  fs::path dir_;
  std::string log_;
};

// A log that makes events share blocks: records of two events interleaved,
// records of other nodes, late (out of order) events, a line that is no
// record, and a USER_LOGIN run.
std::string mixed_history(int events) {
  std::string s;
  for (int i = 0; i < events; ++i) {
    const std::uint64_t sec = 1000 + i;
    if (i % 11 == 5) {
      // Two events whose records alternate.
      std::string a = event(sec, 10000 + i, 7, "inter"), b = event(sec, 20000 + i, 8, "inter");
      std::size_t pa = 0, pb = 0;
      while (pa < a.size() || pb < b.size()) {
        if (pa < a.size()) {
          std::size_t e = a.find('\n', pa) + 1;
          s += a.substr(pa, e - pa);
          pa = e;
        }
        if (pb < b.size()) {
          std::size_t e = b.find('\n', pb) + 1;
          s += b.substr(pb, e - pb);
          pb = e;
        }
      }
      continue;
    }
    std::string e = event(i % 13 == 3 ? sec - 5 : sec, i + 1, 100 + i % 9, i % 17 == 0 ? "rare" : "alpha");
    if (i % 7 == 2) {
      std::string n;
      for (std::size_t pos = 0; pos < e.size();) {
        std::size_t end = e.find('\n', pos) + 1;
        n += "node=host" + std::to_string(i % 3) + " " + e.substr(pos, end - pos);
        pos = end;
      }
      e = n;
    }
    s += e;
    if (i % 19 == 4) s += "not a record line\n";
    if (i % 23 == 6)
      s += "type=USER_LOGIN msg=audit(" + std::to_string(sec) + ".500:" + std::to_string(30000 + i) +
           "): pid=1 uid=0 auid=1 ses=1 msg='op=login acct=\"x\" res=failed'\n";
  }
  return s;
}

// The index the builder makes of the whole log as it is now.
std::string full_index(const std::string& log, std::uint32_t block) {
  base::UniqueFd fd(::open(log.c_str(), O_RDONLY));
  auto bytes = make_index(fd.get(), block, 2);
  return bytes.ok() ? *bytes : std::string("error");
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST_F(HistoryIndexTest, ExtendingAnIndexGivesTheRebuildsBytes) {
  const std::string text = mixed_history(900);
  for (std::uint32_t block : {4096u, 16384u}) {
    // Cut points at a line end and inside lines, then grown in two steps.
    for (double first : {0.1, 0.37, 0.5, 0.81}) {
      const std::size_t a = static_cast<std::size_t>(text.size() * first);
      const std::size_t b = a + (text.size() - a) / 2 + 17;
      write(text.substr(0, a));
      ASSERT_TRUE(build_index(log_, block).ok());
      for (std::size_t upto : {b, text.size()}) {
        write(text.substr(0, upto));  // the same inode: ofstream truncates, then writes
        auto st = build_index(log_, block, 2, true);
        ASSERT_TRUE(st.ok()) << st.error().text();
        // Only the blocks from the old last one's run of shared events
        // were read again.
        EXPECT_GT(st->reused, 0u) << block << " " << first;
        EXPECT_LT(st->reused, upto);
        EXPECT_EQ(file_bytes(index_path_for(log_)), full_index(log_, block))
            << "block " << block << " cut " << first << " upto " << upto;
      }
    }
  }
}

TEST_F(HistoryIndexTest, AnIndexThatNoLongerFitsIsRebuiltNotExtended) {
  std::string text = history(300);
  write(text.substr(0, text.size() / 2));
  ASSERT_TRUE(build_index(log_, 4096).ok());
  // A byte of the covered part's first 4 KiB changed, and lines appended.
  std::string edited = text;
  edited[100] = edited[100] == '1' ? '2' : '1';
  write(edited);
  auto st = build_index(log_, 4096, 2, true);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->reused, 0u);
  EXPECT_EQ(file_bytes(index_path_for(log_)), full_index(log_, 4096));
  // An index of another block size is rebuilt at the size asked for.
  write(edited + history(10));
  st = build_index(log_, 8192, 2, true);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->reused, 0u);
  EXPECT_EQ(file_bytes(index_path_for(log_)), full_index(log_, 8192));
}

TEST_F(HistoryIndexTest, FreshIndexLoadsAndCoversTheLog) {
  write(history());
  auto st = build_index(log_, 4096);
  ASSERT_TRUE(st.ok()) << st.error().text();
  EXPECT_EQ(st->covered, fs::file_size(log_));
  EXPECT_EQ(st->records, 600u * 4);
  EXPECT_GT(st->blocks, 50u);
  // Written by rename: no temporary file is left beside it.
  int files = 0;
  for (auto& e : fs::directory_iterator(dir_)) (void)e, ++files;
  EXPECT_EQ(files, 2);
  std::string why;
  auto idx = load(&why);
  ASSERT_TRUE(idx) << why;
  EXPECT_EQ(idx->covered(), fs::file_size(log_));
  // Blocks tile the log, each starting at a line.
  std::uint64_t at = 0;
  for (const auto& b : idx->blocks()) {
    EXPECT_EQ(b.start, at);
    at = b.end;
  }
  EXPECT_EQ(at, fs::file_size(log_));
}

TEST_F(HistoryIndexTest, PartialLastLineIsLeftUncovered) {
  std::string text = history(50);
  write(text + "type=SYSCALL msg=audit(2000.000:9999): arch=c000003e sysc");
  ASSERT_TRUE(build_index(log_, 4096).ok());
  std::string why;
  auto idx = load(&why);
  ASSERT_TRUE(idx) << why;
  EXPECT_EQ(idx->covered(), text.size());
}

TEST_F(HistoryIndexTest, AppendedLogKeepsTheCoveredPrefix) {
  write(history(100));
  ASSERT_TRUE(build_index(log_, 4096).ok());
  const auto before = fs::file_size(log_);
  write(event(5000, 7000, 9, "late"), true);
  std::string why;
  auto idx = load(&why);
  ASSERT_TRUE(idx) << why;
  EXPECT_EQ(idx->covered(), before);
}

TEST_F(HistoryIndexTest, MismatchedIndexesAreIgnored) {
  write(history(100));
  ASSERT_TRUE(build_index(log_, 4096).ok());
  const std::string idx_path = index_path_for(log_);
  std::string good;
  ASSERT_TRUE(record::read_file(idx_path, good));
  std::string why;

  // Truncated log.
  fs::resize_file(log_, fs::file_size(log_) - 100);
  EXPECT_FALSE(load(&why));
  EXPECT_EQ(why, "log shorter than covered");

  // Rewritten in place, same size: another modification time.
  write(history(100));
  std::ofstream(idx_path, std::ios::trunc) << good;
  // The rewrite above made a new file content-equal; the inode is the same
  // but the time differs.
  EXPECT_FALSE(load(&why));
  EXPECT_EQ(why, "log modified");

  // Edited within its first 4 KiB with the old time put back: the hash of
  // the covered content's first 4 KiB tells.
  ASSERT_TRUE(build_index(log_, 4096).ok());
  struct stat st {};
  ASSERT_EQ(::stat(log_.c_str(), &st), 0);
  {
    std::fstream f(log_, std::ios::in | std::ios::out);
    f.seekp(40);
    f << "X";
  }
  timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, log_.c_str(), times, 0), 0);
  EXPECT_FALSE(load(&why));
  EXPECT_EQ(why, "log content changed");

  // Another file's index (another inode).
  write(history(100));
  ASSERT_TRUE(build_index(log_, 4096).ok());
  std::string other = (dir_ / "other.log").string();
  fs::copy_file(log_, other);
  fs::copy_file(idx_path, index_path_for(other));
  {
    base::UniqueFd fd(::open(other.c_str(), O_RDONLY));
    EXPECT_FALSE(HistoryIndex::load(other, fd.get(), &why));
    EXPECT_EQ(why, "another file");
  }

  // A torn index (a crash mid-write without the rename) and a changed byte.
  std::string bytes;
  ASSERT_TRUE(record::read_file(idx_path, bytes));
  std::ofstream(idx_path, std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  EXPECT_FALSE(load(&why));
  EXPECT_EQ(why, "index truncated");
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 1;
  std::ofstream(idx_path, std::ios::trunc) << flipped;
  EXPECT_FALSE(load(&why));
  EXPECT_EQ(why, "index checksum");
  std::ofstream(idx_path, std::ios::trunc) << "BPFAIDX9" << bytes.substr(8);
  EXPECT_FALSE(load(&why));
  EXPECT_EQ(why, "not an index");
  std::ofstream(idx_path, std::ios::trunc) << bytes;
  EXPECT_TRUE(load(&why)) << why;
}

TEST_F(HistoryIndexTest, SummariesRuleOutBlocksWithoutTheValue) {
  write(history());
  ASSERT_TRUE(build_index(log_, 4096).ok());
  std::string why;
  auto idx = load(&why);
  ASSERT_TRUE(idx) << why;
  Criteria c;
  c.key = "beta";
  auto q = make_index_query(c, 2);
  ASSERT_TRUE(q);
  ASSERT_EQ(q->terms.size(), 1u);
  // Events 300 and 301 start at byte offsets the log itself gives.
  const std::string text = history();
  const auto beta_at = text.find("key=\"beta\"");
  std::size_t may = 0;
  for (std::size_t b = 0; b < idx->blocks().size(); ++b) {
    const auto& blk = idx->blocks()[b];
    bool holds = beta_at >= blk.start && beta_at < blk.end;
    std::uint32_t m = idx->prune_mask(b, *q);
    if (holds) {
      EXPECT_EQ(m, 0u);
    }
    if (m == 0) ++may;
  }
  EXPECT_GE(may, 1u);
  EXPECT_LE(may, 2u);  // both events can straddle one boundary

  // Substring search, as stock's -k: "et" is inside "beta".
  c.key = "et";
  q = make_index_query(c, 2);
  std::size_t may_sub = 0;
  for (std::size_t b = 0; b < idx->blocks().size(); ++b) may_sub += idx->prune_mask(b, *q) == 0;
  EXPECT_EQ(may_sub, may);

  // pid 4242 only in event 450; pid 101 in every seventh event.
  Criteria p;
  p.pid = 4242;
  q = make_index_query(p, 2);
  std::size_t pid_blocks = 0;
  for (std::size_t b = 0; b < idx->blocks().size(); ++b) pid_blocks += idx->prune_mask(b, *q) == 0;
  EXPECT_GE(pid_blocks, 1u);
  EXPECT_LE(pid_blocks, 3u);  // one block, plus Bloom false positives (about 1%)

  // Outside -ts/-te: the first block's records are at 1000-1010.
  Criteria t;
  t.start_time = 1300;
  q = make_index_query(t, 2);
  EXPECT_TRUE(idx->outside_time(0, *q));
  EXPECT_FALSE(idx->outside_time(idx->blocks().size() - 1, *q));

  // --debug writes lines for events that do not match: no index.
  Criteria d;
  d.debug = true;
  EXPECT_FALSE(make_index_query(d, 2));
  EXPECT_FALSE(make_index_query(c, 0));
}

TEST_F(HistoryIndexTest, PlaceholdersAreTheRecordsThatCanOpenEvents) {
  // A SYSCALL-led event needs one placeholder (the rest join it); a run of
  // single-record USER_LOGINs of one identity needs each of them.
  std::string text = event(1000, 1, 5, "k");
  text += "type=USER_LOGIN msg=audit(1001.000:2): pid=1 uid=0 auid=1 ses=1 msg='op=login res=success'\n";
  text += "type=USER_LOGIN msg=audit(1001.000:2): pid=1 uid=0 auid=1 ses=1 msg='op=login res=failed'\n";
  write(text);
  ASSERT_TRUE(build_index(log_, 4096).ok());
  std::string why;
  auto idx = load(&why);
  ASSERT_TRUE(idx) << why;
  ASSERT_EQ(idx->blocks().size(), 1u);
  std::vector<record::RecordHeader> hs;
  idx->placeholders(0, hs);
  ASSERT_EQ(hs.size(), 3u);
  EXPECT_EQ(hs[0].id.serial, 1u);
  EXPECT_EQ(hs[0].type, 1300);  // AUDIT_SYSCALL: an event that stays open
  EXPECT_EQ(hs[1].id.sec, 1001u);
  EXPECT_EQ(hs[1].type, hs[2].type);
}

TEST_F(HistoryIndexTest, SearchWithIndexWritesWhatTheFullReadWrites) {
  write(history());
  ASSERT_TRUE(build_index(log_, 4096).ok());
  for (int which = 0; which < 4; ++which) {
    Options o;
    if (which == 0) o.criteria.key = "beta";
    if (which == 1) o.criteria.pid = 4242;
    if (which == 2) o.criteria.key = "nothing";
    if (which == 3) {
      o.criteria.start_time = 1200;
      o.criteria.end_time = 1210;
    }
    Run full = search(o, false), fast = search(o, true);
    EXPECT_EQ(fast.rc, full.rc) << which;
    EXPECT_EQ(fast.out, full.out) << which;
    EXPECT_EQ(plain_err(fast.err), full.err) << which;
    EXPECT_NE(fast.err.find("skipped"), std::string::npos) << fast.err;
    EXPECT_EQ(fast.err.find("restarted"), std::string::npos) << fast.err;
    // This log is in order: skipped blocks need no placeholders.
    if (which < 3) {
      EXPECT_EQ(fast.err.find("(0 without"), std::string::npos) << fast.err;
    }
  }
  // The key's two events, as the log holds them (raw output is the records).
  Options o;
  o.criteria.key = "beta";
  Run r = search(o, true);
  EXPECT_EQ(r.out, event(1300, 301, 106, "beta") + event(1301, 302, 100, "beta"));
}

TEST_F(HistoryIndexTest, AnEventTheIndexDidNotSeeMakesTheSearchStartAgain) {
  // Built with a 1 s end-of-event timeout, the index sees event 1's late
  // record (time 1000, after 1001 opened an event) as a new event; searched
  // with 5 s it joins event 1, whose block is skipped: placeholders and a
  // real record in one event, so the run starts again without the index.
  std::string text = event(1000, 1, 7, "alpha");
  for (int i = 1; i < 200; ++i) text += event(1001, 10 + i, 8, "alpha");
  text += "type=PATH msg=audit(1000.000:1): item=1 name=\"/late\" inode=2 dev=fd:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n";
  // The block with the late record is read: it holds the only "beta".
  for (int i = 0; i < 100; ++i) text += event(1002, 500 + i, 9, i == 0 ? "beta" : "alpha");
  write(text);
  ASSERT_TRUE(build_index(log_, 4096, 1).ok());
  Options o;
  o.criteria.key = "beta";
  o.eoe_timeout = 5;
  Run full = search(o, false), fast = search(o, true);
  EXPECT_EQ(fast.out, full.out);
  EXPECT_EQ(plain_err(fast.err), full.err);
  EXPECT_EQ(fast.rc, full.rc);
  EXPECT_NE(fast.err.find("restarted"), std::string::npos) << fast.err;
  EXPECT_NE(full.out.find("beta"), std::string::npos);
}

// One USER_LOGIN event (a one-record event).
std::string user_login(std::uint64_t sec, std::uint64_t serial, bool failed) {
  return "type=USER_LOGIN msg=audit(" + std::to_string(sec) + ".000:" + std::to_string(serial) +
         "): pid=77 uid=0 auid=1000 ses=5 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" "
         "hostname=10.0.0.1 addr=10.0.0.1 terminal=ssh res=" +
         (failed ? "failed" : "success") + "'\n";
}

TEST_F(HistoryIndexTest, FailedLoginsAreReadAloneFromTheirBlocks) {
  // 600 events with a successful login after every tenth; two failed ones,
  // after events 100 and 430: each block is read only where a run of
  // records may be a failure (the two logins, and the file's first and
  // last runs, which a rotation may have cut).
  std::string text, want;
  for (int i = 0; i < 600; ++i) {
    text += event(1000 + i, 2 * i + 1, 100 + i % 7, "alpha");
    if (i % 10 == 0 || i == 430) {
      const bool failed = i == 100 || i == 430;
      std::string l = user_login(1000 + i, 2 * i + 2, failed);
      text += l;
      if (failed) want += l;
    }
  }
  write(text);
  ASSERT_TRUE(build_index(log_, 4096).ok());
  for (int which = 0; which < 3; ++which) {
    Options o;
    o.criteria.success = Success::kFailed;
    if (which == 0) o.criteria.message_types = {1112};  // USER_LOGIN
    if (which == 2) {
      // -ts inside the history: the first run is not in the window.
      o.criteria.start_time = 1050;
      o.criteria.message_types = {1112};
    }
    Run full = search(o, false), fast = search(o, true);
    EXPECT_EQ(fast.rc, full.rc) << which;
    EXPECT_EQ(fast.out, full.out) << which;
    EXPECT_EQ(plain_err(fast.err), full.err) << which;
    EXPECT_EQ(fast.out, want) << which;
    EXPECT_EQ(fast.err.find("restarted"), std::string::npos) << fast.err;
    // Blocks read in part: the two logins' and the edges', at most four.
    std::size_t read = 0, in_part = 0, skipped = 0;
    ASSERT_TRUE(read_block_stats(fast.err, 1, read, in_part, skipped)) << fast.err;
    EXPECT_EQ(in_part, read) << fast.err;
    EXPECT_LE(read, 4u) << fast.err;
    EXPECT_GE(read, which == 2 ? 2u : 3u) << fast.err;
  }
  // -sv yes has no ranges: every block with a login is read whole.
  Options o;
  o.criteria.success = Success::kSuccess;
  o.criteria.message_types = {1112};
  Run full = search(o, false), fast = search(o, true);
  EXPECT_EQ(fast.out, full.out);
  EXPECT_NE(fast.err.find("(0 in part)"), std::string::npos) << fast.err;
}

TEST_F(HistoryIndexTest, AFailureCutByARotationIsFoundInEitherFile) {
  // The older file ends with the SYSCALL (success=no) of event 2; the newer
  // one starts with its CWD and PATH. -m PATH -sv no matches event 2 only
  // through both files: each file's edge run is read.
  const std::string e2 = event(1100, 2000, 9, "alpha");
  std::string e2_failed = e2;
  e2_failed.replace(e2_failed.find("success=yes"), 11, "success=no ");
  const std::size_t cut = e2_failed.find("type=CWD");
  std::string older, newer;
  for (int i = 0; i < 100; ++i) older += event(1000 + i, i + 1, 5, "alpha");
  older += e2_failed.substr(0, cut);
  newer = e2_failed.substr(cut);
  for (int i = 0; i < 100; ++i) newer += event(1101 + i, 2001 + i, 5, "alpha");
  const std::string rotated = log_ + ".1";
  write(newer);
  {
    std::ofstream f(rotated);
    f << older;
  }
  ASSERT_TRUE(build_index(log_, 4096).ok());
  ASSERT_TRUE(build_index(rotated, 4096).ok());
  Options o;
  o.criteria.success = Success::kFailed;
  o.criteria.message_types = {1302};  // PATH
  o.input = dir_.string();
  Run full = search(o, false), fast = search(o, true);
  EXPECT_EQ(full.out, e2_failed);
  EXPECT_EQ(fast.out, full.out);
  EXPECT_EQ(plain_err(fast.err), full.err);
  EXPECT_NE(fast.err.find("index: 2 files, 2 indexed"), std::string::npos) << fast.err;
  EXPECT_EQ(fast.err.find("(0 in part)"), std::string::npos) << fast.err;
  EXPECT_EQ(fast.err.find("restarted"), std::string::npos) << fast.err;
}

TEST_F(HistoryIndexTest, APidIsReadOnlyInThePiecesThatMayHoldIt) {
  // Two rotated files of about 670 KB (64 KiB blocks, 16 KiB pieces): pid
  // 4242 in event 700 of the older one, and in an event the rotation cut
  // (its SYSCALL ends the older file, its CWD, PATH and EOE start the newer
  // one). -p 4242 reads only the pieces whose filter may hold the pid and
  // the files' edge pieces, and writes both events whole.
  const std::string cut_event = event(3000, 5000, 4242, "alpha");
  const std::size_t cut = cut_event.find("type=CWD");
  std::string older, newer, e700;
  for (int i = 0; i < 1500; ++i) {
    std::string e = event(1000 + i, i + 1, i == 700 ? 4242 : 100 + i % 7, "alpha");
    if (i == 700) e700 = e;
    older += e;
  }
  older += cut_event.substr(0, cut);
  newer = cut_event.substr(cut);
  for (int i = 0; i < 1500; ++i) newer += event(3001 + i, 5001 + i, 100 + i % 7, "alpha");
  const std::string rotated = log_ + ".1";
  write(newer);
  {
    std::ofstream f(rotated);
    f << older;
  }
  ASSERT_TRUE(build_index(log_).ok());
  ASSERT_TRUE(build_index(rotated).ok());

  // The older file's index: the block holding event 700 gives a range that
  // holds the event and is a small part of the block.
  {
    base::UniqueFd fd(::open(rotated.c_str(), O_RDONLY));
    std::string why;
    auto idx = HistoryIndex::load(rotated, fd.get(), &why);
    ASSERT_TRUE(idx) << why;
    Criteria c;
    c.pid = 4242;
    auto q = make_index_query(c, 2);
    ASSERT_TRUE(q);
    const std::uint64_t at = older.find(e700);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    bool found = false;
    for (std::size_t b = 0; b < idx->blocks().size(); ++b) {
      const auto& blk = idx->blocks()[b];
      if (at < blk.start || at >= blk.end) continue;
      ASSERT_EQ(idx->prune_mask(b, *q), 0u);
      ASSERT_TRUE(idx->number_ranges(b, *q, ranges));
      std::uint64_t bytes = 0;
      for (const auto& r : ranges) {
        bytes += r.second - r.first;
        if (at >= r.first && at + e700.size() <= r.second) found = true;
      }
      EXPECT_LE(bytes, (blk.end - blk.start) / 2);
    }
    EXPECT_TRUE(found);
  }

  Options o;
  o.criteria.pid = 4242;
  o.input = dir_.string();
  Run full = search(o, false), fast = search(o, true);
  EXPECT_EQ(full.out, e700 + cut_event);
  EXPECT_EQ(fast.out, full.out);
  EXPECT_EQ(fast.rc, full.rc);
  EXPECT_EQ(plain_err(fast.err), full.err);
  EXPECT_EQ(fast.err.find("restarted"), std::string::npos) << fast.err;
  // Every block read is read in part: event 700's and the cut event's two
  // (the newer file's first block is read as the older one ends open).
  std::size_t read = 0, in_part = 0, skipped = 0;
  ASSERT_TRUE(read_block_stats(fast.err, 2, read, in_part, skipped)) << fast.err;
  EXPECT_EQ(in_part, read) << fast.err;
  EXPECT_GE(read, 3u) << fast.err;
  EXPECT_LE(read, 6u) << fast.err;
  EXPECT_GE(skipped, 14u) << fast.err;
}

}  // namespace
}  // namespace bpfaudit::search
