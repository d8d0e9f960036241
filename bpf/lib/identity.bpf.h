/* Who a thread is, as a SYSCALL record shows it (struct bpfaudit_identity):
 * one reader for autrace's traced threads and the prefilter's rule fields.
 * Include after vmlinux.h and bpfaudit_engine.h. */
#ifndef BPFAUDIT_LIB_IDENTITY_BPF_H
#define BPFAUDIT_LIB_IDENTITY_BPF_H

/* Brings the ids and comm of `id` up to date with `task` (not tty: its name
 * is a string read, which callers do only when they must) and returns
 * non-zero when any of them moved. `task` is a trusted BTF pointer: plain
 * loads compile to direct, fault-safe kernel reads instead of one helper
 * call per field. */
static __always_inline __u64 bpfaudit_sync_identity(struct bpfaudit_identity *id,
						    struct task_struct *task)
{
	const struct cred *cred = task->cred;
	__u64 changed = 0;

#define SYNC(field, value)                      \
	do {                                    \
		__u32 v_ = (value);             \
		changed |= id->field ^ v_;      \
		id->field = v_;                 \
	} while (0)
	SYNC(pid, task->tgid);
	SYNC(ppid, task->real_parent->tgid);
	SYNC(auid, task->loginuid.val);
	SYNC(ses, task->sessionid);
	SYNC(uid, cred->uid.val);
	SYNC(gid, cred->gid.val);
	SYNC(euid, cred->euid.val);
	SYNC(suid, cred->suid.val);
	SYNC(fsuid, cred->fsuid.val);
	SYNC(egid, cred->egid.val);
	SYNC(sgid, cred->sgid.val);
	SYNC(fsgid, cred->fsgid.val);
#undef SYNC
	/* prctl, exec and writes to /proc/TID/comm (by anyone) all rename. */
	__u64 comm[2];
	__builtin_memcpy(comm, task->comm, sizeof(comm));
	__u64 *sent_comm = (__u64 *)id->comm;
	changed |= (sent_comm[0] ^ comm[0]) | (sent_comm[1] ^ comm[1]);
	sent_comm[0] = comm[0];
	sent_comm[1] = comm[1];
	return changed;
}

/* The controlling tty's name into id->tty; empty without one. */
static __always_inline void bpfaudit_read_tty(struct bpfaudit_identity *id, struct tty_struct *tty)
{
	id->tty[0] = 0;
	if (tty)
		bpf_probe_read_kernel_str(id->tty, sizeof(id->tty), tty->name);
}

#endif
