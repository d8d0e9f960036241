// fentry/fexit: an optional path behind a run-time probe. Refused by policy
// (EPERM) on the development host, where the test reports that as its skip
// reason; inside vm-tests guests the same refusal is a failure.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "kernel_env.h"
#include "probe_fentry.skel.h"

namespace bpfaudit::test {
namespace {

struct SkelDestroy {
  void operator()(probe_fentry_bpf* s) const { probe_fentry_bpf__destroy(s); }
};

#ifndef ENOTSUPP
#define ENOTSUPP 524  // kernel-internal "operation not supported", seen by userspace
#endif

TEST(FentryProbe, GetppidEntryAndExitObserved) {
  if (auto why = missing_kernel_facility(); !why.empty()) GTEST_SKIP() << why;
  LibbpfLog log;
  std::unique_ptr<probe_fentry_bpf, SkelDestroy> skel(probe_fentry_bpf__open());
  ASSERT_TRUE(skel) << log.text();
  skel->bss->target_tgid = getpid();

  int err = probe_fentry_bpf__load(skel.get());
  if (err == 0) err = probe_fentry_bpf__attach(skel.get());
  if (err == -EPERM) {
    if (in_vm_guest()) FAIL() << "fentry refused (EPERM) inside a vm-tests guest: " << log.text();
    GTEST_SKIP() << "fentry refused (EPERM)";
  }
  if (err == -ENOTSUPP || err == -EOPNOTSUPP)
    GTEST_SKIP() << "fentry unsupported by this kernel (no BPF trampoline), errno " << -err;
  ASSERT_EQ(err, 0) << "fentry probe failed: " << log.text();
  std::printf("fentry probe: fentry/fexit path active\n");

  // Raw syscalls so libc cannot cache or elide them.
  long ppid = syscall(SYS_getppid);
  syscall(SYS_getppid);
  EXPECT_EQ(skel->bss->entry_count, 2u);
  EXPECT_EQ(skel->data->exit_ret, ppid);
  EXPECT_EQ(ppid, getppid());
}

}  // namespace
}  // namespace bpfaudit::test
