// RecordWriter: output order and completeness through its I/O thread, with
// a sink slower than the formatting, and a sink that fails part way.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "record.h"
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
