/* ABI shared by trace.bpf.c and userspace/probe: plain C, fixed-width types,
 * explicit padding. Every name carries the bpfaudit_ prefix because vmlinux.h
 * already defines audit_* names. A unit test compares these layouts with the
 * BTF of the built object, so both compilers must agree byte for byte. */
#ifndef BPFAUDIT_TRACE_H
#define BPFAUDIT_TRACE_H

#ifdef __BPF__
/* vmlinux.h provides the __u* types inside BPF programs. */
#else
#include <linux/types.h>
#endif

#define BPFAUDIT_ABI_VERSION 2

/* Syscall numbers covered by the selection bitmap (x86_64 has < 512). */
#define BPFAUDIT_MAX_SYSCALLS 512
#define BPFAUDIT_PATH_MAX 4096   /* user path copied at sys_enter, NUL included */
#define BPFAUDIT_NAME_MAX 256    /* one dentry name */
#define BPFAUDIT_ARGS_MAX 4096   /* argv area copied at exec */
#define BPFAUDIT_COMM_LEN 16
#define BPFAUDIT_TTY_LEN 64
/* path_args[nr]: low nibble = index of the first path argument, high nibble =
 * index of the second; BPFAUDIT_NO_ARG marks "none". */
#define BPFAUDIT_NO_ARG 0xf

enum bpfaudit_event_type {
	BPFAUDIT_EV_SYSCALL = 1, /* at sys_exit, or at thread exit for exit/exit_group */
	BPFAUDIT_EV_FORK = 2,    /* a traced process created a process */
	BPFAUDIT_EV_EXIT = 3,    /* the last thread of a traced process ended */
	BPFAUDIT_EV_PATH = 4,    /* a path argument, copied at sys_exit */
	BPFAUDIT_EV_CWD = 5,     /* working directory of a path-taking syscall */
	BPFAUDIT_EV_EXEC = 6,    /* sched_process_exec: executable and argv */
};

/* Why an event could not be recorded; indexes the per-CPU loss counters. */
enum bpfaudit_loss_reason {
	BPFAUDIT_LOSS_RINGBUF_SYSCALL = 0, /* no ring space for a SYSCALL event */
	BPFAUDIT_LOSS_RINGBUF_AUX = 1,     /* no ring space for PATH/CWD/EXEC/FORK/EXIT */
	BPFAUDIT_LOSS_PENDING_FULL = 2,    /* traced-thread table full: a new thread is untraced */
	BPFAUDIT_LOSS_TGID_FULL = 3,       /* traced-thread table full: a child process is untraced */
	BPFAUDIT_LOSS_NREASONS = 4,
};

/* bpfaudit_syscall_event.flags */
#define BPFAUDIT_SC_NO_RETURN 1u /* the task ended inside the syscall (exit_group) */
#define BPFAUDIT_SC_HAS_INODE 2u /* inode describes the fd the syscall returned */

/* The traced-thread table's value, one entry per traced thread: the set of
 * traced threads and the syscall each has in flight in one lookup. Userspace
 * adds the first thread idle; fork adds the rest. */
struct bpfaudit_pending {
	__u64 enter_ns;
	__u64 args[6];
	__s64 nr; /* the syscall in flight; < 0 when the thread is not in one */
};

/* Common header on every ring-buffer event. */
struct bpfaudit_event_header {
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() when built; SYSCALL: the entry time */
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

struct bpfaudit_syscall_event {
	struct bpfaudit_event_header hdr;
	__u64 enter_ns; /* the record's time, as the kernel stamps at entry */
	__u64 args[6];
	__s64 ret;
	__s32 nr;
	__u32 flags; /* BPFAUDIT_SC_* */
	__u32 pid;   /* tgid */
	__u32 tid;
	__u32 ppid;
	__u32 auid;
	__u32 ses;
	__u32 uid, gid, euid, suid, fsuid, egid, sgid, fsgid;
	__u32 pad;
	struct bpfaudit_inode inode;
	char comm[BPFAUDIT_COMM_LEN];
	char tty[BPFAUDIT_TTY_LEN]; /* empty: no controlling tty */
};

struct bpfaudit_fork_event {
	struct bpfaudit_event_header hdr;
	__u32 parent_tgid;
	__u32 child_tgid;
};

struct bpfaudit_exit_event {
	struct bpfaudit_event_header hdr;
	__u32 tgid;
	__s32 exit_code;
};

struct bpfaudit_path_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__s32 nr;
	__u32 item; /* 0 or 1: which path argument */
	__s32 len;  /* bpf_probe_read_user_str result: bytes with NUL, <0 on fault */
	char name[BPFAUDIT_PATH_MAX];
};

/* A kernel path as dentry names, leaf first, each NUL-terminated; userspace
 * joins them in reverse. The kernel has no d_path helper for tracepoints. */
struct bpfaudit_dpath {
	__u32 len;       /* bytes used in names */
	__u32 truncated; /* the walk stopped before reaching the root */
	char names[BPFAUDIT_PATH_MAX + BPFAUDIT_NAME_MAX];
};

struct bpfaudit_cwd_event {
	struct bpfaudit_event_header hdr;
	__u32 tid;
	__u32 pad;
	struct bpfaudit_dpath cwd;
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
