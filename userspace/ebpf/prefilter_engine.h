// The prefilter engine's kernel objects: load and pin (so rules outlive the
// command that loaded them, as kernel rules do), install a rule generation,
// read its state and losses, and hand the ring to the collector daemon.
// Everything lives under kPinDir; removing the pins detaches the program.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "result.h"
#include "trace_events.h"
#include "unique_fd.h"

struct ring_buffer;

namespace bpfaudit::ebpf {

// The engine's field and operator numbering; prefilter_engine.cc checks
// them against enum bpfaudit_pf_field / bpfaudit_pf_op of the ABI header.
enum class EngineFieldKind : std::uint32_t {
  kPid = 1,
  kPpid,
  kUid,
  kEuid,
  kSuid,
  kFsuid,
  kGid,
  kEgid,
  kSgid,
  kFsgid,
  kAuid,
  kSes,
  kArch,
  kExit,
  kSuccess,
  kArg0,
  kArg1,
  kArg2,
  kArg3,
};
enum class EngineOp : std::uint32_t { kEq = 1, kNe, kLt, kLe, kGt, kGe, kBitmask, kBittest };

// One field of an engine rule.
struct EngineField {
  std::uint32_t field = 0;
  std::uint32_t op = 0;
  std::uint64_t value = 0;
};

// Where a rule applies: (arch index 0 = x86_64, 1 = i386; syscall number).
struct EngineSyscall {
  int arch = 0;
  int nr = 0;
};

struct EngineRule {
  bool always = true;
  std::vector<EngineField> fields;
  std::string key;  // empty: key=(null)
  std::vector<EngineSyscall> syscalls;
};

inline constexpr int kEngineRowMax = 1023;   // BPFAUDIT_PF_ROW_MAX
inline constexpr int kEngineMaxFields = 16;  // BPFAUDIT_PF_MAX_FIELDS
inline constexpr int kEngineMaxRules = 1024;
inline constexpr int kEngineMaxSyscalls = 512;

struct EngineState {
  bool pinned = false;
  bool attached = false;  // the program runs only while the engine holds rules
  bool enabled = false;
  std::uint32_t gen = 0;
  std::uint32_t rules = 0;  // in the live generation
  std::array<std::uint64_t, kLossReasons> losses{};
  std::string path;  // the attach point in use
};

class PrefilterEngine {
 public:
  static constexpr const char* kPinDir = "/sys/fs/bpf/bpfaudit/prefilter";
  static constexpr const char* kProbePath = "tp_btf/sys_exit";

  PrefilterEngine(PrefilterEngine&&) noexcept = default;
  PrefilterEngine& operator=(PrefilterEngine&&) noexcept = default;

  // True when the engine's maps are pinned (the prefilter is on).
  static bool pinned();
  // True when its program is attached: only while it holds rules.
  static bool attached();
  // Loads the engine (checking the kernel takes its program) and pins its maps, with no
  // rules and nothing attached; when already pinned, opens it. Needs root, kernel BTF
  // and BPF.
  static base::Result<PrefilterEngine> load_or_open();
  // Opens the pinned maps only (no program load); -ENOENT when not pinned.
  static base::Result<PrefilterEngine> open_pinned();
  // Removes the pins: the program detaches once nothing else holds it.
  static base::Result<void> unpin();

  // Writes `rules` into the idle generation, then makes it live; attaches
  // the program when there are rules, detaches it when there are none.
  base::Result<void> install(const std::vector<EngineRule>& rules);
  base::Result<void> attach();
  static void detach();
  bool set_enabled(bool enabled);
  // The registered audit daemon's syscalls are never audited by the kernel
  // (auditd_test_task); the daemon tells the engine its tgid so it skips them too.
  bool set_daemon_tgid(std::uint32_t tgid);
  std::uint32_t daemon_tgid() const;
  EngineState state() const;
  int ring_fd() const { return ring_fd_.get(); }

 private:
  PrefilterEngine() = default;
  base::UniqueFd state_fd_, rows_fd_, rules_fd_, losses_fd_, ring_fd_;
};

// One matched syscall from the engine's ring.
struct EngineEvent {
  std::uint64_t boot_ns = 0;  // CLOCK_BOOTTIME at sys_exit
  SyscallEvent event;         // SYSCALL + PROCTITLE content, exe joined
  std::optional<std::string> key;
};

// Decodes one record of the engine's ring with the one decoder of the ABI
// (a match is IDENTITY, RULE_MATCH, then a standalone SYSCALL event); true
// and `out` filled when the record completes a match.
bool decode_engine_event(TraceDecoder& decoder, const void* data, std::size_t size,
                         EngineEvent& out);

// The collector's reader of the engine's ring (libbpf's ring_buffer over the
// pinned map): RAII, with an epoll fd for the daemon's loop.
class EngineRing {
 public:
  using Handler = std::function<void(const EngineEvent&)>;
  // Opens the pinned engine's ring; -ENOENT when the engine is not pinned.
  static base::Result<std::unique_ptr<EngineRing>> open(Handler handler);
  ~EngineRing();
  EngineRing(const EngineRing&) = delete;
  EngineRing& operator=(const EngineRing&) = delete;

  int epoll_fd() const;
  // Consumes everything waiting; returns events handled or -errno.
  int consume();
  std::uint64_t malformed() const { return decoder_.malformed(); }
  PrefilterEngine& engine() { return *engine_; }

 private:
  EngineRing() = default;
  static int on_record(void* ctx, void* data, std::size_t size);
  std::optional<PrefilterEngine> engine_;
  ring_buffer* rb_ = nullptr;
  Handler handler_;
  TraceDecoder decoder_;
  EngineEvent event_;  // reused: its strings keep their capacity
};

}  // namespace bpfaudit::ebpf
