/* ABI shared by trace.bpf.c and userspace/probe: plain C, fixed-width types,
 * explicit padding. Every name carries the bpfaudit_ prefix because vmlinux.h
 * already defines audit_* names. */
#ifndef BPFAUDIT_TRACE_H
#define BPFAUDIT_TRACE_H

#ifdef __BPF__
/* vmlinux.h provides the __u* types inside BPF programs. */
#else
#include <linux/types.h>
#endif

#define BPFAUDIT_ABI_VERSION 1

enum bpfaudit_event_type {
	BPFAUDIT_EV_SYSCALL = 1,
	BPFAUDIT_EV_FORK = 2,
	BPFAUDIT_EV_EXIT = 3,
};

/* Common header on every ring-buffer event. */
struct bpfaudit_event_header {
	__u64 ts_ns;  /* bpf_ktime_get_boot_ns() */
	__u32 type;   /* enum bpfaudit_event_type */
	__u32 size;   /* whole event, header included */
};

struct bpfaudit_fork_event {
	struct bpfaudit_event_header hdr;
	__u32 parent_tgid;
	__u32 child_tgid;
};

#endif
