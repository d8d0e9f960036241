// The daemon keeps each log's history index beside it through rotations.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <functional>
#include <thread>
#include <vector>

#include "auditd_conf.h"
#include "history_index.h"
#include "log_file.h"
#include "memstream.h"
#include "search.h"
#include "unique_fd.h"

namespace {

namespace fs = std::filesystem;
using bpfaudit::search::HistoryIndex;

bool index_fits(const std::string& log) {
  bpfaudit::base::UniqueFd fd(::open(log.c_str(), O_RDONLY));
  std::string why;
  return fd && HistoryIndex::load(log, fd.get(), &why).has_value();
}

std::string lines(int first, int n) {
  std::string s;
  for (int i = first; i < first + n; ++i)
    s += "type=USER msg=audit(" + std::to_string(1000 + i) + ".000:" + std::to_string(i) +
         "): pid=1 uid=0 auid=0 ses=1 msg='op=x res=success'\n";
  return s;
}

// Events of two records (SYSCALL, PATH) with keys k0..k4 and pids 100..110;
// event 37 has key "needle".
std::string events(int first, int n) {
  std::string s;
  for (int i = first; i < first + n; ++i) {
    const std::string stamp =
        "msg=audit(" + std::to_string(5000 + i / 4) + "." + std::to_string(100 + i % 4 * 200) + ":" +
        std::to_string(i + 1) + "):";
    s += "type=SYSCALL " + stamp + " arch=c000003e syscall=2 success=" + (i % 9 ? "yes" : "no") +
         " exit=3 a0=1 a1=2 a2=0 a3=0 items=1 ppid=1 pid=" + std::to_string(100 + i % 11) +
         " auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 "
         "fsgid=1000 tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"" +
         (i == 37 ? std::string("needle") : "k" + std::to_string(i % 5)) + "\"\n";
    s += "type=PATH " + stamp + " item=0 name=\"/etc/f" + std::to_string(i % 13) + "\" inode=1\n";
  }
  return s;
}

// The index the builder makes of the whole log as it is now.
std::string rebuilt_index(const std::string& log) {
  bpfaudit::base::UniqueFd fd(::open(log.c_str(), O_RDONLY));
  auto bytes = bpfaudit::search::make_index(fd.get(), bpfaudit::search::kDefaultIndexBlock, 2);
  return bytes.ok() ? *bytes : std::string("error");
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct SearchRun {
  int rc;
  std::string out, err;
};
// ausearch -if INPUT --raw with the criteria `set` sets, with the index or
// without (BPFAUDIT_NO_INDEX=1).
template <class Set>
SearchRun search(const std::string& input, Set set, bool use_index) {
  bpfaudit::search::Options o;
  o.input = input;
  o.criteria.format = bpfaudit::search::ReportFormat::kRaw;
  set(o.criteria);
  ::setenv(use_index ? "BPFAUDIT_INDEX_STATS" : "BPFAUDIT_NO_INDEX", "1", 1);
  bpfaudit::testing::MemStream out, err;
  bpfaudit::search::Environment env;
  env.auditd_conf = "/nonexistent/auditd.conf";
  int rc = bpfaudit::search::run(o, out.file(), err.file(), env);
  ::unsetenv("BPFAUDIT_INDEX_STATS");
  ::unsetenv("BPFAUDIT_NO_INDEX");
  return {rc, out.str(), err.str()};
}

// The searches the tests compare: a key in one event, a pid, -sv no, a
// time window, none matching.
void expect_same_searches(const std::string& input, const std::string& what) {
  using bpfaudit::search::Criteria;
  std::vector<std::function<void(Criteria&)>> sets = {
      [](Criteria& c) { c.key = "needle"; },
      [](Criteria& c) { c.pid = 104; },
      [](Criteria& c) { c.success = bpfaudit::search::Success::kFailed; },
      [](Criteria& c) {
        c.start_time = 5010;
        c.end_time = 5012;
      },
      [](Criteria& c) { c.key = "absent"; },
  };
  for (std::size_t i = 0; i < sets.size(); ++i) {
    SearchRun full = search(input, sets[i], false), fast = search(input, sets[i], true);
    EXPECT_EQ(fast.rc, full.rc) << what << " search " << i;
    EXPECT_EQ(fast.out, full.out) << what << " search " << i;
    // Each but the last finds something (the comparison is not of two
    // empty outputs).
    EXPECT_EQ(full.out.empty(), i + 1 == sets.size()) << what << " search " << i << full.err;
    // With the index: only the "index:" statistics lines are added.
    std::string plain;
    for (std::size_t pos = 0; pos < fast.err.size();) {
      std::size_t nl = fast.err.find('\n', pos);
      nl = nl == std::string::npos ? fast.err.size() : nl + 1;
      if (fast.err.compare(pos, 6, "index:") != 0) plain += fast.err.substr(pos, nl - pos);
      pos = nl;
    }
    EXPECT_EQ(plain, full.err) << what << " search " << i;
  }
}

bool wait_for(const std::function<bool()>& done, int ms = 20000) {
  for (int waited = 0; waited < ms; waited += 10) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class ActiveLogIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bpfaudit-activeidx-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    conf_.log_file = (dir_ / "audit.log").string();
    conf_.num_logs = 4;
    conf_.max_log_file = 100;  // MiB: only rotate_now rotates
    conf_.max_log_file_action = bpfaudit::record::SizeAction::kRotate;
  }
  void TearDown() override {
    ::unsetenv("BPFAUDIT_DAEMON_INDEX_REFRESH");
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
  bpfaudit::record::AuditdConf conf_;
};

TEST_F(ActiveLogIndex, TheLogBeingWrittenGetsAnIndexAsItGrows) {
  // Every 16 KiB written; no idle refresh within the test.
  ::setenv("BPFAUDIT_DAEMON_INDEX_REFRESH", "16384,600000", 1);
  bpfaudit::collector::LogFile log(conf_, [](int, const std::string&) {});
  ASSERT_TRUE(log.open());
  for (int batch = 0; batch < 40; ++batch) log.write(events(batch * 20, 20), 40);
  const std::string& path = conf_.log_file;
  ASSERT_GT(fs::file_size(path), 16384u * 4);
  // The worker extends the index on its own while the log stays open.
  ASSERT_TRUE(wait_for([&] { return log.indexer().refreshes() >= 1 && index_fits(path); }));
  bpfaudit::base::UniqueFd fd(::open(path.c_str(), O_RDONLY));
  auto idx = HistoryIndex::load(path, fd.get());
  ASSERT_TRUE(idx);
  EXPECT_GT(idx->covered(), 16384u);
  EXPECT_LE(idx->covered(), fs::file_size(path));
  // Searched as the daemon still writes: the covered part through the
  // index, the rest in full; what it writes is the full read's.
  expect_same_searches(path, "while writing");
  auto fast = search(path, [](bpfaudit::search::Criteria& c) { c.key = "needle"; }, true);
  EXPECT_NE(fast.err.find("index: 1 files, 1 indexed"), std::string::npos) << fast.err;
  EXPECT_NE(fast.out.find("key=\"needle\""), std::string::npos);
  // More written: refreshed again, each time extending what it had.
  const std::uint64_t before = log.indexer().refreshes();
  for (int batch = 40; batch < 60; ++batch) log.write(events(batch * 20, 20), 40);
  ASSERT_TRUE(wait_for([&] { return log.indexer().refreshes() > before; }));
  expect_same_searches(path, "after more");
}

TEST_F(ActiveLogIndex, AnIdleLogIsIndexedToItsEnd) {
  // No refresh by size; 100 ms without a write.
  ::setenv("BPFAUDIT_DAEMON_INDEX_REFRESH", "0,100", 1);
  bpfaudit::collector::LogFile log(conf_, [](int, const std::string&) {});
  ASSERT_TRUE(log.open());
  log.write(events(0, 300), 600);
  const std::string& path = conf_.log_file;
  auto covered = [&]() -> std::uint64_t {
    bpfaudit::base::UniqueFd fd(::open(path.c_str(), O_RDONLY));
    auto idx = HistoryIndex::load(path, fd.get());
    return idx ? idx->covered() : 0;
  };
  ASSERT_TRUE(wait_for([&] { return covered() == fs::file_size(path); }));
  // What the refresh wrote is what `bpfaudit index --force` writes.
  EXPECT_EQ(file_bytes(path + ".bpfidx"), rebuilt_index(path));
  log.write(events(300, 50), 100);
  ASSERT_TRUE(wait_for([&] { return covered() == fs::file_size(path); }));
  EXPECT_EQ(file_bytes(path + ".bpfidx"), rebuilt_index(path));
  // (Counted once the worker is back from renaming the index in place.)
  EXPECT_TRUE(wait_for([&] { return log.indexer().refreshes() >= 2; }));
}

TEST_F(ActiveLogIndex, RotationsAndExitLeaveEachLogItsFullIndex) {
  ::setenv("BPFAUDIT_DAEMON_INDEX_REFRESH", "8192,50", 1);
  {
    bpfaudit::collector::LogFile log(conf_, [](int, const std::string&) {});
    ASSERT_TRUE(log.open());
    for (int round = 0; round < 3; ++round) {
      for (int batch = 0; batch < 10; ++batch) log.write(events(round * 1000 + batch * 20, 20), 40);
      // Let a refresh of the active log start or finish before some rotations.
      if (round == 1) wait_for([&] { return log.indexer().refreshes() >= 1; });
      log.rotate_now();
    }
    log.write(events(5000, 30), 60);
  }  // at exit: the current log's index extended to its end
  const std::string base = conf_.log_file;
  for (const std::string& f : {base, base + ".1", base + ".2", base + ".3"}) {
    ASSERT_TRUE(fs::exists(f + ".bpfidx")) << f;
    EXPECT_TRUE(index_fits(f)) << f;
    // Each covers its whole log, byte for byte the index a rebuild makes.
    EXPECT_EQ(file_bytes(f + ".bpfidx"), rebuilt_index(f)) << f;
  }
  // audit.log.3 is the first file written (events 0-199).
  bpfaudit::base::UniqueFd fd(::open((base + ".3").c_str(), O_RDONLY));
  auto idx = HistoryIndex::load(base + ".3", fd.get());
  ASSERT_TRUE(idx);
  EXPECT_EQ(idx->blocks().front().min_sec, 5000u);
  expect_same_searches(dir_.string(), "rotated directory");
}

TEST_F(ActiveLogIndex, AKillMidRefreshLeavesNoIndexThatIsTrustedWrongly) {
  // A daemon killed (SIGKILL) at random points while it writes and
  // refreshes every 4 KiB: what it leaves is the old index, the new one,
  // or a temporary file that nothing reads; a search with what is there
  // writes what the full read writes. Restarted on the same log each time.
  const std::string& path = conf_.log_file;
  int indexed_runs = 0;
  std::srand(static_cast<unsigned>(::getpid()));
  for (int run = 0; run < 8; ++run) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::setenv("BPFAUDIT_DAEMON_INDEX_REFRESH", "4096,20", 1);
      bpfaudit::collector::LogFile log(conf_, [](int, const std::string&) {});
      if (!log.open()) ::_exit(2);
      for (int batch = 0;; ++batch) {
        log.write(events(run * 100000 + batch * 10, 10), 20);
        ::usleep(200);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + std::rand() % 120));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "run " << run;
    if (fs::exists(path + ".bpfidx")) {
      std::string why;
      bpfaudit::base::UniqueFd fd(::open(path.c_str(), O_RDONLY));
      if (HistoryIndex::load(path, fd.get(), &why)) ++indexed_runs;
    }
    expect_same_searches(path, "after kill " + std::to_string(run));
  }
  // The kills did leave usable indexes to compare with (4 KiB refreshes).
  EXPECT_GE(indexed_runs, 4);
}

TEST(LogIndexer, RotatedLogsKeepTheirIndexes) {
  fs::path dir = fs::temp_directory_path() / ("bpfaudit-logidx-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  bpfaudit::record::AuditdConf conf;
  conf.log_file = (dir / "audit.log").string();
  conf.num_logs = 3;
  conf.max_log_file = 100;  // MiB: only rotate_now rotates
  conf.max_log_file_action = bpfaudit::record::SizeAction::kRotate;
  {
    bpfaudit::collector::LogFile log(conf, [](int, const std::string&) {});
    ASSERT_TRUE(log.open());
    log.write(lines(0, 100), 100);
    log.rotate_now();  // first file -> audit.log.1, indexed in the background
    log.write(lines(100, 100), 100);
    log.rotate_now();  // -> audit.log.1 again; the first is audit.log.2 with its index
    log.write(lines(200, 50), 50);
    log.rotate_now();  // num_logs 3: the first file is gone, and its index
    log.write(lines(250, 10), 10);
  }  // at exit: the current log is indexed too
  const std::string base = conf.log_file;
  for (const std::string& f : {base, base + ".1", base + ".2"}) {
    EXPECT_TRUE(fs::exists(f + ".bpfidx")) << f;
    EXPECT_TRUE(index_fits(f)) << f;
  }
  EXPECT_FALSE(fs::exists(base + ".3"));
  EXPECT_FALSE(fs::exists(base + ".3.bpfidx"));
  // The index of audit.log.2 describes the second file written (records
  // 100-199): its first block starts with record 100's time.
  bpfaudit::base::UniqueFd fd(::open((base + ".2").c_str(), O_RDONLY));
  auto idx = HistoryIndex::load(base + ".2", fd.get());
  ASSERT_TRUE(idx);
  EXPECT_EQ(idx->blocks().front().min_sec, 1100u);
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
