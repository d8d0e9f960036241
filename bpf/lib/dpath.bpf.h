/* Dentry walk shared by the bpfaudit programs: a struct path as leaf-first
 * names (struct bpfaudit_dpath). Include after vmlinux.h, bpf_helpers.h,
 * bpf_core_read.h and bpfaudit_common.h. */
#ifndef BPFAUDIT_LIB_DPATH_BPF_H
#define BPFAUDIT_LIB_DPATH_BPF_H

/* Dentry walks run under bpf_loop so the verifier checks one step, not 64
 * unrolled copies; the names collect in a per-CPU scratch buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfaudit_dpath);
} dpath_scratch SEC(".maps");

struct walk_ctx {
	struct dentry *d;
	struct mount *mnt;
	struct dentry *mnt_root; /* mnt's root dentry, read when mnt changes */
	__u32 off;
	__u32 done;
};

static __always_inline struct dentry *mount_root(struct mount *mnt)
{
	struct vfsmount *vmnt = (void *)mnt + bpf_core_field_offset(struct mount, mnt);

	return BPF_CORE_READ(vmnt, mnt_root);
}

/* d_parent and d_name.name lie within 32 bytes of each other (24 and 40 on
 * 6.1-6.18): one read takes both, where a read each (and one of the mount's
 * root per step) made a cwd of three names twelve helper calls; a kernel
 * laid out otherwise reads them apart (CO-RE offsets: the verifier drops
 * the branch not taken). */
#define BPFAUDIT_DENTRY_SPAN 32
static __always_inline void dentry_parent_name(struct dentry *d, struct dentry **parent,
					       const unsigned char **name)
{
	const __u32 o_parent = bpf_core_field_offset(struct dentry, d_parent);
	const __u32 o_name = bpf_core_field_offset(struct dentry, d_name.name);

	if (o_name > o_parent && o_name + 8 - o_parent <= BPFAUDIT_DENTRY_SPAN) {
		__u64 span[BPFAUDIT_DENTRY_SPAN / 8];

		if (bpf_probe_read_kernel(span, sizeof(span), (void *)d + o_parent) == 0) {
			*parent = (struct dentry *)span[0];
			*name = *(const unsigned char **)((__u8 *)span + (o_name - o_parent));
			return;
		}
	}
	*parent = BPF_CORE_READ(d, d_parent);
	*name = BPF_CORE_READ(d, d_name.name);
}

static long walk_step(__u32 index, void *arg)
{
	struct walk_ctx *w = arg;
	__u32 zero = 0;
	struct bpfaudit_dpath *out = bpf_map_lookup_elem(&dpath_scratch, &zero);

	if (!out)
		return 1;
	/* Locals: a walk_ctx field inside BPF_CORE_READ would become a CO-RE
	 * relocation against a type the kernel does not have. */
	struct dentry *d = w->d;
	struct mount *mnt = w->mnt;
	__u32 off = w->off;

	if (d == w->mnt_root) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt) {
			w->done = 1;
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->mnt_root = mount_root(up);
		return 0;
	}
	struct dentry *parent;
	const unsigned char *name;

	dentry_parent_name(d, &parent, &name);
	if (d == parent) {
		w->done = 1;
		return 1;
	}
	if (off >= BPFAUDIT_PATH_MAX)
		return 1;
	long n = bpf_probe_read_kernel_str(&out->names[off & (BPFAUDIT_PATH_MAX - 1)],
					   BPFAUDIT_NAME_MAX, name);
	if (n <= 0)
		return 1;
	w->off = off + n;
	w->d = parent;
	return 0;
}

/* Dentry names from the leaf up to the root, crossing mounts, into `out`. */
static __always_inline void walk_path(struct bpfaudit_dpath *out, struct path *path)
{
	__u32 zero = 0;
	struct bpfaudit_dpath *scratch = bpf_map_lookup_elem(&dpath_scratch, &zero);
	struct vfsmount *vmnt = BPF_CORE_READ(path, mnt);
	struct walk_ctx w = {
		.d = BPF_CORE_READ(path, dentry),
		.mnt = (void *)vmnt - bpf_core_field_offset(struct mount, mnt),
		.mnt_root = BPF_CORE_READ(vmnt, mnt_root),
	};

	out->len = 0;
	out->truncated = 1;
	if (!scratch)
		return;
	bpf_loop(128, walk_step, &w, 0);
	out->len = w.off;
	out->truncated = !w.done;
	/* The names used, not the whole buffer: copying all 4,352 bytes was
	 * 18% of a traced tar's CPU time (perf, copy_from_kernel_nofault under
	 * emit_cwd, with the cwd at /: three names' bytes used; 2026-12-07). */
	__u32 used = w.off;

	if (used > sizeof(out->names))
		used = sizeof(out->names);
	if (used)
		bpf_probe_read_kernel(out->names, used, scratch->names);
}

#endif
