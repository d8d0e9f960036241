// SPDX-License-Identifier: GPL-2.0
/* Process-tree syscall tracing for autrace.
 *
 * A traced-thread table is seeded by userspace with the stopped child and grows
 * on fork (processes and threads) from a traced thread, so nothing outside the
 * tree is copied to the ring.
 * One syscall program, on sys_exit: the arguments are still in the saved
 * registers there, and path arguments are copied then (the kernel's own
 * getname has faulted their pages in; a non-sleepable probe cannot). The few
 * syscalls whose entry state is gone by exit (exec's arguments, chdir's old
 * cwd) are caught by their own syscalls/sys_enter_* events, which cost other
 * syscalls nothing; a tp_btf/sys_enter program on every syscall cost dd
 * 0.2x more here (1.2x with sys_exit alone, 1.4x with both). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpfaudit_engine.h"
#include "lib/dpath.bpf.h"
#include "lib/identity.bpf.h"
#include "lib/ring.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load: notify the reader only when this much data
 * waits, so a busy tree costs no wake-up per event. */
const volatile __u64 wakeup_bytes = 256 * 1024;

/* Filled by userspace through the skeleton's .bss before the child runs. */
__u64 syscall_bits[BPFAUDIT_MAX_SYSCALLS / 64];
/* (first path arg + 1) | (second path arg + 1) << 4; 0 = no path argument. */
__u8 path_args[BPFAUDIT_MAX_SYSCALLS];
/* (address arg + 1) | (length arg + 1) << 4 of the syscalls whose address
 * the kernel audits (connect, bind, sendto); 0 = none. */
__u8 sockaddr_args[BPFAUDIT_MAX_SYSCALLS];
/* (buffer arg + 1) | kind << 4 of the stat family: kind 0 fills a struct
 * stat, 1 a struct statx; 0 = not a stat call. */
__u8 statbuf_args[BPFAUDIT_MAX_SYSCALLS];
/* BPFAUDIT_SCF_* per syscall. */
__u8 syscall_flags[BPFAUDIT_MAX_SYSCALLS];

static __always_inline __u8 flags_of(__s64 nr)
{
	return syscall_flags[nr & (BPFAUDIT_MAX_SYSCALLS - 1)];
}

/* Ring events are built in reserved memory, so nothing else names their
 * types: this global keeps them in the object's BTF, where the layout unit
 * test compares them with the C++ compile. Only a pointer is allocated. */
struct bpfaudit_abi_anchor {
	struct bpfaudit_event_header header;
	struct bpfaudit_syscall_event syscall;
	struct bpfaudit_syscall_inode_event syscall_inode;
	struct bpfaudit_identity_event identity;
	struct bpfaudit_fork_event fork;
	struct bpfaudit_exit_event exit;
	struct bpfaudit_path_event path;
	struct bpfaudit_cwd_event cwd;
	struct bpfaudit_exec_event exec;
	struct bpfaudit_sockaddr_event sockaddr;
	enum bpfaudit_event_type type;
	enum bpfaudit_loss_reason reason;
} *bpfaudit_abi_anchor __attribute__((unused));

/* Traced threads by thread id, each with the syscall it has in flight: one
 * lookup both filters (untraced threads have no entry) and finds the state.
 * An entry lives as long as its thread (removed at task exit) and is
 * rewritten in place: nr < 0 marks it idle.
 * Sized and allocated for start-up time: a preallocated 65536-entry map took
 * 8-15 ms to create, this one under 1 ms. Entries are added only at fork, so
 * allocating them then costs little; a full table is a counted loss
 * (BPFAUDIT_LOSS_TABLE_FULL_CHILD, BPFAUDIT_LOSS_TABLE_FULL_THREAD), never a silent one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct bpfaudit_pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFAUDIT_LOSS_NREASONS);
	__type(key, __u32);
	__type(value, __u64);
} losses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 25); /* resized by userspace before load */
} events SEC(".maps");

/* The kernel stamps audit events with the coarse clock, which moves once per
 * tick; so do we. A clock read costs more under a paravirtual clock than the
 * rest of the entry path, so each CPU reads it once per tick (when jiffies
 * moves) and reuses the value until the next tick. */
struct coarse_clock {
	__u64 jiffies;
	__u64 boot_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct coarse_clock);
} coarse_clock SEC(".maps");

static __always_inline __u64 coarse_boot_ns(void)
{
	__u32 zero = 0;
	struct coarse_clock *c = bpf_map_lookup_elem(&coarse_clock, &zero);
	__u64 now = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_boot_ns();
	if (c->jiffies != now) {
		c->jiffies = now;
		c->boot_ns = bpf_ktime_get_boot_ns();
	}
	return c->boot_ns;
}

static __always_inline void count_loss(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&losses, &reason);

	if (n)
		*n += 1;
}

/* Wake-ups batched by wakeup_bytes: see bpf/lib/ring.bpf.h. */
static __always_inline __u64 wake_flag(__u64 record_size)
{
	return bpfaudit_ring_wake_flag(&events, wakeup_bytes, record_size);
}

/* Every ring event goes out through this pair. reserve_event takes a ring
 * record for a `size`-byte event, fills its header, and counts `loss`
 * (BPFAUDIT_LOSS_*, or BPFAUDIT_LOSS_NONE when the caller counts itself)
 * when the ring is full; submit_event hands it to the reader with the
 * batched wake-up. `size` is a constant at each (inlined) call. */
#define BPFAUDIT_LOSS_NONE BPFAUDIT_LOSS_NREASONS
static __always_inline void *reserve_event(__u64 size, __u32 type, __u64 ts_ns, __u32 loss)
{
	void *ev = bpfaudit_ring_reserve(&events, size, type, ts_ns);

	if (!ev && loss != BPFAUDIT_LOSS_NONE)
		count_loss(loss);
	return ev;
}

static __always_inline void submit_event(void *ev, __u64 size)
{
	bpf_ringbuf_submit(ev, wake_flag(size));
}

/* A reserved event that turned out to have nothing to say. */
static __always_inline void discard_event(void *ev)
{
	bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP);
}

static __always_inline bool selected(__s64 nr)
{
	if (nr < 0 || nr >= BPFAUDIT_MAX_SYSCALLS)
		return false;
	return (syscall_bits[(nr >> 6) & 7] >> (nr & 63)) & 1;
}

static __always_inline void read_inode(struct bpfaudit_inode *out, struct inode *inode)
{
	out->ino = BPF_CORE_READ(inode, i_ino);
	out->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	out->rdev = BPF_CORE_READ(inode, i_rdev);
	out->mode = BPF_CORE_READ(inode, i_mode);
	out->uid = BPF_CORE_READ(inode, i_uid.val);
	out->gid = BPF_CORE_READ(inode, i_gid.val);
}

static __always_inline void emit_path(__u32 tid, __s64 nr, __u32 item, __u64 uptr)
{
	struct bpfaudit_path_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_PATH,
						       bpf_ktime_get_boot_ns(), BPFAUDIT_LOSS_RING_AUX);

	if (!ev)
		return;
	ev->tid = tid;
	ev->nr = nr;
	ev->item = item;
	ev->len = bpf_probe_read_user_str(ev->name, sizeof(ev->name), (const void *)uptr);
	submit_event(ev, sizeof(*ev));
}

static __always_inline void emit_cwd(__u32 tid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct bpfaudit_cwd_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_CWD,
						      bpf_ktime_get_boot_ns(), BPFAUDIT_LOSS_RING_AUX);

	if (!ev)
		return;
	ev->tid = tid;
	ev->pad = 0;
	struct path pwd = BPF_CORE_READ(task, fs, pwd);
	walk_path(&ev->cwd, &pwd);
	submit_event(ev, sizeof(*ev));
}

/* move_addr_to_kernel audits an address it could copy: a length of 1 to
 * sizeof(sockaddr_storage) and readable bytes; none otherwise (EINVAL/EFAULT). */
static __always_inline void emit_sockaddr(__u32 tid, __u64 uptr, __u64 ulen)
{
	if (!uptr || ulen == 0 || ulen > BPFAUDIT_SOCKADDR_MAX)
		return;
	__u32 len = (__u32)ulen;
	/* A unix socket's path is looked up by name (getname_kernel): the
	 * kernel's event then has a CWD and a PATH item for it. CWD opens the
	 * syscall's group in the ring, so it goes first. */
	char head[3] = {};
	if (len > 2 && !bpf_probe_read_user(head, sizeof(head), (const void *)uptr) &&
	    head[0] == 1 /* AF_UNIX */ && head[1] == 0 && head[2] != 0)
		emit_cwd(tid);
	struct bpfaudit_sockaddr_event *ev = reserve_event(
		sizeof(*ev), BPFAUDIT_EV_SOCKADDR, bpf_ktime_get_boot_ns(), BPFAUDIT_LOSS_RING_AUX);

	if (!ev)
		return;
	ev->tid = tid;
	ev->len = len;
	/* len is 1..128 here; the masked form shows the verifier (6.1, 6.12)
	 * the same bounds, which it does not carry over from the test above. */
	if (bpf_probe_read_user(ev->addr, ((len - 1) & (BPFAUDIT_SOCKADDR_MAX - 1)) + 1,
				(const void *)uptr)) {
		discard_event(ev);
		return;
	}
	submit_event(ev, sizeof(*ev));
}

/* Entry state for the syscalls that need it: exec's arguments (after a
 * successful exec the registers belong to the new program) and, for chdir,
 * the cwd the kernel records (the one before the change). */
static __always_inline void save_entry(__s64 nr, const unsigned long *args)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct bpfaudit_pending *p = bpf_map_lookup_elem(&pending, &tid);

	if (!p || p->nr == BPFAUDIT_NR_SKIP || !selected(nr))
		return;
	__u8 f = flags_of(nr);
	if (f & BPFAUDIT_SCF_EXEC) {
		for (int i = 0; i < 6; i++)
			p->args[i] = args[i];
		p->entry |= BPFAUDIT_ENTRY_ARGS;
	}
	if (f & BPFAUDIT_SCF_CHDIR) {
		emit_cwd(tid);
		p->entry |= BPFAUDIT_ENTRY_CWD;
	}
}

/* The arguments are read from the saved registers, not from the event: an
 * event holds only the syscall's declared arguments (3 for execve), and the
 * kernel refuses a program that reads past them, while the SYSCALL record
 * shows a0..a3 whatever the syscall takes. */
static __always_inline int save_entry_ctx(struct trace_event_raw_sys_enter *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	unsigned long args[6] = { regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9 };

	save_entry(ctx->id, args);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return save_entry_ctx(ctx);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return save_entry_ctx(ctx);
}

SEC("tracepoint/syscalls/sys_enter_chdir")
int enter_chdir(struct trace_event_raw_sys_enter *ctx)
{
	return save_entry_ctx(ctx);
}

/* The fallback when the syscall events cannot be attached (no tracefs, or a
 * kernel without CONFIG_FTRACE_SYSCALLS): the same, from a program on every
 * syscall entry. Userspace loads it only then, and says so. */
SEC("tp_btf/sys_enter")
int BPF_PROG(enter_any, struct pt_regs *regs, long syscall_nr)
{
	if (!(flags_of(syscall_nr) & (BPFAUDIT_SCF_EXEC | BPFAUDIT_SCF_CHDIR)) ||
	    syscall_nr < 0 || syscall_nr >= BPFAUDIT_MAX_SYSCALLS)
		return 0;
	unsigned long args[6] = { regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9 };

	save_entry(syscall_nr, args);
	return 0;
}

/* Brings `p->sent` up to date with `task` and says whether it moved since
 * the last identity event (or none was sent). `task` is a trusted BTF
 * pointer: plain loads compile to direct, fault-safe kernel reads instead of
 * one helper call per field. */
static __always_inline bool refresh_identity(struct bpfaudit_pending *p, struct task_struct *task)
{
	struct bpfaudit_identity *id = &p->sent;
	__u64 changed = bpfaudit_sync_identity(id, task) | !p->sent_valid;
	struct tty_struct *tty = task->signal->tty;
	__u64 driver = 0;
	__s32 index = 0;

	if (tty) {
		driver = (__u64)tty->driver;
		index = tty->index;
	}
	if (!p->sent_valid || p->tty != (__u64)tty || p->tty_driver != driver ||
	    p->tty_index != index) {
		changed = 1;
		p->tty = (__u64)tty;
		p->tty_driver = driver;
		p->tty_index = index;
		bpfaudit_read_tty(id, tty);
	}
	return changed != 0;
}

/* Puts `p->sent` in the ring ahead of a SYSCALL event when it changed.
 * False when it could not: the SYSCALL event must not go out then, it would
 * be read with the identity sent before. */
static __always_inline bool send_identity(struct bpfaudit_pending *p, struct task_struct *task,
					  __u32 tid)
{
	if (!refresh_identity(p, task))
		return true;
	/* Its loss is the SYSCALL event's, counted by the caller. */
	struct bpfaudit_identity_event *ev =
		reserve_event(sizeof(*ev), BPFAUDIT_EV_IDENTITY, p->enter_ns, BPFAUDIT_LOSS_NONE);

	if (!ev) {
		p->sent_valid = 0;
		return false;
	}
	ev->tid = tid;
	ev->pad = 0;
	__builtin_memcpy(&ev->id, &p->sent, sizeof(ev->id));
	p->sent_valid = 1;
	submit_event(ev, sizeof(*ev));
	return true;
}

/* The header is reserve_event's; the time is p->enter_ns, read once. */
static __always_inline void fill_syscall(struct bpfaudit_syscall_event *sc, __u32 tid,
					 struct bpfaudit_pending *p, __s64 ret, __u32 flags)
{
	for (int i = 0; i < 4; i++)
		sc->args[i] = p->args[i];
	sc->ret = ret;
	sc->nr = p->nr;
	sc->flags = flags;
	sc->tid = tid;
	sc->a4 = (__u32)p->args[4];
}

/* The open family's returned fd, as the file it refers to: exactly what the
 * kernel's PATH record shows for it. NULL when there is none. */
static __always_inline struct file *opened_file(struct task_struct *task, __s64 nr, __s64 ret)
{
	if (ret < 0 || !(flags_of(nr) & BPFAUDIT_SCF_OPENS_FD))
		return NULL;
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *f = NULL;

	if (ret >= max || bpf_probe_read_kernel(&f, sizeof(f), &fds[ret]))
		return NULL;
	return f;
}

/* Emits the SYSCALL event for the pending entry of `tid`, after its
 * identity when that changed. A subprogram, not inlined: its branches
 * multiplied with the exit program's took the verifier 23 ms (5 ms so),
 * most of autrace's start-up. */
/* The kernel's dev_t from the 32-bit encoding struct stat carries
 * (new_encode_dev: minor's low byte, major, minor's high bits). */
static __always_inline __u32 from_stat_dev(__u64 d)
{
	__u32 major = (d >> 8) & 0xfff, minor = (d & 0xff) | ((d >> 12) & 0xfff00);

	return major << 20 | minor;
}

/* A successful stat/lstat/fstatat/statx filled its buffer from exactly the
 * inode the kernel's PATH record describes for the name (the same lookup):
 * read it back from there, as no VFS hook is available on every host. */
static __always_inline bool read_statbuf(struct bpfaudit_inode *out, struct bpfaudit_pending *p,
					 __s64 nr)
{
	__u8 sb = statbuf_args[nr & (BPFAUDIT_MAX_SYSCALLS - 1)];
	__u32 arg = (sb & 0xf) - 1;

	if (!sb || arg >= 6)
		return false;
	const char *buf = (const char *)p->args[arg];

	if (sb >> 4) {
		struct {
			__u32 mask, blksize;
			__u64 attributes;
			__u32 nlink, uid, gid;
			__u16 mode, pad;
			__u64 ino;
		} head;
		struct {
			__u32 rdev_major, rdev_minor, dev_major, dev_minor;
		} devs; /* at offset 128 of struct statx */

		if (bpf_probe_read_user(&head, sizeof(head), buf) ||
		    bpf_probe_read_user(&devs, sizeof(devs), buf + 128))
			return false;
		out->ino = head.ino;
		out->mode = head.mode;
		out->uid = head.uid;
		out->gid = head.gid;
		out->dev = devs.dev_major << 20 | devs.dev_minor;
		out->rdev = devs.rdev_major << 20 | devs.rdev_minor;
	} else {
		struct {
			__u64 dev, ino, nlink;
			__u32 mode, uid, gid, pad;
			__u64 rdev;
		} st; /* x86_64 struct stat, up to st_rdev */

		if (bpf_probe_read_user(&st, sizeof(st), buf))
			return false;
		out->ino = st.ino;
		out->mode = st.mode;
		out->uid = st.uid;
		out->gid = st.gid;
		out->dev = from_stat_dev(st.dev);
		out->rdev = from_stat_dev(st.rdev);
	}
	out->pad = 0;
	return true;
}

static __noinline void emit_syscall(struct task_struct *task, __u32 tid,
					 struct bpfaudit_pending *p, __s64 ret, __u32 flags)
{
	if (!send_identity(p, task, tid)) {
		count_loss(BPFAUDIT_LOSS_RING_SYSCALL);
		return;
	}
	struct file *f = (flags & BPFAUDIT_SC_NO_RETURN) ? NULL : opened_file(task, p->nr, ret);

	if (f) {
		struct bpfaudit_syscall_inode_event *ev = reserve_event(
			sizeof(*ev), BPFAUDIT_EV_SYSCALL, p->enter_ns, BPFAUDIT_LOSS_RING_SYSCALL);

		if (!ev)
			return;
		fill_syscall(&ev->sc, tid, p, ret, flags | BPFAUDIT_SC_HAS_INODE);
		ev->inode.pad = 0;
		read_inode(&ev->inode, BPF_CORE_READ(f, f_inode));
		submit_event(ev, sizeof(*ev));
		return;
	}
	if (!(flags & BPFAUDIT_SC_NO_RETURN) && ret == 0 &&
	    statbuf_args[p->nr & (BPFAUDIT_MAX_SYSCALLS - 1)]) {
		struct bpfaudit_syscall_inode_event *ev = reserve_event(
			sizeof(*ev), BPFAUDIT_EV_SYSCALL, p->enter_ns, BPFAUDIT_LOSS_RING_SYSCALL);

		if (!ev)
			return;
		bool got = read_statbuf(&ev->inode, p, p->nr);
		fill_syscall(&ev->sc, tid, p, ret, flags | (got ? BPFAUDIT_SC_HAS_INODE : 0));
		submit_event(ev, sizeof(*ev));
		return;
	}
	struct bpfaudit_syscall_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_SYSCALL,
							  p->enter_ns, BPFAUDIT_LOSS_RING_SYSCALL);

	if (!ev)
		return;
	fill_syscall(ev, tid, p, ret, flags);
	submit_event(ev, sizeof(*ev));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_exit, struct pt_regs *regs, long syscall_ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	/* Only traced threads have an entry, so this one lookup is the filter. */
	struct bpfaudit_pending *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0;
	/* A fork child returning, or the first thread's read that began
	 * before tracing: not the traced program's syscall. */
	if (p->nr == BPFAUDIT_NR_SKIP) {
		p->nr = BPFAUDIT_NR_IDLE;
		p->entry = 0;
		return 0;
	}
	__s64 nr = regs->orig_ax;
	if (!selected(nr)) {
		p->entry = 0;
		return 0;
	}
	__s64 ret = syscall_ret;
	__u8 f = flags_of(nr);
	/* A successful exec replaced the registers and the memory the name was
	 * in: the arguments come from its entry event, the name from the exec
	 * event. */
	bool exec_done = (f & BPFAUDIT_SCF_EXEC) && ret == 0;

	if (!(exec_done && (p->entry & BPFAUDIT_ENTRY_ARGS))) {
		p->args[0] = regs->di;
		p->args[1] = regs->si;
		p->args[2] = regs->dx;
		p->args[3] = regs->r10;
		p->args[4] = regs->r8;
		p->args[5] = regs->r9;
	}
	/* The record's time is the exit time on the coarse clock the kernel
	 * stamps with; the kernel's is the entry's (see README, autrace). */
	p->enter_ns = coarse_boot_ns();
	p->nr = nr;
	__u8 pa = path_args[nr & (BPFAUDIT_MAX_SYSCALLS - 1)];
	if (pa) {
		if (!(p->entry & BPFAUDIT_ENTRY_CWD))
			emit_cwd(tid);
		if (!exec_done) {
			__u32 first = (pa & 0xf) - 1, second = (pa >> 4) - 1;

			if (first < 6 && p->args[first])
				emit_path(tid, nr, 0, p->args[first]);
			if (second < 6 && p->args[second])
				emit_path(tid, nr, 1, p->args[second]);
		}
	}
	__u8 sa = sockaddr_args[nr & (BPFAUDIT_MAX_SYSCALLS - 1)];
	if (sa) {
		__u32 addr = (sa & 0xf) - 1, len = (sa >> 4) - 1;

		if (addr < 6 && len < 6)
			emit_sockaddr(tid, p->args[addr], p->args[len]);
	}
	emit_syscall(bpf_get_current_task_btf(), tid, p, ret, 0);
	p->nr = BPFAUDIT_NR_IDLE;
	p->entry = 0;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptid = BPF_CORE_READ(parent, pid);
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctid = BPF_CORE_READ(child, pid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	/* The child's first sys_exit is its return from fork: skipped. */
	struct bpfaudit_pending idle = { .nr = BPFAUDIT_NR_SKIP };

	/* Fires for threads too: every thread of a traced process gets an entry. */
	if (!bpf_map_lookup_elem(&pending, &ptid))
		return 0;
	if (bpf_map_update_elem(&pending, &ctid, &idle, BPF_ANY)) {
		count_loss(ptgid == ctgid ? BPFAUDIT_LOSS_TABLE_FULL_THREAD : BPFAUDIT_LOSS_TABLE_FULL_CHILD);
		return 0;
	}
	if (ptgid == ctgid)
		return 0;

	struct bpfaudit_fork_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_FORK,
						       bpf_ktime_get_boot_ns(), BPFAUDIT_LOSS_RING_AUX);
	if (!ev)
		return 0;
	ev->parent_tgid = ptgid;
	ev->child_tgid = ctgid;
	submit_event(ev, sizeof(*ev));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 tid = BPF_CORE_READ(task, pid);
	__u32 old = old_pid;

	struct bpfaudit_pending *p = bpf_map_lookup_elem(&pending, &old);

	if (!p)
		return 0;
	/* A non-leader thread that execs becomes the leader: it goes on, with
	 * its in-flight execve, under the leader's id (the leader's own entry went
	 * at its exit in de_thread). The old thread id is gone without an exit of
	 * its own. */
	if (old != tid) {
		struct bpfaudit_pending copy = *p;

		/* Userspace keys identities by thread id: the new id sends its own. */
		copy.sent_valid = 0;
		if (bpf_map_update_elem(&pending, &tid, &copy, BPF_ANY))
			count_loss(BPFAUDIT_LOSS_TABLE_FULL_THREAD);
		bpf_map_delete_elem(&pending, &old);
	}

	struct bpfaudit_exec_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_EXEC,
						       bpf_ktime_get_boot_ns(), BPFAUDIT_LOSS_RING_AUX);
	if (!ev)
		return 0;
	ev->pid = tgid;
	ev->tid = tid;
	ev->old_tid = old;

	struct file *file = BPF_CORE_READ(bprm, file);
	__builtin_memset(&ev->inode, 0, sizeof(ev->inode));
	read_inode(&ev->inode, BPF_CORE_READ(file, f_inode));
	bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename), BPF_CORE_READ(bprm, filename));
	struct path fpath = BPF_CORE_READ(file, f_path);
	walk_path(&ev->exe, &fpath);

	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	__u32 len = end > start ? end - start : 0;

	if (len > BPFAUDIT_ARGS_MAX - 1)
		len = BPFAUDIT_ARGS_MAX - 1;
	len &= BPFAUDIT_ARGS_MAX - 1;
	if (len == 0 || bpf_probe_read_user(ev->args, len, (const void *)start))
		len = 0;
	ev->args_len = len;
	submit_event(ev, sizeof(*ev));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_task_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 tid = BPF_CORE_READ(task, pid);

	struct bpfaudit_pending *p = bpf_map_lookup_elem(&pending, &tid);

	if (!p)
		return 0;
	/* exit/exit_group never return: record them now, as the kernel does at
	 * task exit, without success/exit fields. A thread killed by a signal
	 * after some syscall returned also shows that syscall in orig_ax, but
	 * only exit and exit_group end a task from inside the syscall. */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__s64 nr = regs ? BPF_CORE_READ(regs, orig_ax) : -1;

	if (p->nr != BPFAUDIT_NR_SKIP && selected(nr) && (flags_of(nr) & BPFAUDIT_SCF_EXIT)) {
		p->args[0] = BPF_CORE_READ(regs, di);
		p->args[1] = BPF_CORE_READ(regs, si);
		p->args[2] = BPF_CORE_READ(regs, dx);
		p->args[3] = BPF_CORE_READ(regs, r10);
		p->enter_ns = coarse_boot_ns();
		p->nr = nr;
		emit_syscall(task, tid, p, 0, BPFAUDIT_SC_NO_RETURN);
	}
	bpf_map_delete_elem(&pending, &tid);

	/* Every traced thread's end is sent, so that userspace can forget its
	 * identity; signal->live drops to zero before this tracepoint for the
	 * last thread. */
	struct bpfaudit_exit_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_EXIT,
						       bpf_ktime_get_boot_ns(), BPFAUDIT_LOSS_RING_AUX);
	if (!ev)
		return 0;
	ev->tgid = tgid;
	ev->tid = tid;
	ev->exit_code = BPF_CORE_READ(task, exit_code);
	ev->last_thread = BPF_CORE_READ(task, signal, live.counter) == 0;
	submit_event(ev, sizeof(*ev));
	return 0;
}
