// The daemon keeps each log's history index beside it through rotations.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "auditd_conf.h"
#include "history_index.h"
#include "log_file.h"
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
