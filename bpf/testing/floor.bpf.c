// SPDX-License-Identifier: GPL-2.0
/* Empty syscall tracepoint programs for scripts/bench-trace: what attaching
 * to sys_enter and sys_exit costs a traced program before any work is done,
 * the floor under autrace's overhead. Never loaded by autrace. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_btf_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_btf_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int floor_raw_enter(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_exit")
int floor_raw_exit(void *ctx)
{
	return 0;
}

/* tick_cross (tests/bench): how many syscalls of one process cross a tick
 * between entry and exit, so that a record stamped at exit on the coarse
 * clock (the engine) shows a later msec than the kernel's entry stamp, and
 * by how much. Measurement only: the engine has no sys_enter program. */
__u32 tick_tgid;
__u64 tick_total, tick_crossed, tick_crossed_ns, tick_max_ns;

struct tick_entry {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct tick_entry);
} tick_entries SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(tick_enter, struct pt_regs *regs, long id)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pt;
	struct tick_entry e = { bpf_jiffies64(), bpf_ktime_get_boot_ns() };

	if ((pt >> 32) != tick_tgid)
		return 0;
	bpf_map_update_elem(&tick_entries, &tid, &e, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tick_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tick_entry *e = bpf_map_lookup_elem(&tick_entries, &tid);

	if (!e)
		return 0;
	__sync_fetch_and_add(&tick_total, 1);
	if (bpf_jiffies64() != e->jiffies) {
		__u64 d = bpf_ktime_get_boot_ns() - e->ns;

		__sync_fetch_and_add(&tick_crossed, 1);
		__sync_fetch_and_add(&tick_crossed_ns, d);
		if (d > tick_max_ns)
			tick_max_ns = d;
	}
	bpf_map_delete_elem(&tick_entries, &tid);
	return 0;
}

/* The least a recorder of every syscall of one process must do at sys_exit,
 * for bench-trace's "floor: minimal recorder": find out that the thread is
 * traced (task-local storage, as the engine; a thread of the command's
 * process gets its entry at its first syscall), and put the syscall's
 * number, return, four arguments, thread and the coarse clock in a per-CPU
 * batch that goes into a ring as one record when full (as the engine's
 * batches). No identity, no paths, no exec, no loss accounting: the engine's
 * program does all of these, so the difference between the two is what they
 * cost a traced program. Userspace drains the ring every 10 ms and drops
 * the records. */
__u32 rec_tgid;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} rec_task SEC(".maps");

#define REC_BATCH 4096
struct rec_batch {
	__u64 used;
	__u8 data[REC_BATCH];
};

struct rec_event {
	__u64 ts;
	__u64 args[4];
	__s64 ret;
	__s32 nr;
	__u32 tid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_batch);
} rec_batches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 26);
} rec_ring SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_record, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 *on = bpf_task_storage_get(&rec_task, task, 0, 0);

	if (!on) {
		if (task->tgid != rec_tgid)
			return 0;
		on = bpf_task_storage_get(&rec_task, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!on)
			return 0;
	}
	__u32 zero = 0;
	struct rec_batch *b = bpf_map_lookup_elem(&rec_batches, &zero);

	if (!b)
		return 0;
	if (b->used + sizeof(struct rec_event) > REC_BATCH) {
		/* No wake-up: the reader polls (a wake-up per batch, the
		 * default, made this floor 1.8-2.3x on dd here: the IPIs). */
		bpf_ringbuf_output(&rec_ring, b->data, REC_BATCH, BPF_RB_NO_WAKEUP);
		b->used = 0;
	}
	__u64 off = b->used;

	if (off > REC_BATCH - sizeof(struct rec_event))
		return 0;
	struct rec_event *ev = (void *)(b->data + off);

	ev->ts = bpf_jiffies64();
	ev->args[0] = regs->di;
	ev->args[1] = regs->si;
	ev->args[2] = regs->dx;
	ev->args[3] = regs->r10;
	ev->ret = ret;
	ev->nr = regs->orig_ax;
	ev->tid = (__u32)bpf_get_current_pid_tgid();
	b->used = off + sizeof(struct rec_event);
	return 0;
}

/* An entry event of one syscall (the engine's exec and chdir entry events):
 * it puts the perf syscall-entry hook on every syscall's entry, which tests
 * its bitmap and returns for all others. */
SEC("tracepoint/syscalls/sys_enter_chdir")
int floor_enter_chdir(void *ctx)
{
	return 0;
}
