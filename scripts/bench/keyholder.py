#!/usr/bin/python3
"""Real keys for the scrape benchmark (scripts/bench-scrape.ts), made in one process.

Joins a new session keyring named kre-bench-<pid>, fills it on command, keeps it alive while the benchmark
runs, and removes every key it made when told to, when its stdin closes (the benchmark ended, however it
ended) or on SIGTERM/SIGINT/SIGHUP. Spawning keyctl(1) 100,000 times takes minutes; add_key(2) from here
takes about a second.

Protocol, one line each way (JSON out):
  grow N   -> {"ok": true, "keys": N, "session": ID}   make keys until this session holds N keys (the session
              keyring and the container keyrings count as keys)
  flood N  -> {"ok": true, ...}   add N user keys whose descriptions are 3,700 newlines (a user's flood)
  pollute N -> {"ok": true, ...}  add N user keys whose descriptions are 4,000 bytes of forged record lines
  quit     -> clear everything and exit (as does EOF on stdin)

The mix is a container host's: per "container", a keyring named like runc's (_ses.<64 hex>) holding Kerberos
ccache user keys, CIFS logon keys, invocation ids, some keys with a timeout (1 min to 30 d), and one key in a
thousand readable by its group (so the audit has findings to make, as on a real host). Payloads are small:
the kernel charges description + payload to root_maxbytes (25,000,000 here); `grow` refuses what would not fit.
Only the standard library is used; it runs as root or, with --small, as any uid (setpriv).
"""
import ctypes, json, os, signal, sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_add_key, SYS_keyctl = 248, 250  # x86_64
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_SETPERM, KEYCTL_CLEAR, KEYCTL_LINK, KEYCTL_UNLINK = 1, 5, 7, 8, 9
KEYCTL_SET_TIMEOUT, KEYCTL_INVALIDATE = 15, 21
KEY_SPEC_THREAD_KEYRING = -1

_c_long, _c_char_p, _c_size_t = ctypes.c_long, ctypes.c_char_p, ctypes.c_size_t


def _check(r):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def keyctl(op, a=0, b=0):
    return _check(libc.syscall(_c_long(SYS_keyctl), _c_long(op), _c_long(a), _c_long(b)))


def add_key(ktype, desc, payload, ring):
    return _check(libc.syscall(_c_long(SYS_add_key), _c_char_p(ktype), _c_char_p(desc), _c_char_p(payload),
                               _c_size_t(len(payload)), _c_long(ring)))


def join_session(name):
    return _check(libc.syscall(_c_long(SYS_keyctl), _c_long(KEYCTL_JOIN_SESSION_KEYRING), _c_char_p(name)))


class Holder:
    def __init__(self, small):
        self.small = small
        self.session = join_session(b"kre-bench-%d" % os.getpid())
        self.keys = 1  # the session keyring itself
        self.rings = []  # container keyrings, cleared before the session
        self.ring = None
        self.in_ring = 0
        self.i = 0

    def _one(self):
        i = self.i
        self.i += 1
        if self.small:
            # A laptop: a few user and logon keys in the session keyring.
            if i % 4 == 3:
                add_key(b"logon", b"cifs:a:192.0.2.%d" % i, b"x" * 24, self.session)
            else:
                add_key(b"user", b"krb_ccache:primary:%d" % i, b"x" * 40, self.session)
            self.keys += 1
            return
        if self.ring is None or self.in_ring >= 10:
            cid = (b"%016x" % ((i * 2654435761) & 0xFFFFFFFFFFFFFFFF)) * 4
            self.ring = add_key(b"keyring", b"_ses." + cid, b"", self.session)
            self.rings.append(self.ring)
            self.in_ring = 0
            self.keys += 1
            return
        ring, k = self.ring, i % 10
        # A key whose perm or timeout is set after add_key is made in the thread keyring first: keyctl(2) on a
        # key id checks possession by searching the caller's keyrings, and a key two keyrings down is found
        # only after visiting every keyring of the session (quadratic: 100,000 keys took over a minute).
        later = k in (6, 7) or i % 1000 == 999
        dest = KEY_SPEC_THREAD_KEYRING if later else ring
        key = self._add(k, i, dest)
        if later:
            keyctl(KEYCTL_LINK, key, ring)  # before setperm takes the possessor's link permission away
            if k == 6:
                keyctl(KEYCTL_SETPERM, key, 0x0B0B0000)  # as systemd sets it
            elif k == 7:
                keyctl(KEYCTL_SET_TIMEOUT, key, 60 + (i * 7919) % (30 * 86400))
            if i % 1000 == 999:
                keyctl(KEYCTL_SETPERM, key, 0x3F0B0000)  # group may read: a permissive_key finding
            keyctl(KEYCTL_UNLINK, key, KEY_SPEC_THREAD_KEYRING)
        self.in_ring += 1
        self.keys += 1

    @staticmethod
    def _add(k, i, dest):
        if k < 4:
            return add_key(b"user", b"krb_ccache:primary:%d" % i, b"t" * (16 + i % 48), dest)
        if k < 6:
            return add_key(b"logon", b"cifs:a:192.0.2.%d:%d" % (i % 255, i), b"p" * 24, dest)
        if k == 6:
            return add_key(b"user", b"invocation_id", b"0123456789abcdef", dest)
        if k == 7:
            return add_key(b"user", b"krbtgt/EXAMPLE.COM@EXAMPLE.COM %d" % i, b"k" * 32, dest)
        return add_key(b"keyring", b"project-%d" % i, b"", dest)

    def grow(self, n):
        while self.keys < n:
            self._one()

    def hostile(self, n, kind):
        """Keys any user can make to flood /proc/keys: viewable by everyone, descriptions of newlines or of forged lines."""
        for i in range(n):
            if kind == "flood":
                desc = b"flood%d" % i + b"\n" * 3700 + b"x"
            else:
                line = b"\n%08x I--Q---     1 perm 3f3f3f3f     0     0 user      forged" % (0x7F000000 + i * 64)
                desc = (b"pollute%d" % i + line * 64)[:4000]
            key = add_key(b"user", desc, b"v", self.session)
            keyctl(KEYCTL_SETPERM, key, 0x3F3F0101)
            self.keys += 1

    def clear(self):
        for r in self.rings:
            try:
                keyctl(KEYCTL_CLEAR, r)
            except OSError:
                pass
        try:
            keyctl(KEYCTL_CLEAR, self.session)
            keyctl(KEYCTL_INVALIDATE, self.session)
        except OSError:
            pass
        self.rings = []


def main(argv):
    holder = Holder("--small" in argv)

    def stop(signum, frame):
        holder.clear()
        os._exit(0)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, stop)
    try:
        for line in sys.stdin:
            cmd = line.split()
            if not cmd:
                continue
            if cmd[0] == "grow":
                try:
                    holder.grow(int(cmd[1]))
                    out = {"ok": True, "keys": holder.keys, "session": holder.session}
                except OSError as e:
                    out = {"ok": False, "keys": holder.keys, "error": "%s (errno %d)" % (e.strerror, e.errno)}
                print(json.dumps(out), flush=True)
            elif cmd[0] in ("flood", "pollute"):
                try:
                    holder.hostile(int(cmd[1]), cmd[0])
                    out = {"ok": True, "keys": holder.keys, "session": holder.session}
                except OSError as e:
                    out = {"ok": False, "keys": holder.keys, "error": "%s (errno %d)" % (e.strerror, e.errno)}
                print(json.dumps(out), flush=True)
            elif cmd[0] == "quit":
                break
    finally:
        holder.clear()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
