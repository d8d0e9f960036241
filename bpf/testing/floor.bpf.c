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
