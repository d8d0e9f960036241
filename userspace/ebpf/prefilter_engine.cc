#include "prefilter_engine.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "bpf_handles.h"
#include "bpfaudit_engine.h"
#include "core_btf.h"
#include "engine.skel.h"

namespace bpfaudit::ebpf {

namespace {

static_assert(kEngineRowMax == BPFAUDIT_PF_ROW_MAX);
static_assert(kEngineMaxFields == BPFAUDIT_PF_MAX_FIELDS);
static_assert(kEngineMaxRules == BPFAUDIT_PF_MAX_RULES);
static_assert(kEngineMaxSyscalls == BPFAUDIT_MAX_SYSCALLS);
static_assert(static_cast<int>(EngineFieldKind::kPid) == BPFAUDIT_PF_F_PID);
static_assert(static_cast<int>(EngineFieldKind::kAuid) == BPFAUDIT_PF_F_AUID);
static_assert(static_cast<int>(EngineFieldKind::kSuccess) == BPFAUDIT_PF_F_SUCCESS);
static_assert(static_cast<int>(EngineFieldKind::kArg3) == BPFAUDIT_PF_F_ARG3);
static_assert(static_cast<int>(EngineOp::kEq) == BPFAUDIT_PF_OP_EQ);
static_assert(static_cast<int>(EngineOp::kGe) == BPFAUDIT_PF_OP_GE);
static_assert(static_cast<int>(EngineOp::kBittest) == BPFAUDIT_PF_OP_BITTEST);

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";
// 8 MiB: matches are rare next to autrace's every-syscall stream; at a
// match's 5 KiB (IDENTITY, RULE_MATCH, SYSCALL) this holds ~1,600 matches
// while no daemon reads.
constexpr std::size_t kRingBytes = 8u << 20;
// Batch wake-ups: the daemon also drains the ring on its 100 ms timer.
constexpr std::uint64_t kWakeupBytes = 64u << 10;

std::string pin(const char* name) { return std::string(PrefilterEngine::kPinDir) + "/" + name; }

struct MapPin {
  const char* name;
  bpf_map* (*get)(engine_bpf*);
};

const MapPin kMaps[] = {
    {"rows", [](engine_bpf* s) { return s->maps.pf_rows; }},
    {"rules", [](engine_bpf* s) { return s->maps.pf_rules; }},
    {"losses", [](engine_bpf* s) { return s->maps.losses; }},
    {"events", [](engine_bpf* s) { return s->maps.events; }},
    {"state", [](engine_bpf* s) { return s->maps.pf_state; }},  // last: see pinned()
};
constexpr const char* kLinkPin = "link";

}  // namespace


// The maps are the engine: pinned while the prefilter is on. The program is
// attached (its link pinned) only while the engine holds rules, so an engine
// with nothing to evaluate costs no syscall anything.
bool PrefilterEngine::pinned() { return ::access(pin("state").c_str(), F_OK) == 0; }

bool PrefilterEngine::attached() { return ::access(pin(kLinkPin).c_str(), F_OK) == 0; }

base::Result<PrefilterEngine> PrefilterEngine::open_pinned() {
  if (!pinned()) return base::Error{-ENOENT, "the prefilter engine is not loaded"};
  PrefilterEngine e;
  base::UniqueFd* fds[] = {&e.rows_fd_, &e.rules_fd_, &e.losses_fd_, &e.ring_fd_, &e.state_fd_};
  for (std::size_t i = 0; i < std::size(kMaps); ++i) {
    fds[i]->reset(bpf_obj_get(pin(kMaps[i].name).c_str()));
    if (!*fds[i])
      return base::Error{-errno, "cannot open " + pin(kMaps[i].name) + ": " + std::strerror(errno)};
  }
  return e;
}

namespace {

using Skel = SkelPtr<engine_bpf>;

// Opens and loads the object; with `reuse_pins`, onto the pinned maps.
base::Result<Skel> load_object(bool reuse_pins) {
  LibbpfLog log;
  CoreBtf core_btf;  // the kernel BTF subset CO-RE relocates against (core_btf.h)
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = core_btf.path());
  Skel skel(engine_bpf__open_opts(&open_opts));
  if (!skel)
    return base::Error{-errno, std::string("cannot open the engine BPF object: ") +
                                   std::strerror(errno) + "\n" + log.tail(5)};
  core_btf.build(bpf_object__btf(skel->obj));
  bpf_map__set_max_entries(skel->maps.events, kRingBytes);
  // The engine with the prefilter's rules alone: autrace's tree and its
  // programs stay out (not loaded, never verified).
  skel->rodata->eval_rules = true;
  for (bpf_program* p : {skel->progs.enter_execve, skel->progs.enter_execveat,
                         skel->progs.enter_chdir, skel->progs.enter_any, skel->progs.handle_fork,
                         skel->progs.handle_exec, skel->progs.handle_task_exit,
                         skel->progs.handle_switch, skel->progs.vfs_unlink_hook,
                         skel->progs.vfs_rmdir_hook, skel->progs.vfs_create_hook,
                         skel->progs.vfs_mkdir_hook, skel->progs.vfs_mknod_hook,
                         skel->progs.vfs_link_hook, skel->progs.vfs_rename_hook,
                         skel->progs.vfs_open_exec_hook, skel->progs.vfs_bprm_fcaps_hook})
    bpf_program__set_autoload(p, false);
  if (reuse_pins)
    for (const auto& m : kMaps) bpf_map__set_pin_path(m.get(skel.get()), pin(m.name).c_str());
  if (int err = engine_bpf__load(skel.get()))
    return base::Error{err, std::string("cannot load the prefilter BPF program: ") +
                                std::strerror(-err) +
                                (err == -EPERM ? " (BPF refused: lockdown or missing CAP_BPF)"
                                               : " (BPFAUDIT_BPF_LOG=1 shows the verifier's log)")};
  return skel;
}

}  // namespace

base::Result<PrefilterEngine> PrefilterEngine::load_or_open() {
  if (pinned()) return open_pinned();
  if (geteuid() != 0) return base::Error{-EPERM, "the prefilter engine needs root"};
  if (::access(kBtfPath, R_OK) != 0)
    return base::Error{-errno, std::string("kernel BTF not available (") + kBtfPath + ": " +
                                   std::strerror(errno) +
                                   "); the engine needs a kernel built with CONFIG_DEBUG_INFO_BTF"};
  // Loaded now, though attached only with rules, so that a kernel that
  // refuses the program says so when the prefilter is turned on.
  auto loaded = load_object(false);
  if (!loaded) return loaded.error();
  Skel skel = std::move(*loaded);
  // Empty and disabled until the first install; the tables are zero.
  bpfaudit_pf_state st{};
  st.wakeup_bytes = kWakeupBytes;
  std::uint32_t zero = 0;
  bpf_map_update_elem(bpf_map__fd(skel->maps.pf_state), &zero, &st, BPF_ANY);
  if (auto fs = ensure_bpffs(); !fs) return fs.error();
  ::mkdir("/sys/fs/bpf/bpfaudit", 0700);
  ::mkdir(kPinDir, 0700);
  // "state" is pinned last: pinned() is true only once every map is in place.
  for (const auto& m : kMaps) {
    if (bpf_map__pin(m.get(skel.get()), pin(m.name).c_str()) != 0) {
      base::Error failed{-errno, "cannot pin " + pin(m.name) + ": " + std::strerror(errno)};
      (void)unpin();  // what was pinned goes; the pin's error is the one to report
      return failed;
    }
  }
  skel.reset();
  return open_pinned();
}

base::Result<void> PrefilterEngine::attach() {
  if (attached()) return {};
  auto loaded = load_object(true);
  if (!loaded) return loaded.error();
  Skel skel = std::move(*loaded);
  bpf_link* link = bpf_program__attach(skel->progs.sys_exit);
  if (!link)
    return base::Error{-errno, std::string("cannot attach the prefilter program to ") +
                                   kProbePath + ": " + std::strerror(errno)};
  base::Result<void> pinned;
  if (bpf_link__pin(link, pin(kLinkPin).c_str()) != 0)
    pinned = base::Error{-errno, "cannot pin " + pin(kLinkPin) + ": " + std::strerror(errno)};
  bpf_link__destroy(link);  // the pin, if any, holds it
  return pinned;
}

void PrefilterEngine::detach() { ::unlink(pin(kLinkPin).c_str()); }

base::Result<void> PrefilterEngine::unpin() {
  base::Result<void> result;
  // The link first, so the program stops before its maps go.
  std::vector<std::string> names{kLinkPin};
  for (const auto& m : kMaps) names.emplace_back(m.name);
  for (const auto& n : names) {
    if (::unlink(pin(n.c_str()).c_str()) != 0 && errno != ENOENT)
      result = base::Error{-errno, "cannot remove " + pin(n.c_str()) + ": " + std::strerror(errno)};
  }
  ::rmdir(kPinDir);
  ::rmdir("/sys/fs/bpf/bpfaudit");
  return result;
}

base::Result<void> PrefilterEngine::install(const std::vector<EngineRule>& rules) {
  if (rules.size() > static_cast<std::size_t>(kEngineMaxRules))
    return base::Error{-EINVAL, "too many engine rules"};
  std::uint32_t zero = 0;
  bpfaudit_pf_state st{};
  if (bpf_map_lookup_elem(state_fd_.get(), &zero, &st) != 0)
    return base::Error{-errno, std::string("cannot read the engine state: ") + std::strerror(errno)};
  std::uint32_t next = (st.gen + 1) & 1;
  std::vector<bpfaudit_pf_row> rows(BPFAUDIT_PF_ROWS);
  for (auto& r : rows) std::memset(&r, 0, sizeof r);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const EngineRule& r = rules[i];
    bpfaudit_pf_rule out{};
    out.action = r.always ? BPFAUDIT_PF_ALWAYS : BPFAUDIT_PF_NEVER;
    if (r.fields.size() > BPFAUDIT_PF_MAX_FIELDS || r.key.size() >= sizeof out.key)
      return base::Error{-EINVAL, "engine rule too large"};
    out.nfields = static_cast<std::uint32_t>(r.fields.size());
    for (std::size_t f = 0; f < r.fields.size(); ++f)
      out.fields[f] = {r.fields[f].field, r.fields[f].op, r.fields[f].value};
    std::memcpy(out.key, r.key.data(), r.key.size());
    std::uint32_t key = next * BPFAUDIT_PF_MAX_RULES + static_cast<std::uint32_t>(i);
    if (bpf_map_update_elem(rules_fd_.get(), &key, &out, BPF_ANY) != 0)
      return base::Error{-errno, std::string("cannot write an engine rule: ") + std::strerror(errno)};
    for (const auto& s : r.syscalls) {
      if (s.arch < 0 || s.arch >= BPFAUDIT_PF_NR_ARCH || s.nr < 0 ||
          s.nr >= BPFAUDIT_MAX_SYSCALLS)
        return base::Error{-EINVAL, "engine syscall out of range"};
      auto& row = rows[static_cast<std::size_t>(s.arch * BPFAUDIT_MAX_SYSCALLS + s.nr)];
      if (row.count >= BPFAUDIT_PF_ROW_MAX)
        return base::Error{-EINVAL, "an engine syscall row is full"};
      row.rule[row.count++] = static_cast<std::uint16_t>(i);
    }
  }
  for (std::uint32_t i = 0; i < BPFAUDIT_PF_ROWS; ++i) {
    std::uint32_t key = next * BPFAUDIT_PF_ROWS + i;
    if (bpf_map_update_elem(rows_fd_.get(), &key, &rows[i], BPF_ANY) != 0)
      return base::Error{-errno, std::string("cannot write an engine row: ") + std::strerror(errno)};
  }
  st.gen = next;
  st.enabled = 1;
  if (bpf_map_update_elem(state_fd_.get(), &zero, &st, BPF_ANY) != 0)
    return base::Error{-errno, std::string("cannot switch the engine generation: ") + std::strerror(errno)};
  if (rules.empty()) {
    detach();
    return {};
  }
  return attach();
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
    for (std::uint32_t r = 0; r < BPFAUDIT_LOSS_NREASONS; ++r) {
      if (bpf_map_lookup_elem(losses_fd_.get(), &r, per.data()) != 0) continue;
      for (auto v : per) s.losses[r] += v;
    }
  }
  return s;
}

bool decode_engine_event(TraceDecoder& decoder, const void* data, std::size_t size,
                         EngineEvent& out) {
  if (!decoder.feed(data, size, out.event)) return false;
  out.boot_ns = out.event.enter_ns;
  out.key = out.event.key;
  return true;
}

base::Result<std::unique_ptr<EngineRing>> EngineRing::open(Handler handler) {
  auto engine = PrefilterEngine::open_pinned();
  if (!engine) return engine.error();
  std::unique_ptr<EngineRing> r(new EngineRing());
  r->engine_ = std::move(*engine);
  r->handler_ = std::move(handler);
  r->rb_ = ring_buffer__new(r->engine_->ring_fd(), &EngineRing::on_record, r.get(), nullptr);
  if (!r->rb_)
    return base::Error{-errno, std::string("cannot read the engine's ring: ") + std::strerror(errno)};
  return r;
}

EngineRing::~EngineRing() {
  if (rb_) ring_buffer__free(rb_);
}

int EngineRing::epoll_fd() const { return ring_buffer__epoll_fd(rb_); }

int EngineRing::consume() { return ring_buffer__consume(rb_); }

int EngineRing::on_record(void* ctx, void* data, std::size_t size) {
  auto* self = static_cast<EngineRing*>(ctx);
  if (decode_engine_event(self->decoder_, data, size, self->event_)) self->handler_(self->event_);
  return 0;
}

}  // namespace bpfaudit::ebpf
