/* ABI pieces shared by every bpfaudit BPF program and userspace/ebpf:
 * plain C, fixed-width types. */
#ifndef BPFAUDIT_COMMON_H
#define BPFAUDIT_COMMON_H

#ifdef __BPF__
/* vmlinux.h provides the __u* types inside BPF programs. */
#else
#include <linux/types.h>
#endif

#define BPFAUDIT_PATH_MAX 4096 /* a path, NUL included */
#define BPFAUDIT_NAME_MAX 256  /* one dentry name */

/* A kernel path as dentry names, leaf first, each NUL-terminated; userspace
 * joins them in reverse. The kernel has no d_path helper for tracepoints. */
struct bpfaudit_dpath {
	__u32 len;       /* bytes used in names */
	__u32 truncated; /* the walk stopped before reaching the root */
	char names[BPFAUDIT_PATH_MAX + BPFAUDIT_NAME_MAX];
};

#endif
