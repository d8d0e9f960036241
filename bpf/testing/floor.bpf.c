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
