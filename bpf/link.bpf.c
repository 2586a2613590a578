// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Links: symlink, symlinkat, link, linkat, recorded at syscall exit with the result. A link over
 * a sensitive file (a symlink to /etc/shadow in a world-readable place, a hard link that keeps a
 * file alive) is a classic step; the name created is filtered like an open's path.
 */
#include "maps.bpf.h"
#include "path.bpf.h"
#include "stash.bpf.h"

#define AT_EMPTY_PATH 0x1000

/*
 * Emit one link record. For symlinks (olddirfd -1) the target is the link's text as given; for
 * hard links it is the existing file, made absolute, or for an AT_EMPTY_PATH linkat the file
 * behind olddirfd (an O_TMPFILE or an unlinked file given a name again).
 */
__noinline int ea_link_emit(struct link_args *a, long ret)
{
	if (!a || ea_excluded())
		return 0;
	__s32 olddirfd = a->olddirfd, newdirfd = a->newdirfd;
	__u32 lflags = a->flags;
	__u32 flags = ea_filter_flags();
	if (!ea_result_passes(EA_FILE_LINK, flags, ret))
		return 0;
	struct ea_file_link *e = ea_begin(EA_FILE_LINK, flags);
	if (!e)
		return 0;
	e->ret = ret;
	e->olddirfd = olddirfd;
	e->newdirfd = newdirfd;
	e->flags = lflags;
	e->op = a->op;
	e->_pad[0] = e->_pad[1] = e->_pad[2] = 0;
	long n = bpf_probe_read_user_str(e->path, EA_PATH_MAX, (const char *)a->newpath);
	e->path_len = make_absolute(&e->hdr, newdirfd, e->path, ea_strlen(&e->hdr, n, EA_PATH_MAX));
	if (!ea_path_passes(EA_FILE_LINK, flags, e->path, e->path_len))
		return 0;
	n = bpf_probe_read_user_str(e->target, EA_PATH_MAX, (const char *)a->oldpath);
	__u16 tlen = ea_strlen(&e->hdr, n, EA_PATH_MAX);
	if (olddirfd != -1) {
		struct file *f;
		if (tlen == 0 && (lflags & AT_EMPTY_PATH) && (f = ea_file_of_fd(olddirfd)))
			tlen = resolve_path(&e->hdr, &f->f_path, e->target);
		else
			tlen = make_absolute(&e->hdr, olddirfd, e->target, tlen);
	}
	e->target_len = tlen;
	ea_submit(e, offsetof(struct ea_file_link, target) + (tlen & (EA_PATH_MAX - 1)));
	return 0;
}

static __always_inline int link_exit(__u16 op, long ret)
{
	struct ea_args args, *r = ea_unstash(&args);
	if (!r)
		return 0;
	struct link_args a = { .op = op, .flags = 0 };
	switch (op) {
	case EA_OP_SYMLINK:
		a.oldpath = r->a[0], a.olddirfd = -1, a.newdirfd = AT_FDCWD, a.newpath = r->a[1];
		break;
	case EA_OP_SYMLINKAT:
		a.oldpath = r->a[0], a.olddirfd = -1, a.newdirfd = r->a[1], a.newpath = r->a[2];
		break;
	case EA_OP_LINK:
		a.oldpath = r->a[0], a.olddirfd = AT_FDCWD, a.newdirfd = AT_FDCWD, a.newpath = r->a[1];
		break;
	default:
		a.olddirfd = r->a[0], a.oldpath = r->a[1], a.newdirfd = r->a[2], a.newpath = r->a[3], a.flags = r->a[4];
	}
	return ea_link_emit(&a, ret);
}

#define LINK_HOOKS(name, op, nargs)                                                      \
	EA_STASH_ENTER(name, EA_FILE_LINK, nargs)                                        \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                  \
	int ea_exit_##name(struct trace_event_raw_sys_exit *ctx) { return link_exit(op, ctx->ret); }

LINK_HOOKS(symlink, EA_OP_SYMLINK, 2)
LINK_HOOKS(symlinkat, EA_OP_SYMLINKAT, 3)
LINK_HOOKS(link, EA_OP_LINK, 2)
LINK_HOOKS(linkat, EA_OP_LINKAT, 5)
