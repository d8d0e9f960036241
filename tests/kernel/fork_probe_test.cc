// tp_btf/sched_process_fork through a minimal CO-RE object (bpf/testing/probe_fork.bpf.c).
// probe_kernel_tests runs it as the control; probe_kernel_tests_broken compiles
// the same test against probe_fork_broken.bpf.o, whose unguarded read of
// task_struct.mm_cid must make it fail on kernels without that field (6.1).
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "kernel_env.h"

#ifdef BPFAUDIT_BROKEN_PROBE
#include "probe_fork_broken.skel.h"
#define FORK_SKEL(suffix) probe_fork_broken_bpf##suffix
#else
#include "probe_fork.skel.h"
#define FORK_SKEL(suffix) probe_fork_bpf##suffix
#endif

namespace bpfaudit::test {
namespace {

using ForkSkel = struct FORK_SKEL();

struct SkelDestroy {
  void operator()(ForkSkel* s) const { FORK_SKEL(__destroy)(s); }
};

TEST(ForkProbe, ChildOfTargetRecordedAtFork) {
  if (auto why = missing_kernel_facility(); !why.empty()) GTEST_SKIP() << why;
  LibbpfLog log;
  std::unique_ptr<ForkSkel, SkelDestroy> skel(FORK_SKEL(__open)());
  ASSERT_TRUE(skel) << log.text();
  skel->bss->target_tgid = getpid();
  ASSERT_EQ(FORK_SKEL(__load)(skel.get()), 0) << "fork probe failed to load: " << log.text();
  ASSERT_EQ(FORK_SKEL(__attach)(skel.get()), 0) << "attach failed: " << log.text();
  std::printf("fork probe: tp_btf/sched_process_fork path active\n");

  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  // The tracepoint fires in the parent's fork before fork() returns the pid.
  EXPECT_EQ(skel->bss->last_child_tgid, (__u32)child);
  EXPECT_EQ(skel->bss->fork_count, 1u);
#ifdef BPFAUDIT_BROKEN_PROBE
  // Where the field exists the read is real: a forked child gets no mm_cid
  // until it runs, and the kernel initialises it to -1 (MM_CID_UNSET).
  EXPECT_EQ(skel->data->last_child_mm_cid, -1);
#endif
}

}  // namespace
}  // namespace bpfaudit::test
