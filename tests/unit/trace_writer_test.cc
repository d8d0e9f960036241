// RecordWriter: output order and completeness through its I/O thread, with
// a sink slower than the formatting, and a sink that fails part way.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

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

probe::SyscallEvent event(std::uint64_t n) {
  probe::SyscallEvent ev;
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
    w.write_loss("ringbuf-full-syscall", 3, 42);
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
  std::size_t loss = sink.text_.find("type=DAEMON_ERR", pos);
  ASSERT_NE(loss, std::string::npos);
  EXPECT_NE(sink.text_.find("reason=ringbuf-full-syscall lost=3 pid=42", loss), std::string::npos);
  EXPECT_EQ(sink.text_.find("type=SYSCALL", loss), std::string::npos);
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
