// trace.bpf.o through its skeleton: load, attach, and the in-kernel process-tree
// filter (traced_tgids filled on fork from a traced parent, emptied on exit).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <vector>

#include "bpfaudit_trace.h"
#include "kernel_env.h"

// kernel_tests_broken compiles this file against trace_broken.bpf.o, the copy
// with an unguarded CO-RE read of a field that Linux 6.1 lacks.
#ifdef BPFAUDIT_BROKEN_PROBE
#include "trace_broken.skel.h"
#define TRACE_SKEL(suffix) trace_broken_bpf##suffix
#else
#include "trace.skel.h"
#define TRACE_SKEL(suffix) trace_bpf##suffix
#endif

namespace bpfaudit::test {
namespace {

using TraceSkel = struct TRACE_SKEL();

struct SkelDestroy {
  void operator()(TraceSkel* s) const { TRACE_SKEL(__destroy)(s); }
};
using SkelPtr = std::unique_ptr<TraceSkel, SkelDestroy>;

struct RingDestroy {
  void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
};

// A child that stays alive (blocked on a pipe) until released, so its tgid can
// be looked up while it exists; the destructor releases and reaps it.
class HeldChild {
 public:
  HeldChild() {
    if (pipe(fds_) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(fds_[1]);
      char c;
      ssize_t n = read(fds_[0], &c, 1);
      _exit(n < 0 ? 1 : 0);
    }
    close(fds_[0]);
  }
  ~HeldChild() { release(); }
  pid_t pid() const { return pid_; }
  // Lets the child exit and waits for it; returns its wait status.
  int release() {
    int status = -1;
    if (pid_ > 0) {
      close(fds_[1]);
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    return status;
  }

 private:
  int fds_[2] = {-1, -1};
  pid_t pid_ = -1;
};

bool map_has(const bpf_map* map, __u32 tgid) {
  __u8 v = 0;
  return bpf_map__lookup_elem(map, &tgid, sizeof tgid, &v, sizeof v, 0) == 0;
}

struct ForkSeen {
  __u32 parent = 0;
  __u32 child = 0;
  std::vector<bpfaudit_fork_event> events;
};

int on_event(void* ctx, void* data, size_t size) {
  auto* seen = static_cast<ForkSeen*>(ctx);
  bpfaudit_event_header hdr;
  if (size < sizeof hdr) return 0;
  memcpy(&hdr, data, sizeof hdr);
  if (hdr.type == BPFAUDIT_EV_FORK && size >= sizeof(bpfaudit_fork_event)) {
    bpfaudit_fork_event ev;
    memcpy(&ev, data, sizeof ev);
    seen->events.push_back(ev);
  }
  return 0;
}

class TraceProbe : public testing::Test {
 protected:
  void SetUp() override {
    if (auto why = missing_kernel_facility(); !why.empty()) GTEST_SKIP() << why;
    LibbpfLog log;
    skel_.reset(TRACE_SKEL(__open_and_load)());
    ASSERT_TRUE(skel_) << "trace skeleton failed to load: " << log.text();
    ASSERT_EQ(TRACE_SKEL(__attach)(skel_.get()), 0) << "attach failed: " << log.text();
    std::printf("trace probe: tp_btf path active (sched_process_fork/exit)\n");
  }

  void trace_self() {
    __u32 self = getpid();
    __u8 one = 1;
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.traced_tgids, &self, sizeof self, &one, sizeof one,
                                   BPF_ANY),
              0);
  }

  SkelPtr skel_;
};

TEST_F(TraceProbe, OpenLoadAttach) {
  // SetUp did the work; check every program really got a link.
  EXPECT_NE(skel_->links.handle_fork, nullptr);
  EXPECT_NE(skel_->links.handle_exit, nullptr);
}

TEST_F(TraceProbe, ForkOfTracedPidLandsInTracedTgids) {
  trace_self();
  ForkSeen seen;
  std::unique_ptr<ring_buffer, RingDestroy> rb(
      ring_buffer__new(bpf_map__fd(skel_->maps.events), on_event, &seen, nullptr));
  ASSERT_TRUE(rb);

  HeldChild child;
  ASSERT_GT(child.pid(), 0);
  EXPECT_TRUE(map_has(skel_->maps.traced_tgids, child.pid()))
      << "child " << child.pid() << " of traced pid " << getpid() << " not in traced_tgids";

  // The fork event reaches the ring buffer; poll until it shows up.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto matches = [&] {
    for (const auto& ev : seen.events)
      if (ev.parent_tgid == (__u32)getpid() && ev.child_tgid == (__u32)child.pid()) return true;
    return false;
  };
  while (!matches() && std::chrono::steady_clock::now() < deadline)
    ring_buffer__poll(rb.get(), 200);
  EXPECT_TRUE(matches()) << "no BPFAUDIT_EV_FORK event " << getpid() << " -> " << child.pid();

  pid_t gone = child.pid();
  int status = child.release();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // sched_process_exit fires in do_exit before the zombie can be reaped.
  EXPECT_FALSE(map_has(skel_->maps.traced_tgids, gone)) << "exited child still traced";
}

TEST_F(TraceProbe, ForkOfUntracedPidIsIgnored) {
  HeldChild child;
  ASSERT_GT(child.pid(), 0);
  EXPECT_FALSE(map_has(skel_->maps.traced_tgids, child.pid()));
}

}  // namespace
}  // namespace bpfaudit::test
