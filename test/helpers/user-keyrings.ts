/**
 * A uid's user keyrings (_uid.N, _uid_ses.N) outlive its last process: since Linux 5.3 the user namespace's
 * .user_reg keeps them, and /proc/key-users keeps counting them (a root exporter's all-users view then reads
 * /proc/keys as that uid on every scrape). A test that makes them, by request_key or a look-up of @u or @us as a
 * throwaway uid, ends with this shell command run as the uid. Both are found first, then both invalidated, in
 * one process: a look-up of one in another process would make the other again. (Not a test file.)
 */
const KEYCTL_SYSCALL: Record<string, number> = { x64: 250, arm64: 219 };

export const DROP_USER_KEYRINGS = `/usr/bin/python3 -c 'import ctypes
l = ctypes.CDLL(None, use_errno=True)
l.syscall.restype = ctypes.c_long
k = lambda *a: l.syscall(${KEYCTL_SYSCALL[process.arch] ?? 250}, *[ctypes.c_long(x) for x in a])
u, us = k(0, -4, 0), k(0, -5, 0)
k(21, us)
k(21, u)'`;
