/* ABI shared by prefilter.bpf.c and userspace/ebpf: the in-kernel prefilter
 * engine that evaluates auditctl exit-filter rules as data.
 * Plain C, fixed-width types, explicit padding; every name carries the
 * bpfaudit_ prefix (vmlinux.h already defines audit_*). A unit test compares
 * these layouts with the BTF of the built object. */
#ifndef BPFAUDIT_PREFILTER_H
#define BPFAUDIT_PREFILTER_H

#include "bpfaudit_common.h"

#define BPFAUDIT_PF_ABI_VERSION 1

#define BPFAUDIT_PF_NR_ARCH 2        /* row index: 0 = x86_64, 1 = i386 (int 0x80) */
#define BPFAUDIT_PF_MAX_SYSCALLS 512 /* per arch; x86_64 and i386 both have < 512 */
#define BPFAUDIT_PF_ROWS (BPFAUDIT_PF_NR_ARCH * BPFAUDIT_PF_MAX_SYSCALLS)
#define BPFAUDIT_PF_ROW_MAX 1023     /* rules one syscall row holds; more: kernel placement */
#define BPFAUDIT_PF_MAX_RULES 1024   /* rules per generation */
#define BPFAUDIT_PF_MAX_FIELDS 16    /* fields an engine rule holds; more: kernel placement */
#define BPFAUDIT_PF_KEY_MAX 256      /* AUDIT_MAX_KEY_LEN */
#define BPFAUDIT_PF_PROCTITLE_MAX 128 /* the kernel's MAX_PROCTITLE_AUDIT_LEN */
#define BPFAUDIT_PF_COMM_LEN 16
#define BPFAUDIT_PF_TTY_LEN 64

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
	char key[BPFAUDIT_PF_KEY_MAX]; /* NUL-terminated; empty: key=(null) */
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

/* Why a matched syscall could not be recorded; indexes per-CPU counters. */
enum bpfaudit_pf_loss_reason {
	BPFAUDIT_PF_LOSS_RING = 0,      /* ring full: a matched syscall was not recorded */
	BPFAUDIT_PF_LOSS_EXE_WALK = 1,  /* exe path walk cut short (record written, exe truncated) */
	BPFAUDIT_PF_LOSS_NREASONS = 2,
};

/* One matched syscall: everything a SYSCALL and a PROCTITLE record show. */
struct bpfaudit_pf_event {
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() at sys_exit (CLOCK_BOOTTIME) */
	__u32 size;  /* whole event */
	__u32 abi;   /* BPFAUDIT_PF_ABI_VERSION */
	__u32 arch;  /* AUDIT_ARCH_* */
	__s32 nr;
	__u64 args[4];
	__s64 ret;
	__u32 pid, tid, ppid, auid, ses;
	__u32 uid, gid, euid, suid, fsuid, egid, sgid, fsgid;
	__u32 proctitle_len; /* bytes of proctitle read; 0: unreadable */
	char comm[BPFAUDIT_PF_COMM_LEN];
	char tty[BPFAUDIT_PF_TTY_LEN]; /* empty: no controlling tty */
	char key[BPFAUDIT_PF_KEY_MAX];
	char proctitle[BPFAUDIT_PF_PROCTITLE_MAX];
	struct bpfaudit_dpath exe; /* len 0: no executable (kernel thread) */
};

#endif
