// SPDX-License-Identifier: GPL-2.0
/* The engine: one object, one syscall program (tp_btf/sys_exit), two rules.
 *
 * The process-tree rule (autrace): a traced-thread table is seeded by
 * userspace with the stopped child and grows on fork (processes and threads)
 * from a traced thread, so nothing outside the tree is copied to the ring;
 * every syscall of the tree, or those of a syscall bitmap (autrace -r), is
 * recorded with its PATH/CWD/SOCKADDR/EXEC data. The arguments are still in
 * the saved registers at sys_exit, and path arguments are copied then (the
 * kernel's own getname has faulted their pages in; a non-sleepable probe
 * cannot). The few syscalls whose entry state is gone by exit (exec's
 * arguments, chdir's old cwd) are caught by their own syscalls/sys_enter_*
 * events, which cost other syscalls little (their handler's bitmap test,
 * 2% of a traced dd's CPU time: README); a tp_btf/sys_enter program on
 * every syscall cost dd 0.2x more here (1.2x with sys_exit alone, 1.4x with
 * both).
 *
 * The prefilter's rules (auditctl exit-filter rules as data): a syscall that
 * no rule names costs one array lookup (its row's count is 0), whatever the
 * number of rules: rules are rows of indexes into a rule table, not code.
 * Userspace fills the idle generation of rows and rules and flips
 * state.gen, so a rule change never shows a half-written table. Every field
 * a rule takes (identity, arch, a0..a3, exit, success) is still there at exit.
 *
 * Both write the same events (bpfaudit_engine.h) into one ring. Which rule an
 * instance of the object runs is fixed at load (follow_tree, eval_rules in
 * .rodata): the verifier drops the other's code, so autrace's threads pay no
 * rule lookup and the prefilter's syscalls no traced-thread lookup. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpfaudit_engine.h"
#include "lib/dpath.bpf.h"
#include "lib/identity.bpf.h"
#include "lib/ring.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define AUDIT_ARCH_X86_64_ 0xc000003eu
#define AUDIT_ARCH_I386_ 0x40000003u
#define TS_COMPAT_ 0x0002u /* arch/x86/include/asm/thread_info.h */
#define AUDITSC_SUCCESS_ 1u
#define AUDITSC_FAILURE_ 2u
#define MAX_ERRNO_ 4095

/* Set by userspace before load: notify the reader only when this much data
 * waits, so a busy tree costs no wake-up per event. */
const volatile __u64 wakeup_bytes = 256 * 1024;
/* Which rule this instance runs: autrace's process tree, the prefilter's rules. */
const volatile bool follow_tree = false;
const volatile bool eval_rules = false;
/* The cwd cache (emit_cwd) where the engine stays loaded: a preloaded engine
 * verifies it once, where autrace's own load would on every run (sys_exit
 * 7,812 -> 11,161 instructions processed; the load phase of autrace
 * /bin/true 40.5 -> 52.6 ms, medians of 9), more than it saves a traced tar
 * (sys_exit 10.85 -> 9.79 ms a run, bpf_stats, 12 runs each; 2026-12-07).
 * Off, the cache's global functions are never called and 6.8+ verifiers
 * skip them. */
const volatile bool cache_cwd = false;

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
	struct bpfaudit_rule_match_event match;
	struct bpfaudit_batch_event batch;
	struct bpfaudit_vfs_event vfs;
	struct bpfaudit_exec_item_event exec_item;
	struct bpfaudit_fcaps_event fcaps;
	struct bpfaudit_pf_field_match field;
	struct bpfaudit_pf_rule rule;
	struct bpfaudit_pf_row row;
	struct bpfaudit_pf_state state;
	enum bpfaudit_event_type type;
	enum bpfaudit_loss_reason reason;
	enum bpfaudit_nametype nametype;
	enum bpfaudit_pf_field f;
	enum bpfaudit_pf_op op;
	enum bpfaudit_pf_action action;
} *bpfaudit_abi_anchor __attribute__((unused));

/* Traced threads, each with the syscall it has in flight: task-local
 * storage, so that one lookup both filters (untraced threads have none) and
 * finds the state, and a thread outside the tree costs a NULL test of its
 * task's storage pointer instead of a hash lookup. Kernel bpf_stats, sys_exit
 * returning right after the lookup, dd bs=1 count=300000 traced, 5 runs
 * (2026-12-07): 36 ns a run with task storage, 44-56 ns with the hash map
 * it replaces (an empty program: 27). An entry lives as long as its task (the
 * kernel frees it with the task; the exit program deletes it first) and is
 * rewritten in place: nr < 0 marks it idle. There is no table to fill: an
 * entry the kernel cannot allocate at fork is a counted loss
 * (BPFAUDIT_LOSS_TABLE_FULL_CHILD, BPFAUDIT_LOSS_TABLE_FULL_THREAD), never a
 * silent one. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bpfaudit_pending);
} pending SEC(".maps");

/* The trace run the programs act for, 0 for none. A loaded object serves
 * one run (autrace's own load) or many in turn (a preloaded engine,
 * TraceProbe): userspace sets it from trace_runs + 1 before attaching and
 * to 0 when the run ends. Entries of other runs (a descendant that outlived
 * its trace keeps its task storage until it exits) are not this run's, and
 * neither are the syscall entry events a helper process still holds open
 * after their run (their last close is slow: see TraceProbe), which carry
 * their run as the attachment's cookie (0 for the entry events a preloaded
 * engine keeps attached for all of its runs). */
__u32 trace_run;
__u32 trace_runs;

static __always_inline struct bpfaudit_pending *pending_of(struct task_struct *task)
{
	struct bpfaudit_pending *p = bpf_task_storage_get(&pending, task, 0, 0);

	if (p && p->run != trace_run)
		return NULL;
	return p;
}

/* The entry of `task` when a run is on, the task is in its tree and its
 * syscall is one to record; NULL otherwise. What the entry events and the
 * VFS hooks act on: trace_run first, so that with no run on (a preloaded
 * engine between runs) they return before the storage lookup. */
static __always_inline struct bpfaudit_pending *recording_entry(struct task_struct *task)
{
	if (!trace_run)
		return NULL;
	struct bpfaudit_pending *p = pending_of(task);

	if (!p || p->nr == BPFAUDIT_NR_SKIP)
		return NULL;
	return p;
}

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
 * rest of the entry path, so the clock is read once per tick (when jiffies
 * moves), by whichever CPU first needs it, and the value is shared by all
 * CPUs until the next tick, like the kernel's coarse clock. Each CPU kept its
 * own before: a thread that moved to the other CPU within a tick (exec does)
 * could get a stamp up to a tick older than its previous event's, and
 * ausearch, which writes complete events oldest first, then put its exec
 * before the open it made just before (kernel.forged_records, 2 of 15 runs
 * under load). The boot time is stored before the tick that tags it, so a
 * reader that sees this tick's jiffies reads a time of this tick (or of a
 * later one, which keeps the order); two CPUs opening the same tick at once
 * store times a few hundred nanoseconds apart. */
__u64 clock_jiffies;
__u64 clock_boot_ns;

static __always_inline __u64 coarse_boot_ns(void)
{
	__u64 now = bpf_jiffies64();

	if (*(volatile __u64 *)&clock_jiffies == now)
		return *(volatile __u64 *)&clock_boot_ns;
	__u64 t = bpf_ktime_get_boot_ns();

	*(volatile __u64 *)&clock_boot_ns = t;
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&clock_jiffies = now;
	return t;
}

/* Bumped by every counted loss: the cwd cache (emit_cwd) keeps the value
 * its thread's last full CWD event was sent under, and a loss since, of
 * that event or of anything, makes the next CWD event a full one. */
__u32 loss_gen;

static __always_inline void count_losses(__u32 reason, __u64 count)
{
	__u64 *n = bpf_map_lookup_elem(&losses, &reason);

	if (n)
		*n += count;
	__sync_fetch_and_add(&loss_gen, 1);
}

static __always_inline void count_loss(__u32 reason)
{
	count_losses(reason, 1);
}

/* Wake-ups batched by wakeup_bytes: see bpf/lib/ring.bpf.h. */
static __always_inline __u64 wake_flag(__u64 record_size)
{
	return bpfaudit_ring_wake_flag(&events, wakeup_bytes, record_size);
}

/* Each CPU's batch of autrace's events (bpfaudit_engine.h). Kernel
 * bpf_stats, a traced dd: the program took 50-60 ns more per syscall with a
 * ring record each than without one (reserve, fill, query, submit;
 * 2026-12-07). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfaudit_batch_buf);
} batch SEC(".maps");

/* Puts the CPU's batch in the ring (a full ring loses its events, counted). */
static __always_inline void flush_batch_buf(struct bpfaudit_batch_buf *b)
{
	__u32 n = b->ev.count;
	__u32 aux = b->aux;
	__u64 used = b->ev.used;

	if (!n)
		return;
	if (used > BPFAUDIT_BATCH_BYTES)
		used = BPFAUDIT_BATCH_BYTES;
	__u64 size = offsetof(struct bpfaudit_batch_event, data) + used;

	b->ev.hdr.ts_ns = 0;
	b->ev.hdr.type = BPFAUDIT_EV_BATCH;
	b->ev.hdr.size = size;
	if (bpf_ringbuf_output(&events, &b->ev, size, wake_flag(size))) {
		if (aux > n)
			aux = n;
		count_losses(BPFAUDIT_LOSS_RING_SYSCALL, n - aux);
		if (aux)
			count_losses(BPFAUDIT_LOSS_RING_AUX, aux);
	}
	b->ev.count = 0;
	b->ev.used = 0;
	b->aux = 0;
}

/* This CPU's batch with room for a `size`-byte event after what it holds
 * (flushed first when full); NULL in the prefilter's instance, which does
 * not batch (follow_tree is fixed at load: it has no code here). The event
 * goes at batch_end(b) and is counted by batch_added. */
static __always_inline struct bpfaudit_batch_buf *batch_with_room(__u64 size)
{
	__u32 zero = 0;

	if (!follow_tree)
		return NULL;
	struct bpfaudit_batch_buf *b = bpf_map_lookup_elem(&batch, &zero);

	if (b && b->ev.used + size > BPFAUDIT_BATCH_BYTES)
		flush_batch_buf(b);
	return b;
}

static __always_inline __u32 batch_end(struct bpfaudit_batch_buf *b)
{
	return b->ev.used & (BPFAUDIT_BATCH_BYTES - 1);
}

static __always_inline void batch_added(struct bpfaudit_batch_buf *b, __u32 off, __u64 size,
					bool aux)
{
	b->ev.used = off + size;
	b->ev.count += 1;
	if (aux)
		b->aux += 1;
}

/* Before anything else goes in the ring from this CPU. Only autrace's
 * instance batches (follow_tree is fixed at load: the prefilter's instance
 * has no code here). */
static __always_inline void flush_batch(void)
{
	__u32 zero = 0;

	if (!follow_tree)
		return;
	struct bpfaudit_batch_buf *b = bpf_map_lookup_elem(&batch, &zero);

	if (b)
		flush_batch_buf(b);
}

/* Every ring event goes out through this pair. reserve_event takes a ring
 * record for a `size`-byte event, fills its header, and counts `loss`
 * (BPFAUDIT_LOSS_*, or BPFAUDIT_LOSS_NONE when the caller counts itself)
 * when the ring is full; submit_event hands it to the reader with the
 * batched wake-up. `size` is a constant at each (inlined) call. */
#define BPFAUDIT_LOSS_NONE BPFAUDIT_LOSS_NREASONS
static __always_inline void *reserve_event(__u64 size, __u32 type, __u64 ts_ns, __u32 loss)
{
	flush_batch();
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

/* The fields a PATH record shows lie in the first 80 bytes of struct inode
 * (i_mode at 0 ... i_rdev at 76 on 6.1-6.18): one read of that head and one
 * of i_sb->s_dev, where a read per field took seven helper calls. A kernel
 * whose layout puts one beyond the head (CO-RE offsets, checked at load: the
 * verifier drops the branch not taken) reads field by field. */
#define BPFAUDIT_INODE_HEAD 80
static __always_inline void read_inode(struct bpfaudit_inode *out, struct inode *inode)
{
	const __u32 o_mode = bpf_core_field_offset(struct inode, i_mode);
	const __u32 o_uid = bpf_core_field_offset(struct inode, i_uid);
	const __u32 o_gid = bpf_core_field_offset(struct inode, i_gid);
	const __u32 o_sb = bpf_core_field_offset(struct inode, i_sb);
	const __u32 o_ino = bpf_core_field_offset(struct inode, i_ino);
	const __u32 o_rdev = bpf_core_field_offset(struct inode, i_rdev);

	if (o_mode + 2 <= BPFAUDIT_INODE_HEAD && o_uid + 4 <= BPFAUDIT_INODE_HEAD &&
	    o_gid + 4 <= BPFAUDIT_INODE_HEAD && o_sb + 8 <= BPFAUDIT_INODE_HEAD &&
	    o_ino + 8 <= BPFAUDIT_INODE_HEAD && o_rdev + 4 <= BPFAUDIT_INODE_HEAD) {
		__u64 head[BPFAUDIT_INODE_HEAD / 8];
		const __u8 *h = (const __u8 *)head;

		if (bpf_probe_read_kernel(head, sizeof(head), inode) == 0) {
			struct super_block *sb = *(struct super_block *const *)(h + o_sb);

			out->mode = *(const __u16 *)(h + o_mode);
			out->uid = *(const __u32 *)(h + o_uid);
			out->gid = *(const __u32 *)(h + o_gid);
			out->ino = *(const __u64 *)(h + o_ino);
			out->rdev = *(const __u32 *)(h + o_rdev);
			out->dev = BPF_CORE_READ(sb, s_dev);
			return;
		}
	}
	out->ino = BPF_CORE_READ(inode, i_ino);
	out->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	out->rdev = BPF_CORE_READ(inode, i_rdev);
	out->mode = BPF_CORE_READ(inode, i_mode);
	out->uid = BPF_CORE_READ(inode, i_uid.val);
	out->gid = BPF_CORE_READ(inode, i_gid.val);
}

/* PATH and CWD events are built here and copied into the ring at the length
 * they use: a name or a cwd is tens of bytes, the events' buffers 4 KiB
 * (bpfaudit_engine.h). Reserved whole, a path syscall took about 8.5 KiB of
 * ring (CWD + PATH), two pages touched per event on each side. */
union aux_event {
	struct bpfaudit_path_event path;
	struct bpfaudit_cwd_event cwd;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union aux_event);
} aux_scratch SEC(".maps");

/* Puts the first `size` bytes of the event `ev` (its header filled here)
 * into the ring; `size` is clamped to `max`, the event's whole size. */
static __always_inline void output_event(void *ev, __u64 size, __u64 max, __u32 type)
{
	struct bpfaudit_event_header *hdr = ev;

	if (size > max)
		size = max;
	/* The coarse clock: a full clock read (the paravirtual TSC here) was 4%
	 * of a traced tar's CPU time, one per PATH and CWD event, and userspace
	 * reads the time of SYSCALL events only. */
	hdr->ts_ns = coarse_boot_ns();
	hdr->type = type;
	/* In a batch at a multiple of 8 (what the ring rounds to as well); the
	 * bytes past the name are not read. Batched, a traced tar's path
	 * syscall took one ring record per batch instead of three of its own
	 * (CWD, PATH and the batch the CWD flushed). */
	if (size <= BPFAUDIT_BATCH_EVENT_MAX) {
		size = (size + 7) & ~7ull;
		hdr->size = size;
		struct bpfaudit_batch_buf *b = batch_with_room(size);

		if (b) {
			__u32 off = batch_end(b);

			if (!bpf_probe_read_kernel(b->ev.data + off, size, ev))
				batch_added(b, off, size, true);
			else
				count_loss(BPFAUDIT_LOSS_RING_AUX);
			return;
		}
	}
	hdr->size = size;
	flush_batch();
	if (bpf_ringbuf_output(&events, ev, size, wake_flag(size)))
		count_loss(BPFAUDIT_LOSS_RING_AUX);
}

__noinline int emit_path(__u32 tid, __s64 nr, __u32 item, __u64 uptr)
{
	__u32 zero = 0;
	union aux_event *aux = bpf_map_lookup_elem(&aux_scratch, &zero);

	if (!aux)
		return 0;
	struct bpfaudit_path_event *ev = &aux->path;
	ev->tid = tid;
	ev->nr = nr;
	ev->item = item;
	ev->len = bpf_probe_read_user_str(ev->name, sizeof(ev->name), (const void *)uptr);
	/* The kernel's getname refuses a name with no NUL within PATH_MAX bytes
	 * (ENAMETOOLONG) and keeps no item of it. The copy above cuts such a
	 * name to a full buffer, as it does a name of exactly PATH_MAX - 1
	 * bytes: the source byte under the copy's last one tells them apart. */
	if (ev->len == sizeof(ev->name)) {
		char last = 1;

		if (bpf_probe_read_user(&last, 1, (const void *)(uptr + sizeof(ev->name) - 1)) || last)
			ev->len = -36; /* -ENAMETOOLONG */
	}
	__u64 used = ev->len > 0 ? (__u64)ev->len : 0;
	output_event(ev, offsetof(struct bpfaudit_path_event, name) + used, sizeof(*ev),
		     BPFAUDIT_EV_PATH);
	return 0;
}

/* The cwd cache (issue 16): a traced tar's path syscalls each walked the
 * cwd's dentries and copied their names, about 11% of its CPU time (perf),
 * for a cwd that rarely changes. Each thread keeps what its last CWD event
 * was read from; when all of it still holds, the event says "same as last"
 * (BPFAUDIT_CWD_SAME) without names, and the reader takes the text again.
 * What is compared:
 *  - the trace run and the thread id (a preloaded engine serves run after
 *    run; an exec by a non-leader thread takes the leader's id) and the
 *    loss generation: every counted loss bumps `loss_gen`, so after any
 *    lost event or batch (which may have held this thread's last full CWD
 *    event) the next CWD event is a full one, and the reader never has to
 *    make a text up;
 *  - task->fs, fs->seq and fs->pwd: set_fs_pwd/set_fs_root bump fs->seq
 *    (a chdir by any thread sharing the fs_struct, CLONE_FS, included), and
 *    while it holds, pwd is the same pinned dentry and mount;
 *  - the walk's steps (dpath.bpf.h, dpath_unchanged): every dentry's d_seq
 *    and every mount's parent and mountpoint up to the root. A rename of any
 *    ancestor bumps that dentry's d_seq (__d_move), an rmdir of the cwd
 *    unhashes it and bumps its d_seq (__d_drop), a mount moved or detached
 *    changes its parent or mountpoint. One read per step, no names copied.
 * The kernel's own global counters for the last two, rename_lock and
 * mount_lock (seqlocks bumped by every d_move and mount change), would make
 * the check one read each, but they are not BTF variables (only per-CPU
 * variables are, on 6.1, 6.12 and 6.18: no typed __ksym), and their address
 * is in /proc/kallsyms only with CONFIG_KALLSYMS_ALL: the 6.1 and 6.12
 * guests' Debian kernels have it, this 6.18 host (where tar is measured)
 * does not, nor kprobes to count d_move with. The walk of d_seq values works
 * alike on all three; a rename_lock/mount_lock check where kallsyms has them
 * could replace it there (not done). */
struct cwd_key {
	__u64 fs;
	__u64 pwd_mnt;
	__u64 pwd_dentry;
	__u32 fs_seq;
	__u32 run; /* trace_run when kept; 0: nothing kept */
	__u32 tid;
	__u32 loss_gen;
};

struct cwd_cache {
	struct cwd_key key;
	__u64 mnt_root; /* pwd's mount's root: fixed while the mount lives */
	struct dpath_steps steps;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cwd_cache);
} cwd_cache SEC(".maps");

/* fs->seq is a seqcount_spinlock_t on 6.1 and 6.12 and a seqlock_t on
 * 6.18; its sequence is the first 32 bits either way. libbpf does not match
 * one type with the other (fs_struct.seq relocated against the 6.1 and 6.12
 * guests' BTF failed), so each has a flavour and the one the kernel has
 * gives the offset (the other branch is dead at load). */
struct fs_struct___seqlock {
	seqlock_t seq;
} __attribute__((preserve_access_index));

struct fs_struct___seqcount {
	seqcount_spinlock_t seq;
} __attribute__((preserve_access_index));

/* fs->seq and fs->pwd, in one read of the struct's head (56 bytes on
 * 6.18, up to pwd.dentry), or field by field if they lie further. */
#define BPFAUDIT_FS_HEAD 64
static __always_inline void read_fs(struct fs_struct *fs, __u32 *seq, struct dentry **dentry,
				    struct vfsmount **vmnt)
{
	__u32 o_seq;

	if (bpf_core_field_exists(struct fs_struct___seqlock, seq))
		o_seq = bpf_core_field_offset(struct fs_struct___seqlock, seq);
	else
		o_seq = bpf_core_field_offset(struct fs_struct___seqcount, seq);
	const __u32 o_mnt = bpf_core_field_offset(struct fs_struct, pwd.mnt);
	const __u32 o_dentry = bpf_core_field_offset(struct fs_struct, pwd.dentry);

	if (o_seq + 4 <= o_dentry && o_mnt + 8 <= o_dentry + 8 &&
	    o_dentry + 8 <= BPFAUDIT_FS_HEAD && !(o_seq & 3) && !(o_mnt & 7) && !(o_dentry & 7)) {
		__u64 head[BPFAUDIT_FS_HEAD / 8];
		const __u8 *h = (const __u8 *)head;

		/* Up to pwd.dentry's end: not past the struct. */
		if (bpf_probe_read_kernel(head, o_dentry + 8, fs))
			return; /* *seq stays odd: nothing is kept or compared */
		*seq = *(const __u32 *)(h + o_seq);
		*vmnt = *(struct vfsmount *const *)(h + o_mnt);
		*dentry = *(struct dentry *const *)(h + o_dentry);
		return;
	}
	if (bpf_probe_read_kernel(seq, sizeof(*seq), (void *)fs + o_seq))
		*seq = 1;
	*vmnt = BPF_CORE_READ(fs, pwd.mnt);
	*dentry = BPF_CORE_READ(fs, pwd.dentry);
}

/* d_path writes " (deleted)" after an unlinked dentry (d_unlinked: unhashed
 * and not a root): BPFAUDIT_CWD_DELETED for such a cwd. */
static __always_inline __u32 cwd_flags(struct dentry *d)
{
	if (BPF_CORE_READ(d, d_hash.pprev) == NULL && BPF_CORE_READ(d, d_parent) != d)
		return BPFAUDIT_CWD_DELETED;
	return 0;
}

/* 1 when the cwd read now (`now`) is what `c` kept for this thread, in this
 * run, with no loss since, and the walk from it would go through the same
 * steps. This and emit_cwd_walk are global functions: the verifier checks
 * each once per program and the caller goes on from one state, where
 * inlined, each way of failing a condition made it check the walk's
 * bpf_loop callback again: sys_exit took 17,063 instructions processed to
 * verify (its cwd_same check_step callback 1,284 of them), 11,161 so
 * (7,812 before the cache), kernel log_level 4, 2026-12-07. */
__noinline int cwd_same(struct cwd_cache *c, struct cwd_key *now)
{
	if (!c || !now || c->key.run != now->run || c->key.tid != now->tid ||
	    c->key.loss_gen != now->loss_gen || c->key.fs != now->fs ||
	    c->key.fs_seq != now->fs_seq || c->key.pwd_dentry != now->pwd_dentry ||
	    c->key.pwd_mnt != now->pwd_mnt)
		return 0;
	return dpath_unchanged(&c->steps, (struct dentry *)now->pwd_dentry,
			       (void *)now->pwd_mnt - bpf_core_field_offset(struct mount, mnt),
			       (struct dentry *)c->mnt_root);
}

/* A full CWD event: the names of the walk from (dentry, vmnt), whose steps
 * stay in this CPU's dpath_scratch (walk_cwd). 1 when they may be kept: the
 * walk reached the root. Global: see cwd_same. */
__noinline int emit_cwd_walk(__u32 tid, __u64 dentry, __u64 vmnt, __u64 mnt_root)
{
	__u32 zero = 0;
	union aux_event *aux = bpf_map_lookup_elem(&aux_scratch, &zero);

	if (!aux)
		return 0;
	struct bpfaudit_cwd_event *ev = &aux->cwd;
	struct dentry *d = (struct dentry *)dentry;

	ev->tid = tid;
	walk_cwd(&ev->cwd, d, (struct vfsmount *)vmnt, (struct dentry *)mnt_root);
	/* A removed cwd's d_seq moved (__d_drop), so a "same" event never
	 * stands for a change of this. */
	ev->flags = cwd_flags(d);
	output_event(ev, offsetof(struct bpfaudit_cwd_event, cwd.names) + ev->cwd.len, sizeof(*ev),
		     BPFAUDIT_EV_CWD);
	return !ev->cwd.truncated;
}

/* The CWD event of a path syscall, at sys_exit: "same as last" when the
 * thread's cache holds (cwd_same), else a full one, then kept. */
__noinline int emit_cwd_entry(__u32 tid);
__noinline int emit_cwd(__u32 tid)
{
	/* Without the cache (autrace's own load, see cache_cwd): the walk, as
	 * at chdir's entry; the verifier then skips the cache's functions. */
	if (!cache_cwd)
		return emit_cwd_entry(tid);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;
	/* Read before anything this event could lose (see count_losses). */
	__u32 gen = *(volatile __u32 *)&loss_gen;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct dentry *dentry = NULL;
	struct vfsmount *vmnt = NULL;
	__u32 seq = 1; /* odd: keep nothing */

	read_fs(fs, &seq, &dentry, &vmnt);
	struct cwd_cache *c =
		bpf_task_storage_get(&cwd_cache, bpf_get_current_task_btf(), 0,
				     BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct cwd_key now = {
		.fs = (__u64)fs,
		.pwd_mnt = (__u64)vmnt,
		.pwd_dentry = (__u64)dentry,
		.fs_seq = seq,
		.run = trace_run,
		.tid = tid,
		.loss_gen = gen,
	};

	if (!(seq & 1) && cwd_same(c, &now)) {
		union aux_event *aux = bpf_map_lookup_elem(&aux_scratch, &zero);

		if (!aux)
			return 0;
		struct bpfaudit_cwd_event *ev = &aux->cwd;

		ev->tid = tid;
		ev->flags = BPFAUDIT_CWD_SAME;
		ev->cwd.len = 0;
		ev->cwd.truncated = 0;
		output_event(ev, offsetof(struct bpfaudit_cwd_event, cwd.names), sizeof(*ev),
			     BPFAUDIT_EV_CWD);
		return 0;
	}
	struct dentry *mnt_root = BPF_CORE_READ(vmnt, mnt_root);
	int whole = emit_cwd_walk(tid, (__u64)dentry, (__u64)vmnt, (__u64)mnt_root);

	if (!c)
		return 0;
	c->key.run = 0;
	struct dpath_scratch_buf *buf = bpf_map_lookup_elem(&dpath_scratch, &zero);

	/* An odd fs->seq or d_seq: a change was under way, keep nothing. */
	if (!whole || !buf || !buf->steps.ok || (seq & 1))
		return 0;
	__u32 n = buf->steps.n;

	if (n == 0 || n > DPATH_STEPS)
		return 0;
	if (bpf_probe_read_kernel(&c->steps, offsetof(struct dpath_steps, s) +
						     n * sizeof(struct dpath_step), &buf->steps))
		return 0;
	c->mnt_root = (__u64)mnt_root;
	c->key = now;
	return 0;
}

/* chdir's CWD, at its entry (the cwd before the change): a full event by
 * the shared walk, not kept (chdir is rare; the entry programs then verify
 * neither the cache nor the walk that keeps its steps: each took 2,613
 * instructions processed with those, 1,320 before). The reader takes it as
 * the thread's last text, which is what the cache still stands for if it
 * still holds: nothing changed since. */
__noinline int emit_cwd_entry(__u32 tid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;
	union aux_event *aux = bpf_map_lookup_elem(&aux_scratch, &zero);

	if (!aux)
		return 0;
	struct bpfaudit_cwd_event *ev = &aux->cwd;
	struct path pwd = BPF_CORE_READ(task, fs, pwd);

	ev->tid = tid;
	walk_path(&ev->cwd, &pwd);
	ev->flags = cwd_flags(pwd.dentry);
	output_event(ev, offsetof(struct bpfaudit_cwd_event, cwd.names) + ev->cwd.len, sizeof(*ev),
		     BPFAUDIT_EV_CWD);
	return 0;
}

/* move_addr_to_kernel audits an address it could copy: a length of 1 to
 * sizeof(sockaddr_storage) and readable bytes; none otherwise (EINVAL/EFAULT). */
__noinline int emit_sockaddr(__u32 tid, __u64 uptr, __u64 ulen)
{
	if (!uptr || ulen == 0 || ulen > BPFAUDIT_SOCKADDR_MAX)
		return 0;
	__u32 len = (__u32)ulen;
	/* A unix socket's path is looked up by name (getname_kernel): the
	 * kernel's event then has a CWD and a PATH item for it. CWD opens the
	 * syscall's group in the ring, so it goes first. */
	char head[3] = {};
	if (len > 2 && !bpf_probe_read_user(head, sizeof(head), (const void *)uptr) &&
	    head[0] == 1 /* AF_UNIX */ && head[1] == 0 && head[2] != 0)
		emit_cwd(tid);
	struct bpfaudit_sockaddr_event *ev = reserve_event(
		sizeof(*ev), BPFAUDIT_EV_SOCKADDR, coarse_boot_ns(), BPFAUDIT_LOSS_RING_AUX);

	if (!ev)
		return 0;
	ev->tid = tid;
	ev->len = len;
	/* len is 1..128 here; the masked form shows the verifier (6.1, 6.12)
	 * the same bounds, which it does not carry over from the test above. */
	if (bpf_probe_read_user(ev->addr, ((len - 1) & (BPFAUDIT_SOCKADDR_MAX - 1)) + 1,
				(const void *)uptr)) {
		discard_event(ev);
		return 0;
	}
	submit_event(ev, sizeof(*ev));
	return 0;
}

/* Entry state for the syscalls that need it: exec's arguments (after a
 * successful exec the registers belong to the new program) and, for chdir,
 * the cwd the kernel records (the one before the change). */
static __always_inline void save_entry(__s64 nr, const unsigned long *args, __u64 attach_run)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	/* attach_run 0: attached by a preloaded engine for every run it serves */
	if (attach_run && attach_run != trace_run)
		return;
	struct bpfaudit_pending *p = recording_entry(bpf_get_current_task_btf());

	if (!p || !selected(nr))
		return;
	__u8 f = flags_of(nr);
	if (f & BPFAUDIT_SCF_EXEC) {
		for (int i = 0; i < 6; i++)
			p->args[i] = args[i];
		p->entry |= BPFAUDIT_ENTRY_ARGS;
	}
	if (f & BPFAUDIT_SCF_CHDIR) {
		emit_cwd_entry(tid);
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

	save_entry(ctx->id, args, bpf_get_attach_cookie(ctx));
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

	/* Attached and detached with its run (tp_btf links close at once). */
	save_entry(syscall_nr, args, trace_run);
	return 0;
}

/* Brings `p->sent` up to date with `task` and says whether it moved since
 * the last identity event (or none was sent). `task` is a trusted BTF
 * pointer: plain loads compile to direct, fault-safe kernel reads instead of
 * one helper call per field; with `helper`, helper calls (BPFAUDIT_READ). */
static __always_inline bool refresh_identity(struct bpfaudit_pending *p, struct task_struct *task,
					     const bool helper)
{
	struct bpfaudit_identity *id = &p->sent;
	__u64 changed = bpfaudit_sync_identity_with(id, task, helper) | !p->sent_valid;
	struct tty_struct *tty =
		helper ? BPF_CORE_READ(task, signal, tty) : task->signal->tty;
	__u64 driver = 0;
	__s32 index = 0;

	if (tty) {
		driver = (__u64)BPFAUDIT_READ(helper, tty, driver);
		index = BPFAUDIT_READ(helper, tty, index);
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
					  __u32 tid, const bool helper)
{
	if (!refresh_identity(p, task, helper))
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
	/* Helper reads: plain loads through the trusted task would each make
	 * the 6.18 verifier scan the kernel's BTF for "<type>__safe_trusted"
	 * (see identity.bpf.h), a cost every load of the engine pays. */
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file *f = NULL;

	if (ret >= max || bpf_probe_read_kernel(&f, sizeof(f), &fds[ret]))
		return NULL;
	return f;
}

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

/* Where a SYSCALL event with an inode goes: the end of this CPU's batch,
 * or, in the prefilter's instance, a ring record of its own;
 * commit_inode_event counts it in the batch or submits the record. */
static __always_inline struct bpfaudit_syscall_inode_event *
inode_event_slot(struct bpfaudit_batch_buf **b, __u32 *off, __u64 enter_ns)
{
	struct bpfaudit_syscall_inode_event *ev;

	*b = batch_with_room(sizeof(*ev));
	if (*b) {
		*off = batch_end(*b);
		ev = (void *)((*b)->ev.data + *off);
		ev->sc.hdr.ts_ns = enter_ns;
		ev->sc.hdr.type = BPFAUDIT_EV_SYSCALL;
		ev->sc.hdr.size = sizeof(*ev);
		return ev;
	}
	return reserve_event(sizeof(*ev), BPFAUDIT_EV_SYSCALL, enter_ns,
			     BPFAUDIT_LOSS_RING_SYSCALL);
}

static __always_inline void commit_inode_event(struct bpfaudit_batch_buf *b, __u32 off,
					       struct bpfaudit_syscall_inode_event *ev)
{
	if (b)
		batch_added(b, off, sizeof(*ev), false);
	else
		submit_event(ev, sizeof(*ev));
}

/* Emits the SYSCALL event for the pending entry `p` of `tid` (the current
 * thread), after its identity when that changed.
 *
 * This and emit_path, emit_cwd and emit_sockaddr are global functions: the
 * verifier checks each once per program, whatever the number of call sites,
 * where a static function is checked again at every call (emit_cwd has
 * two, emit_path two). It matters on 6.18: for every load of a pointer
 * field through a trusted pointer the verifier processes (task->cred,
 * task->signal, ...) it looks "<type>__safe_trusted" and its rcu/or_null
 * variants up by a linear scan of the kernel's BTF (btf_find_by_name_kind:
 * 17% of `autrace /bin/true`'s CPU, perf). Static, sys_exit took 15-25 ms
 * to verify (7,091 instructions processed); global, 5.9-6.6 ms (2,493), 3
 * runs each, 2026-12-07, kernel log_level 4. Their arguments are scalars and
 * a pointer to the pending entry, which a global function may take (checked
 * for NULL); the task is the current one wherever they run. */
static __always_inline int emit_syscall_event(__u32 tid, struct bpfaudit_pending *p, __s64 ret,
					      __u32 flags, const bool helper)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!p)
		return 0;
	if (!send_identity(p, task, tid, helper)) {
		count_loss(BPFAUDIT_LOSS_RING_SYSCALL);
		return 0;
	}
	struct file *f = (flags & BPFAUDIT_SC_NO_RETURN) ? NULL : opened_file(task, p->nr, ret);

	if (f) {
		struct bpfaudit_batch_buf *b;
		__u32 off = 0;
		struct bpfaudit_syscall_inode_event *ev = inode_event_slot(&b, &off, p->enter_ns);

		if (!ev)
			return 0;
		fill_syscall(&ev->sc, tid, p, ret, flags | BPFAUDIT_SC_HAS_INODE);
		ev->inode.pad = 0;
		read_inode(&ev->inode, BPF_CORE_READ(f, f_inode));
		commit_inode_event(b, off, ev);
		return 0;
	}
	if (!(flags & BPFAUDIT_SC_NO_RETURN) && ret == 0 &&
	    statbuf_args[p->nr & (BPFAUDIT_MAX_SYSCALLS - 1)]) {
		struct bpfaudit_batch_buf *b;
		__u32 off = 0;
		struct bpfaudit_syscall_inode_event *ev = inode_event_slot(&b, &off, p->enter_ns);

		if (!ev)
			return 0;
		bool got = read_statbuf(&ev->inode, p, p->nr);
		fill_syscall(&ev->sc, tid, p, ret, flags | (got ? BPFAUDIT_SC_HAS_INODE : 0));
		commit_inode_event(b, off, ev);
		return 0;
	}
	{
		struct bpfaudit_batch_buf *b = batch_with_room(sizeof(struct bpfaudit_syscall_event));

		if (b) {
			__u32 off = batch_end(b);
			struct bpfaudit_syscall_event *bev = (void *)(b->ev.data + off);

			bev->hdr.ts_ns = p->enter_ns;
			bev->hdr.type = BPFAUDIT_EV_SYSCALL;
			bev->hdr.size = sizeof(*bev);
			fill_syscall(bev, tid, p, ret, flags);
			batch_added(b, off, sizeof(*bev), false);
			return 0;
		}
	}
	struct bpfaudit_syscall_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_SYSCALL,
							  p->enter_ns, BPFAUDIT_LOSS_RING_SYSCALL);

	if (!ev)
		return 0;
	fill_syscall(ev, tid, p, ret, flags);
	submit_event(ev, sizeof(*ev));
	return 0;
}

__noinline int emit_syscall(__u32 tid, struct bpfaudit_pending *p, __s64 ret, __u32 flags)
{
	return emit_syscall_event(tid, p, ret, flags, false);
}

/* The VFS hooks' items (below), for a syscall one of them saw; the item
 * of a chdir that succeeded. */
__noinline int emit_vfs(__u32 tid);
__noinline int emit_chdir_item(__u32 tid);

/* The process-tree rule at sys_exit, for a traced thread's entry `p`. Each
 * rule is a subprogram with its own stack frame: inlined side by side, their
 * locals shared one frame that, with emit_syscall's, passed the verifier's
 * 512 bytes (608). */
static __noinline int trace_exit(struct bpfaudit_pending *p, __u32 tid,
				      struct pt_regs *regs, long syscall_ret)
{
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
	if (p->entry & BPFAUDIT_ENTRY_VFS)
		emit_vfs(tid);
	else if ((f & BPFAUDIT_SCF_CHDIR) && ret == 0)
		emit_chdir_item(tid);
	emit_syscall(tid, p, ret, 0);
	p->nr = BPFAUDIT_NR_IDLE;
	p->entry = 0;
	return 0;
}

/* The prefilter's rules. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfaudit_pf_state);
} pf_state SEC(".maps");

/* gen * BPFAUDIT_PF_ROWS + arch * BPFAUDIT_MAX_SYSCALLS + nr */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * BPFAUDIT_PF_ROWS);
	__type(key, __u32);
	__type(value, struct bpfaudit_pf_row);
} pf_rows SEC(".maps");

/* gen * BPFAUDIT_PF_MAX_RULES + index */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * BPFAUDIT_PF_MAX_RULES);
	__type(key, __u32);
	__type(value, struct bpfaudit_pf_rule);
} pf_rules SEC(".maps");

/* What the fields of one syscall compare against, read once per syscall
 * that some rule names. */
struct facts {
	struct task_struct *task;
	__u64 args[4];
	__s64 ret;
	__u32 arch;
	__u32 success; /* AUDITSC_SUCCESS_ or AUDITSC_FAILURE_ */
	struct bpfaudit_identity id; /* tty not read: only a match needs it */
};

static __always_inline bool compare(__u32 left, __u32 op, __u32 right)
{
	switch (op) {
	case BPFAUDIT_PF_OP_EQ:
		return left == right;
	case BPFAUDIT_PF_OP_NE:
		return left != right;
	case BPFAUDIT_PF_OP_LT:
		return left < right;
	case BPFAUDIT_PF_OP_LE:
		return left <= right;
	case BPFAUDIT_PF_OP_GT:
		return left > right;
	case BPFAUDIT_PF_OP_GE:
		return left >= right;
	case BPFAUDIT_PF_OP_BITMASK:
		return (left & right) != 0;
	case BPFAUDIT_PF_OP_BITTEST:
		return (left & right) == right;
	}
	return false;
}

/* The kernel's groups_search(): binary search of the sorted supplementary
 * groups. 17 halvings cover NGROUPS_MAX (65536), so it is exact. One
 * bpf_loop step is verified once, not 17 unrolled copies per field. */
struct group_search {
	struct group_info *gi;
	__u32 lo, hi, gid, found;
};

static long group_search_step(__u32 index, void *arg)
{
	struct group_search *s = arg;
	__u32 mid, g = 0;

	if (s->lo >= s->hi)
		return 1;
	mid = s->lo + (s->hi - s->lo) / 2;
	bpf_probe_read_kernel(&g, sizeof(g), &s->gi->gid[mid]);
	if (s->gid > g) {
		s->lo = mid + 1;
	} else if (s->gid < g) {
		s->hi = mid;
	} else {
		s->found = 1;
		return 1;
	}
	return 0;
}

static __always_inline bool in_groups(struct task_struct *task, __u32 gid)
{
	struct group_info *gi = task->cred->group_info;
	__s32 n = gi->ngroups;
	struct group_search s = { .gi = gi, .hi = n > 0 ? n : 0, .gid = gid };

	bpf_loop(17, group_search_step, &s, 0);
	return s.found;
}

/* gid/egid as the kernel compares them: = also matches a supplementary
 * group, != only when no supplementary group matches either. */
static __always_inline bool compare_gid(struct facts *f, __u32 own, __u32 op, __u32 value)
{
	bool r = compare(own, op, value);

	if (op == BPFAUDIT_PF_OP_EQ && !r)
		return in_groups(f->task, value);
	if (op == BPFAUDIT_PF_OP_NE && r)
		return !in_groups(f->task, value);
	return r;
}

static __always_inline bool field_matches(struct facts *f, const struct bpfaudit_pf_field_match *m)
{
	__u32 v = (__u32)m->value;

	switch (m->field) {
	case BPFAUDIT_PF_F_PID:
		return compare(f->id.pid, m->op, v);
	case BPFAUDIT_PF_F_PPID:
		return compare(f->id.ppid, m->op, v);
	case BPFAUDIT_PF_F_UID:
		return compare(f->id.uid, m->op, v);
	case BPFAUDIT_PF_F_EUID:
		return compare(f->id.euid, m->op, v);
	case BPFAUDIT_PF_F_SUID:
		return compare(f->id.suid, m->op, v);
	case BPFAUDIT_PF_F_FSUID:
		return compare(f->id.fsuid, m->op, v);
	case BPFAUDIT_PF_F_GID:
		return compare_gid(f, f->id.gid, m->op, v);
	case BPFAUDIT_PF_F_EGID:
		return compare_gid(f, f->id.egid, m->op, v);
	case BPFAUDIT_PF_F_SGID:
		return compare(f->id.sgid, m->op, v);
	case BPFAUDIT_PF_F_FSGID:
		return compare(f->id.fsgid, m->op, v);
	case BPFAUDIT_PF_F_AUID:
		return compare(f->id.auid, m->op, v);
	case BPFAUDIT_PF_F_SES:
		return compare(f->id.ses, m->op, v);
	case BPFAUDIT_PF_F_ARCH:
		return compare(f->arch, m->op, v);
	case BPFAUDIT_PF_F_EXIT:
		return compare((__u32)f->ret, m->op, v);
	case BPFAUDIT_PF_F_SUCCESS:
		return compare(f->success, m->op, v);
	case BPFAUDIT_PF_F_ARG0:
		return compare((__u32)f->args[0], m->op, v);
	case BPFAUDIT_PF_F_ARG1:
		return compare((__u32)f->args[1], m->op, v);
	case BPFAUDIT_PF_F_ARG2:
		return compare((__u32)f->args[2], m->op, v);
	case BPFAUDIT_PF_F_ARG3:
		return compare((__u32)f->args[3], m->op, v);
	}
	return false;
}

/* A subprogram: verified once, not once per row slot. */
static __noinline bool rule_matches(struct facts *f, const struct bpfaudit_pf_rule *r)
{
	if (!f || !r)
		return false;
	__u32 n = r->nfields;

	for (__u32 i = 0; i < BPFAUDIT_PF_MAX_FIELDS; i++) {
		if (i >= n)
			break;
		if (!field_matches(f, &r->fields[i]))
			return false;
	}
	return true;
}

/* A match goes out as the events autrace's threads send, in ring order:
 * IDENTITY, RULE_MATCH (key, title, exe), SYSCALL marked standalone, so one
 * decoder reads both. Any of them not reserved: the syscall is lost and
 * counted; the decoder drops the pieces that came before (the next
 * standalone SYSCALL of the thread, or its IDENTITY, replaces them). */
static __noinline void emit(struct facts *f, __s32 nr, const struct bpfaudit_pf_rule *r,
			    __u64 wakeup_bytes)
{
	if (!f || !r)
		return;
	struct task_struct *task = f->task;
	__u32 tid = task->pid;
	/* The coarse clock, as autrace's records and the kernel's stamps. */
	__u64 ts = coarse_boot_ns();
	struct bpfaudit_identity_event *idev = reserve_event(sizeof(*idev), BPFAUDIT_EV_IDENTITY, ts, BPFAUDIT_LOSS_RING_SYSCALL);

	if (!idev)
		return;
	idev->tid = tid;
	idev->pad = 0;
	__builtin_memcpy(&idev->id, &f->id, sizeof(idev->id));
	bpfaudit_read_tty(&idev->id, task->signal->tty);
	bpf_ringbuf_submit(idev, BPF_RB_NO_WAKEUP);

	struct bpfaudit_rule_match_event *m = reserve_event(sizeof(*m), BPFAUDIT_EV_RULE_MATCH, ts, BPFAUDIT_LOSS_RING_SYSCALL);
	if (!m)
		return;
	m->tid = tid;
	bpf_probe_read_kernel(m->key, sizeof(m->key), r->key);
	m->key[sizeof(m->key) - 1] = 0;
	/* The kernel's audit_log_proctitle reads the same arg area (its
	 * get_cmdline, up to 128 bytes); a page not resident is unreadable
	 * here and the record then falls back to comm, as the kernel's does
	 * when it reads nothing. */
	struct mm_struct *mm = task->mm;
	m->proctitle_len = 0;
	m->exe.len = 0;
	m->exe.truncated = 0;
	if (mm) {
		unsigned long start = mm->arg_start, end = mm->arg_end;
		__u32 len = end > start ? end - start : 0;

		if (len > BPFAUDIT_PROCTITLE_MAX)
			len = BPFAUDIT_PROCTITLE_MAX;
		/* A constant-size read: the arg area sits below the environment
		 * on the same stack mapping, so the bytes past arg_end are mapped. */
		if (len && bpf_probe_read_user(m->proctitle, sizeof(m->proctitle),
					       (const void *)start) == 0)
			m->proctitle_len = len;
		struct file *exe = mm->exe_file;
		if (exe) {
			struct path p = BPF_CORE_READ(exe, f_path);

			walk_path(&m->exe, &p);
			if (m->exe.truncated)
				count_loss(BPFAUDIT_LOSS_EXE_WALK);
		}
	}
	bpf_ringbuf_submit(m, BPF_RB_NO_WAKEUP);

	struct bpfaudit_syscall_event *sc = reserve_event(sizeof(*sc), BPFAUDIT_EV_SYSCALL, ts, BPFAUDIT_LOSS_RING_SYSCALL);
	if (!sc)
		return;
	for (int i = 0; i < 4; i++)
		sc->args[i] = f->args[i];
	sc->ret = f->ret;
	sc->nr = nr;
	sc->flags = BPFAUDIT_SC_STANDALONE |
		    (f->arch == AUDIT_ARCH_I386_ ? BPFAUDIT_SC_COMPAT : 0);
	sc->tid = tid;
	sc->a4 = 0;
	/* The wake-up is decided once, for the whole match. */
	bpf_ringbuf_submit(sc, bpfaudit_ring_wake_flag(&events, wakeup_bytes,
						       sizeof(*idev) + sizeof(*m) + sizeof(*sc)));
}

struct row_walk {
	struct facts *f;
	struct bpfaudit_pf_row *row;
	__u32 gen;
	struct bpfaudit_pf_rule *matched;
};

static long row_step(__u32 index, void *arg)
{
	struct row_walk *w = arg;

	if (index >= BPFAUDIT_PF_ROW_MAX)
		return 1;
	__u32 key = w->gen * BPFAUDIT_PF_MAX_RULES + (w->row->rule[index] % BPFAUDIT_PF_MAX_RULES);
	struct bpfaudit_pf_rule *r = bpf_map_lookup_elem(&pf_rules, &key);

	if (!r)
		return 1;
	if (!rule_matches(w->f, r))
		return 0;
	w->matched = r;
	return 1;
}

/* The prefilter's rules at sys_exit. `regs` and the task are trusted BTF
 * pointers, so argument and identity reads are plain loads, not helper calls. */
static __noinline int rules_exit(struct pt_regs *regs, long ret)
{
	__u32 zero = 0;
	struct bpfaudit_pf_state *st = bpf_map_lookup_elem(&pf_state, &zero);

	if (!st || !st->enabled)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	/* The kernel audits only tasks that have an audit context (those
	 * created after audit was first enabled) and never the audit daemon. */
	if (!task->audit_context || task->tgid == st->daemon_tgid)
		return 0;
	__u32 compat = task->thread_info.status & TS_COMPAT_;
	__s64 nr = regs->orig_ax;

	if (nr < 0 || nr >= BPFAUDIT_MAX_SYSCALLS)
		return 0;
	__u32 gen = st->gen & 1;
	__u32 row_key = gen * BPFAUDIT_PF_ROWS + (compat ? BPFAUDIT_MAX_SYSCALLS : 0) + (__u32)nr;
	struct bpfaudit_pf_row *row = bpf_map_lookup_elem(&pf_rows, &row_key);

	if (!row || row->count == 0)
		return 0;

	/* The kernel's audit_return_fixup: a syscall interrupted to be
	 * restarted is recorded as -EINTR (-ERESTARTSYS..-ERESTART_RESTARTBLOCK,
	 * but not -ENOIOCTLCMD), and it is what exit= compares. */
	if (ret <= -512 && ret >= -516 && ret != -515)
		ret = -4;
	struct facts f = {
		.task = task,
		.ret = ret,
		.arch = compat ? AUDIT_ARCH_I386_ : AUDIT_ARCH_X86_64_,
		.success = (ret < 0 && ret >= -MAX_ERRNO_) ? AUDITSC_FAILURE_ : AUDITSC_SUCCESS_,
	};
	bpfaudit_sync_identity(&f.id, task);
	if (compat) {
		/* int 0x80: arguments in bx, cx, dx, si, untruncated, as the
		 * kernel's syscall_get_arguments hands them to audit. */
		f.args[0] = regs->bx;
		f.args[1] = regs->cx;
		f.args[2] = regs->dx;
		f.args[3] = regs->si;
	} else {
		f.args[0] = regs->di;
		f.args[1] = regs->si;
		f.args[2] = regs->dx;
		f.args[3] = regs->r10;
	}

	/* The row's rules in order; one bpf_loop step is verified once. */
	struct row_walk w = { .f = &f, .row = row, .gen = gen };

	bpf_loop(row->count < BPFAUDIT_PF_ROW_MAX ? row->count : BPFAUDIT_PF_ROW_MAX, row_step, &w,
		 0);
	/* First match decides, as the kernel's audit_filter_syscall. */
	if (w.matched && w.matched->action == BPFAUDIT_PF_ALWAYS)
		emit(&f, (__s32)nr, w.matched, st->wakeup_bytes);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long syscall_ret)
{
	if (follow_tree) {
		/* Only traced threads have an entry, so this one lookup is the filter. */
		struct bpfaudit_pending *p = pending_of(bpf_get_current_task_btf());

		if (p)
			return trace_exit(p, (__u32)bpf_get_current_pid_tgid(), regs, syscall_ret);
	}
	if (eval_rules)
		return rules_exit(regs, syscall_ret);
	return 0;
}

/* A task leaving this CPU may go on on another: the events it batched here
 * go in the ring first, so that its next ones (from there) come after them.
 * Autrace's instance only (the prefilter's does not load it). */
SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch)
{
	flush_batch();
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	/* The child's first sys_exit is its return from fork: skipped. */
	struct bpfaudit_pending idle = { .nr = BPFAUDIT_NR_SKIP, .run = trace_run };

	/* Fires for threads too: every thread of a traced process gets an entry. */
	if (!pending_of(parent))
		return 0;
	if (!bpf_task_storage_get(&pending, child, &idle, BPF_LOCAL_STORAGE_GET_F_CREATE)) {
		count_loss(ptgid == ctgid ? BPFAUDIT_LOSS_TABLE_FULL_THREAD : BPFAUDIT_LOSS_TABLE_FULL_CHILD);
		return 0;
	}
	if (ptgid == ctgid)
		return 0;

	struct bpfaudit_fork_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_FORK,
						       coarse_boot_ns(), BPFAUDIT_LOSS_RING_AUX);
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

	struct bpfaudit_pending *p = pending_of(task);

	if (!p)
		return 0;
	/* A non-leader thread that execs becomes the leader: it goes on, with
	 * its in-flight execve and its own entry (task storage stays with its
	 * task), under the leader's id (the leader's own entry went at its exit
	 * in de_thread). Userspace keys identities by thread id: the new id
	 * sends its own. */
	if (old != tid)
		p->sent_valid = 0;

	struct bpfaudit_exec_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_EXEC,
						       coarse_boot_ns(), BPFAUDIT_LOSS_RING_AUX);
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

	/* Userspace writes EXECVE from this copy; the true length and count
	 * tell it whether the copy is the whole argv. */
	ev->args_total = len;
	ev->argc = BPF_CORE_READ(bprm, argc);
	ev->pad = 0;
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

	struct bpfaudit_pending *p = pending_of(task);

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
		/* Inline, with helper reads: this runs once per thread, and
		 * emit_syscall's plain loads would cost this program's
		 * verification 4 ms (identity.bpf.h, BPFAUDIT_READ). */
		emit_syscall_event(tid, p, 0, BPFAUDIT_SC_NO_RETURN, true);
	}
	bpf_task_storage_delete(&pending, task);

	/* Every traced thread's end is sent, so that userspace can forget its
	 * identity; signal->live drops to zero before this tracepoint for the
	 * last thread. */
	struct bpfaudit_exit_event *ev = reserve_event(sizeof(*ev), BPFAUDIT_EV_EXIT,
						       coarse_boot_ns(), BPFAUDIT_LOSS_RING_AUX);
	if (!ev)
		return 0;
	ev->tgid = tgid;
	ev->tid = tid;
	ev->exit_code = BPF_CORE_READ(task, exit_code);
	ev->last_thread = BPF_CORE_READ(task, signal, live.counter) == 0;
	submit_event(ev, sizeof(*ev));
	return 0;
}

/* ---- VFS hooks: the kernel's PARENT/CREATE/DELETE items ----
 *
 * For a syscall that creates, deletes or renames a name the kernel's audit
 * writes items no syscall argument shows: the directory the name is in
 * (PARENT, its inode as the lookup found it) and the object created or
 * deleted (CREATE/DELETE), from audit_inode(..., AUDIT_INODE_PARENT) in the
 * path walk and audit_inode_child() in may_delete/may_create and
 * fsnotify_create/mkdir/link/move. Those run only for a task whose syscall
 * some audit rule selected, so the engine hooks the VFS itself, with fentry
 * programs on functions whose arguments hold the same inodes and that exist,
 * with these arguments, on 6.1, 6.12 and 6.18 (their BTF): vfs_unlink and
 * vfs_rmdir (before may_delete, as the kernel's DELETE item), and the LSM
 * entry points of creates, links and renames (security_inode_create, also
 * open's O_CREAT; _mkdir, _mknod, _link, _rename), called once per object
 * after the kernel's own checks; and open_exec's return, exec's
 * interpreter items (at the end). A kernel or policy that refuses fentry
 * (EPERM on this host) gets none of them: userspace probes before loading,
 * leaves them out of the load, and says so at start-up; the syscalls then
 * keep their names without inodes.
 *
 * A hook adds its items, in the kernel's order, to the thread's entry here
 * and marks the syscall (BPFAUDIT_ENTRY_VFS); its sys_exit sends them after
 * the PATH events (emit_vfs). A created object has no inode yet when its
 * hook runs: the dentry is kept and its inode read at sys_exit, when the
 * dentry is still in the dcache (the syscall's own reference went just
 * before; a read of it is a probe read either way). */
struct vfs_state {
	struct bpfaudit_vfs_event ev;
	__u64 later[BPFAUDIT_VFS_ITEMS]; /* struct dentry *: inode read at sys_exit */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct vfs_state);
} vfs_items SEC(".maps");

/* The current thread's item list for its syscall in flight, emptied at the
 * syscall's first hook; NULL when the thread is not this run's. */
static __always_inline struct vfs_state *vfs_begin(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpfaudit_pending *p = recording_entry(task);

	if (!p)
		return NULL;
	struct vfs_state *s =
		bpf_task_storage_get(&vfs_items, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!s) {
		count_loss(BPFAUDIT_LOSS_VFS_ITEMS);
		return NULL;
	}
	if (!(p->entry & BPFAUDIT_ENTRY_VFS)) {
		s->ev.count = 0;
		p->entry |= BPFAUDIT_ENTRY_VFS;
	}
	return s;
}

/* Appends an item showing path argument `name`: `inode` read now, or, when
 * it is NULL, `later`'s inode at sys_exit (or none: the kernel writes an
 * item without inode fields for a name it found nothing behind). */
static __always_inline void vfs_add(struct vfs_state *s, __u8 type, __u8 name,
				    struct inode *inode, struct dentry *later)
{
	__u32 i = s->ev.count;

	if (i >= BPFAUDIT_VFS_ITEMS) {
		count_loss(BPFAUDIT_LOSS_VFS_ITEMS);
		return;
	}
	struct bpfaudit_vfs_item *it = &s->ev.items[i];

	__builtin_memset(it, 0, sizeof(*it));
	it->type = type;
	it->name = name;
	if (inode) {
		read_inode(&it->inode, inode);
		it->has_inode = 1;
	}
	s->later[i] = (__u64)later;
	s->ev.count = i + 1;
}

__noinline int emit_vfs(__u32 tid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct vfs_state *s = bpf_task_storage_get(&vfs_items, task, 0, 0);

	if (!s)
		return 0;
	__u32 n = s->ev.count;

	for (int i = 0; i < BPFAUDIT_VFS_ITEMS; i++) {
		if (i >= n)
			break;
		struct dentry *d = (struct dentry *)s->later[i];

		if (!d)
			continue;
		struct inode *inode = BPF_CORE_READ(d, d_inode);

		if (inode) {
			read_inode(&s->ev.items[i].inode, inode);
			s->ev.items[i].has_inode = 1;
		}
	}
	if (n > BPFAUDIT_VFS_ITEMS)
		n = BPFAUDIT_VFS_ITEMS;
	s->ev.tid = tid;
	output_event(&s->ev,
		     offsetof(struct bpfaudit_vfs_event, items) + n * sizeof(struct bpfaudit_vfs_item),
		     sizeof(s->ev), BPFAUDIT_EV_VFS);
	return 0;
}

/* chdir's item is the directory its lookup found (audit_inode in
 * filename_lookup, NORMAL), which after a success is the new cwd: read
 * there at sys_exit, with or without the hooks. */
__noinline int emit_chdir_item(__u32 tid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct vfs_state *s =
		bpf_task_storage_get(&vfs_items, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!s) {
		count_loss(BPFAUDIT_LOSS_VFS_ITEMS);
		return 0;
	}
	s->ev.count = 0;
	vfs_add(s, BPFAUDIT_NT_NORMAL, 0, BPF_CORE_READ(task, fs, pwd.dentry, d_inode), NULL);
	return emit_vfs(tid);
}

/* vfs_unlink(idmap, dir, dentry, delegated) and vfs_rmdir(idmap, dir,
 * dentry): the first argument is a user_namespace on 6.1, a mnt_idmap
 * later; unused. The name's directory (PARENT) and the victim (DELETE). */
static __always_inline void vfs_delete(struct inode *dir, struct dentry *dentry)
{
	struct vfs_state *s = vfs_begin();

	if (!s)
		return;
	vfs_add(s, BPFAUDIT_NT_PARENT, 0, dir, NULL);
	vfs_add(s, BPFAUDIT_NT_DELETE, 0, BPF_CORE_READ(dentry, d_inode), NULL);
}

SEC("fentry/vfs_unlink")
int BPF_PROG(vfs_unlink_hook, void *idmap, struct inode *dir, struct dentry *dentry)
{
	vfs_delete(dir, dentry);
	return 0;
}

SEC("fentry/vfs_rmdir")
int BPF_PROG(vfs_rmdir_hook, void *idmap, struct inode *dir, struct dentry *dentry)
{
	vfs_delete(dir, dentry);
	return 0;
}

/* open's O_CREAT (lookup_open), creat, mknod of a regular file
 * (vfs_create), mkdir and mknod: the directory, then the new object. */
static __always_inline void vfs_create(struct inode *dir, struct dentry *dentry)
{
	struct vfs_state *s = vfs_begin();

	if (!s)
		return;
	vfs_add(s, BPFAUDIT_NT_PARENT, 0, dir, NULL);
	vfs_add(s, BPFAUDIT_NT_CREATE, 0, NULL, dentry);
}

SEC("fentry/security_inode_create")
int BPF_PROG(vfs_create_hook, struct inode *dir, struct dentry *dentry)
{
	vfs_create(dir, dentry);
	return 0;
}

SEC("fentry/security_inode_mkdir")
int BPF_PROG(vfs_mkdir_hook, struct inode *dir, struct dentry *dentry)
{
	vfs_create(dir, dentry);
	return 0;
}

SEC("fentry/security_inode_mknod")
int BPF_PROG(vfs_mknod_hook, struct inode *dir, struct dentry *dentry)
{
	vfs_create(dir, dentry);
	return 0;
}

/* The kernel makes a syscall's named items in getname() order, and link and
 * rename take their two names as the arguments of one call
 * (do_linkat(..., getname(old), ..., getname(new), ...)), which gcc
 * evaluates last first: the new name's item comes first (seen on 6.18,
 * `kernel.autrace_vs_kernel`'s cross-directory rename and link).
 *
 * link(old, new): the new name's directory (PARENT), the old name as its
 * lookup found it (NORMAL), and the new name, on the same inode. */
SEC("fentry/security_inode_link")
int BPF_PROG(vfs_link_hook, struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry)
{
	struct vfs_state *s = vfs_begin();

	if (!s)
		return 0;
	struct inode *inode = BPF_CORE_READ(old_dentry, d_inode);

	vfs_add(s, BPFAUDIT_NT_PARENT, 1, dir, NULL);
	vfs_add(s, BPFAUDIT_NT_NORMAL, 0, inode, NULL);
	vfs_add(s, BPFAUDIT_NT_CREATE, 1, inode, NULL);
	return 0;
}

#define RENAME_EXCHANGE_ (1 << 1)
#define RENAME_WHITEOUT_ (1 << 2)

/* rename(old, new): both names' directories (each name's own lookup; the
 * new name's first, as above), the
 * old name deleted (may_delete), the new name's object when there is one
 * (may_delete of the target), and the new name created by the move
 * (fsnotify_move), on the moved inode. An exchange or a whiteout makes
 * other items; not recorded (the names keep no inodes). */
SEC("fentry/security_inode_rename")
int BPF_PROG(vfs_rename_hook, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, unsigned int flags)
{
	if (flags & (RENAME_EXCHANGE_ | RENAME_WHITEOUT_))
		return 0;
	struct vfs_state *s = vfs_begin();

	if (!s)
		return 0;
	struct inode *moved = BPF_CORE_READ(old_dentry, d_inode);
	struct inode *target = BPF_CORE_READ(new_dentry, d_inode);

	vfs_add(s, BPFAUDIT_NT_PARENT, 1, new_dir, NULL);
	vfs_add(s, BPFAUDIT_NT_PARENT, 0, old_dir, NULL);
	vfs_add(s, BPFAUDIT_NT_DELETE, 0, moved, NULL);
	if (target)
		vfs_add(s, BPFAUDIT_NT_DELETE, 1, target, NULL);
	vfs_add(s, BPFAUDIT_NT_CREATE, 1, moved, NULL);
	return 0;
}

/* exec's interpreters: load_elf_binary opens the ELF interpreter (and
 * binfmt_script a script's) with open_exec, whose getname_kernel and lookup
 * give the kernel's PATH item after the executable's: the name as the binary
 * gave it, NORMAL with the file's inode, or UNKNOWN when the open failed.
 * Sent at once, in the order the kernel opens them, ahead of the exec's
 * SYSCALL event. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfaudit_exec_item_event);
} exec_item_scratch SEC(".maps");

SEC("fexit/open_exec")
int BPF_PROG(vfs_open_exec_hook, const char *name, struct file *ret)
{
	__u32 zero = 0;

	if (!recording_entry(bpf_get_current_task_btf()))
		return 0;
	struct bpfaudit_exec_item_event *ev = bpf_map_lookup_elem(&exec_item_scratch, &zero);

	if (!ev)
		return 0;
	ev->tid = (__u32)bpf_get_current_pid_tgid();
	ev->pad = 0;
	__builtin_memset(&ev->inode, 0, sizeof(ev->inode));
	ev->has_inode = 0;
	if ((unsigned long)ret < (unsigned long)-MAX_ERRNO_ && ret) {
		read_inode(&ev->inode, BPF_CORE_READ(ret, f_inode));
		ev->has_inode = 1;
	}
	ev->len = bpf_probe_read_kernel_str(ev->name, sizeof(ev->name), name);
	__u64 used = ev->len > 0 ? (__u64)ev->len : 0;
	output_event(ev, offsetof(struct bpfaudit_exec_item_event, name) + used, sizeof(*ev),
		     BPFAUDIT_EV_EXEC_ITEM);
	return 0;
}

/* BPRM_FCAPS: cap_bprm_creds_from_file has computed the exec's new
 * credentials (bprm->cred) while the task still has its old ones; the
 * kernel audits the change when nonroot_raised_pE holds. The same test
 * here, for a file without file capabilities (the engine does not read the
 * security.capability xattr: has_fcap false, and the record's fver, fp,
 * fi, fe and frootid are 0), in the initial user namespace (root is uid 0).
 * kernel_cap_t is two u32 on 6.1 and one u64 from 6.3: either way 8 bytes
 * at the field, read whole. */
#define CAP_FULL_SET_ 0x1ffffffffffull /* CAP_LAST_CAP 40 on 6.1 to 6.18 */
#define SECURE_NOROOT_ 0

static __always_inline __u64 cap_bits(const kernel_cap_t *c)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), c);
	return v;
}

static __always_inline bool cap_subset(__u64 a, __u64 b)
{
	return !(a & ~b);
}

SEC("fexit/cap_bprm_creds_from_file")
int BPF_PROG(vfs_bprm_fcaps_hook, struct linux_binprm *bprm, const struct file *file, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (ret || !recording_entry(task))
		return 0;
	const struct cred *old = BPF_CORE_READ(task, cred);
	const struct cred *new = BPF_CORE_READ(bprm, cred);

	if (!old || !new)
		return 0;
	struct bpfaudit_fcaps_event ev = {};

	ev.old_caps[0] = cap_bits(&old->cap_permitted);
	ev.old_caps[1] = cap_bits(&old->cap_inheritable);
	ev.old_caps[2] = cap_bits(&old->cap_effective);
	ev.old_caps[3] = cap_bits(&old->cap_ambient);
	ev.new_caps[0] = cap_bits(&new->cap_permitted);
	ev.new_caps[1] = cap_bits(&new->cap_inheritable);
	ev.new_caps[2] = cap_bits(&new->cap_effective);
	ev.new_caps[3] = cap_bits(&new->cap_ambient);
	__u32 new_uid = BPF_CORE_READ(new, uid.val), new_euid = BPF_CORE_READ(new, euid.val);
	__u32 old_uid = BPF_CORE_READ(old, uid.val);
	/* issecure() reads the current (old) credentials' securebits. */
	bool root_privileged = !(BPF_CORE_READ(old, securebits) & (1u << SECURE_NOROOT_));
	bool is_eff = new_euid == 0, is_real = new_uid == 0;
	bool is_suid = !is_real && is_eff, is_setuid = new_euid != old_uid;
	bool full = cap_subset(CAP_FULL_SET_, ev.new_caps[2]);
	bool grew = !cap_subset(ev.new_caps[2], ev.new_caps[3]);
	bool ambient_gained = !cap_subset(ev.new_caps[3], ev.old_caps[3]);

	if (!((grew && !(full && (is_eff || is_real) && root_privileged)) ||
	      (root_privileged && is_suid && !full) || (!is_setuid && ambient_gained)))
		return 0;
	ev.tid = (__u32)bpf_get_current_pid_tgid();
	output_event(&ev, sizeof(ev), sizeof(ev), BPFAUDIT_EV_FCAPS);
	return 0;
}
