/* Who a thread is, as a SYSCALL record shows it (struct bpfaudit_identity):
 * one reader for autrace's traced threads and the prefilter's rule fields.
 * Include after vmlinux.h and bpfaudit_engine.h. */
#ifndef BPFAUDIT_LIB_IDENTITY_BPF_H
#define BPFAUDIT_LIB_IDENTITY_BPF_H

/* Reads `ptr->field` (a pointer's field, or a chain such as `uid.val`) with
 * a plain load, or with bpf_probe_read_kernel when `helper` (a constant).
 * A plain load of a pointer field through a trusted pointer (task->cred,
 * task->signal, ...) makes the 6.18 verifier look "<type>__safe_trusted" and
 * its rcu/or_null variants up by a linear scan of the kernel's BTF: the
 * identity's loads cost each program that verifies them about 4 ms
 * (sys_exit 7.7 -> 3.9 ms, sched_process_exit 6.0 -> 2.0 ms with helper
 * reads; kernel log_level 4, 3 runs, 2026-12-07). A plain load is a single
 * fault-safe instruction, a helper read a call per field: the per-syscall program
 * keeps plain loads, programs that run once per thread take the helper. */
#define BPFAUDIT_READ(helper, ptr, field) ((helper) ? BPF_CORE_READ(ptr, field) : (ptr)->field)

/* Brings the ids and comm of `id` up to date with `task` (not tty: its name
 * is a string read, which callers do only when they must) and returns
 * non-zero when any of them moved. `task` is a trusted BTF pointer; with
 * `helper` its fields are read as BPFAUDIT_READ says. */
static __always_inline __u64 bpfaudit_sync_identity_with(struct bpfaudit_identity *id,
							 struct task_struct *task, const bool helper)
{
	const struct cred *cred = BPFAUDIT_READ(helper, task, cred);
	__u64 changed = 0;

#define SYNC(field, value)                      \
	do {                                    \
		__u32 v_ = (value);             \
		changed |= id->field ^ v_;      \
		id->field = v_;                 \
	} while (0)
	SYNC(pid, BPFAUDIT_READ(helper, task, tgid));
	SYNC(ppid, helper ? BPF_CORE_READ(task, real_parent, tgid) : task->real_parent->tgid);
	SYNC(auid, BPFAUDIT_READ(helper, task, loginuid.val));
	SYNC(ses, BPFAUDIT_READ(helper, task, sessionid));
	SYNC(uid, BPFAUDIT_READ(helper, cred, uid.val));
	SYNC(gid, BPFAUDIT_READ(helper, cred, gid.val));
	SYNC(euid, BPFAUDIT_READ(helper, cred, euid.val));
	SYNC(suid, BPFAUDIT_READ(helper, cred, suid.val));
	SYNC(fsuid, BPFAUDIT_READ(helper, cred, fsuid.val));
	SYNC(egid, BPFAUDIT_READ(helper, cred, egid.val));
	SYNC(sgid, BPFAUDIT_READ(helper, cred, sgid.val));
	SYNC(fsgid, BPFAUDIT_READ(helper, cred, fsgid.val));
#undef SYNC
	/* prctl, exec and writes to /proc/TID/comm (by anyone) all rename. */
	__u64 comm[2];
	if (helper)
		bpf_probe_read_kernel(comm, sizeof(comm), task->comm);
	else
		__builtin_memcpy(comm, task->comm, sizeof(comm));
	__u64 *sent_comm = (__u64 *)id->comm;
	changed |= (sent_comm[0] ^ comm[0]) | (sent_comm[1] ^ comm[1]);
	sent_comm[0] = comm[0];
	sent_comm[1] = comm[1];
	return changed;
}

static __always_inline __u64 bpfaudit_sync_identity(struct bpfaudit_identity *id,
						    struct task_struct *task)
{
	return bpfaudit_sync_identity_with(id, task, false);
}

/* The controlling tty's name into id->tty; empty without one. */
static __always_inline void bpfaudit_read_tty(struct bpfaudit_identity *id, struct tty_struct *tty)
{
	id->tty[0] = 0;
	if (tty)
		bpf_probe_read_kernel_str(id->tty, sizeof(id->tty), tty->name);
}

#endif
