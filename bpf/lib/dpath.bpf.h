/* Dentry walk shared by the bpfaudit programs: a struct path as leaf-first
 * names (struct bpfaudit_dpath). Include after vmlinux.h, bpf_helpers.h,
 * bpf_core_read.h and bpfaudit_common.h. */
#ifndef BPFAUDIT_LIB_DPATH_BPF_H
#define BPFAUDIT_LIB_DPATH_BPF_H

/* What a cwd walk went through, step by step, for the engine's cwd cache
 * (engine.bpf.c, emit_cwd): a dentry step is the dentry and its d_seq as read
 * before its name; a mount step (ptr | 1) the mount, its parent and its
 * mountpoint. The same steps with the same values again mean the same
 * names: a dentry's name and parent change only in __d_move, which bumps
 * its d_seq, as does its unhashing (__d_drop); a mount's place is its
 * parent and mountpoint. A walk of more steps than this is not kept. */
#define DPATH_STEPS 16 /* a power of two: indexes are masked for the verifier */
struct dpath_step {
	__u64 ptr;
	__u64 a; /* dentry: d_seq; mount: mnt_parent */
	__u64 b; /* mount: mnt_mountpoint */
};

struct dpath_steps {
	__u32 n;
	__u32 ok; /* 0: more than DPATH_STEPS steps, or a d_seq read odd (a change under way) */
	struct dpath_step s[DPATH_STEPS];
};

struct dpath_scratch_buf {
	struct bpfaudit_dpath path;
	struct dpath_steps steps;
};

/* Dentry walks run under bpf_loop so the verifier checks one step, not 64
 * unrolled copies; the names collect in a per-CPU scratch buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dpath_scratch_buf);
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
	struct dpath_scratch_buf *buf = bpf_map_lookup_elem(&dpath_scratch, &zero);

	if (!buf)
		return 1;
	struct bpfaudit_dpath *out = &buf->path;
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

/* A walk's names into `out`: the names used, not the whole buffer (copying
 * all 4,352 bytes was 18% of a traced tar's CPU time: perf,
 * copy_from_kernel_nofault under emit_cwd, with the cwd at /: three names'
 * bytes used; 2026-12-07). */
static __always_inline void walk_done(struct bpfaudit_dpath *out, struct walk_ctx *w,
				      struct dpath_scratch_buf *scratch)
{
	__u32 used = w->off;

	out->len = w->off;
	out->truncated = !w->done;
	if (used > sizeof(out->names))
		used = sizeof(out->names);
	if (used)
		bpf_probe_read_kernel(out->names, used, scratch->path.names);
}

/* Dentry names from the leaf up to the root, crossing mounts, into `out`. */
static __always_inline void walk_path(struct bpfaudit_dpath *out, struct path *path)
{
	__u32 zero = 0;
	struct dpath_scratch_buf *scratch = bpf_map_lookup_elem(&dpath_scratch, &zero);
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
	walk_done(out, &w, scratch);
}

/* The cwd's walk, keeping its steps (the cache's key): a callback of its
 * own with as few branches as it can have, because the verifier checks a
 * bpf_loop callback again for each state it is reached in, and branches
 * multiply them. walk_step with a "record" flag, in an emit_cwd inlined in
 * the five programs that sent CWD events, took autrace's load phase from
 * 40-67 to 157-275 ms (6 runs each, 2026-12-07). */
#define BPFAUDIT_DENTRY_HEAD 48
static __always_inline void dentry_step(struct dentry *d, __u32 *seq, struct dentry **parent,
					const unsigned char **name)
{
	/* d_seq, d_parent and d_name.name lie in the first 48 bytes (4, 24 and
	 * 40 on 6.1-6.18): one read, as dentry_parent_name. */
	const __u32 o_seq = bpf_core_field_offset(struct dentry, d_seq);
	const __u32 o_parent = bpf_core_field_offset(struct dentry, d_parent);
	const __u32 o_name = bpf_core_field_offset(struct dentry, d_name.name);

	if (o_seq + 4 <= BPFAUDIT_DENTRY_HEAD && o_parent + 8 <= BPFAUDIT_DENTRY_HEAD &&
	    o_name + 8 <= BPFAUDIT_DENTRY_HEAD && !(o_seq & 3) && !(o_parent & 7) &&
	    !(o_name & 7)) {
		__u64 head[BPFAUDIT_DENTRY_HEAD / 8];
		const __u8 *h = (const __u8 *)head;

		if (bpf_probe_read_kernel(head, sizeof(head), d) == 0) {
			*seq = *(const __u32 *)(h + o_seq);
			*parent = *(struct dentry *const *)(h + o_parent);
			*name = *(const unsigned char *const *)(h + o_name);
			return;
		}
	}
	*seq = BPF_CORE_READ(d, d_seq.seqcount.sequence);
	*parent = BPF_CORE_READ(d, d_parent);
	*name = BPF_CORE_READ(d, d_name.name);
}

/* A mount's parent and mountpoint (16 and 24 on 6.1-6.18): one read. */
static __always_inline void mount_up(struct mount *mnt, struct mount **up, struct dentry **mp)
{
	const __u32 o_up = bpf_core_field_offset(struct mount, mnt_parent);
	const __u32 o_mp = bpf_core_field_offset(struct mount, mnt_mountpoint);

	if (o_mp == o_up + 8 && !(o_up & 7)) {
		__u64 pair[2];

		if (bpf_probe_read_kernel(pair, sizeof(pair), (void *)mnt + o_up) == 0) {
			*up = (struct mount *)pair[0];
			*mp = (struct dentry *)pair[1];
			return;
		}
	}
	*up = BPF_CORE_READ(mnt, mnt_parent);
	*mp = BPF_CORE_READ(mnt, mnt_mountpoint);
}

/* Step i of the walk kept; beyond DPATH_STEPS the walk is not kept (ok 0). */
static __always_inline void keep_step(struct dpath_steps *st, __u64 ptr, __u64 a, __u64 b)
{
	__u32 i = st->n;
	__u32 k = i & (DPATH_STEPS - 1);

	st->ok &= i < DPATH_STEPS;
	st->s[k].ptr = ptr;
	st->s[k].a = a;
	st->s[k].b = b;
	st->n = i + 1;
}

static long cwd_walk_step(__u32 index, void *arg)
{
	struct walk_ctx *w = arg;
	__u32 zero = 0;
	struct dpath_scratch_buf *buf = bpf_map_lookup_elem(&dpath_scratch, &zero);

	if (!buf)
		return 1;
	struct dentry *d = w->d;
	struct mount *mnt = w->mnt;
	__u32 off = w->off;

	if (d == w->mnt_root) {
		struct mount *up;
		struct dentry *mp;

		mount_up(mnt, &up, &mp);
		keep_step(&buf->steps, (__u64)mnt | 1, (__u64)up, (__u64)mp);
		if (up == mnt) {
			w->done = 1;
			return 1;
		}
		w->d = mp;
		w->mnt = up;
		w->mnt_root = mount_root(up);
		return 0;
	}
	struct dentry *parent;
	const unsigned char *name;
	__u32 seq;

	dentry_step(d, &seq, &parent, &name);
	buf->steps.ok &= ~seq & 1;
	keep_step(&buf->steps, (__u64)d, seq, 0);
	if (d == parent) {
		w->done = 1;
		return 1;
	}
	if (off >= BPFAUDIT_PATH_MAX)
		return 1;
	long n = bpf_probe_read_kernel_str(&buf->path.names[off & (BPFAUDIT_PATH_MAX - 1)],
					   BPFAUDIT_NAME_MAX, name);
	if (n <= 0)
		return 1;
	w->off = off + n;
	w->d = parent;
	return 0;
}

/* The cwd's names into `out`, as walk_path, and its steps into this CPU's
 * scratch buffer's `steps`, which hold them until its next walk. */
static __always_inline void walk_cwd(struct bpfaudit_dpath *out, struct dentry *dentry,
				     struct vfsmount *vmnt, struct dentry *mnt_root)
{
	__u32 zero = 0;
	struct dpath_scratch_buf *scratch = bpf_map_lookup_elem(&dpath_scratch, &zero);
	struct walk_ctx w = {
		.d = dentry,
		.mnt = (void *)vmnt - bpf_core_field_offset(struct mount, mnt),
		.mnt_root = mnt_root,
	};

	out->len = 0;
	out->truncated = 1;
	if (!scratch)
		return;
	scratch->steps.n = 0;
	scratch->steps.ok = 1;
	bpf_loop(128, cwd_walk_step, &w, 0);
	walk_done(out, &w, scratch);
	scratch->steps.ok &= w.done;
}

/* Whether the walk from (dentry, mnt) would go through exactly the steps
 * `st` kept, with the same values: then it would give the same names. One
 * read per dentry (its d_seq and parent) and per mount crossed, no names
 * copied. `mnt_root` is mnt's root (fixed for a mount's life). Under
 * bpf_loop too: as a bounded loop of 24 steps the verifier went through
 * every step, in every program that sent CWD events. */
struct check_ctx {
	const struct dpath_steps *st;
	struct dentry *d;
	struct mount *mnt;
	struct dentry *mnt_root;
	__u32 n;
	__u32 same; /* set when the walk ended where the steps did */
};

static long check_step(__u32 i, void *arg)
{
	struct check_ctx *c = arg;
	const struct dpath_steps *st = c->st;
	struct dentry *d = c->d;
	struct mount *mnt = c->mnt;
	/* Opaque, then masked: clang drops a mask it can prove idle, and the
	 * verifier would not see the bound. */
	__u32 k = i;

	barrier_var(k);
	const struct dpath_step *s = &st->s[k & (DPATH_STEPS - 1)];
	__u64 ptr, a, b;
	bool end;
	struct dentry *next;

	if (d == c->mnt_root) {
		struct mount *up;

		mount_up(mnt, &up, &next);
		ptr = (__u64)mnt | 1;
		a = (__u64)up;
		b = (__u64)next;
		end = up == mnt;
		c->mnt = up;
	} else {
		const unsigned char *name;
		__u32 seq;

		dentry_step(d, &seq, &next, &name);
		ptr = (__u64)d;
		a = seq;
		b = 0;
		end = d == next;
	}
	if (i >= c->n || ((s->ptr ^ ptr) | (s->a ^ a) | (s->b ^ b)))
		return 1;
	if (end) {
		c->same = i + 1 == c->n;
		return 1;
	}
	if (ptr & 1)
		c->mnt_root = mount_root(c->mnt);
	c->d = next;
	return 0;
}

static __always_inline bool dpath_unchanged(const struct dpath_steps *st, struct dentry *d,
					    struct mount *mnt, struct dentry *mnt_root)
{
	struct check_ctx c = { .st = st, .d = d, .mnt = mnt, .mnt_root = mnt_root, .n = st->n };

	if (!st->ok || c.n == 0 || c.n > DPATH_STEPS)
		return false;
	bpf_loop(DPATH_STEPS, check_step, &c, 0);
	return c.same;
}

#endif
