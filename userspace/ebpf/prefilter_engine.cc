#include "prefilter_engine.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "bpfaudit_prefilter.h"
#include "prefilter.skel.h"

namespace bpfaudit::probe {

namespace {

static_assert(kEngineRowMax == BPFAUDIT_PF_ROW_MAX);
static_assert(kEngineMaxFields == BPFAUDIT_PF_MAX_FIELDS);
static_assert(kEngineMaxRules == BPFAUDIT_PF_MAX_RULES);
static_assert(kEngineMaxSyscalls == BPFAUDIT_PF_MAX_SYSCALLS);
static_assert(kEngineLossReasons == BPFAUDIT_PF_LOSS_NREASONS);
static_assert(static_cast<int>(EngineFieldKind::kPid) == BPFAUDIT_PF_F_PID);
static_assert(static_cast<int>(EngineFieldKind::kAuid) == BPFAUDIT_PF_F_AUID);
static_assert(static_cast<int>(EngineFieldKind::kSuccess) == BPFAUDIT_PF_F_SUCCESS);
static_assert(static_cast<int>(EngineFieldKind::kArg3) == BPFAUDIT_PF_F_ARG3);
static_assert(static_cast<int>(EngineOp::kEq) == BPFAUDIT_PF_OP_EQ);
static_assert(static_cast<int>(EngineOp::kGe) == BPFAUDIT_PF_OP_GE);
static_assert(static_cast<int>(EngineOp::kBittest) == BPFAUDIT_PF_OP_BITTEST);

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";
// 8 MiB: matches are rare next to autrace's every-syscall stream; at the
// SYSCALL event's 5 KiB this holds ~1,600 events while no daemon reads.
constexpr std::size_t kRingBytes = 8u << 20;
// Batch wake-ups: the daemon also drains the ring on its 100 ms timer.
constexpr std::uint64_t kWakeupBytes = 64u << 10;

std::string pin(const char* name) { return std::string(PrefilterEngine::kPinDir) + "/" + name; }

struct MapPin {
  const char* name;
  bpf_map* (*get)(prefilter_bpf*);
};

const MapPin kMaps[] = {
    {"rows", [](prefilter_bpf* s) { return s->maps.pf_rows; }},
    {"rules", [](prefilter_bpf* s) { return s->maps.pf_rules; }},
    {"losses", [](prefilter_bpf* s) { return s->maps.pf_losses; }},
    {"events", [](prefilter_bpf* s) { return s->maps.pf_events; }},
    {"state", [](prefilter_bpf* s) { return s->maps.pf_state; }},  // last: see pinned()
};
constexpr const char* kLinkPin = "link";

// libbpf's messages (the verifier log among them) only when asked for:
// BPFAUDIT_BPF_LOG=1, as for autrace.
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  static const bool verbose = std::getenv("BPFAUDIT_BPF_LOG") != nullptr;
  if (!verbose || level == LIBBPF_DEBUG) return 0;
  return std::vfprintf(stderr, fmt, ap);
}

// Pins need the BPF file system at /sys/fs/bpf. systemd mounts it at boot;
// a host without systemd (or a minimal VM) may not have it, so it is mounted
// here as systemd would, and left mounted: it is the system's, not ours.
bool ensure_bpffs(std::string& error) {
  struct statfs fs {};
  if (::statfs("/sys/fs/bpf", &fs) == 0 && fs.f_type == BPF_FS_MAGIC) return true;
  if (::mount("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0) {
    error = std::string("cannot mount the BPF file system on /sys/fs/bpf: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

const char* engine_loss_reason_name(int reason) {
  switch (reason) {
    case BPFAUDIT_PF_LOSS_RING:
      return "ring-full";
    case BPFAUDIT_PF_LOSS_EXE_WALK:
      return "exe-walk-cut";
    default:
      return "unknown";
  }
}

// The maps are the engine: pinned while the prefilter is on. The program is
// attached (its link pinned) only while the engine holds rules, so an engine
// with nothing to evaluate costs no syscall anything.
bool PrefilterEngine::pinned() { return ::access(pin("state").c_str(), F_OK) == 0; }

bool PrefilterEngine::attached() { return ::access(pin(kLinkPin).c_str(), F_OK) == 0; }

std::optional<PrefilterEngine> PrefilterEngine::open_pinned(std::string& error) {
  if (!pinned()) {
    error = "the prefilter engine is not loaded";
    return std::nullopt;
  }
  PrefilterEngine e;
  base::UniqueFd* fds[] = {&e.rows_fd_, &e.rules_fd_, &e.losses_fd_, &e.ring_fd_, &e.state_fd_};
  for (std::size_t i = 0; i < std::size(kMaps); ++i) {
    fds[i]->reset(bpf_obj_get(pin(kMaps[i].name).c_str()));
    if (!*fds[i]) {
      error = "cannot open " + pin(kMaps[i].name) + ": " + std::strerror(errno);
      return std::nullopt;
    }
  }
  return e;
}

namespace {

struct SkelDeleter {
  void operator()(prefilter_bpf* s) const { prefilter_bpf__destroy(s); }
};
using Skel = std::unique_ptr<prefilter_bpf, SkelDeleter>;

// Opens and loads the object; with `reuse_pins`, onto the pinned maps.
Skel load_object(bool reuse_pins, std::string& error) {
  libbpf_set_print(libbpf_print);
  Skel skel(prefilter_bpf__open());
  if (!skel) {
    error = std::string("cannot open the prefilter BPF object: ") + std::strerror(errno);
    return nullptr;
  }
  bpf_map__set_max_entries(skel->maps.pf_events, kRingBytes);
  if (reuse_pins)
    for (const auto& m : kMaps) bpf_map__set_pin_path(m.get(skel.get()), pin(m.name).c_str());
  if (int err = prefilter_bpf__load(skel.get())) {
    error = std::string("cannot load the prefilter BPF program: ") + std::strerror(-err) +
            (err == -EPERM ? " (BPF refused: lockdown or missing CAP_BPF)"
                           : " (BPFAUDIT_BPF_LOG=1 shows the verifier's log)");
    return nullptr;
  }
  return skel;
}

}  // namespace

std::optional<PrefilterEngine> PrefilterEngine::load_or_open(std::string& error) {
  if (pinned()) return open_pinned(error);
  if (geteuid() != 0) {
    error = "the prefilter engine needs root";
    return std::nullopt;
  }
  if (::access(kBtfPath, R_OK) != 0) {
    error = std::string("kernel BTF not available (") + kBtfPath + ": " + std::strerror(errno) +
            "); the engine needs a kernel built with CONFIG_DEBUG_INFO_BTF";
    return std::nullopt;
  }
  // Loaded now, though attached only with rules, so that a kernel that
  // refuses the program says so when the prefilter is turned on.
  Skel skel = load_object(false, error);
  if (!skel) return std::nullopt;
  // Empty and disabled until the first install; the tables are zero.
  bpfaudit_pf_state st{};
  st.wakeup_bytes = kWakeupBytes;
  std::uint32_t zero = 0;
  bpf_map_update_elem(bpf_map__fd(skel->maps.pf_state), &zero, &st, BPF_ANY);
  if (!ensure_bpffs(error)) return std::nullopt;
  ::mkdir("/sys/fs/bpf/bpfaudit", 0700);
  ::mkdir(kPinDir, 0700);
  // "state" is pinned last: pinned() is true only once every map is in place.
  for (const auto& m : kMaps) {
    if (bpf_map__pin(m.get(skel.get()), pin(m.name).c_str()) != 0) {
      error = "cannot pin " + pin(m.name) + ": " + std::strerror(errno);
      std::string ignored;
      unpin(ignored);
      return std::nullopt;
    }
  }
  skel.reset();
  return open_pinned(error);
}

bool PrefilterEngine::attach(std::string& error) {
  if (attached()) return true;
  Skel skel = load_object(true, error);
  if (!skel) return false;
  bpf_link* link = bpf_program__attach(skel->progs.pf_sys_exit);
  if (!link) {
    error = std::string("cannot attach the prefilter program to ") + kProbePath + ": " +
            std::strerror(errno);
    return false;
  }
  bool ok = bpf_link__pin(link, pin(kLinkPin).c_str()) == 0;
  if (!ok) error = "cannot pin " + pin(kLinkPin) + ": " + std::strerror(errno);
  bpf_link__destroy(link);  // the pin, if any, holds it
  return ok;
}

void PrefilterEngine::detach() { ::unlink(pin(kLinkPin).c_str()); }

bool PrefilterEngine::unpin(std::string& error) {
  bool ok = true;
  // The link first, so the program stops before its maps go.
  std::vector<std::string> names{kLinkPin};
  for (const auto& m : kMaps) names.emplace_back(m.name);
  for (const auto& n : names) {
    if (::unlink(pin(n.c_str()).c_str()) != 0 && errno != ENOENT) {
      error = "cannot remove " + pin(n.c_str()) + ": " + std::strerror(errno);
      ok = false;
    }
  }
  ::rmdir(kPinDir);
  ::rmdir("/sys/fs/bpf/bpfaudit");
  return ok;
}

bool PrefilterEngine::install(const std::vector<EngineRule>& rules, std::string& error) {
  if (rules.size() > static_cast<std::size_t>(kEngineMaxRules)) {
    error = "too many engine rules";
    return false;
  }
  std::uint32_t zero = 0;
  bpfaudit_pf_state st{};
  if (bpf_map_lookup_elem(state_fd_.get(), &zero, &st) != 0) {
    error = std::string("cannot read the engine state: ") + std::strerror(errno);
    return false;
  }
  std::uint32_t next = (st.gen + 1) & 1;
  std::vector<bpfaudit_pf_row> rows(BPFAUDIT_PF_ROWS);
  for (auto& r : rows) std::memset(&r, 0, sizeof r);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const EngineRule& r = rules[i];
    bpfaudit_pf_rule out{};
    out.action = r.always ? BPFAUDIT_PF_ALWAYS : BPFAUDIT_PF_NEVER;
    if (r.fields.size() > BPFAUDIT_PF_MAX_FIELDS || r.key.size() >= sizeof out.key) {
      error = "engine rule too large";
      return false;
    }
    out.nfields = static_cast<std::uint32_t>(r.fields.size());
    for (std::size_t f = 0; f < r.fields.size(); ++f)
      out.fields[f] = {r.fields[f].field, r.fields[f].op, r.fields[f].value};
    std::memcpy(out.key, r.key.data(), r.key.size());
    std::uint32_t key = next * BPFAUDIT_PF_MAX_RULES + static_cast<std::uint32_t>(i);
    if (bpf_map_update_elem(rules_fd_.get(), &key, &out, BPF_ANY) != 0) {
      error = std::string("cannot write an engine rule: ") + std::strerror(errno);
      return false;
    }
    for (const auto& s : r.syscalls) {
      if (s.arch < 0 || s.arch >= BPFAUDIT_PF_NR_ARCH || s.nr < 0 ||
          s.nr >= BPFAUDIT_PF_MAX_SYSCALLS) {
        error = "engine syscall out of range";
        return false;
      }
      auto& row = rows[static_cast<std::size_t>(s.arch * BPFAUDIT_PF_MAX_SYSCALLS + s.nr)];
      if (row.count >= BPFAUDIT_PF_ROW_MAX) {
        error = "an engine syscall row is full";
        return false;
      }
      row.rule[row.count++] = static_cast<std::uint16_t>(i);
    }
  }
  for (std::uint32_t i = 0; i < BPFAUDIT_PF_ROWS; ++i) {
    std::uint32_t key = next * BPFAUDIT_PF_ROWS + i;
    if (bpf_map_update_elem(rows_fd_.get(), &key, &rows[i], BPF_ANY) != 0) {
      error = std::string("cannot write an engine row: ") + std::strerror(errno);
      return false;
    }
  }
  st.gen = next;
  st.enabled = 1;
  if (bpf_map_update_elem(state_fd_.get(), &zero, &st, BPF_ANY) != 0) {
    error = std::string("cannot switch the engine generation: ") + std::strerror(errno);
    return false;
  }
  if (rules.empty()) {
    detach();
    return true;
  }
  return attach(error);
}

bool PrefilterEngine::set_enabled(bool enabled) {
  std::uint32_t zero = 0;
  bpfaudit_pf_state st{};
  if (bpf_map_lookup_elem(state_fd_.get(), &zero, &st) != 0) return false;
  st.enabled = enabled ? 1 : 0;
  return bpf_map_update_elem(state_fd_.get(), &zero, &st, BPF_ANY) == 0;
}

bool PrefilterEngine::set_daemon_tgid(std::uint32_t tgid) {
  std::uint32_t zero = 0;
  bpfaudit_pf_state st{};
  if (bpf_map_lookup_elem(state_fd_.get(), &zero, &st) != 0) return false;
  st.daemon_tgid = tgid;
  return bpf_map_update_elem(state_fd_.get(), &zero, &st, BPF_ANY) == 0;
}

std::uint32_t PrefilterEngine::daemon_tgid() const {
  std::uint32_t zero = 0;
  bpfaudit_pf_state st{};
  if (bpf_map_lookup_elem(state_fd_.get(), &zero, &st) != 0) return 0;
  return st.daemon_tgid;
}

EngineState PrefilterEngine::state() const {
  EngineState s;
  s.pinned = state_fd_.valid();
  s.attached = attached();
  s.path = kProbePath;
  std::uint32_t zero = 0;
  bpfaudit_pf_state st{};
  if (bpf_map_lookup_elem(state_fd_.get(), &zero, &st) == 0) {
    s.enabled = st.enabled != 0;
    s.gen = st.gen;
  }
  // Live rules: distinct indexes named by the live generation's rows.
  std::vector<bool> seen(BPFAUDIT_PF_MAX_RULES);
  for (std::uint32_t i = 0; i < BPFAUDIT_PF_ROWS; ++i) {
    std::uint32_t key = (st.gen & 1) * BPFAUDIT_PF_ROWS + i;
    bpfaudit_pf_row row{};
    if (bpf_map_lookup_elem(rows_fd_.get(), &key, &row) != 0) continue;
    for (int j = 0; j < row.count && j < BPFAUDIT_PF_ROW_MAX; ++j)
      if (!seen[row.rule[j] % BPFAUDIT_PF_MAX_RULES]) {
        seen[row.rule[j] % BPFAUDIT_PF_MAX_RULES] = true;
        ++s.rules;
      }
  }
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu > 0) {
    std::vector<std::uint64_t> per(static_cast<std::size_t>(ncpu));
    for (std::uint32_t r = 0; r < BPFAUDIT_PF_LOSS_NREASONS; ++r) {
      if (bpf_map_lookup_elem(losses_fd_.get(), &r, per.data()) != 0) continue;
      for (auto v : per) s.losses[r] += v;
    }
  }
  return s;
}

bool decode_engine_event(const void* data, std::size_t size, EngineEvent& out) {
  if (size < sizeof(bpfaudit_pf_event)) return false;
  bpfaudit_pf_event ev;
  std::memcpy(&ev, data, sizeof ev);
  if (ev.abi != BPFAUDIT_PF_ABI_VERSION || ev.size != sizeof ev) return false;
  auto cstr = [](const char* p, std::size_t max) { return std::string(p, strnlen(p, max)); };
  SyscallEvent& s = out.event;
  s = SyscallEvent{};
  out.boot_ns = ev.ts_ns;
  s.enter_ns = ev.ts_ns;
  s.arch = ev.arch;
  s.nr = ev.nr;
  for (int i = 0; i < 4; ++i) s.args[static_cast<std::size_t>(i)] = ev.args[i];
  s.ret = ev.ret;
  s.pid = ev.pid;
  s.tid = ev.tid;
  s.ppid = ev.ppid;
  s.auid = ev.auid;
  s.ses = ev.ses;
  s.uid = ev.uid;
  s.gid = ev.gid;
  s.euid = ev.euid;
  s.suid = ev.suid;
  s.fsuid = ev.fsuid;
  s.egid = ev.egid;
  s.sgid = ev.sgid;
  s.fsgid = ev.fsgid;
  s.comm = cstr(ev.comm, sizeof ev.comm);
  s.tty = cstr(ev.tty, sizeof ev.tty);
  if (ev.exe.len > 0 && ev.exe.len <= sizeof ev.exe.names)
    s.exe = join_dentry_names(ev.exe.names, ev.exe.len);
  // The kernel's audit_log_proctitle: the argv area up to 128 bytes with
  // trailing NULs trimmed, or comm when nothing could be read.
  std::size_t plen = std::min<std::size_t>(ev.proctitle_len, sizeof ev.proctitle);
  std::string title(ev.proctitle, plen);
  while (!title.empty() && title.back() == '\0') title.pop_back();
  s.proctitle = title.empty() ? s.comm : title;
  std::string key = cstr(ev.key, sizeof ev.key);
  out.key = key.empty() ? std::nullopt : std::optional<std::string>(key);
  return true;
}

std::unique_ptr<EngineRing> EngineRing::open(Handler handler, std::string& error) {
  auto engine = PrefilterEngine::open_pinned(error);
  if (!engine) return nullptr;
  std::unique_ptr<EngineRing> r(new EngineRing());
  r->engine_ = std::move(engine);
  r->handler_ = std::move(handler);
  r->rb_ = ring_buffer__new(r->engine_->ring_fd(), &EngineRing::on_record, r.get(), nullptr);
  if (!r->rb_) {
    error = std::string("cannot read the engine's ring: ") + std::strerror(errno);
    return nullptr;
  }
  return r;
}

EngineRing::~EngineRing() {
  if (rb_) ring_buffer__free(rb_);
}

int EngineRing::epoll_fd() const { return ring_buffer__epoll_fd(rb_); }

int EngineRing::consume() { return ring_buffer__consume(rb_); }

int EngineRing::on_record(void* ctx, void* data, std::size_t size) {
  auto* self = static_cast<EngineRing*>(ctx);
  EngineEvent ev;
  if (!decode_engine_event(data, size, ev)) {
    ++self->malformed_;
    return 0;
  }
  self->handler_(ev);
  return 0;
}

}  // namespace bpfaudit::probe
