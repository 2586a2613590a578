/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
#pragma once
#include "maps.bpf.h"

/*
 * Absolute path of a struct path without bpf_d_path (refused here: LSM and fentry programs get
 * EPERM): walk dentries up to the mount root, hop to the parent mount, repeat. bpf_loop keeps the
 * verifier happy (an unrolled walk hit the 1M-instruction limit). About 4 us: used on exec and for relative paths only.
 */
#define WALK_DEPTH 64

struct walk {
	const unsigned char *names[WALK_DEPTH];
	__u64 dentry;
	__u64 mnt;
	__u32 n;
	__u32 off;
	__u32 cut;
	char buf[2 * EA_PATH_MAX]; /* a component is copied at off < EA_PATH_MAX with a bound of EA_PATH_MAX */
};

EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} walk_scratch SEC(".maps");

static __always_inline struct walk *walk_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&walk_scratch, &zero);
}

static long walk_up(__u32 i, void *unused)
{
	struct walk *w = walk_get();
	if (!w)
		return 1;
	struct dentry *d = (struct dentry *)w->dentry;
	struct mount *mnt = (struct mount *)w->mnt;
	struct dentry *mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
	if (d == mnt_root) {
		struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
		if (parent == mnt)
			return 1; /* the root of the mount tree */
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)parent;
		return 0;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	__u32 n = w->n;
	if (d == parent) {
		/* Its own root but not its mount's: a pseudo file (memfd:NAME) or a disconnected
		 * dentry. Its name is all there is: "/memfd:NAME", as /proc/PID/exe shows it. */
		if (n < WALK_DEPTH) {
			w->names[n] = BPF_CORE_READ(d, d_name.name);
			w->n = n + 1;
		}
		return 1;
	}
	if (n >= WALK_DEPTH) {
		w->cut = 1;
		return 1;
	}
	w->names[n] = BPF_CORE_READ(d, d_name.name);
	w->n = n + 1;
	w->dentry = (__u64)parent;
	return 0;
}

static long walk_emit(__u32 i, void *unused)
{
	struct walk *w = walk_get();
	if (!w)
		return 1;
	int k = (int)w->n - 1 - (int)i; /* the root-most component first */
	if (k < 0 || k >= WALK_DEPTH)
		return 1;
	__u32 off = w->off;
	if (off >= EA_PATH_MAX - 1) {
		w->cut = 1;
		return 1;
	}
	off &= EA_PATH_MAX - 1;
	w->buf[off] = '/';
	long l = bpf_probe_read_kernel_str(&w->buf[off + 1], EA_PATH_MAX, w->names[k]);
	w->off = off + 1 + (l > 1 ? l - 1 : 0);
	return 0;
}

/* Resolve `p` into the walk's buffer, NUL-terminated; returns the length (< EA_PATH_MAX). */
static __always_inline __u32 walk_path(struct ea_hdr *h, struct walk *w, const struct path *p)
{
	struct vfsmount *vm = BPF_CORE_READ(p, mnt);
	w->dentry = (__u64)BPF_CORE_READ(p, dentry);
	w->mnt = (__u64)container_of(vm, struct mount, mnt);
	w->n = 0;
	w->off = 0;
	w->cut = 0;
	bpf_loop(WALK_DEPTH + 16, walk_up, 0, 0);
	bpf_loop(WALK_DEPTH, walk_emit, 0, 0);
	__u32 off = w->off;
	if (off == 0)
		w->buf[off++] = '/';
	if (off > EA_PATH_MAX - 1) {
		off = EA_PATH_MAX - 1;
		w->cut = 1;
	}
	off &= EA_PATH_MAX - 1;
	w->buf[off] = 0;
	if (w->cut)
		h->flags |= EA_F_TRUNCATED;
	return off;
}

/* Resolve `p` into dst (EA_PATH_MAX bytes); returns the length. */
static __always_inline __u16 resolve_path(struct ea_hdr *h, const struct path *p, char *dst)
{
	struct walk *w = walk_get();
	if (!w)
		return 0;
	__u32 len = walk_path(h, w, p);
	bpf_probe_read_kernel(dst, EA_PATH_MAX, w->buf);
	return len;
}

/*
 * Make the relative path in dst (len bytes) absolute in place: base + "/" + path. Not normalized
 * ("a/../b" stays, and resolves the same); returns the new length.
 */
static __always_inline __u16 prepend_base(struct ea_hdr *h, const struct path *base, char *dst, __u32 len)
{
	struct walk *w = walk_get();
	if (!w)
		return len;
	__u32 off = walk_path(h, w, base);
	if (off > 1) /* "/" alone needs no separator */
		w->buf[off++ & (EA_PATH_MAX - 1)] = '/';
	off &= EA_PATH_MAX - 1;
	bpf_probe_read_kernel(&w->buf[off], EA_PATH_MAX, dst); /* buf is 2 * EA_PATH_MAX */
	__u32 total = off + len;
	if (total > EA_PATH_MAX - 1) {
		total = EA_PATH_MAX - 1;
		h->flags |= EA_F_TRUNCATED;
	}
	w->buf[total & (EA_PATH_MAX - 1)] = 0;
	bpf_probe_read_kernel(dst, EA_PATH_MAX, w->buf);
	return total;
}

#define AT_FDCWD -100

/*
 * A relative path in dst (len bytes) made absolute against the working directory (AT_FDCWD) or
 * the directory behind dirfd, as an open resolves it; an absolute one is left alone. The walk
 * costs ~4 us, so only relative paths pay it. Returns the new length.
 */
static __always_inline __u16 make_absolute(struct ea_hdr *h, __s32 dirfd, char *dst, __u16 len)
{
	if (len == 0 || dst[0] == '/')
		return len;
	if (dirfd == AT_FDCWD) {
		struct path pwd = bpf_get_current_task_btf()->fs->pwd;
		return prepend_base(h, &pwd, dst, len);
	}
	struct file *dir = ea_file_of_fd(dirfd);
	return dir ? prepend_base(h, &dir->f_path, dst, len) : len;
}
