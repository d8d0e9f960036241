/* The one ABI of the engine's programs and userspace/ebpf: autrace's
 * process-tree tracing and the prefilter's rules put the same events in their
 * rings, read by one decoder. Plain C, fixed-width types, explicit padding.
 * Every name carries the bpfaudit_ prefix because vmlinux.h already defines
 * audit_* names. A unit test compares these layouts with the BTF of the built
 * objects, so both compilers must agree byte for byte. */
#ifndef BPFAUDIT_ENGINE_H
#define BPFAUDIT_ENGINE_H

#include "bpfaudit_common.h"

#define BPFAUDIT_ABI_VERSION 8

/* Syscall numbers covered by the selection bitmap (x86_64 has < 512). */
#define BPFAUDIT_MAX_SYSCALLS 512
#define BPFAUDIT_ARGS_MAX 32768  /* argv area copied at exec (at most this - 1 bytes) */
#define BPFAUDIT_COMM_LEN 16
#define BPFAUDIT_TTY_LEN 64
/* syscall_flags[nr]: what the exit program must know about a syscall,
 * filled by userspace from its syscall table (no numbers in BPF). */
#define BPFAUDIT_SCF_OPENS_FD 1u  /* returns an fd to a file it names: PATH gets its inode */
#define BPFAUDIT_SCF_EXEC 2u      /* execve/execveat: the arguments are gone after success */
#define BPFAUDIT_SCF_EXIT 4u      /* exit/exit_group: never returns, recorded at task exit */
#define BPFAUDIT_SCF_CHDIR 8u     /* changes the cwd: CWD is read at entry */

/* pending.nr besides a syscall number */
#define BPFAUDIT_NR_IDLE (-1)  /* record the next sys_exit */
#define BPFAUDIT_NR_SKIP (-2)  /* the thread is in a syscall that began before it was traced */

/* pending.entry: what an entry tracepoint saved for the syscall in flight */
#define BPFAUDIT_ENTRY_ARGS 1u /* args[] are the entry arguments (exec) */
#define BPFAUDIT_ENTRY_CWD 2u  /* the CWD event went out at entry (chdir) */
#define BPFAUDIT_ENTRY_VFS 4u  /* a VFS hook noted the syscall's items (engine.bpf.c) */

enum bpfaudit_event_type {
	BPFAUDIT_EV_SYSCALL = 1, /* at sys_exit, or at thread exit for exit/exit_group */
	BPFAUDIT_EV_FORK = 2,    /* a traced process created a process */
	BPFAUDIT_EV_EXIT = 3,    /* a traced thread ended */
	BPFAUDIT_EV_PATH = 4,    /* a path argument, copied at sys_exit */
	BPFAUDIT_EV_CWD = 5,     /* working directory of a path-taking syscall */
	BPFAUDIT_EV_EXEC = 6,    /* sched_process_exec: executable and argv */
	BPFAUDIT_EV_IDENTITY = 7, /* a thread's identity, sent when it differs from the last sent */
	BPFAUDIT_EV_SOCKADDR = 8, /* a socket address argument, copied at sys_exit */
	BPFAUDIT_EV_RULE_MATCH = 9, /* a prefilter rule matched: its key, the task's title and exe */
	BPFAUDIT_EV_BATCH = 10,  /* autrace: plain SYSCALL events of one CPU, in order, as one record */
	BPFAUDIT_EV_VFS = 11,    /* autrace, VFS hooks on: the kernel's PATH items of a create/delete/rename */
	BPFAUDIT_EV_EXEC_ITEM = 12, /* autrace, VFS hooks on: a file exec opened by name (the ELF interpreter) */
	BPFAUDIT_EV_FCAPS = 13,  /* autrace, VFS hooks on: an exec the kernel writes BPRM_FCAPS for */
};

/* sizeof(struct sockaddr_storage): move_addr_to_kernel refuses longer ones. */
#define BPFAUDIT_SOCKADDR_MAX 128

/* Why an event could not be recorded; indexes the per-CPU loss counters. */
enum bpfaudit_loss_reason {
	BPFAUDIT_LOSS_RING_SYSCALL = 0,       /* no ring space for a SYSCALL event (or its identity) */
	BPFAUDIT_LOSS_RING_AUX = 1,           /* no ring space for PATH/CWD/EXEC/FORK/EXIT */
	BPFAUDIT_LOSS_TABLE_FULL_THREAD = 2,  /* traced-thread table full: a new thread is untraced */
	BPFAUDIT_LOSS_TABLE_FULL_CHILD = 3,   /* traced-thread table full: a child process is untraced */
	BPFAUDIT_LOSS_EXE_WALK = 4,           /* exe path walk cut short (record written, exe truncated) */
	BPFAUDIT_LOSS_VFS_ITEMS = 5,          /* VFS hooks: a syscall's items not kept (PATH names without inodes) */
	BPFAUDIT_LOSS_NREASONS = 6,
};

/* bpfaudit_syscall_event.flags */
#define BPFAUDIT_SC_NO_RETURN 1u /* the task ended inside the syscall (exit_group) */
#define BPFAUDIT_SC_HAS_INODE 2u /* a bpfaudit_inode follows: the fd the syscall returned */
#define BPFAUDIT_SC_COMPAT 4u    /* an i386 syscall (int 0x80): arch=40000003 */
/* The event and those just before it (IDENTITY, RULE_MATCH) say all there is:
 * a prefilter match of a thread nobody follows, so the decoder keeps nothing
 * of the thread afterwards (there will be no EXIT event to forget it by). */
#define BPFAUDIT_SC_STANDALONE 8u

/* Who a thread is, as a SYSCALL record shows it. It rarely changes between
 * two syscalls, so the ring carries it only when it does: a SYSCALL event
 * takes the identity its thread sent last. */
struct bpfaudit_identity {
	__u32 pid; /* tgid */
	__u32 ppid;
	__u32 auid;
	__u32 ses;
	__u32 uid, gid, euid, suid, fsuid, egid, sgid, fsgid;
	char comm[BPFAUDIT_COMM_LEN];
	char tty[BPFAUDIT_TTY_LEN]; /* empty: no controlling tty */
};

/* The traced-thread table's value, one entry per traced thread: the set of
 * traced threads in one lookup, the syscall being recorded, and the identity
 * it last put in the ring. Userspace adds the first thread (BPFAUDIT_NR_SKIP:
 * it is blocked in a read); fork adds the rest. */
struct bpfaudit_pending {
	__u64 enter_ns; /* the record's time: sys_exit, coarse clock */
	__u64 args[6];
	__s64 nr; /* the syscall being recorded, or BPFAUDIT_NR_IDLE / _SKIP */
	/* What `sent.tty` was read from: a tty's name is fixed by its driver
	 * and index, so the string is re-read only when one of them moves. */
	__u64 tty;
	__u64 tty_driver;
	__s32 tty_index;
	__u32 sent_valid; /* 0: nothing sent yet, or the last identity event was lost */
	struct bpfaudit_identity sent;
	__u32 entry; /* BPFAUDIT_ENTRY_* */
	/* The trace run the entry belongs to (engine.bpf.c, trace_run): a
	 * preloaded engine serves one run after another, and a descendant that
	 * outlived its run keeps its entry until it exits. */
	__u32 run;
};

/* Common header on every ring-buffer event. */
struct bpfaudit_event_header {
	__u64 ts_ns; /* boot time when built, coarse (a tick); SYSCALL: its exit time */
	__u32 type;  /* enum bpfaudit_event_type */
	__u32 size;  /* whole event, header included */
};

/* What the kernel's PATH record says about an inode. */
struct bpfaudit_inode {
	__u64 ino;
	__u32 dev; /* kernel dev_t: major << 20 | minor */
	__u32 rdev;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 pad;
};

/* The items the kernel's audit_inode/audit_inode_child make for a syscall
 * that creates, deletes or renames a name, as the engine's VFS hooks
 * (fentry, where the kernel allows it) saw them, in the kernel's item order.
 * Each names which path argument's name it shows (the PATH events' `item`);
 * a PARENT item shows that name's directory part (the cwd when it has none),
 * the others the whole name. Sent after the syscall's PATH events, before
 * its SYSCALL event; the items replace the PATH events' own. */
#define BPFAUDIT_VFS_ITEMS 5
enum bpfaudit_nametype {
	BPFAUDIT_NT_UNKNOWN = 0,
	BPFAUDIT_NT_NORMAL = 1,
	BPFAUDIT_NT_PARENT = 2,
	BPFAUDIT_NT_CREATE = 3,
	BPFAUDIT_NT_DELETE = 4,
};

struct bpfaudit_vfs_item {
	__u8 type;      /* enum bpfaudit_nametype */
	__u8 name;      /* the PATH event (path argument) whose name it shows: 0 or 1 */
	__u8 has_inode; /* 0: the kernel writes no inode fields (none was found) */
	__u8 pad[5];
	struct bpfaudit_inode inode;
};

struct bpfaudit_vfs_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 count; /* items used, at most BPFAUDIT_VFS_ITEMS */
	struct bpfaudit_vfs_item items[BPFAUDIT_VFS_ITEMS];
};

/* A file an exec opened by a name of the kernel's own (open_exec: the ELF
 * interpreter, a script's interpreter): the kernel's PATH item after the
 * executable's, NORMAL with its inode, or UNKNOWN without one when the open
 * failed. Sent from inside the exec, in the order the kernel opens them.
 * The record ends after the name's bytes. */
struct bpfaudit_exec_item_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 has_inode;
	struct bpfaudit_inode inode;
	__s32 len; /* bpf_probe_read_kernel_str result: bytes with NUL, <0 on fault */
	__u32 pad;
	char name[BPFAUDIT_PATH_MAX];
};

/* An exec whose capabilities the kernel audits (commoncap.c,
 * nonroot_raised_pE: BPRM_FCAPS): the task's permitted, inheritable,
 * effective and ambient sets before and after, each as a 64-bit mask. */
struct bpfaudit_fcaps_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 pad;
	__u64 old_caps[4]; /* pp, pi, pe, pa */
	__u64 new_caps[4];
};

/* One per syscall, so kept small: 72 bytes (80 in the ring), a bpfaudit_inode
 * more for the open family. hdr.ts_ns: the record's time (README, autrace). */
struct bpfaudit_syscall_event {
	struct bpfaudit_event_header hdr;
	__u64 args[4]; /* a0..a3, all a SYSCALL record shows */
	__s64 ret;
	__s32 nr;
	__u32 flags; /* BPFAUDIT_SC_* */
	__u32 tid;
	__u32 a4; /* a4's low half: mmap's fd, which its MMAP record shows */
};

/* autrace gathers its events per CPU and puts them in the ring as one
 * record: one ring reservation for a batch (up to 56 plain SYSCALL events)
 * instead of one each. `used` bytes of `data` hold whole events (header
 * included, each a multiple of 8 bytes) back to back; the record is the
 * header up to `data` plus `used` bytes. SYSCALL, PATH and CWD events go in
 * (those up to BPFAUDIT_BATCH_EVENT_MAX bytes: a longer name goes to the ring
 * on its own); a CPU's batch goes out before anything else that CPU puts in
 * the ring, when a task leaves the CPU (sched_switch) and when it is full,
 * so the events of a thread stay in the order it made them. */
#define BPFAUDIT_BATCH_BYTES 4096
#define BPFAUDIT_BATCH_EVENT_MAX 1024
struct bpfaudit_batch_event {
	struct bpfaudit_event_header hdr;
	__u32 count; /* events in data */
	__u32 used;  /* bytes of data they take */
	__u8 data[BPFAUDIT_BATCH_BYTES];
};

/* A CPU's value of the engine's `batch` map. The slack lets an event be
 * written at any offset below BPFAUDIT_BATCH_BYTES with bounds the verifier
 * can see. */
struct bpfaudit_batch_buf {
	struct bpfaudit_batch_event ev;
	__u8 slack[BPFAUDIT_BATCH_EVENT_MAX];
	__u32 aux; /* of ev.count, the PATH and CWD events (a lost batch counts them apart) */
	__u32 pad;
};

struct bpfaudit_syscall_inode_event {
	struct bpfaudit_syscall_event sc; /* flags has BPFAUDIT_SC_HAS_INODE */
	struct bpfaudit_inode inode;
};

/* Precedes, in ring order, every SYSCALL event of `tid` until the next one. */
struct bpfaudit_identity_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 pad;
	struct bpfaudit_identity id;
};

struct bpfaudit_fork_event {
	struct bpfaudit_event_header hdr;
	__u32 parent_tgid;
	__u32 child_tgid;
};

struct bpfaudit_exit_event {
	struct bpfaudit_event_header hdr;
	__u32 tgid;
	__u32 tid;
	__s32 exit_code;
	__u32 last_thread; /* 1: the process ended with this thread */
};

struct bpfaudit_path_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__s32 nr;
	__u32 item; /* 0 or 1: which path argument */
	__s32 len;  /* bpf_probe_read_user_str result: bytes with NUL, <0 on fault */
	char name[BPFAUDIT_PATH_MAX];
};

/* bpfaudit_cwd_event.flags */
/* The cwd is the one this thread's last CWD event gave: the event carries no
 * names (cwd.len 0) and the reader takes that event's text again. The engine
 * sends it only when it knows the reader has that text: the thread's last
 * CWD event went out in this run with no event lost since (engine.bpf.c,
 * emit_cwd). A reader without one must not make one up. */
#define BPFAUDIT_CWD_SAME 1u
/* The cwd was removed (rmdir; the dentry is unhashed): the kernel's d_path
 * writes the path with " (deleted)" after it. */
#define BPFAUDIT_CWD_DELETED 2u

struct bpfaudit_cwd_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 flags; /* BPFAUDIT_CWD_* */
	struct bpfaudit_dpath cwd;
};

/* The address connect/bind/sendto were given, as the kernel's SOCKADDR
 * record shows it (audit_sockaddr: the caller's length, its bytes). */
struct bpfaudit_sockaddr_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 len; /* 1..BPFAUDIT_SOCKADDR_MAX */
	__u8 addr[BPFAUDIT_SOCKADDR_MAX];
};

struct bpfaudit_exec_event {
	struct bpfaudit_event_header hdr;
	__u32 pid;     /* tgid */
	__u32 tid;     /* the thread after exec (the new leader) */
	__u32 old_tid; /* the thread that called execve */
	__u32 args_len;   /* bytes of args[] copied */
	__u32 args_total; /* the argv area's length: more than args_len when cut */
	__u32 argc;       /* bprm->argc */
	__u32 pad;
	struct bpfaudit_inode inode; /* the executable */
	struct bpfaudit_dpath exe;
	char filename[BPFAUDIT_PATH_MAX]; /* the name execve was given */
	char args[BPFAUDIT_ARGS_MAX]; /* argv, NUL-separated, as in the new stack */
};

/* A prefilter rule matched the SYSCALL event that follows: what the kernel's
 * SYSCALL and PROCTITLE records show beyond the thread's identity. */
#define BPFAUDIT_KEY_MAX 256      /* AUDIT_MAX_KEY_LEN */
#define BPFAUDIT_PROCTITLE_MAX 128 /* the kernel's MAX_PROCTITLE_AUDIT_LEN */
struct bpfaudit_rule_match_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 proctitle_len; /* bytes of proctitle read; 0: unreadable (the record shows comm) */
	char key[BPFAUDIT_KEY_MAX]; /* NUL-terminated; empty: key=(null) */
	char proctitle[BPFAUDIT_PROCTITLE_MAX];
	struct bpfaudit_dpath exe; /* len 0: no executable (kernel thread) */
};

/* The prefilter's rule tables: auditctl exit-filter rules as data. */
#define BPFAUDIT_PF_NR_ARCH 2        /* row index: 0 = x86_64, 1 = i386 (int 0x80) */
#define BPFAUDIT_PF_ROWS (BPFAUDIT_PF_NR_ARCH * BPFAUDIT_MAX_SYSCALLS)
#define BPFAUDIT_PF_ROW_MAX 1023     /* rules one syscall row holds; more: kernel placement */
#define BPFAUDIT_PF_MAX_RULES 1024   /* rules per generation */
#define BPFAUDIT_PF_MAX_FIELDS 16    /* fields an engine rule holds; more: kernel placement */

/* What a field compares; the engine's own numbering (userspace lowers the
 * kernel's AUDIT_* field numbers to these). */
enum bpfaudit_pf_field {
	BPFAUDIT_PF_F_PID = 1,
	BPFAUDIT_PF_F_PPID,
	BPFAUDIT_PF_F_UID,
	BPFAUDIT_PF_F_EUID,
	BPFAUDIT_PF_F_SUID,
	BPFAUDIT_PF_F_FSUID,
	BPFAUDIT_PF_F_GID,   /* = and != also match supplementary groups, as the kernel */
	BPFAUDIT_PF_F_EGID,  /* idem */
	BPFAUDIT_PF_F_SGID,
	BPFAUDIT_PF_F_FSGID,
	BPFAUDIT_PF_F_AUID,
	BPFAUDIT_PF_F_SES,
	BPFAUDIT_PF_F_ARCH,
	BPFAUDIT_PF_F_EXIT,
	BPFAUDIT_PF_F_SUCCESS, /* value: 1 success, 2 failure (the kernel's AUDITSC_*) */
	BPFAUDIT_PF_F_ARG0,
	BPFAUDIT_PF_F_ARG1,
	BPFAUDIT_PF_F_ARG2,
	BPFAUDIT_PF_F_ARG3,
};

/* The kernel's audit_comparator operators. Every comparison is on 32 bits,
 * unsigned, as the kernel's audit_comparator(u32, u32, u32) does: a0..a3
 * and exit are compared truncated to their low 32 bits. */
enum bpfaudit_pf_op {
	BPFAUDIT_PF_OP_EQ = 1,
	BPFAUDIT_PF_OP_NE,
	BPFAUDIT_PF_OP_LT,
	BPFAUDIT_PF_OP_LE,
	BPFAUDIT_PF_OP_GT,
	BPFAUDIT_PF_OP_GE,
	BPFAUDIT_PF_OP_BITMASK, /* & : left & right != 0 */
	BPFAUDIT_PF_OP_BITTEST, /* &= : left & right == right */
};

enum bpfaudit_pf_action {
	BPFAUDIT_PF_NEVER = 0,
	BPFAUDIT_PF_ALWAYS = 1,
};

struct bpfaudit_pf_field_match {
	__u32 field; /* enum bpfaudit_pf_field */
	__u32 op;    /* enum bpfaudit_pf_op */
	__u64 value;
};

/* One rule: its fields, ANDed, and what a match does. */
struct bpfaudit_pf_rule {
	__u32 action; /* enum bpfaudit_pf_action */
	__u32 nfields;
	struct bpfaudit_pf_field_match fields[BPFAUDIT_PF_MAX_FIELDS];
	char key[BPFAUDIT_KEY_MAX]; /* NUL-terminated; empty: key=(null) */
};

/* The rules that name one (arch, syscall), in the kernel's first-match order;
 * indexes into the generation's rule table. count == 0: return at once. */
struct bpfaudit_pf_row {
	__u16 count;
	__u16 rule[BPFAUDIT_PF_ROW_MAX + 1];
};

/* state[0]: which generation of rows and rules is live. Userspace fills the
 * other generation, then flips `gen` with one map update. */
struct bpfaudit_pf_state {
	__u32 gen;     /* 0 or 1 */
	__u32 enabled; /* 0: match nothing (audit -e 0) */
	__u64 wakeup_bytes;
	__u32 daemon_tgid; /* the registered audit daemon: never audited, as the kernel's */
	__u32 pad;
};

#endif
