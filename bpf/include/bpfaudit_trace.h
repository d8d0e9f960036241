/* ABI shared by trace.bpf.c and userspace/ebpf: plain C, fixed-width types,
 * explicit padding. Every name carries the bpfaudit_ prefix because vmlinux.h
 * already defines audit_* names. A unit test compares these layouts with the
 * BTF of the built object, so both compilers must agree byte for byte. */
#ifndef BPFAUDIT_TRACE_H
#define BPFAUDIT_TRACE_H

#include "bpfaudit_common.h"

#define BPFAUDIT_ABI_VERSION 4

/* Syscall numbers covered by the selection bitmap (x86_64 has < 512). */
#define BPFAUDIT_MAX_SYSCALLS 512
#define BPFAUDIT_ARGS_MAX 4096   /* argv area copied at exec */
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

enum bpfaudit_event_type {
	BPFAUDIT_EV_SYSCALL = 1, /* at sys_exit, or at thread exit for exit/exit_group */
	BPFAUDIT_EV_FORK = 2,    /* a traced process created a process */
	BPFAUDIT_EV_EXIT = 3,    /* a traced thread ended */
	BPFAUDIT_EV_PATH = 4,    /* a path argument, copied at sys_exit */
	BPFAUDIT_EV_CWD = 5,     /* working directory of a path-taking syscall */
	BPFAUDIT_EV_EXEC = 6,    /* sched_process_exec: executable and argv */
	BPFAUDIT_EV_IDENTITY = 7, /* a thread's identity, sent when it differs from the last sent */
	BPFAUDIT_EV_SOCKADDR = 8, /* a socket address argument, copied at sys_exit */
};

/* sizeof(struct sockaddr_storage): move_addr_to_kernel refuses longer ones. */
#define BPFAUDIT_SOCKADDR_MAX 128

/* Why an event could not be recorded; indexes the per-CPU loss counters. */
enum bpfaudit_loss_reason {
	BPFAUDIT_LOSS_RING_SYSCALL = 0,       /* no ring space for a SYSCALL event */
	BPFAUDIT_LOSS_RING_AUX = 1,           /* no ring space for PATH/CWD/EXEC/FORK/EXIT */
	BPFAUDIT_LOSS_TABLE_FULL_THREAD = 2,  /* traced-thread table full: a new thread is untraced */
	BPFAUDIT_LOSS_TABLE_FULL_CHILD = 3,   /* traced-thread table full: a child process is untraced */
	BPFAUDIT_LOSS_NREASONS = 4,
};

/* bpfaudit_syscall_event.flags */
#define BPFAUDIT_SC_NO_RETURN 1u /* the task ended inside the syscall (exit_group) */
#define BPFAUDIT_SC_HAS_INODE 2u /* a bpfaudit_inode follows: the fd the syscall returned */

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
	__u32 pad;
};

/* Common header on every ring-buffer event. */
struct bpfaudit_event_header {
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() when built; SYSCALL: the exit time, coarse */
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

/* One per syscall, so kept small: 72 bytes (80 in the ring), a bpfaudit_inode
 * more for the open family. hdr.ts_ns is the entry time, as the kernel stamps. */
struct bpfaudit_syscall_event {
	struct bpfaudit_event_header hdr;
	__u64 args[4]; /* a0..a3, all a SYSCALL record shows */
	__s64 ret;
	__s32 nr;
	__u32 flags; /* BPFAUDIT_SC_* */
	__u32 tid;
	__u32 a4; /* a4's low half: mmap's fd, which its MMAP record shows */
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

struct bpfaudit_cwd_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 pad;
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
	__u32 args_len;
	struct bpfaudit_inode inode; /* the executable */
	struct bpfaudit_dpath exe;
	char filename[BPFAUDIT_PATH_MAX]; /* the name execve was given */
	char args[BPFAUDIT_ARGS_MAX]; /* argv, NUL-separated, as in the new stack */
};

#endif
