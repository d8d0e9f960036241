// SPDX-License-Identifier: GPL-2.0
/* fentry/fexit feature probe: counts getppid() entries and records its return
 * value for one tgid. __do_sys_getppid takes an unused pt_regs pointer and is in
 * the BTF of 6.1, 6.12 and 6.18 (the __x64_sys_* wrappers are not, on 6.18).
 * Optional path: kernels or policies that refuse BPF trampolines (EPERM) keep
 * using the tracepoint programs in engine.bpf.c. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

__u32 target_tgid;
__u64 entry_count;
__s64 exit_ret = -1;

static __always_inline bool is_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("fentry/__do_sys_getppid")
int BPF_PROG(getppid_entry, const struct pt_regs *regs)
{
	if (is_target())
		__sync_fetch_and_add(&entry_count, 1);
	return 0;
}

SEC("fexit/__do_sys_getppid")
int BPF_PROG(getppid_exit, const struct pt_regs *regs, long ret)
{
	if (is_target())
		exit_ret = ret;
	return 0;
}
