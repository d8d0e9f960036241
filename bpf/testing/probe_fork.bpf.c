// SPDX-License-Identifier: GPL-2.0
/* Fork probe for the vm tier's failure demonstration. Built twice:
 *  - probe_fork.bpf.o: tp_btf/sched_process_fork records the newest child of
 *    one tgid. Its test (ForkProbe.*) must pass on every kernel: the control.
 *  - probe_fork_broken.bpf.o (-DBPFAUDIT_BROKEN_PROBE, test-only): also reads
 *    task_struct.mm_cid, which exists only with CONFIG_SCHED_MM_CID (6.4+),
 *    without a bpf_core_field_exists() guard. libbpf poisons the unresolvable
 *    relocation and the verifier rejects the program on 6.1, so
 *    `vm-tests/run --broken` shows the tier failing on a real CO-RE gap.
 * The engine (engine.bpf.c) never carries this flag. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

__u32 target_tgid;
__u32 last_child_tgid;
__u64 fork_count;
#ifdef BPFAUDIT_BROKEN_PROBE
__s32 last_child_mm_cid = -1;
#endif

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_seen, struct task_struct *parent, struct task_struct *child)
{
	if (BPF_CORE_READ(parent, tgid) != target_tgid)
		return 0;
	last_child_tgid = BPF_CORE_READ(child, tgid);
	__sync_fetch_and_add(&fork_count, 1);
#ifdef BPFAUDIT_BROKEN_PROBE
	last_child_mm_cid = BPF_CORE_READ(child, mm_cid);
#endif
	return 0;
}
