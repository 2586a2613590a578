/**
 * Falco's names, as data: every event type `evt.type` can name, and every field of the syscall
 * source (libsinsp's filter checks plus the container plugin's), so a Falco rule that names
 * something this project does not capture is told exactly that, and a typo is still an error.
 *
 * Generated from falcosecurity/libs 48dfd53cd23f95720521d41b89883bbc35c8567f (driver/event_table.c
 * event names, driver/ppm_events_public.h syscall names, userspace/libsinsp/sinsp_filtercheck_*.cpp
 * field tables) and the container plugin's README field table.
 */

const words = (s: string): Set<string> => new Set(s.trim().split(/\s+/));

export const FALCO_EVENT_TYPES: ReadonlySet<string> = words(
  '_llseek _newselect _sysctl accept accept4 access acct add_key adjtimex alarm arch_prctl ' +
    'asyncevent bdflush bind bpf brk cachestat capget capset chdir chmod chown chroot clock_adjtime ' +
    'clock_getres clock_gettime clock_nanosleep clock_settime clone clone3 close close_range connect ' +
    'container copy_file_range cpu_hotplug creat create_module delete_module drop dup dup2 dup3 ' +
    'epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait ' +
    'epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 ' +
    'fallocate fanotify_init fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchownat fcntl ' +
    'fcntl64 fdatasync fgetxattr file_getattr file_setattr finit_module flistxattr flock fork ' +
    'fremovexattr fsconfig fsetxattr fsmount fsopen fspick fstat fstat64 fstatat64 fstatfs fstatfs64 ' +
    'fsync ftruncate futex futex_requeue futex_wait futex_waitv futex_wake futimesat get_kernel_syms ' +
    'get_mempolicy get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid ' +
    'getegid32 geteuid geteuid32 getgid getgid32 getgroups getitimer getpeername getpgid getpgrp ' +
    'getpid getpmsg getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 ' +
    'getrlimit getrusage getsid getsockname getsockopt gettid gettimeofday getuid getuid32 getxattr ' +
    'getxattrat groupadded groupdeleted idle infra init_module inotify_add_watch inotify_init ' +
    'inotify_init1 inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents io_setup ' +
    'io_submit io_uring_enter io_uring_register io_uring_setup ioctl ioperm iopl ioprio_get ' +
    'ioprio_set ipc k8s kcmp kexec_file_load kexec_load keyctl kill landlock_add_rule ' +
    'landlock_create_ruleset landlock_restrict_self lchown lgetxattr link linkat listen listmount ' +
    'listns listxattr listxattrat llistxattr llseek lookup_dcookie lremovexattr lseek lsetxattr ' +
    'lsm_get_self_attr lsm_list_modules lsm_set_self_attr lstat lstat64 madvise map_shadow_stack ' +
    'mbind membarrier memfd_create memfd_secret mesos migrate_pages mincore mkdir mkdirat mknod ' +
    'mknodat mlock mlock2 mlockall mmap mmap2 modify_ldt mount mount_setattr move_mount move_pages ' +
    'mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink mremap mseal ' +
    'msgctl msgget msgrcv msgsnd msync multiplexer munlock munlockall munmap na_1 name_to_handle_at ' +
    'nanosleep newfstatat nfsservctl nice notification oldfstat oldlstat oldolduname oldstat olduname ' +
    'open open_by_handle_at open_tree open_tree_attr openat openat2 page_fault page_fault_kernel ' +
    'page_fault_user pause pciconfig_iobase pciconfig_read pciconfig_write perf_event_open ' +
    'personality pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2 pivot_root pkey_alloc pkey_free ' +
    'pkey_mprotect pluginevent poll ppoll prctl pread pread64 preadv preadv2 prlimit prlimit64 ' +
    'process_madvise process_mrelease process_vm_readv process_vm_writev procexit procinfo pselect6 ' +
    'ptrace pwrite pwrite64 pwritev pwritev2 query_module quotactl quotactl_fd read readahead readdir ' +
    'readlink readlinkat readv reboot recv recvfrom recvmmsg recvmsg remap_file_pages removexattr ' +
    'removexattrat rename renameat renameat2 request_key restart_syscall riscv_flush_icache ' +
    'riscv_hwprobe rmdir rseq rseq_slice_yield rt_sigaction rt_sigpending rt_sigprocmask ' +
    'rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo rtas ' +
    's390_guarded_storage s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr s390_sthyi ' +
    'scapevent sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr ' +
    'sched_getparam sched_getscheduler sched_process_exit sched_rr_get_interval sched_setaffinity ' +
    'sched_setattr sched_setparam sched_setscheduler sched_switch sched_yield seccomp select semctl ' +
    'semget semop semtimedop send sendfile sendfile64 sendmmsg sendmsg sendto set_mempolicy ' +
    'set_mempolicy_home_node set_robust_list set_thread_area set_tid_address setdomainname setfsgid ' +
    'setfsuid setgid setgid32 setgroups sethostname setitimer setns setpgid setpriority setregid ' +
    'setresgid setresgid32 setresuid setresuid32 setreuid setrlimit setsid setsockopt settimeofday ' +
    'setuid setuid32 setxattr setxattrat sgetmask shmat shmctl shmdt shmget shutdown sigaction ' +
    'sigaltstack signal signal_deliver signaldeliver signalfd signalfd4 sigpending sigprocmask ' +
    'sigreturn sigsuspend socket socketcall socketpair splice spu_create spu_run ssetmask stat stat64 ' +
    'statfs statfs64 statmount statx stime subpage_prot swapcontext swapoff swapon switch ' +
    'switch_endian symlink symlinkat sync sync_file_range sync_file_range2 syncfs ' +
    'sys_debug_setcontext syscall sysfs sysinfo syslog task task_file_directory task_file_memfd ' +
    'task_file_pipe task_file_regular task_file_socket_inet task_file_socket_inet6 ' +
    'task_file_socket_netlink task_file_socket_unix tee tgkill time timer_create timer_delete ' +
    'timer_getoverrun timer_gettime timer_settime timerfd timerfd_create timerfd_gettime ' +
    'timerfd_settime times tkill tracer truncate ugetrlimit umask umount umount2 uname unknown unlink ' +
    'unlinkat unshare uprobe uretprobe uselib useradded userdeleted userfaultfd ustat utime utimensat ' +
    'utimes vfork vhangup vm86 vmsplice wait4 waitid waitpid write writev ' +
    '',
);

export const FALCO_FIELDS: ReadonlySet<string> = words(
  'container.cni.json container.duration container.full_id container.healthcheck container.host_ipc ' +
    'container.host_network container.host_pid container.id container.image container.image.digest ' +
    'container.image.id container.image.repository container.image.tag container.ip container.label ' +
    'container.labels container.liveness_probe container.mount container.mount.dest ' +
    'container.mount.mode container.mount.propagation container.mount.rdwr container.mount.source ' +
    'container.mounts container.name container.privileged container.readiness_probe ' +
    'container.start_ts container.type evt.abspath evt.arg evt.args evt.around evt.asynctype ' +
    'evt.buffer evt.buflen evt.buflen.file evt.buflen.file.in evt.buflen.file.out evt.buflen.in ' +
    'evt.buflen.net evt.buflen.net.in evt.buflen.net.out evt.buflen.out evt.category evt.count ' +
    'evt.count.error evt.count.error.file evt.count.error.memory evt.count.error.net ' +
    'evt.count.error.other evt.count.exit evt.count.procinfo evt.count.threadinfo evt.cpu ' +
    'evt.datetime evt.datetime.s evt.deltatime evt.deltatime.ns evt.deltatime.s evt.dir evt.failed ' +
    'evt.hostname evt.info evt.infra.docker.container.id evt.infra.docker.container.image ' +
    'evt.infra.docker.container.name evt.infra.docker.name evt.io_dir evt.is_async evt.is_io ' +
    'evt.is_io_read evt.is_io_write evt.is_open_create evt.is_open_exec evt.is_open_read ' +
    'evt.is_open_write evt.is_syslog evt.is_wait evt.latency evt.latency.human evt.latency.ns ' +
    'evt.latency.quantized evt.latency.s evt.num evt.outputtime evt.plugininfo evt.pluginname ' +
    'evt.rawarg evt.rawres evt.rawtime evt.rawtime.ns evt.rawtime.s evt.reltime evt.reltime.ns ' +
    'evt.reltime.s evt.res evt.source evt.time evt.time.iso8601 evt.time.s evt.type evt.type.is ' +
    'evt.wait_latency fd.cip fd.cip.name fd.cnet fd.connected fd.containerdirectory fd.containername ' +
    'fd.cport fd.cproto fd.dev fd.dev.major fd.dev.minor fd.directory fd.filename fd.ino fd.ip ' +
    'fd.is_lower_layer fd.is_server fd.is_upper_layer fd.l4proto fd.lip fd.lip.name fd.lnet fd.lport ' +
    'fd.lproto fd.name fd.name_changed fd.nameraw fd.net fd.num fd.port fd.proto fd.rip fd.rip.name ' +
    'fd.rnet fd.rport fd.rproto fd.sip fd.sip.name fd.snet fd.sockfamily fd.sport fd.sproto fd.type ' +
    'fd.typechar fd.types fd.uid fdlist.cips fdlist.cports fdlist.names fdlist.nums fdlist.sips ' +
    'fdlist.sports fs.path.name fs.path.nameraw fs.path.source fs.path.sourceraw fs.path.target ' +
    'fs.path.targetraw group.gid group.name k8s.deployment.id k8s.deployment.label ' +
    'k8s.deployment.labels k8s.deployment.name k8s.ns.id k8s.ns.label k8s.ns.labels k8s.ns.name ' +
    'k8s.pod.cni.json k8s.pod.full_sandbox_id k8s.pod.id k8s.pod.ip k8s.pod.label k8s.pod.labels ' +
    'k8s.pod.name k8s.pod.sandbox_id k8s.pod.uid k8s.rc.id k8s.rc.label k8s.rc.labels k8s.rc.name ' +
    'k8s.rs.id k8s.rs.label k8s.rs.labels k8s.rs.name k8s.svc.id k8s.svc.label k8s.svc.labels ' +
    'k8s.svc.name proc.aargs proc.acmdline proc.aenv proc.aexe proc.aexepath proc.aname proc.apid ' +
    'proc.args proc.cmdlenargs proc.cmdline proc.cmdnargs proc.cwd proc.duration proc.env proc.exe ' +
    'proc.exe_ino proc.exe_ino.ctime proc.exe_ino.ctime_duration_pidns_start ' +
    'proc.exe_ino.ctime_duration_proc_start proc.exe_ino.mtime proc.exeline proc.exepath proc.fdlimit ' +
    'proc.fdopencount proc.fdusage proc.is_container_healthcheck proc.is_container_liveness_probe ' +
    'proc.is_container_readiness_probe proc.is_exe_from_memfd proc.is_exe_lower_layer ' +
    'proc.is_exe_upper_layer proc.is_exe_writable proc.is_pgid_leader proc.is_sid_leader ' +
    'proc.is_vpgid_leader proc.loginshellid proc.name proc.nchilds proc.nthreads proc.pcmdline ' +
    'proc.pexe proc.pexepath proc.pgid proc.pgid.exe proc.pgid.exepath proc.pgid.name proc.pid ' +
    'proc.pid.ts proc.pidns_init_start_ts proc.pname proc.ppid proc.ppid.duration proc.ppid.ts ' +
    'proc.pvpid proc.sid proc.sid.exe proc.sid.exepath proc.sname proc.stderr.name proc.stderr.type ' +
    'proc.stdin.name proc.stdin.type proc.stdout.name proc.stdout.type proc.tty proc.vmrss ' +
    'proc.vmsize proc.vmswap proc.vpgid proc.vpgid.exe proc.vpgid.exepath proc.vpgid.name proc.vpid ' +
    'syscall.type thread.cap_effective thread.cap_inheritable thread.cap_permitted thread.cgroup ' +
    'thread.cgroups thread.cpu thread.cpu.system thread.cpu.user thread.exectime thread.ismain ' +
    'thread.nametid thread.pfmajor thread.pfminor thread.tid thread.totexectime thread.vmrss ' +
    'thread.vmrss.b thread.vmsize thread.vmsize.b thread.vtid user.homedir user.loginname ' +
    'user.loginuid user.name user.shell user.uid util.cnt ' +
    '',
);
