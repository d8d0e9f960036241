// RecordWriter: output order and completeness through its I/O thread, with
// a sink slower than the formatting, and a sink that fails part way.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "record.h"
#include "sink.h"
#include "writer.h"

namespace {

using namespace bpfaudit;

class SlowSink : public trace::RecordSink {
 public:
  explicit SlowSink(int fail_after = -1) : fail_after_(fail_after) {}
  bool write(std::string_view records) override {
    // Each write spans whole records: it starts a line and ends one.
    if (!records.empty() && (records.back() != '\n' || records.substr(0, 5) != "node="))
      torn_ = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (fail_after_ >= 0 && writes_ >= fail_after_) {
      errno = ENOSPC;
      return false;
    }
    ++writes_;
    text_.append(records);
    return true;
  }
  bool close() override { return true; }
  std::string search_command(int) const override { return ""; }
  std::string describe() const override { return "slow"; }

  std::string text_;
  int writes_ = 0;
  bool torn_ = false;

 private:
  int fail_after_;
};

ebpf::SyscallEvent event(std::uint64_t n) {
  ebpf::SyscallEvent ev;
  ev.nr = 1;
  ev.ret = 1;
  ev.args = {n, 0, 0, 0};
  ev.pid = ev.tid = 42;
  ev.comm = "dd";
  ev.exe = "/usr/bin/dd";
  ev.identity = 1;
  return ev;
}

TEST(RecordWriter, EverythingArrivesInOrderThroughASlowSink) {
  SlowSink sink;
  constexpr std::uint64_t kEvents = 40000;  // several 1 MiB buffers
  {
    trace::RecordWriter w(sink, trace::WriterConfig{});
    for (std::uint64_t i = 0; i < kEvents; ++i) w.emit(event(i));
    w.finish();
    EXPECT_FALSE(w.failed());
    EXPECT_GT(sink.writes_, 4);
    w.write_loss(record::LossEntry::ring_drop("autrace/ringbuf-full-syscall", 3, 42));
    EXPECT_EQ(w.events_written(), kEvents);
  }
  EXPECT_FALSE(sink.torn_);
  // Serials 1..kEvents in order, each SYSCALL line followed by its EOE, then
  // the loss record, last.
  std::size_t pos = 0;
  for (std::uint64_t i = 0; i < kEvents; ++i) {
    std::string serial = ":" + std::to_string(i + 1) + "): ";
    std::size_t sc = sink.text_.find("type=SYSCALL", pos);
    ASSERT_NE(sc, std::string::npos) << i;
    std::size_t line_end = sink.text_.find('\n', sc);
    std::string line = sink.text_.substr(sc, line_end - sc);
    ASSERT_NE(line.find(serial), std::string::npos) << line;
    char arg[32];
    std::snprintf(arg, sizeof arg, " a0=%llx ", static_cast<unsigned long long>(i));
    ASSERT_NE(line.find(arg), std::string::npos) << line;
    ASSERT_EQ(sink.text_.compare(line_end + 1, 22, "node=bpfaudit type=EOE"), 0) << i;
    pos = line_end + 1;
  }
  // The loss ledger's ring-drop record, with the next serial, right after
  // the last event's EOE and last of all.
  std::size_t loss = sink.text_.find("node=bpfaudit type=DAEMON_ERR msg=audit(", pos);
  ASSERT_EQ(loss, sink.text_.find('\n', pos) + 1);
  std::string loss_line = sink.text_.substr(loss);
  auto h = record::parse_header(loss_line);
  ASSERT_TRUE(h) << loss_line;
  EXPECT_EQ(h->id.serial, kEvents + 1);
  std::string body = ":" + std::to_string(kEvents + 1) +
                     "): op=ring-drop source=\"autrace/ringbuf-full-syscall\" count=3 pid=42 "
                     "res=failed\n";
  ASSERT_GE(loss_line.size(), body.size());
  EXPECT_EQ(loss_line.substr(loss_line.size() - body.size()), body) << loss_line;
  EXPECT_EQ(loss_line.find('\n'), loss_line.size() - 1) << loss_line;
}

TEST(RecordWriter, AFailedWriteIsReportedWithItsErrno) {
  SlowSink sink(/*fail_after=*/2);
  trace::RecordWriter w(sink, trace::WriterConfig{});
  for (std::uint64_t i = 0; i < 20000; ++i) w.emit(event(i));
  w.finish();
  EXPECT_TRUE(w.failed());
  EXPECT_EQ(w.error(), ENOSPC);
  EXPECT_EQ(sink.writes_, 2);
}

}  // namespace

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Lines of varying length, as records are, totalling a little over 9 MiB:
// more than two of the sink's 4 MiB stages, ending inside a 4 KiB block.
std::vector<std::string> record_lines() {
  std::vector<std::string> lines;
  std::size_t total = 0;
  for (int i = 0; total < (9u << 20) + 1234; ++i) {
    std::string l = "node=bpfaudit type=SYSCALL msg=audit(1.000:" + std::to_string(i) + "): " +
                    std::string(static_cast<std::size_t>(40 + i % 397), 'a' + i % 26) + "\n";
    total += l.size();
    lines.push_back(std::move(l));
  }
  return lines;
}

}  // namespace

// The file sink writes through the page cache, or (asked) whole 4 KiB blocks
// with O_DIRECT where it can and the tail at close: the file must hold
// exactly what was written, in order, either way, on the file system under
// /tmp and when appending to a file that does not end on a block boundary
// (plain writes from the start).
TEST(FileSink, HoldsExactlyWhatWasWrittenDirectOrNot) {
  for (bool direct : {false, true})
  for (std::string before : {std::string(), std::string("an existing line\n")}) {
    SCOPED_TRACE(std::string(direct ? "O_DIRECT asked, " : "page cache, ") +
                 (before.empty() ? "new file" : "appending to an unaligned file"));
    char dir[] = "/tmp/bpfaudit-sink-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/out.log";
    if (!before.empty()) std::ofstream(path) << before;
    bpfaudit::trace::SinkChoice choice;
    choice.output_file = path;
    choice.direct_io = direct;
    auto sink = bpfaudit::trace::open_sink(choice, 1);
    ASSERT_TRUE(sink) << sink.error().text();
    std::string want = before;
    // Writes of all sizes: one line, a few, then a large batch.
    auto lines = record_lines();
    std::string batch;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      want += lines[i];
      batch += lines[i];
      if (i % 1000 == 999 || i < 50 || i + 1 == lines.size()) {
        ASSERT_TRUE((*sink)->write(batch));
        batch.clear();
      }
    }
    ASSERT_TRUE((*sink)->close());
    std::string got = read_all(path);
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want);
    std::remove(path.c_str());
    rmdir(dir);
  }
}
