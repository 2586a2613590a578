/** Symbolic names of the errno values the recorded syscalls commonly return (Linux, x86_64 and arm64). */
const NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 8: 'ENOEXEC', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES',
  14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV', 19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE',
  24: 'EMFILE', 26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 30: 'EROFS', 31: 'EMLINK', 36: 'ENAMETOOLONG', 38: 'ENOSYS', 40: 'ELOOP',
  74: 'EBADMSG', 88: 'ENOTSOCK', 93: 'EPROTONOSUPPORT', 94: 'ESOCKTNOSUPPORT', 95: 'EOPNOTSUPP', 97: 'EAFNOSUPPORT', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 100: 'ENETDOWN',
  101: 'ENETUNREACH', 103: 'ECONNABORTED', 104: 'ECONNRESET', 106: 'EISCONN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED',
  113: 'EHOSTUNREACH', 114: 'EALREADY', 115: 'EINPROGRESS', 122: 'EDQUOT', 129: 'EKEYREJECTED',
};

export function errnoName(errno: number): string {
  return NAMES[errno] ?? String(errno);
}
