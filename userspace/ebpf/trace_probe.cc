#include "trace_probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/membarrier.h>
#include <malloc.h>
#include <dirent.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "bpf_handles.h"
#include "bpfaudit_engine.h"
#include "core_btf.h"
#include "engine.skel.h"
#include "syscall_table.h"

namespace bpfaudit::ebpf {

// The one object's holder, for autrace's TraceProbe and the prefilter's
// PrefilterEngine alike (declared in bpf_handles.h).
template <>
void SkelDestroy<engine_bpf>::operator()(engine_bpf* s) const {
  engine_bpf__destroy(s);
}

namespace {

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";

// libbpf reads the kernel's BTF (5.5 MB on 6.18) into two heap copies, indexes
// it and scans it once per relocated type: about 3,000 first-touch page faults
// and as many TLB misses, which a VM makes expensive (~15 us per fault here).
// While loading, the heap is faulted in up front with one madvise call, on
// transparent huge pages where the system allows them (THP "madvise" mode),
// and malloc keeps that memory (no trimming, no separate mmap for large
// blocks) so that libbpf's allocations land in it. autrace /bin/true, median
// of 21: 115 ms without, 79 ms populated, 54 ms on huge pages. Loading peaks
// at 12 MB of heap with a 5.5 MB BTF; 16 MB leaves room for larger kernels
// (beyond it, pages fault in as usual), and each extra huge page costs its
// zeroing (24 MB measured 5 ms slower). Afterwards the memory goes back: the
// trace itself needs little heap. Kernels before 5.14 refuse
// MADV_POPULATE_WRITE, which only loses the gain.
class BtfLoadHeap {
 public:
  BtfLoadHeap() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    void* block = std::malloc(kBytes);
    if (!block) return;
    auto start = (reinterpret_cast<std::uintptr_t>(block) + 4095) & ~std::uintptr_t{4095};
    ::madvise(reinterpret_cast<void*>(start), kBytes - 8192, MADV_HUGEPAGE);
    ::madvise(reinterpret_cast<void*>(start), kBytes - 8192, MADV_POPULATE_WRITE);
    std::free(block);
  }
  ~BtfLoadHeap() {
    // glibc's defaults (128 KiB both).
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    mallopt(M_TRIM_THRESHOLD, 128 << 10);
    malloc_trim(0);
  }
  BtfLoadHeap(const BtfLoadHeap&) = delete;
  BtfLoadHeap& operator=(const BtfLoadHeap&) = delete;

 private:
  static constexpr std::size_t kBytes = 16 << 20;
};

}  // namespace

const char* loss_reason_name(int reason) {
  switch (reason) {
    case BPFAUDIT_LOSS_RING_SYSCALL:
      return "ringbuf-full-syscall";
    case BPFAUDIT_LOSS_RING_AUX:
      return "ringbuf-full-aux";
    case BPFAUDIT_LOSS_TABLE_FULL_THREAD:
      return "thread-table-full-thread";
    case BPFAUDIT_LOSS_TABLE_FULL_CHILD:
      return "thread-table-full-child";
    case BPFAUDIT_LOSS_EXE_WALK:
      return "exe-walk-cut";
    default:
      return "unknown";
  }
}

base::Result<std::unique_ptr<TraceProbe>> TraceProbe::open(const ProbeConfig& config,
                                                           Handler handler) {
  static_assert(kLossReasons == BPFAUDIT_LOSS_NREASONS);
  if (geteuid() != 0) {
    return base::Error{-EPERM, "You must be root or have capabilities to run this program."};
  }
  if (access(kBtfPath, R_OK) != 0) {
    return base::Error{
        -errno, std::string("kernel BTF not available (") + kBtfPath + ": " + std::strerror(errno) +
                    "); the CO-RE trace probe needs a kernel built with CONFIG_DEBUG_INFO_BTF"};
  }

  LibbpfLog log;
  timespec phase_start{};
  clock_gettime(CLOCK_MONOTONIC, &phase_start);
  std::vector<std::pair<std::string, double>> phases;
  auto phase = [&](const char* name) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    phases.emplace_back(
        name, (now.tv_sec - phase_start.tv_sec) * 1e3 + (now.tv_nsec - phase_start.tv_nsec) / 1e6);
    phase_start = now;
  };

  // The ring map is created and mapped on a second thread while this one
  // opens the object and libbpf reads and relocates against the kernel's BTF
  // (most of start-up): the kernel allocates all of the ring's pages at
  // creation and fills the page tables at mmap, 10-12 ms and 3 ms for the
  // default 64 MiB (strace -T), which then cost no wall time where a second
  // CPU is free. The mapping is the layout libbpf's ring_buffer uses, with
  // the data area once (a record that wraps is copied in consume()): mapped
  // twice, mmap and munmap took 6 and 7.5 ms.
  const std::size_t page_size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  struct RingSetup {
    int fd = -1;
    void* cons = MAP_FAILED;  // the consumer page, read-write
    void* prod = MAP_FAILED;  // the producer page and the data area, read-only
    int err = 0;
    const char* what = "";
    bool taken = false;
  } ring;
  std::thread ring_maker([&ring, &config, page_size] {
    ring.fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "events", 0, 0,
                             static_cast<__u32>(config.ring_bytes), nullptr);
    if (ring.fd < 0) {
      ring.err = errno;
      ring.what = "create";
      return;
    }
    ring.cons = mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, ring.fd, 0);
    if (ring.cons != MAP_FAILED)
      ring.prod = mmap(nullptr, page_size + config.ring_bytes, PROT_READ, MAP_SHARED, ring.fd,
                       static_cast<off_t>(page_size));
    if (ring.cons == MAP_FAILED || ring.prod == MAP_FAILED) {
      ring.err = errno;
      ring.what = "map";
    }
  });
  // On every return: the thread joined; a ring the probe did not take is
  // unmapped and closed.
  struct JoinRing {
    std::thread& t;
    RingSetup& r;
    std::size_t page, bytes;
    ~JoinRing() {
      if (t.joinable()) t.join();
      if (r.taken) return;
      if (r.cons != MAP_FAILED) munmap(r.cons, page);
      if (r.prod != MAP_FAILED) munmap(r.prod, page + bytes);
      if (r.fd >= 0) ::close(r.fd);
    }
  } join_ring{ring_maker, ring, page_size, config.ring_bytes};

  std::optional<BtfLoadHeap> btf_heap(std::in_place);
  phase("fault in the heap libbpf will use");
  std::unique_ptr<TraceProbe> probe(new TraceProbe());
  probe->handler_ = std::move(handler);
  // CO-RE relocates against the part of the kernel's BTF the object can
  // match, built here while the ring is made on the second thread (core_btf.h).
  CoreBtf core_btf;
  {
    LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = core_btf.path());
    probe->skel_.reset(engine_bpf__open_opts(&open_opts));
  }
  if (!probe->skel_)
    return base::Error{-errno, std::string("cannot open the engine BPF object: ") +
                                   std::strerror(errno) + "\n" + log.tail(5)};
  engine_bpf* skel = probe->skel_.get();
  phase("open the object");
  core_btf.build(bpf_object__btf(skel->obj));
  phase("the kernel BTF subset CO-RE relocates against");
  skel->rodata->wakeup_bytes = config.wakeup_bytes;
  // The engine with the process-tree rule alone: no prefilter rules here,
  // so its rule tables (5 MiB of preallocated kernel memory) shrink to one
  // entry (start-up unchanged by it: 243 ms both, load 13, 15 pairs).
  skel->rodata->follow_tree = true;
  bpf_map__set_max_entries(skel->maps.pf_rows, 1);
  bpf_map__set_max_entries(skel->maps.pf_rules, 1);
  bpf_map__set_max_entries(skel->maps.events, config.ring_bytes);
  ring_maker.join();
  phase("wait for the ring (created on a second thread)");
  if (ring.err)
    return base::Error{-ring.err, std::string("cannot ") + ring.what + " the trace ring buffer (" +
                                      std::to_string(config.ring_bytes >> 20) +
                                      " MiB): " + std::strerror(ring.err)};
  // libbpf keeps a duplicate of the descriptor as the map's own.
  if (int err = bpf_map__reuse_fd(skel->maps.events, ring.fd))
    return base::Error{err,
                       std::string("cannot use the trace ring buffer: ") + std::strerror(-err)};
  ring.taken = true;
  ::close(ring.fd);
  probe->page_size_ = page_size;
  probe->ring_mask_ = config.ring_bytes - 1;
  probe->ring_bytes_ = config.ring_bytes;
  probe->consumer_pos_ = static_cast<std::uint64_t*>(ring.cons);
  probe->producer_pos_ = static_cast<const std::uint64_t*>(ring.prod);
  probe->ring_data_ = static_cast<const std::uint8_t*>(ring.prod) + page_size;

  int load_err = engine_bpf__load(skel);
  phase("load: kernel BTF, CO-RE, verifier");
  if (int err = load_err) {
    return base::Error{err, std::string("cannot load the engine BPF programs: ") +
                                std::strerror(-err) + "\n" + log.tail(8)};
  }
  btf_heap.reset();

  // .bss is mapped after load; the child has not run yet, so no event can
  // observe a half-written table.
  if (config.syscalls.empty()) {
    for (auto& word : skel->bss->syscall_bits) word = ~0ull;
  } else {
    for (int nr : config.syscalls)
      if (nr >= 0 && nr < BPFAUDIT_MAX_SYSCALLS)
        skel->bss->syscall_bits[nr / 64] |= 1ull << (nr % 64);
  }
  for (const auto& [nr, args] : path_syscalls()) {
    if (nr < 0 || nr >= BPFAUDIT_MAX_SYSCALLS) continue;
    skel->bss->path_args[nr] =
        static_cast<std::uint8_t>((args.first + 1) | ((args.second + 1) << 4));
  }
  // Where the stat family puts what it found: the PATH record's inode.
  const std::tuple<const char*, int, int> kStatBuffers[] = {
      {"stat", 1, 0}, {"lstat", 1, 0}, {"newfstatat", 2, 0}, {"statx", 4, 1}};
  for (const auto& [name, arg, kind] : kStatBuffers)
    if (auto nr = syscall_number(name); nr && *nr < BPFAUDIT_MAX_SYSCALLS)
      skel->bss->statbuf_args[*nr] = static_cast<std::uint8_t>((arg + 1) | (kind << 4));
  // The kernel audits the address these were given (move_addr_to_kernel).
  const std::tuple<const char*, int, int> kSockaddrArgs[] = {
      {"connect", 1, 2}, {"bind", 1, 2}, {"sendto", 4, 5}};
  for (const auto& [name, addr, len] : kSockaddrArgs)
    if (auto nr = syscall_number(name); nr && *nr < BPFAUDIT_MAX_SYSCALLS)
      skel->bss->sockaddr_args[*nr] = static_cast<std::uint8_t>((addr + 1) | ((len + 1) << 4));
  const std::pair<const char*, std::uint8_t> kFlags[] = {
      {"open", BPFAUDIT_SCF_OPENS_FD},   {"creat", BPFAUDIT_SCF_OPENS_FD},
      {"openat", BPFAUDIT_SCF_OPENS_FD}, {"openat2", BPFAUDIT_SCF_OPENS_FD},
      {"execve", BPFAUDIT_SCF_EXEC},     {"execveat", BPFAUDIT_SCF_EXEC},
      {"exit", BPFAUDIT_SCF_EXIT},       {"exit_group", BPFAUDIT_SCF_EXIT},
      {"chdir", BPFAUDIT_SCF_CHDIR}};
  for (const auto& [name, flag] : kFlags)
    if (auto nr = syscall_number(name); nr && *nr < BPFAUDIT_MAX_SYSCALLS)
      skel->bss->syscall_flags[*nr] |= flag;

  // One syscall program (sys_exit) and the entry events of exec and chdir;
  // where those events cannot be attached, a program on every syscall entry
  // instead, named in the start-up message.
  auto attach = [&](bpf_program* prog, bpf_link*& link) {
    link = bpf_program__attach(prog);
    return link != nullptr;
  };
  auto fail_attach = [&](const char* what) {
    return base::Error{-errno, std::string("cannot attach ") + what + ": " + std::strerror(errno) +
                                   "\n" + log.tail(8)};
  };
  if (!attach(skel->progs.sys_exit, skel->links.sys_exit)) return fail_attach("sys_exit");
  if (!attach(skel->progs.handle_fork, skel->links.handle_fork) ||
      !attach(skel->progs.handle_exec, skel->links.handle_exec) ||
      !attach(skel->progs.handle_task_exit, skel->links.handle_task_exit) ||
      !attach(skel->progs.handle_switch, skel->links.handle_switch))
    return fail_attach("the sched_process and sched_switch tracepoints");
  std::string entry_path = "syscalls/sys_enter_execve|execveat|chdir";
  bool tracefs = ensure_tracefs().ok();
  if (!tracefs || !attach(skel->progs.enter_execve, skel->links.enter_execve) ||
      !attach(skel->progs.enter_execveat, skel->links.enter_execveat) ||
      !attach(skel->progs.enter_chdir, skel->links.enter_chdir)) {
    for (bpf_link** l :
         {&skel->links.enter_execve, &skel->links.enter_execveat, &skel->links.enter_chdir}) {
      bpf_link__destroy(*l);
      *l = nullptr;
    }
    if (!attach(skel->progs.enter_any, skel->links.enter_any)) return fail_attach("sys_enter");
    entry_path = std::string("tp_btf/sys_enter (fallback: ") +
                 (tracefs ? "the syscall entry events did not attach" : "no tracefs") + ")";
  }
  probe->ring_fd_ = bpf_map__fd(skel->maps.events);

  // poll() waits on the ring and on an eventfd, so that stopping does not
  // sit out the poll timeout after the traced program has finished.
  auto wait_failed = [&] {
    return base::Error{-errno,
                       std::string("cannot set up the ring buffer wait: ") + std::strerror(errno)};
  };
  probe->wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  probe->epoll_fd_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!probe->wake_fd_ || !probe->epoll_fd_) return wait_failed();
  for (int fd : {probe->ring_fd_, probe->wake_fd_.get()}) {
    epoll_event ev{};
    // Edge-triggered on the ring: woken only by the probe's forced
    // wake-ups, so the reader takes 256 KiB at a time, lines the traced
    // program has finished writing. Level-triggered, epoll returned at once
    // while anything was unread, and the reader chased the producer a few
    // records behind, pulling each cache line over while it was being filled.
    ev.events = fd == probe->ring_fd_ ? EPOLLIN | EPOLLET : EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(probe->epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return wait_failed();
  }
  probe->description_ = "eBPF " + core_btf.describe() + " (tp_btf/sys_exit, " + entry_path +
                        ", tp_btf/sched_process_fork|exec|exit, tp_btf/sched_switch; ring buffer " +
                        std::to_string(config.ring_bytes >> 20) + " MiB)";
  phase("attach, map the ring");
  probe->phases_ = std::move(phases);
  return probe;
}

TraceProbe::~TraceProbe() {
  if (consumer_pos_) munmap(consumer_pos_, page_size_);
  if (producer_pos_) munmap(const_cast<std::uint64_t*>(producer_pos_), page_size_ + ring_bytes_);
  // Before skel_ (a member) is destroyed, after this body.
  if (skel_) release_entry_events_in_background();
}

// The last close of a syscall entry event waits for tracepoint grace periods
// under the kernel's event mutex: 40-70 ms each, one after another, 215 ms of
// `autrace /bin/true` (36 ms before the entry events). The programs are
// inert by then (the `stopped` flag in .bss is set first, and they act only
// while it is clear), so another process holding copies of the events'
// descriptors takes the last close after autrace has exited, and ours are
// plain reference drops. That process is /bin/cat, spawned (vfork and exec:
// no copy of autrace's page tables) with its input a pipe autrace holds the
// other end of, the event and link descriptors, and nothing else open (a
// reader of autrace's output gets EOF on time): it reads to EOF when
// autrace exits, then exits itself, closing them. A fork of autrace did the
// same and cost its exit 10-13 ms (strace -T: copying, then tearing down,
// the mappings of the ring and the heap).
void TraceProbe::release_entry_events_in_background() {
  std::vector<int> keep;
  for (bpf_link* l :
       {skel_->links.enter_execve, skel_->links.enter_execveat, skel_->links.enter_chdir})
    if (l) keep.push_back(bpf_link__fd(l));
  if (keep.empty()) return;
  // The programs left attached do nothing from here on.
  skel_->bss->stopped = true;
  // libbpf's perf links hold the perf event fd too: cat gets every fd of
  // ours that is a perf event or a link, at the same number, and no other.
  // (Moving them past 1024 first made the kernel grow the fd table, which
  // in a threaded process waits for an RCU grace period: 7 ms.)
  std::vector<int> open_fds;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(dir))
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') open_fds.push_back(std::atoi(e->d_name));
    closedir(dir);
  }
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) != 0) return;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, gate[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  for (int fd : open_fds) {
    if (fd < 3) continue;
    char path[64], target[64];
    std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    if (std::strstr(target, "perf_event") || std::strstr(target, "bpf_link"))
      posix_spawn_file_actions_adddup2(&actions, fd, fd);  // clears its FD_CLOEXEC
    else
      posix_spawn_file_actions_addclose(&actions, fd);  // not open there: ignored
  }
  char cat[] = "cat";
  char* argv[] = {cat, nullptr};
  char* envp[] = {nullptr};
  pid_t pid;
  (void)posix_spawn(&pid, "/bin/cat", &actions, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  ::close(gate[0]);
  // gate[1] stays open until this process exits: that releases cat. Had the
  // spawn failed, the closes happen here, slowly, as without it.
}

base::Result<void> TraceProbe::trace_tgid(std::uint32_t tgid) {
  // A process that has not yet run anything has one thread, whose id is the
  // tgid; its descendants and threads are added at fork, in the kernel.
  // It is blocked in a read that began before it was traced: the exit of
  // that read is not the program's.
  // The traced-thread table is task-local storage, which userspace names
  // by a pidfd.
  bpfaudit_pending idle{};
  idle.nr = BPFAUDIT_NR_SKIP;
  auto failed = [&] {
    return base::Error{-errno, std::string("cannot add pid ") + std::to_string(tgid) +
                                   " to the traced set: " + std::strerror(errno)};
  };
  base::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0)));
  if (!pidfd) return failed();
  int key = pidfd.get();
  if (bpf_map__update_elem(skel_->maps.pending, &key, sizeof key, &idle, sizeof idle, BPF_NOEXIST))
    return failed();
  return {};
}

int TraceProbe::poll(int timeout_ms) {
  epoll_event events[2];
  int n = epoll_wait(epoll_fd_.get(), events, 2, timeout_ms);
  if (n < 0 && errno != EINTR) return -errno;
  for (int i = 0; i < n; ++i)
    if (events[i].data.fd == wake_fd_.get()) {
      std::uint64_t count;
      (void)!read(wake_fd_.get(), &count, sizeof count);
    }
  // Batched wake-ups leave data behind the last notification: take it all.
  return consume();
}

int TraceProbe::consume() {
  // Publishing the consumer position every this many bytes keeps the
  // producers' view of free space current enough (the ring is many MiB)
  // while touching the shared line rarely.
  constexpr std::uint64_t kPublishBytes = 64 << 10;
  std::uint64_t cons = __atomic_load_n(consumer_pos_, __ATOMIC_ACQUIRE);
  std::uint64_t published = cons;
  int count = 0;
  for (;;) {
    std::uint64_t prod = __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE);
    if (cons >= prod) break;
    bool busy = false;
    while (cons < prod) {
      const auto* hdr = reinterpret_cast<const std::uint32_t*>(ring_data_ + (cons & ring_mask_));
      std::uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
      if (len & BPF_RINGBUF_BUSY_BIT) {  // reserved, not yet submitted
        busy = true;
        break;
      }
      std::uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      std::size_t at = (cons & ring_mask_) + BPF_RINGBUF_HDR_SZ;  // the header never wraps
      cons += (static_cast<std::uint64_t>(size) + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
      if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
        if (at + size <= ring_bytes_) {
          deliver(ring_data_ + at, size);
        } else {  // wraps past the end of the data area, mapped once: joined here
          std::size_t first = at < ring_bytes_ ? ring_bytes_ - at : 0;
          wrapped_.assign(ring_data_ + (at & ring_mask_), ring_data_ + (at & ring_mask_) + first);
          wrapped_.insert(wrapped_.end(), ring_data_, ring_data_ + (size - first));
          deliver(wrapped_.data(), size);
        }
        ++count;
      }
      if (cons - published >= kPublishBytes) {
        __atomic_store_n(consumer_pos_, cons, __ATOMIC_RELEASE);
        published = cons;
      }
    }
    if (busy) break;
  }
  if (cons != published) __atomic_store_n(consumer_pos_, cons, __ATOMIC_RELEASE);
  return count;
}

bool for_each_batched_event(const void* data, std::size_t size,
                            const std::function<void(const void*, std::size_t)>& fn) {
  constexpr std::size_t kHead = offsetof(bpfaudit_batch_event, data);
  if (size < kHead) return false;
  bpfaudit_batch_event head;
  std::memcpy(&head, data, kHead);
  if (head.hdr.type != BPFAUDIT_EV_BATCH) return false;
  const auto* p = static_cast<const std::uint8_t*>(data) + kHead;
  std::size_t left = std::min<std::size_t>(head.used, size - kHead);
  while (left > 0) {
    bpfaudit_event_header h;
    std::size_t n = left;
    if (left >= sizeof h) {
      std::memcpy(&h, p, sizeof h);
      if (h.size >= sizeof h && h.size <= left) n = h.size;
    }
    // A piece that does not hold together goes to the handler as it is, for
    // the decoder to count as malformed; nothing after it can be trusted.
    fn(p, n);
    p += n;
    left -= n;
  }
  return true;
}

void TraceProbe::deliver(const void* data, std::size_t size) {
  if (!for_each_batched_event(data, size, handler_)) handler_(data, size);
}

int TraceProbe::drain_batches() {
  // The CPUs' batches are written only by the exit and sched_switch programs:
  // detached first, then every CPU past any run still in flight (membarrier's
  // global command waits for an RCU grace period, which covers them), then
  // the ring, then what was left in the batches, newest for their threads.
  for (bpf_link** l :
       {&skel_->links.sys_exit, &skel_->links.handle_switch, &skel_->links.handle_task_exit}) {
    bpf_link__destroy(*l);
    *l = nullptr;
  }
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::size_t value = (sizeof(bpfaudit_batch_event) + sizeof(bpfaudit_syscall_event) + 7) & ~7ul;
  std::vector<std::uint8_t> values(value * static_cast<std::size_t>(ncpu));
  std::uint32_t zero = 0;
  auto read = [&] {
    return bpf_map__lookup_elem(skel_->maps.batch, &zero, sizeof zero, values.data(), values.size(),
                                0) == 0;
  };
  auto any = [&] {
    for (int c = 0; c < ncpu; ++c) {
      bpfaudit_batch_event head;
      std::memcpy(&head, values.data() + value * c, offsetof(bpfaudit_batch_event, data));
      if (head.count) return true;
    }
    return false;
  };
  if (!read() || !any()) {
    consume();
    return 0;
  }
  ::syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
  consume();
  if (!read()) return 0;
  int n = 0;
  for (int c = 0; c < ncpu; ++c) {
    auto* b = reinterpret_cast<bpfaudit_batch_event*>(values.data() + value * c);
    if (!b->count) continue;
    b->hdr.type = BPFAUDIT_EV_BATCH;
    deliver(b, offsetof(bpfaudit_batch_event, data) + b->used);
    n += static_cast<int>(b->count);
  }
  return n;
}

void TraceProbe::wake() {
  std::uint64_t one = 1;
  (void)!write(wake_fd_.get(), &one, sizeof one);
}

std::array<std::uint64_t, kLossReasons> TraceProbe::losses() const {
  std::array<std::uint64_t, kLossReasons> total{};
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return total;
  std::vector<std::uint64_t> values(ncpu);
  for (std::uint32_t r = 0; r < kLossReasons; ++r) {
    if (bpf_map__lookup_elem(skel_->maps.losses, &r, sizeof r, values.data(),
                             values.size() * sizeof(std::uint64_t), 0) == 0)
      for (auto v : values) total[r] += v;
  }
  return total;
}

}  // namespace bpfaudit::ebpf
