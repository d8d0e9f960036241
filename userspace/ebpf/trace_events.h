// Decoded engine events (autrace's traced threads and the prefilter's rule
// matches alike): what the BPF programs saw, in plain C++ types. Nothing here
// depends on the BPF ABI header; trace_decoder.cc does the mapping.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace bpfaudit::ebpf {

inline constexpr std::uint32_t kAuditArchX86_64 = 0xc000003e;  // AUDIT_ARCH_X86_64
inline constexpr std::uint32_t kAuditArchI386 = 0x40000003;    // AUDIT_ARCH_I386

// Why events were lost, one numbering for autrace and the prefilter (the
// ABI's per-CPU counters, enum bpfaudit_loss_reason): ring full for a
// SYSCALL event or for another, traced-thread table full for a thread or a
// child process, exe walk cut short, VFS hook items not kept.
inline constexpr int kLossReasons = 6;
// Their names, as loss records and `bpfaudit engine status` show them.
const char* loss_reason_name(int reason);

struct InodeInfo {
  std::uint64_t ino = 0;
  std::uint32_t dev = 0;  // kernel dev_t: major << 20 | minor
  std::uint32_t rdev = 0;
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

// The nametype= of a PATH item. kAuto: an item from a syscall argument
// alone, NORMAL with an inode and UNKNOWN without; the others are the
// kernel's own, as the engine's VFS hooks report them.
enum class NameType : std::uint8_t { kAuto, kUnknown, kNormal, kParent, kCreate, kDelete };

struct PathItem {
  std::optional<std::string> name;  // nullopt: the pointer could not be read (name=(null))
  std::optional<InodeInfo> inode;   // nullopt: the object was not resolved
  NameType type = NameType::kAuto;
};

// One item of a VFS hook event (bpfaudit_vfs_event): the kernel's type,
// which path argument's name it shows, and the inode, if any.
struct VfsItem {
  NameType type = NameType::kUnknown;
  std::uint8_t name = 0;
  std::optional<InodeInfo> inode;
};

// The PATH items of a syscall the VFS hooks saw: `vfs` in order, each with
// the name of `names[item.name]` (from the syscall's PATH events), a PARENT
// its directory part as the kernel's audit_log_name writes it (up to and
// including the last '/' before the final component, trailing slashes not
// counted; the cwd when there is none).
std::vector<PathItem> vfs_path_items(const std::vector<PathItem>& names,
                                     const std::vector<VfsItem>& vfs,
                                     const std::optional<std::string>& cwd);
// The kernel's parent_len (kernel/auditsc.c): the length of `path`'s
// directory part, the '/' included; 0 when it has none.
std::size_t audit_parent_len(const std::string& path);

struct ExecInfo {
  std::string filename;  // the name the program was executed by
  std::vector<std::string> argv;  // the arguments the probe copied whole
  std::string cmdline;  // raw argv area, NUL-separated, for PROCTITLE
  // How many arguments the program was given (bprm->argc): more than
  // argv.size() when the argv area was longer than the probe's copy.
  std::uint32_t argc = 0;
};

// One syscall of one traced thread, joined with its path, cwd and exec data.
struct SyscallEvent {
  std::uint64_t enter_ns = 0;  // boot-time clock
  int nr = -1;
  std::array<std::uint64_t, 4> args{};  // a0..a3, what a SYSCALL record shows
  std::uint32_t a4 = 0;                  // a4's low half: mmap's fd, for its MMAP record
  std::int64_t ret = 0;
  bool returned = true;  // false for exit/exit_group, recorded at task exit
  std::uint32_t pid = 0, tid = 0, ppid = 0, auid = 0, ses = 0;
  std::uint32_t uid = 0, gid = 0, euid = 0, suid = 0, fsuid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::string comm, tty, exe;
  // Which identity (ppid..fsgid, tty, ses, comm, exe) the event carries:
  // unique per identity the decoder saw, so equal numbers mean equal
  // fields, and equal PROCTITLE (a thread's title is comm until an event
  // finds its argv area, then fixed; that event and exec, which moves a
  // title, give new numbers). 0: not from a decoder.
  std::uint64_t identity = 0;
  std::optional<std::string> cwd;
  std::vector<PathItem> paths;
  std::optional<ExecInfo> exec;
  std::optional<std::string> sockaddr;  // raw bytes, for SOCKADDR
  // BPRM_FCAPS of an exec: permitted, inheritable, effective and ambient
  // sets before (old) and after; nullopt: the kernel writes none.
  struct Fcaps {
    std::array<std::uint64_t, 4> old_caps{}, new_caps{};
  };
  std::optional<Fcaps> fcaps;
  std::uint32_t arch = kAuditArchX86_64;  // or kAuditArchI386 (int 0x80)
  // The matching prefilter rule's key (nullopt: none, or key=(null));
  // autrace's comes from its -k instead.
  std::optional<std::string> key;
  // PROCTITLE: the raw argv area, as the kernel logs it for this event (see
  // TraceDecoder on which argv area that is); nullopt: an exec's own argv.
  std::optional<std::string> proctitle;
};

// Turns the ring-buffer byte stream into SyscallEvents: the one decoder of
// the engine's ABI (bpfaudit_engine.h), for autrace and the prefilter. Path,
// cwd, rule-match and identity events precede their syscall's exit event in
// ring order (same thread, reserved earlier), so they wait here by thread id
// until it arrives; an identity stays until the thread sends another or ends,
// or, for a prefilter match (a standalone SYSCALL event), until that event.
class TraceDecoder {
 public:
  // Seeds the executable and the argv area (NUL-separated, as
  // /proc/PID/cmdline) of a process that was already running when tracing began.
  void set_exe(std::uint32_t tgid, std::string exe) { put_exe(tgid, std::move(exe)); }
  void set_cmdline(std::uint32_t tgid, std::string cmdline) { cmdline_[tgid] = std::move(cmdline); }
  // Whether this kernel stats an fd (fstatat/statx, AT_EMPTY_PATH, "") without
  // looking the empty name up: 6.11 and later. Then such an event has no
  // PATH and no CWD; before, a PATH item name="".
  void set_fd_stat_takes_no_name(bool v) { fd_stat_takes_no_name_ = v; }
  // The same decision from a kernel release string (uname -r).
  static bool fd_stat_takes_no_name(const std::string& release);

  // Decodes one ring-buffer record. Returns true and fills `out` when it
  // completes a syscall; records it does not understand count as malformed.
  // When `out` already carries the event's identity (a reused event), its
  // identity fields are taken as they are, not copied again.
  bool feed(const void* data, std::size_t size, SyscallEvent& out);

  std::uint64_t malformed() const { return malformed_; }
  std::uint64_t forks() const { return forks_; }
  std::uint64_t exits() const { return exits_; }

 private:
  struct Pending {
    std::optional<std::string> cwd;
    std::optional<std::string> sockaddr;
    std::vector<PathItem> paths;
    std::optional<ExecInfo> exec;
    std::optional<InodeInfo> exec_inode;
    std::vector<VfsItem> vfs;  // a VFS hook event's items
    std::vector<PathItem> exec_items;  // files an exec opened by name (its interpreter)
    std::optional<SyscallEvent::Fcaps> fcaps;  // the exec's BPRM_FCAPS
    // RULE_MATCH: the rule's key, the task's title and exe at the match.
    bool matched = false;
    std::optional<std::string> key;
    std::string title, exe;
  };
  // Who a thread was at its last identity event.
  struct Identity {
    std::uint32_t pid = 0, ppid = 0, auid = 0, ses = 0;
    std::uint32_t uid = 0, gid = 0, euid = 0, suid = 0, fsuid = 0, egid = 0, sgid = 0, fsgid = 0;
    std::string comm, tty;
    std::uint64_t number = 0;  // SyscallEvent::identity
  };
  std::uint64_t last_identity_ = 0;
  // exe= is part of an identity: a process's exe set, changed or gone gives
  // each of its threads' identities a new number (else the tail cache keeps
  // the old exe for a number whose event now has another).
  void put_exe(std::uint32_t tgid, std::string exe);
  void drop_exe(std::uint32_t tgid);
  void renumber_process(std::uint32_t tgid);
  std::unordered_map<std::uint32_t, Pending> pending_;      // by thread id
  std::unordered_map<std::uint32_t, Identity> identities_;  // by thread id
  std::unordered_map<std::uint32_t, std::string> exe_;      // by tgid
  // The text of each thread's last full CWD event: what a BPFAUDIT_CWD_SAME
  // event stands for. None for a thread: such an event is counted as
  // malformed and its syscall has no CWD (never one made up).
  std::unordered_map<std::uint32_t, std::string> last_cwd_;  // by thread id
  // PROCTITLE as the kernel writes it: audit_log_proctitle reads the argv
  // area once per task, at the task's first record, and keeps it in the
  // task's audit context until the task ends, across execs (kernel/auditsc.c,
  // 6.1 to 6.18). So a task's titles are fixed at its first event: the
  // process's argv area then (its exec's, inherited at fork, or seeded).
  std::unordered_map<std::uint32_t, std::string> cmdline_;   // by tgid: argv area now
  std::unordered_map<std::uint32_t, std::string> proctitle_;  // by thread id: fixed title
  // The last SYSCALL event's thread, its identity and title: events come
  // from one thread in runs (a traced dd's all from one), and the two finds
  // by thread id were 10% of the reader's decoding and formatting
  // (tests/bench/reader_rate under perf, 2026-12-07). Pointers into the maps'
  // nodes: cool() forgets them whenever an entry of either map is erased or
  // replaced.
  std::uint32_t hot_tid_ = 0;
  Identity* hot_identity_ = nullptr;
  const std::string* hot_title_ = nullptr;
  void cool() {
    hot_identity_ = nullptr;
    hot_title_ = nullptr;
  }
  std::uint64_t malformed_ = 0, forks_ = 0, exits_ = 0;
  bool fd_stat_takes_no_name_ = true;
};

// The text the kernel's audit_log_d_path writes for a path (cwd=, exe=):
// leaf-first NUL-separated dentry names joined into an absolute path, or
// "<too_long>" where d_path fails, i.e. when the path does not fit its
// PATH_MAX + 11 byte buffer (kDPathMax characters and the NUL) or the walk
// in BPF stopped before the root (`truncated`), so that a cut path is never
// written as if it were the whole one.
inline constexpr std::size_t kDPathMax = 4096 + 11 - 1;
std::string join_dentry_names(const char* names, std::size_t len, bool truncated);

}  // namespace bpfaudit::ebpf
