// Kernel audit over NETLINK_AUDIT through libaudit: status round trip on any
// kernel, and (guest-only) registering as the audit daemon.
#include <gtest/gtest.h>
#include <libaudit.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include "kernel_env.h"

namespace bpfaudit::test {
namespace {

class AuditFd {
 public:
  AuditFd() : fd_(audit_open()) {}
  ~AuditFd() {
    if (fd_ >= 0) audit_close(fd_);
  }
  AuditFd(const AuditFd&) = delete;
  AuditFd& operator=(const AuditFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads replies until one of `type` arrives (optionally containing `needle`),
// or the timeout passes. Other messages (acks, CONFIG_CHANGE records) are skipped.
std::optional<std::string> wait_for(int fd, int type, const std::string& needle,
                                    std::chrono::milliseconds timeout,
                                    audit_status* status_out = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    audit_reply rep{};
    if (audit_get_reply(fd, &rep, GET_REPLY_NONBLOCKING, 0) <= 0) continue;
    if (rep.type != type) continue;
    if (type == AUDIT_GET) {
      if (status_out) *status_out = *rep.status;
      return std::string();
    }
    std::string text(rep.message ? rep.message : "", rep.message ? rep.len : 0);
    if (text.find(needle) != std::string::npos) return text;
  }
  return std::nullopt;
}

std::optional<audit_status> get_status(int fd) {
  if (audit_request_status(fd) <= 0) return std::nullopt;
  audit_status s{};
  if (!wait_for(fd, AUDIT_GET, "", std::chrono::seconds(5), &s)) return std::nullopt;
  return s;
}

TEST(AuditNetlink, StatusRoundTrip) {
  if (auto why = missing_kernel_facility(); !why.empty()) GTEST_SKIP() << why;
  AuditFd fd;
  ASSERT_GE(fd.get(), 0) << "audit_open: " << strerror(errno);
  auto s = get_status(fd.get());
  ASSERT_TRUE(s) << "no AUDIT_GET reply";
  // enabled is 0, 1 or 2 (locked); failure is AUDIT_FAIL_SILENT/PRINTK/PANIC.
  EXPECT_LE(s->enabled, 2u);
  EXPECT_LE(s->failure, 2u);
  // Every 6.x kernel reports all of the feature bits the uapi header defines.
  EXPECT_EQ(s->feature_bitmap & AUDIT_FEATURE_BITMAP_ALL, (__u32)AUDIT_FEATURE_BITMAP_ALL);
}

// Registers as the audit daemon (AUDIT_SET pid): the kernel then unicasts
// records to us instead of printk. Guest-only because the host's daemon slot
// belongs to someone else.
TEST(AuditDaemonGuestOnly, RegisteredPidReceivesUserMessage) {
  if (auto why = missing_kernel_facility(); !why.empty()) GTEST_SKIP() << why;
  AuditFd daemon;
  AuditFd sender;
  ASSERT_GE(daemon.get(), 0);
  ASSERT_GE(sender.get(), 0);
  auto before = get_status(daemon.get());
  ASSERT_TRUE(before);
  ASSERT_EQ(before->pid, 0u) << "a fresh guest has no audit daemon";

  struct Restore {
    int fd;
    __u32 enabled;
    ~Restore() {
      audit_set_pid(fd, 0, WAIT_YES);
      audit_set_enabled(fd, enabled);
    }
  } restore{daemon.get(), before->enabled};

  ASSERT_GT(audit_set_enabled(daemon.get(), 1), 0);
  ASSERT_GT(audit_set_pid(daemon.get(), getpid(), WAIT_YES), 0);
  auto during = get_status(sender.get());
  ASSERT_TRUE(during);
  EXPECT_EQ(during->pid, (__u32)getpid());
  EXPECT_EQ(during->enabled, 1u);

  std::string nonce = "bpfaudit-vm-nonce-" + std::to_string(getpid());
  ASSERT_GT(
      audit_log_user_message(sender.get(), AUDIT_USER, nonce.c_str(), nullptr, nullptr, nullptr, 1),
      0);
  auto record = wait_for(daemon.get(), AUDIT_USER, nonce, std::chrono::seconds(10));
  ASSERT_TRUE(record) << "AUDIT_USER record with " << nonce << " never reached the daemon socket";
  EXPECT_NE(record->find("pid=" + std::to_string(getpid())), std::string::npos) << *record;
  EXPECT_NE(record->find("res=success"), std::string::npos) << *record;

  ASSERT_GT(audit_set_pid(daemon.get(), 0, WAIT_YES), 0);
  auto after = get_status(sender.get());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->pid, 0u);
}

}  // namespace
}  // namespace bpfaudit::test
