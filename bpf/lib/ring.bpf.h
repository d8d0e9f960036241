/* Ring-buffer helpers shared by the bpfaudit programs. Include after vmlinux.h
 * and bpf_helpers.h. */
#ifndef BPFAUDIT_LIB_RING_BPF_H
#define BPFAUDIT_LIB_RING_BPF_H

/* Wakes the reader each time unread data crosses a multiple of wakeup_bytes,
 * at the record that crosses it: a sleeping reader is woken within that much
 * new data, whatever was left unread when it slept (a record still being
 * written stops it early). Forcing a wake-up on every record above the mark
 * instead queued an irq_work per syscall while the reader caught up: a
 * self-IPI whose APIC write traps to the hypervisor. `record_size` is the
 * submitted struct's size; the ring adds an 8-byte header and rounds to 8.
 * wakeup_bytes 0 wakes at every record. */
static __always_inline __u64 bpfaudit_ring_wake_flag(void *ring, __u64 wakeup_bytes,
						    __u64 record_size)
{
	__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	__u64 taken = (record_size + 8 + 7) & ~7ull;

	if (wakeup_bytes == 0)
		return BPF_RB_FORCE_WAKEUP;
	if (avail < taken)
		return BPF_RB_NO_WAKEUP;
	return (avail - taken) / wakeup_bytes != avail / wakeup_bytes ? BPF_RB_FORCE_WAKEUP :
									BPF_RB_NO_WAKEUP;
}

#endif
