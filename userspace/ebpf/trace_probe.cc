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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <linux/perf_event.h>
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
#include <type_traits>
#include <string_view>
#include <functional>
#include <vector>

#include "bpf_handles.h"
#include "bpfaudit_engine.h"
#include "core_btf.h"
#include "engine.skel.h"
#include "engine.stamp.h"
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
    case BPFAUDIT_LOSS_VFS_ITEMS:
      return "vfs-items";
    default:
      return "unknown";
  }
}

namespace {

using Bss = std::remove_pointer_t<decltype(engine_bpf::bss)>;

struct ProgramSpec {
  const char* name;  // its pin's name, and its section's event
  const char* syscall_event;  // a syscalls/ tracepoint event; nullptr: tp_btf
  bpf_program* (*get)(engine_bpf*);
};
// In TraceProbe::Program's order.
const ProgramSpec kProgramSpecs[TraceProbe::kPrograms] = {
    {"sys_exit", nullptr, [](engine_bpf* s) { return s->progs.sys_exit; }},
    {"handle_fork", nullptr, [](engine_bpf* s) { return s->progs.handle_fork; }},
    {"handle_exec", nullptr, [](engine_bpf* s) { return s->progs.handle_exec; }},
    {"handle_task_exit", nullptr, [](engine_bpf* s) { return s->progs.handle_task_exit; }},
    {"handle_switch", nullptr, [](engine_bpf* s) { return s->progs.handle_switch; }},
    {"enter_execve", "sys_enter_execve", [](engine_bpf* s) { return s->progs.enter_execve; }},
    {"enter_execveat", "sys_enter_execveat",
     [](engine_bpf* s) { return s->progs.enter_execveat; }},
    {"enter_chdir", "sys_enter_chdir", [](engine_bpf* s) { return s->progs.enter_chdir; }},
    {"enter_any", nullptr, [](engine_bpf* s) { return s->progs.enter_any; }},
    {"vfs_unlink_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_unlink_hook; }},
    {"vfs_rmdir_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_rmdir_hook; }},
    {"vfs_create_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_create_hook; }},
    {"vfs_mkdir_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_mkdir_hook; }},
    {"vfs_mknod_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_mknod_hook; }},
    {"vfs_link_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_link_hook; }},
    {"vfs_rename_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_rename_hook; }},
    {"vfs_open_exec_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_open_exec_hook; }},
    {"vfs_bprm_fcaps_hook", nullptr, [](engine_bpf* s) { return s->progs.vfs_bprm_fcaps_hook; }},
};

bool is_vfs_hook(int p) { return p >= TraceProbe::kFirstVfs && p < TraceProbe::kPrograms; }

// What the VFS hooks attach to (engine.bpf.c), for the start-up line.
constexpr const char* kVfsHookPoints =
    "fentry/vfs_unlink|vfs_rmdir|security_inode_create|mkdir|mknod|link|rename, "
    "fexit/open_exec|cap_bprm_creds_from_file";
constexpr const char* kVfsOffEffect =
    "PARENT/CREATE/DELETE items without inodes, no exec interpreter item or BPRM_FCAPS";

std::string errno_word(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : std::to_string(err);
}

}  // namespace

// Tried before the engine loads: a policy that refuses fentry (EPERM on the
// development host, from the load) must not make the whole engine fail.
base::Result<void> probe_fentry(int btf_id) {
  if (btf_id <= 0) btf_id = libbpf_find_vmlinux_btf_id("vfs_unlink", BPF_TRACE_FENTRY);
  if (btf_id <= 0)
    return base::Error{-ENOENT, "no vfs_unlink in the kernel BTF"};
  bpf_insn insns[2] = {};
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
  insns[1].code = BPF_JMP | BPF_EXIT;
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
              .attach_btf_id = static_cast<__u32>(btf_id));
  base::UniqueFd prog(bpf_prog_load(BPF_PROG_TYPE_TRACING, "vfs_probe", "GPL", insns, 2, &opts));
  if (!prog) return base::Error{-errno, "fentry refused (" + errno_word(errno) + ")"};
  base::UniqueFd link(bpf_raw_tracepoint_open(nullptr, prog.get()));
  if (!link) return base::Error{-errno, "fentry attach refused (" + errno_word(errno) + ")"};
  return {};
}

namespace {

std::string pin(const char* name) { return std::string(TracePreload::kPinDir) + "/" + name; }

// The preloaded engine's maps userspace uses, with what says which build
// and configuration loaded it ("stamp", pinned last: its presence means the
// rest is in place).
constexpr const char* kMapPins[] = {"events", "pending", "batch", "losses", "bss"};
constexpr const char* kStampPin = "stamp";
// The entry events' links, kEnterExecve.. kEnterChdir.
constexpr const char* kEntryLinkPins[] = {"link_enter_execve", "link_enter_execveat",
                                          "link_enter_chdir"};
constexpr const char* kLockPath = "/run/bpfaudit/trace.lock";

struct Stamp {
  std::uint64_t object;  // the engine object's SHA-256, first 64 bits (built in)
  std::uint64_t ring_bytes;
  std::uint64_t wakeup_bytes;
  std::uint64_t bss_bytes;
};

Stamp stamp_of(const ProbeConfig& config) {
  return Stamp{engine_bpf_stamp, config.ring_bytes, config.wakeup_bytes, sizeof(Bss)};
}

base::Result<Stamp> read_stamp() {
  base::UniqueFd fd(bpf_obj_get(pin(kStampPin).c_str()));
  if (!fd)
    return base::Error{errno == ENOENT ? -ENOENT : -errno,
                       "cannot open " + pin(kStampPin) + ": " + std::strerror(errno)};
  std::uint32_t zero = 0;
  Stamp st{};
  if (bpf_map_lookup_elem(fd.get(), &zero, &st) != 0)
    return base::Error{-errno, "cannot read " + pin(kStampPin) + ": " + std::strerror(errno)};
  return st;
}

// One CPU's value of the engine's per-CPU `batch` map, as the kernel lays
// out per-CPU values: 8-byte aligned.
constexpr std::size_t kBatchValueBytes = (sizeof(bpfaudit_batch_buf) + 7) & ~std::size_t{7};

int dup_fd(int fd) { return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3); }

double ms_since(timespec& start) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  double ms = (now.tv_sec - start.tv_sec) * 1e3 + (now.tv_nsec - start.tv_nsec) / 1e6;
  start = now;
  return ms;
}

}  // namespace

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
  const auto page_size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  timespec phase_start{};
  clock_gettime(CLOCK_MONOTONIC, &phase_start);

  // The preloaded engine when this run can use it; else one loaded for this
  // run, and the start-up line says why the preloaded one was not used.
  std::string engine;
  std::unique_ptr<TraceProbe> probe(new TraceProbe());
  probe->page_size_ = page_size;
  auto preloaded = probe->open_preloaded(config);
  if (preloaded) {
    engine = std::string("eBPF engine preloaded in ") + TracePreload::kPinDir;
    probe->phases_.emplace_back("open the preloaded engine", ms_since(phase_start));
  } else {
    std::string why = preloaded.error().code == -ENOENT ? "" : preloaded.error().text();
    probe.reset(new TraceProbe());  // what the attempt took goes with it
    probe->page_size_ = page_size;
    std::string core_btf;
    if (auto loaded = probe->load(config, core_btf); !loaded) return loaded.error();
    engine = "eBPF " + core_btf;
    if (!why.empty()) engine += "; the preloaded engine is not used: " + why;
    clock_gettime(CLOCK_MONOTONIC, &phase_start);
  }
  probe->handler_ = std::move(handler);
  probe->start_run(config);

  // One syscall program (sys_exit) and the entry events of exec and chdir;
  // where those events cannot be attached, a program on every syscall entry
  // instead, named in the start-up message.
  for (Program p : {kSysExit, kFork, kExec, kTaskExit, kSwitch})
    if (auto a = probe->attach(p, probe->run_); !a) return a.error();
  std::string entry_path = "syscalls/sys_enter_execve|execveat|chdir";
  bool tracefs = probe->entry_events_preloaded_ || ensure_tracefs().ok();
  bool entry_events = tracefs;
  if (probe->entry_events_preloaded_)
    entry_path += " (kept attached by the preloaded engine)";
  else
    for (Program p : {kEnterExecve, kEnterExecveat, kEnterChdir})
      if (entry_events && !probe->attach(p, probe->run_)) entry_events = false;
  if (!entry_events) {
    for (Program p : {kEnterExecve, kEnterExecveat, kEnterChdir}) probe->links_[p].reset();
    if (auto a = probe->attach(kEnterAny, probe->run_); !a) return a.error();
    entry_path = std::string("tp_btf/sys_enter (fallback: ") +
                 (tracefs ? "the syscall entry events did not attach" : "no tracefs") + ")";
  }

  probe->attach_vfs_hooks();

  // poll() waits on the ring and on an eventfd, so that stopping does not
  // sit out the poll timeout after the traced program has finished.
  auto wait_failed = [&] {
    return base::Error{-errno,
                       std::string("cannot set up the ring buffer wait: ") + std::strerror(errno)};
  };
  probe->wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  probe->epoll_fd_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!probe->wake_fd_ || !probe->epoll_fd_) return wait_failed();
  for (int fd : {probe->ring_fd_.get(), probe->wake_fd_.get()}) {
    epoll_event ev{};
    // Edge-triggered on the ring: woken only by the probe's forced
    // wake-ups, so the reader takes 256 KiB at a time, lines the traced
    // program has finished writing. Level-triggered, epoll returned at once
    // while anything was unread, and the reader chased the producer a few
    // records behind, pulling each cache line over while it was being filled.
    ev.events = fd == probe->ring_fd_.get() ? EPOLLIN | EPOLLET : EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(probe->epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return wait_failed();
  }
  probe->description_ = engine + " (tp_btf/sys_exit, " + entry_path +
                        ", tp_btf/sched_process_fork|exec|exit, tp_btf/sched_switch; ring buffer " +
                        std::to_string(probe->ring_bytes_ >> 20) + " MiB; " +
                        probe->vfs_status_ + ")";
  probe->phases_.emplace_back("attach", ms_since(phase_start));
  return probe;
}

// All or none: a syscall whose items came from some hooks and not others
// would be written as neither kernel's.
void TraceProbe::attach_vfs_hooks() {
  vfs_hooks_ = false;
  if (!vfs_loaded_) {
    vfs_status_ = "VFS hooks: " + vfs_off_reason_ + ": " + kVfsOffEffect;
    return;
  }
  for (int p = kFirstVfs; p < kPrograms; ++p) {
    if (auto a = attach(static_cast<Program>(p), run_); !a) {
      for (int q = kFirstVfs; q < kPrograms; ++q) links_[q].reset();
      vfs_status_ = "VFS hooks: " + a.error().text() + ": " + kVfsOffEffect;
      return;
    }
  }
  vfs_hooks_ = true;
  vfs_status_ = std::string("VFS hooks: ") + kVfsHookPoints;
}

base::Result<void> TraceProbe::load(const ProbeConfig& config, std::string& core_btf_description) {
  LibbpfLog log;
  timespec phase_start{};
  clock_gettime(CLOCK_MONOTONIC, &phase_start);
  auto phase = [&](const char* name) { phases_.emplace_back(name, ms_since(phase_start)); };

  // The ring map is created on a second thread while this one opens the
  // object and libbpf reads and relocates against the kernel's BTF (most of
  // start-up): the kernel allocates all of the ring's pages at creation,
  // 10-12 ms for the default 64 MiB (strace -T), which then cost no wall
  // time where a second CPU is free.
  struct RingSetup {
    base::UniqueFd fd;
    int err = 0;
  } ring;
  std::thread ring_maker([&ring, &config] {
    ring.fd.reset(bpf_map_create(BPF_MAP_TYPE_RINGBUF, "events", 0, 0,
                                 static_cast<__u32>(config.ring_bytes), nullptr));
    if (!ring.fd) ring.err = errno;
  });
  struct JoinRing {
    std::thread& t;
    ~JoinRing() {
      if (t.joinable()) t.join();
    }
  } join_ring{ring_maker};

  std::optional<BtfLoadHeap> btf_heap(std::in_place);
  phase("fault in the heap libbpf will use");
  // CO-RE relocates against the part of the kernel's BTF the object can
  // match, built here while the ring is made on the second thread (core_btf.h).
  CoreBtf core_btf;
  SkelPtr<engine_bpf> skel;
  {
    LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = core_btf.path());
    skel.reset(engine_bpf__open_opts(&open_opts));
  }
  if (!skel)
    return base::Error{-errno, std::string("cannot open the engine BPF object: ") +
                                   std::strerror(errno) + "\n" + log.tail(5)};
  phase("open the object");
  core_btf.look_up_func("vfs_unlink");
  core_btf.build(bpf_object__btf(skel->obj));
  core_btf_description = core_btf.describe();
  phase("the kernel BTF subset CO-RE relocates against");
  // The VFS hooks where the kernel allows fentry; elsewhere left out of the
  // load, so that the rest of the engine loads as before.
  auto fentry = probe_fentry(core_btf.func_id());
  vfs_loaded_ = fentry.ok();
  if (!fentry) vfs_off_reason_ = fentry.error().text();
  for (int p = kFirstVfs; p < kPrograms; ++p)
    bpf_program__set_autoload(kProgramSpecs[p].get(skel.get()), vfs_loaded_);
  phase("fentry probe");
  skel->rodata->wakeup_bytes = config.wakeup_bytes;
  // The engine with the process-tree rule alone: no prefilter rules here,
  // so its rule tables (5 MiB of preallocated kernel memory) shrink to one
  // entry (start-up unchanged by it: 243 ms both, load 13, 15 pairs).
  skel->rodata->follow_tree = true;
  skel->rodata->cache_cwd = config.cache_cwd;
  bpf_map__set_max_entries(skel->maps.pf_rows, 1);
  bpf_map__set_max_entries(skel->maps.pf_rules, 1);
  bpf_map__set_max_entries(skel->maps.events, config.ring_bytes);
  ring_maker.join();
  phase("wait for the ring (created on a second thread)");
  if (ring.err)
    return base::Error{-ring.err, "cannot create the trace ring buffer (" +
                                      std::to_string(config.ring_bytes >> 20) +
                                      " MiB): " + std::strerror(ring.err)};
  // libbpf keeps a duplicate of the descriptor as the map's own.
  if (int err = bpf_map__reuse_fd(skel->maps.events, ring.fd.get()))
    return base::Error{err,
                       std::string("cannot use the trace ring buffer: ") + std::strerror(-err)};
  ring_fd_ = std::move(ring.fd);

  int load_err = engine_bpf__load(skel.get());
  phase("load: kernel BTF, CO-RE, verifier");
  if (int err = load_err) {
    return base::Error{err, std::string("cannot load the engine BPF programs: ") +
                                std::strerror(-err) + "\n" + log.tail(8)};
  }
  btf_heap.reset();
  // The probe keeps descriptors of its own, as it does of a preloaded
  // engine; libbpf's object goes.
  for (int p = 0; p < kPrograms; ++p)
    if (vfs_loaded_ || !is_vfs_hook(p))
      progs_[p].reset(dup_fd(bpf_program__fd(kProgramSpecs[p].get(skel.get()))));
  pending_fd_.reset(dup_fd(bpf_map__fd(skel->maps.pending)));
  batch_fd_.reset(dup_fd(bpf_map__fd(skel->maps.batch)));
  losses_fd_.reset(dup_fd(bpf_map__fd(skel->maps.losses)));
  bss_fd_.reset(dup_fd(bpf_map__fd(skel->maps.bss)));
  for (int p = 0; p < kPrograms; ++p)
    if (!progs_[p] && (vfs_loaded_ || !is_vfs_hook(p)))
      return base::Error{-errno, std::string("cannot keep the engine: ") + std::strerror(errno)};
  if (!pending_fd_ || !batch_fd_ || !losses_fd_ || !bss_fd_)
    return base::Error{-errno, std::string("cannot keep the engine: ") + std::strerror(errno)};
  skel.reset();
  if (auto m = map_bss(); !m) return m;
  start_map_ring(config.ring_bytes);
  phase("map the .bss");
  return {};
}

base::Result<void> TraceProbe::open_preloaded(const ProbeConfig& config) {
  auto stamp = read_stamp();
  if (!stamp) return stamp.error();
  Stamp want = stamp_of(config);
  if (stamp->object != want.object || stamp->bss_bytes != want.bss_bytes)
    return base::Error{-ESTALE,
                       "another build of bpfaudit loaded it (`bpfaudit engine preload-trace` "
                       "loads this one)"};
  if (stamp->ring_bytes != want.ring_bytes)
    return base::Error{-EINVAL, "its ring buffer is " + std::to_string(stamp->ring_bytes >> 20) +
                                    " MiB, this run asks for " +
                                    std::to_string(want.ring_bytes >> 20)};
  if (stamp->wakeup_bytes != want.wakeup_bytes)
    return base::Error{-EINVAL, "it batches wake-ups by another size"};
  // One run at a time: the engine's tables and ring are the run's.
  ::mkdir("/run/bpfaudit", 0755);
  lock_fd_.reset(::open(kLockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd_)
    return base::Error{-errno, std::string("cannot open ") + kLockPath + ": " + std::strerror(errno)};
  if (flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0)
    return base::Error{-EBUSY, errno == EWOULDBLOCK ? std::string("another autrace is using it")
                                                    : std::string("cannot lock ") + kLockPath +
                                                          ": " + std::strerror(errno)};
  auto get = [](const char* name, base::UniqueFd& fd) -> base::Result<void> {
    fd.reset(bpf_obj_get(pin(name).c_str()));
    if (!fd) return base::Error{-errno, "cannot open " + pin(name) + ": " + std::strerror(errno)};
    return {};
  };
  for (int p = 0; p < kFirstVfs; ++p)
    if (auto r = get(kProgramSpecs[p].name, progs_[p]); !r) return r;
  // The VFS hooks are pinned only when the kernel let them load at preload.
  vfs_loaded_ = true;
  for (int p = kFirstVfs; p < kPrograms && vfs_loaded_; ++p)
    if (auto r = get(kProgramSpecs[p].name, progs_[p]); !r) {
      vfs_loaded_ = false;
      vfs_off_reason_ = r.error().code == -ENOENT
                            ? std::string("not in the preloaded engine (its load was refused "
                                          "fentry; `bpfaudit engine preload-trace` said why)")
                            : "the preloaded engine's: " + r.error().text();
    }
  if (!vfs_loaded_)
    for (int p = kFirstVfs; p < kPrograms; ++p) progs_[p].reset();
  base::UniqueFd* maps[] = {&ring_fd_, &pending_fd_, &batch_fd_, &losses_fd_, &bss_fd_};
  for (std::size_t i = 0; i < std::size(kMapPins); ++i)
    if (auto r = get(kMapPins[i], *maps[i]); !r) return r;
  entry_events_preloaded_ = true;
  for (Program p : {kEnterExecve, kEnterExecveat, kEnterChdir})
    if (::access(pin(kEntryLinkPins[p - kEnterExecve]).c_str(), F_OK) != 0)
      entry_events_preloaded_ = false;
  if (auto m = map_bss(); !m) return m;
  start_map_ring(config.ring_bytes);
  return {};
}

void TraceProbe::start_map_ring(std::size_t ring_bytes) {
  ring_bytes_ = ring_bytes;
  positions_mapped_ = map_positions();
  if (positions_mapped_)
    ring_mapper_ = std::thread([this, ring_bytes] { data_mapped_ = map_data(ring_bytes); });
  else
    data_mapped_ = positions_mapped_;
}

base::Result<void> TraceProbe::ring_ready() {
  // What an earlier run of a preloaded engine left unread is not this run's.
  if (positions_mapped_ && !positions_reset_) {
    __atomic_store_n(consumer_pos_, __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE),
                     __ATOMIC_RELEASE);
    positions_reset_ = true;
  }
  return positions_mapped_;
}

base::Result<void> TraceProbe::data_ready() {
  std::call_once(data_once_, [this] {
    if (ring_mapper_.joinable()) ring_mapper_.join();
  });
  return data_mapped_;
}

base::Result<void> TraceProbe::map_bss() {
  bss_bytes_ = (sizeof(Bss) + page_size_ - 1) & ~(page_size_ - 1);
  void* at = mmap(nullptr, bss_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, bss_fd_.get(), 0);
  if (at == MAP_FAILED)
    return base::Error{-errno, std::string("cannot map the engine's .bss: ") + std::strerror(errno)};
  bss_ = at;
  return {};
}

// The consumer position (read-write: the only page the kernel lets us
// write) and the producer position, a page each.
base::Result<void> TraceProbe::map_positions() {
  auto failed = [] {
    return base::Error{-errno,
                       std::string("cannot map the trace ring buffer: ") + std::strerror(errno)};
  };
  void* cons = mmap(nullptr, page_size_, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd_.get(), 0);
  if (cons == MAP_FAILED) return failed();
  consumer_pos_ = static_cast<std::uint64_t*>(cons);
  void* prod = mmap(nullptr, page_size_, PROT_READ, MAP_SHARED, ring_fd_.get(),
                    static_cast<off_t>(page_size_));
  if (prod == MAP_FAILED) return failed();
  producer_pos_ = static_cast<const std::uint64_t*>(prod);
  (void)madvise(cons, page_size_, MADV_DONTFORK);
  (void)madvise(prod, page_size_, MADV_DONTFORK);
  return {};
}

// The data area once (a record that wraps is joined in consume()): mapped
// twice, as libbpf's ring_buffer does, mmap and munmap took 6 and 7.5 ms.
// Mapped alone, after the position pages (strace of a preloaded autrace
// /bin/true: the traced program had waited 5.4 ms for it before exec).
base::Result<void> TraceProbe::map_data(std::size_t ring_bytes) {
  void* data = mmap(nullptr, ring_bytes, PROT_READ, MAP_SHARED, ring_fd_.get(),
                    static_cast<off_t>(2 * page_size_));
  if (data == MAP_FAILED)
    return base::Error{-errno,
                       std::string("cannot map the trace ring buffer: ") + std::strerror(errno)};
  ring_data_ = static_cast<const std::uint8_t*>(data);
  // The traced program may be forked while this runs: the kernel maps the
  // ring page by page (no faults to fill it later), so a fork copies all 16k
  // page table entries of the default 64 MiB into the child and its exec
  // tears them down again (copy_page_range and folio_remove_rmap_ptes in a
  // perf profile of traced tar runs). The child never reads the ring.
  (void)madvise(data, ring_bytes, MADV_DONTFORK);
  ring_mask_ = ring_bytes - 1;
  return {};
}

void TraceProbe::start_run(const ProbeConfig& config) {
  auto* bss = static_cast<Bss*>(bss_);
  // What an earlier run of a preloaded engine left: its loss counts, events
  // still in a CPU's batch (it was killed before draining); its unread
  // records are skipped in ring_ready().
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu > 0) {
    std::vector<std::uint64_t> zeros(static_cast<std::size_t>(ncpu));
    for (std::uint32_t r = 0; r < kLossReasons; ++r)
      bpf_map_update_elem(losses_fd_.get(), &r, zeros.data(), BPF_ANY);
    std::vector<std::uint8_t> empty(kBatchValueBytes * static_cast<std::size_t>(ncpu));
    std::uint32_t zero = 0;
    bpf_map_update_elem(batch_fd_.get(), &zero, empty.data(), BPF_ANY);
  }
  std::memset(bss->syscall_bits, 0, sizeof bss->syscall_bits);
  if (config.syscalls.empty()) {
    for (auto& word : bss->syscall_bits) word = ~0ull;
  } else {
    for (int nr : config.syscalls)
      if (nr >= 0 && nr < BPFAUDIT_MAX_SYSCALLS) bss->syscall_bits[nr / 64] |= 1ull << (nr % 64);
  }
  std::memset(bss->path_args, 0, sizeof bss->path_args);
  for (const auto& [nr, args] : path_syscalls()) {
    if (nr < 0 || nr >= BPFAUDIT_MAX_SYSCALLS) continue;
    bss->path_args[nr] = static_cast<std::uint8_t>((args.first + 1) | ((args.second + 1) << 4));
  }
  // Where the stat family puts what it found: the PATH record's inode.
  std::memset(bss->statbuf_args, 0, sizeof bss->statbuf_args);
  const std::tuple<const char*, int, int> kStatBuffers[] = {
      {"stat", 1, 0}, {"lstat", 1, 0}, {"newfstatat", 2, 0}, {"statx", 4, 1}};
  for (const auto& [name, arg, kind] : kStatBuffers)
    if (auto nr = syscall_number(name); nr && *nr < BPFAUDIT_MAX_SYSCALLS)
      bss->statbuf_args[*nr] = static_cast<std::uint8_t>((arg + 1) | (kind << 4));
  // The kernel audits the address these were given (move_addr_to_kernel).
  std::memset(bss->sockaddr_args, 0, sizeof bss->sockaddr_args);
  const std::tuple<const char*, int, int> kSockaddrArgs[] = {
      {"connect", 1, 2}, {"bind", 1, 2}, {"sendto", 4, 5}};
  for (const auto& [name, addr, len] : kSockaddrArgs)
    if (auto nr = syscall_number(name); nr && *nr < BPFAUDIT_MAX_SYSCALLS)
      bss->sockaddr_args[*nr] = static_cast<std::uint8_t>((addr + 1) | ((len + 1) << 4));
  std::memset(bss->syscall_flags, 0, sizeof bss->syscall_flags);
  const std::pair<const char*, std::uint8_t> kFlags[] = {
      {"open", BPFAUDIT_SCF_OPENS_FD},   {"creat", BPFAUDIT_SCF_OPENS_FD},
      {"openat", BPFAUDIT_SCF_OPENS_FD}, {"openat2", BPFAUDIT_SCF_OPENS_FD},
      {"execve", BPFAUDIT_SCF_EXEC},     {"execveat", BPFAUDIT_SCF_EXEC},
      {"exit", BPFAUDIT_SCF_EXIT},       {"exit_group", BPFAUDIT_SCF_EXIT},
      {"chdir", BPFAUDIT_SCF_CHDIR}};
  for (const auto& [name, flag] : kFlags)
    if (auto nr = syscall_number(name); nr && *nr < BPFAUDIT_MAX_SYSCALLS)
      bss->syscall_flags[*nr] |= flag;
  // Nothing is attached yet: the tables are complete before any program
  // reads them under this run's number.
  run_ = bss->trace_runs + 1;
  bss->trace_runs = run_;
  __atomic_store_n(&bss->trace_run, run_, __ATOMIC_RELEASE);
}

base::Result<void> TraceProbe::attach(Program p, std::uint64_t cookie) {
  const ProgramSpec& spec = kProgramSpecs[p];
  auto failed = [&](const char* what) {
    return base::Error{-errno, std::string("cannot attach ") + spec.name + " (" + what +
                                   "): " + std::strerror(errno)};
  };
  if (!spec.syscall_event) {
    links_[p].reset(bpf_raw_tracepoint_open(nullptr, progs_[p].get()));
    if (!links_[p]) return failed(is_vfs_hook(p) ? "fentry" : "tp_btf");
    return {};
  }
  // A syscall event, through perf as libbpf attaches one, with the run's
  // number as the attachment's cookie: the program acts only while it is
  // the engine's current run (engine.bpf.c, save_entry); 0 for every run.
  std::string id_path;
  for (const char* root : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    id_path = std::string(root) + "/events/syscalls/" + spec.syscall_event + "/id";
    if (::access(id_path.c_str(), R_OK) == 0) break;
  }
  std::FILE* f = std::fopen(id_path.c_str(), "re");
  if (!f) return failed(id_path.c_str());
  unsigned long long id = 0;
  bool read = std::fscanf(f, "%llu", &id) == 1;
  std::fclose(f);
  if (!read) return failed(id_path.c_str());
  perf_event_attr attr{};
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.size = sizeof attr;
  attr.config = id;
  base::UniqueFd event(static_cast<int>(
      ::syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC)));
  if (!event) return failed("perf_event_open");
  LIBBPF_OPTS(bpf_link_create_opts, opts);
  opts.perf_event.bpf_cookie = cookie;
  links_[p].reset(bpf_link_create(progs_[p].get(), event.get(), BPF_PERF_EVENT, &opts));
  if (!links_[p]) return failed("bpf_link_create");
  if (ioctl(event.get(), PERF_EVENT_IOC_ENABLE, 0) != 0) {
    links_[p].reset();
    return failed("enable");
  }
  return {};  // the link holds the event
}

TraceProbe::~TraceProbe() {
  (void)data_ready();
  if (consumer_pos_) munmap(consumer_pos_, page_size_);
  if (producer_pos_) munmap(const_cast<std::uint64_t*>(producer_pos_), page_size_);
  if (ring_data_) munmap(const_cast<std::uint8_t*>(ring_data_), ring_bytes_);
  if (bss_) {
    // The run is over: nothing left attached acts for it any more.
    __atomic_store_n(&static_cast<Bss*>(bss_)->trace_run, 0u, __ATOMIC_RELEASE);
    release_entry_events_in_background();
    munmap(bss_, bss_bytes_);
  }
}

// The last close of a syscall entry event waits for tracepoint grace periods
// under the kernel's event mutex: 40-70 ms each, one after another, 215 ms of
// `autrace /bin/true` (36 ms before the entry events). The programs are
// inert by then (the engine's run number is 0 and they act only for the run
// their attachment's cookie names), so another process holding copies of
// the links (which hold the events) takes the last close after autrace has
// exited, and ours are plain reference drops. That process is /bin/cat,
// spawned (vfork and exec: no copy of autrace's page tables) with its input
// a pipe autrace holds the other end of, the links, and nothing else open
// (a reader of autrace's output gets EOF on time): it reads to EOF when
// autrace exits, then exits itself, closing them. A fork of autrace did the
// same and cost its exit 10-13 ms (strace -T: copying, then tearing down,
// the mappings of the ring and the heap). The links keep their numbers in
// cat: moving them past 1024 made the kernel grow the fd table, which in a
// threaded process waits for an RCU grace period (7 ms).
void TraceProbe::release_entry_events_in_background() {
  std::vector<int> keep;
  for (Program p : {kEnterExecve, kEnterExecveat, kEnterChdir})
    if (links_[p]) keep.push_back(links_[p].get());
  if (keep.empty()) return;
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) != 0) return;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, gate[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Every other descriptor of ours is close-on-exec.
  for (int fd : keep) posix_spawn_file_actions_adddup2(&actions, fd, fd);  // clears FD_CLOEXEC
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
  if (auto r = ring_ready(); !r) return r;
  // A process that has not yet run anything has one thread, whose id is the
  // tgid; its descendants and threads are added at fork, in the kernel.
  // It is blocked in a read that began before it was traced: the exit of
  // that read is not the program's.
  // The traced-thread table is task-local storage, which userspace names
  // by a pidfd.
  bpfaudit_pending idle{};
  idle.nr = BPFAUDIT_NR_SKIP;
  idle.run = run_;
  auto failed = [&] {
    return base::Error{-errno, std::string("cannot add pid ") + std::to_string(tgid) +
                                   " to the traced set: " + std::strerror(errno)};
  };
  base::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0)));
  if (!pidfd) return failed();
  int key = pidfd.get();
  if (bpf_map_update_elem(pending_fd_.get(), &key, &idle, BPF_NOEXIST))
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
  if (auto r = data_ready(); !r) return r.error().code ? r.error().code : -EIO;
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
  for (Program p : {kSysExit, kSwitch, kTaskExit}) links_[p].reset();
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  const std::size_t value = kBatchValueBytes;
  std::vector<std::uint8_t> values(value * static_cast<std::size_t>(ncpu));
  std::uint32_t zero = 0;
  auto read = [&] {
    return bpf_map_lookup_elem(batch_fd_.get(), &zero, values.data()) == 0;
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
    if (bpf_map_lookup_elem(losses_fd_.get(), &r, values.data()) == 0)
      for (auto v : values) total[r] += v;
  }
  return total;
}

}  // namespace bpfaudit::ebpf

namespace bpfaudit::ebpf {

base::Result<void> TracePreload::load(const ProbeConfig& config, std::string* vfs_status) {
  if (geteuid() != 0) return base::Error{-EPERM, "preloading the trace engine needs root"};
  if (access(kBtfPath, R_OK) != 0)
    return base::Error{-errno, std::string("kernel BTF not available (") + kBtfPath + ": " +
                                   std::strerror(errno) +
                                   "); the engine needs a kernel built with CONFIG_DEBUG_INFO_BTF"};
  std::unique_ptr<TraceProbe> probe(new TraceProbe());
  probe->page_size_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::string core_btf;
  ProbeConfig preload = config;
  preload.cache_cwd = true;
  if (auto loaded = probe->load(preload, core_btf); !loaded) return loaded.error();
  if (vfs_status)
    *vfs_status = probe->vfs_loaded_ ? std::string("VFS hooks: ") + kVfsHookPoints
                                     : "VFS hooks: " + probe->vfs_off_reason_ + ": " + kVfsOffEffect;
  if (auto fs = ensure_bpffs(); !fs) return fs.error();
  (void)unload();  // one preloaded engine: a new one replaces the old
  ::mkdir("/sys/fs/bpf/bpfaudit", 0700);
  if (::mkdir(kPinDir, 0700) != 0 && errno != EEXIST)
    return base::Error{-errno, std::string("cannot make ") + kPinDir + ": " + std::strerror(errno)};
  auto pin_fd = [](int fd, const char* name) -> base::Result<void> {
    if (bpf_obj_pin(fd, pin(name).c_str()) != 0)
      return base::Error{-errno, "cannot pin " + pin(name) + ": " + std::strerror(errno)};
    return {};
  };
  base::Result<void> pinned;
  for (int p = 0; p < TraceProbe::kPrograms && pinned; ++p)
    if (probe->progs_[p]) pinned = pin_fd(probe->progs_[p].get(), kProgramSpecs[p].name);
  const base::UniqueFd* maps[] = {&probe->ring_fd_, &probe->pending_fd_, &probe->batch_fd_,
                                  &probe->losses_fd_, &probe->bss_fd_};
  for (std::size_t i = 0; i < std::size(kMapPins) && pinned; ++i)
    pinned = pin_fd(maps[i]->get(), kMapPins[i]);
  // The entry events, attached for every run (cookie 0) while preloaded;
  // without tracefs, runs attach the fallback program on sys_enter instead.
  // All three or none: with some kept attached, a run would attach its own
  // set as well and an exec or chdir would be recorded twice.
  if (pinned && ensure_tracefs().ok()) {
    for (auto p : {TraceProbe::kEnterExecve, TraceProbe::kEnterExecveat, TraceProbe::kEnterChdir}) {
      if (!probe->attach(p, 0)) {
        for (const char* l : kEntryLinkPins) ::unlink(pin(l).c_str());
        break;
      }
      pinned = pin_fd(probe->links_[p].get(), kEntryLinkPins[p - TraceProbe::kEnterExecve]);
      probe->links_[p].reset();  // the pin holds it
      if (!pinned) break;
    }
  }
  if (pinned) {
    // Last: a stamp in place means every other pin is.
    Stamp st = stamp_of(config);
    base::UniqueFd stamp(bpf_map_create(BPF_MAP_TYPE_ARRAY, "trace_stamp", sizeof(std::uint32_t),
                                        sizeof st, 1, nullptr));
    std::uint32_t zero = 0;
    if (!stamp || bpf_map_update_elem(stamp.get(), &zero, &st, BPF_ANY) != 0)
      pinned = base::Error{-errno, std::string("cannot write the trace engine's stamp: ") +
                                       std::strerror(errno)};
    else
      pinned = pin_fd(stamp.get(), kStampPin);
  }
  if (!pinned) (void)unload();  // nothing half-pinned stays
  return pinned;
}

base::Result<void> TracePreload::unload() {
  base::Result<void> result;
  std::vector<const char*> names{kStampPin};  // first: no run takes it from here on
  for (const char* l : kEntryLinkPins) names.push_back(l);
  for (const auto& spec : kProgramSpecs) names.push_back(spec.name);
  for (const char* m : kMapPins) names.push_back(m);
  for (const char* n : names)
    if (::unlink(pin(n).c_str()) != 0 && errno != ENOENT)
      result = base::Error{-errno, "cannot remove " + pin(n) + ": " + std::strerror(errno)};
  if (::rmdir(kPinDir) != 0 && errno != ENOENT && result)
    result = base::Error{-errno, std::string("cannot remove ") + kPinDir + ": " + std::strerror(errno)};
  ::rmdir("/sys/fs/bpf/bpfaudit");  // when the prefilter's engine is not there too
  // The lock guards the engine just unpinned: a run still holding it keeps
  // its own descriptor, and an engine preloaded later gets a lock of its own.
  ::unlink(kLockPath);
  ::rmdir("/run/bpfaudit");  // when the prefilter's catalog is not there too
  return result;
}

TracePreload::State TracePreload::state() {
  State st;
  auto stamp = read_stamp();
  if (!stamp) return st;
  st.loaded = true;
  st.ring_bytes = stamp->ring_bytes;
  Stamp ours = stamp_of(ProbeConfig{});
  st.other_build = stamp->object != ours.object || stamp->bss_bytes != ours.bss_bytes;
  st.entry_events = ::access(pin(kEntryLinkPins[0]).c_str(), F_OK) == 0;
  st.vfs_hooks = ::access(pin(kProgramSpecs[TraceProbe::kFirstVfs].name).c_str(), F_OK) == 0;
  base::UniqueFd lock(::open(kLockPath, O_RDONLY | O_CLOEXEC));
  if (lock && flock(lock.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) st.in_use = true;
  if (!st.other_build) {
    base::UniqueFd bss(bpf_obj_get(pin("bss").c_str()));
    Bss value{};
    std::uint32_t zero = 0;
    if (bss && bpf_map_lookup_elem(bss.get(), &zero, &value) == 0) st.runs = value.trace_runs;
  }
  return st;
}

}  // namespace bpfaudit::ebpf
