/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* What a record says of the current task beyond ids and comm: its files, executable, terminal. Included by maps.bpf.h. */
#pragma once

/* The file behind a file descriptor of the current task, or NULL (a closed or out-of-range fd). */
static __always_inline struct file *ea_file_of_fd(long fd)
{
	if (fd < 0)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]);
	return f;
}

/* Unlinked as /proc/PID/exe sees it (d_unlinked), or no links left (a memfd's pseudo dentry is hashed nowhere but is its own root). */
static __always_inline int ea_file_unlinked(struct file *f)
{
	struct dentry *d = f->f_path.dentry;
	if (d->d_inode->i_nlink == 0)
		return 1;
	return !d->d_hash.pprev && d->d_parent != d;
}

/* The controlling terminal as Falco's proc.tty encodes it: new_encode_dev(MKDEV(major, minor)). */
static __always_inline __u32 ea_tty(struct task_struct *task)
{
	struct tty_struct *tty = task->signal->tty;
	if (!tty)
		return 0;
	struct tty_driver *drv = tty->driver;
	if (!drv)
		return 0;
	__u32 major = drv->major, minor = drv->minor_start + tty->index;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}
