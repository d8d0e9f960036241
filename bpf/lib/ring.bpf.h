/* Ring-buffer helpers shared by the bpfaudit programs. Include after vmlinux.h,
 * bpf_helpers.h and bpfaudit_engine.h. */
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

/* A ring record for a `size`-byte event with its header filled; NULL when
 * the ring is full (the caller counts the loss). */
static __always_inline void *bpfaudit_ring_reserve(void *ring, __u64 size, __u32 type, __u64 ts_ns)
{
	struct bpfaudit_event_header *hdr = bpf_ringbuf_reserve(ring, size, 0);

	if (!hdr)
		return NULL;
	hdr->ts_ns = ts_ns;
	hdr->type = type;
	hdr->size = size;
	return hdr;
}

#endif
