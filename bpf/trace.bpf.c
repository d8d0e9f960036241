// SPDX-License-Identifier: GPL-2.0
/* Process-tree tracing: a traced-tgid map filled on fork from a traced parent. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpfaudit_trace.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (!bpf_map_lookup_elem(&traced_tgids, &ptgid) || ptgid == ctgid)
		return 0;
	bpf_map_update_elem(&traced_tgids, &ctgid, &one, BPF_ANY);

	struct bpfaudit_fork_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return 0;
	ev->hdr.ts_ns = bpf_ktime_get_boot_ns();
	ev->hdr.type = BPFAUDIT_EV_FORK;
	ev->hdr.size = sizeof(*ev);
	ev->parent_tgid = ptgid;
	ev->child_tgid = ctgid;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 pid = BPF_CORE_READ(task, pid);

	/* Only the thread-group leader's exit ends the process. */
	if (tgid == pid)
		bpf_map_delete_elem(&traced_tgids, &tgid);
	return 0;
}

#ifdef BPFAUDIT_BROKEN_PROBE
/* Test-only (trace_broken.bpf.o): reads task_struct.mm_cid, which exists from
 * Linux 6.4 on, without a bpf_core_field_exists() guard. libbpf poisons the
 * unresolvable relocation and the verifier rejects the program on 6.1, so
 * `vm-tests/run --broken` can show the VM tier failing on a real CO-RE gap. */
__u32 broken_probe_mm_cid;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(broken_probe_fork, struct task_struct *parent, struct task_struct *child)
{
	broken_probe_mm_cid = BPF_CORE_READ(child, mm_cid);
	return 0;
}
#endif
