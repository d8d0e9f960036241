// SPDX-License-Identifier: GPL-2.0
/* The prefilter engine: auditctl exit-filter rules evaluated as data at
 * sys_exit, matches written to a ring for the collector daemon.
 *
 * One program on sys_exit and nothing on sys_enter: every field the engine
 * takes (identity, arch, a0..a3, exit, success) is still there at exit. A
 * syscall that no engine rule names costs one array lookup (its row's count
 * is 0), whatever the number of rules: rules are rows of indexes into a rule
 * table, not code. Userspace fills the idle generation of rows and rules and
 * flips state.gen, so a rule change never shows a half-written table. */
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

/* Keeps the ABI types in the object's BTF for the layout unit test. */
struct bpfaudit_pf_abi_anchor {
	struct bpfaudit_pf_field_match field;
	struct bpfaudit_pf_rule rule;
	struct bpfaudit_pf_row row;
	struct bpfaudit_pf_state state;
	struct bpfaudit_identity_event identity;
	struct bpfaudit_rule_match_event match;
	struct bpfaudit_syscall_event syscall;
	enum bpfaudit_pf_field f;
	enum bpfaudit_pf_op op;
	enum bpfaudit_pf_action action;
	enum bpfaudit_loss_reason reason;
} *bpfaudit_pf_abi_anchor __attribute__((unused));

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFAUDIT_LOSS_NREASONS);
	__type(key, __u32);
	__type(value, __u64);
} pf_losses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by userspace before load */
} pf_events SEC(".maps");

static __always_inline void count_loss(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&pf_losses, &reason);

	if (n)
		*n += 1;
}

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

/* A ring record of a match; a full ring loses the matched syscall. */
static __always_inline void *reserve_match(__u64 size, __u32 type, __u64 ts)
{
	void *ev = bpfaudit_ring_reserve(&pf_events, size, type, ts);

	if (!ev)
		count_loss(BPFAUDIT_LOSS_RING_SYSCALL);
	return ev;
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
	__u64 ts = bpf_ktime_get_boot_ns();
	struct bpfaudit_identity_event *idev = reserve_match(sizeof(*idev), BPFAUDIT_EV_IDENTITY, ts);

	if (!idev)
		return;
	idev->tid = tid;
	idev->pad = 0;
	__builtin_memcpy(&idev->id, &f->id, sizeof(idev->id));
	bpfaudit_read_tty(&idev->id, task->signal->tty);
	bpf_ringbuf_submit(idev, BPF_RB_NO_WAKEUP);

	struct bpfaudit_rule_match_event *m = reserve_match(sizeof(*m), BPFAUDIT_EV_RULE_MATCH, ts);
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

	struct bpfaudit_syscall_event *sc = reserve_match(sizeof(*sc), BPFAUDIT_EV_SYSCALL, ts);
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
	bpf_ringbuf_submit(sc, bpfaudit_ring_wake_flag(&pf_events, wakeup_bytes,
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

/* tp_btf: `regs` and the task are trusted BTF pointers, so argument and
 * identity reads are plain loads, not helper calls. */
SEC("tp_btf/sys_exit")
int BPF_PROG(pf_sys_exit, struct pt_regs *regs, long ret)
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
