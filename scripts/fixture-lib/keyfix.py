#!/usr/bin/python3
"""Small keyctl(2)/add_key(2) helper for scripts/capture-fixtures.sh.

Uses raw syscalls via ctypes so that descriptions are handled as bytes and so
that several keyring operations can happen inside ONE process (needed e.g. to
show the user-session-keyring fallback, which depends on per-process creds).
Only the Python standard library is used.  Run with /usr/bin/python3 so that
unprivileged uids can execute it.
"""
import ctypes, json, os, sys, time, random

libc = ctypes.CDLL(None, use_errno=True)
SYS_add_key, SYS_keyctl = 248, 250  # x86_64
KEYCTL_GET_KEYRING_ID, KEYCTL_JOIN_SESSION, KEYCTL_UPDATE = 0, 1, 2
KEYCTL_REVOKE, KEYCTL_SETPERM, KEYCTL_DESCRIBE, KEYCTL_UNLINK = 3, 5, 6, 9
KEYCTL_READ, KEYCTL_INVALIDATE = 11, 21
SPECIAL = {"@t": -1, "@p": -2, "@s": -3, "@u": -4, "@us": -5, "@g": -6, "@a": -7}


def _err():
    e = ctypes.get_errno()
    return OSError(e, os.strerror(e))


def keyctl(op, *args):
    a = [ctypes.c_long(x) if isinstance(x, int) else x for x in args]
    r = libc.syscall(ctypes.c_long(SYS_keyctl), ctypes.c_long(op), *a)
    if r < 0:
        raise _err()
    return r


def kid(spec):
    if isinstance(spec, int):
        return spec
    return SPECIAL.get(spec) if spec in SPECIAL else int(spec, 0)


def add_key(ktype, desc, payload, ring):
    if isinstance(desc, str):
        desc = os.fsencode(desc)
    if isinstance(payload, str):
        payload = payload.encode()
    r = libc.syscall(ctypes.c_long(SYS_add_key), ctypes.c_char_p(ktype.encode()),
                     ctypes.c_char_p(desc), ctypes.c_char_p(payload),
                     ctypes.c_size_t(len(payload)), ctypes.c_long(kid(ring)))
    if r < 0:
        raise _err()
    return r


def get_id(spec, create=0):
    return keyctl(KEYCTL_GET_KEYRING_ID, kid(spec), create)


def describe(key):
    """Return dict(type, uid, gid, perm, desc(bytes)) from KEYCTL_DESCRIBE."""
    buf = ctypes.create_string_buffer(8192)
    n = keyctl(KEYCTL_DESCRIBE, kid(key), buf, 8192)
    raw = buf.raw[: n - 1]
    t, uid, gid, perm, desc = raw.split(b";", 4)
    return {"type": t.decode(), "uid": int(uid), "gid": int(gid),
            "perm": perm.decode(), "desc": desc}


def members(ring):
    buf = ctypes.create_string_buffer(65536)
    n = keyctl(KEYCTL_READ, kid(ring), buf, 65536)
    data = buf.raw[:n]
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, n, 4)]


def main(argv):
    cmd = argv[0]
    if cmd == "id":                     # id SPEC [create]
        print(get_id(argv[1], int(argv[2]) if len(argv) > 2 else 0))
    elif cmd == "describe-json":        # describe-json ID
        d = describe(argv[1])
        d["desc"] = d["desc"].hex()
        print(json.dumps(d))
    elif cmd == "find":                 # find RING TYPE DESC -> id of member with exact description
        want = os.fsencode(argv[3])
        for m in members(argv[1]):
            try:
                d = describe(m)
            except OSError:
                continue
            if d["type"] == argv[2] and d["desc"] == want:
                print(m)
                return 0
        print("not found", file=sys.stderr)
        return 1
    elif cmd == "list":                 # list RING -> id type deschex
        for m in members(argv[1]):
            try:
                d = describe(m)
                print(m, d["type"], d["desc"].hex())
            except OSError as e:
                print(m, "?", e.strerror)
    elif cmd == "invalidate":           # invalidate ID...
        for a in argv[1:]:
            keyctl(KEYCTL_INVALIDATE, kid(a))
    elif cmd == "invalidate-user-keyrings":
        # Resolve both per-uid keyrings first, then invalidate both, in one
        # process: separate keyctl(1) calls would re-create the one just
        # invalidated (a lookup of @u creates _uid_ses.N too and vice versa).
        u, us = get_id("@u"), get_id("@us")
        keyctl(KEYCTL_INVALIDATE, us)
        keyctl(KEYCTL_INVALIDATE, u)
    elif cmd == "fallback-demo":        # fallback-demo OUTFILE SECONDS
        # Run by a process WITHOUT a session keyring:
        # 1. look up @s WITHOUT create: the kernel installs _uid_ses.<uid>
        #    as this process's session keyring (user-session-keyring(7)).
        s0 = get_id("@s", 0)
        us, u = get_id("@us", 0), get_id("@u", 0)
        k_us = add_key("user", "kre-fixture-fallback-in-uid-ses", "payload", "@us")
        # 2. add_key(@s) looks @s up WITH create; because the session keyring
        #    is now the user-session keyring, the kernel joins a NEW anonymous
        #    _ses instead of using _uid_ses.<uid>.
        k_s = add_key("user", "kre-fixture-fallback-via-at-s", "payload", "@s")
        s1 = get_id("@s", 0)
        with open(argv[1] + ".tmp", "w") as f:
            json.dump({"session_after_lookup": s0, "session_after_lookup_desc": describe(s0)["desc"].decode(),
                       "user_session": us, "user": u, "key_in_uid_ses": k_us, "key_added_to_at_s": k_s,
                       "session_after_add": s1, "session_after_add_desc": describe(s1)["desc"].decode()}, f)
        os.rename(argv[1] + ".tmp", argv[1])
        time.sleep(float(argv[2]))
    elif cmd == "create-session-and-wait":  # create-session-and-wait DESC PAYLOAD OUTFILE SECONDS
        # No session keyring + add_key(@s) (lookup WITH create) -> the kernel
        # creates a new anonymous _ses for this process instead.
        k = add_key("user", argv[1], argv[2], "@s")
        s = get_id("@s", 0)
        with open(argv[3] + ".tmp", "w") as f:
            json.dump({"session": s, "key": k, "session_desc": describe(s)["desc"].decode()}, f)
        os.rename(argv[3] + ".tmp", argv[3])
        time.sleep(float(argv[4]))
    elif cmd == "forge":                # forge VISIBLE_SERIALS_FILE OUTFILE PAYLOAD_LEN
        return forge(argv[1], argv[2], int(argv[3]))
    elif cmd == "hex":                  # hex STRING (argv bytes)
        print(os.fsencode(argv[1]).hex())
    else:
        print("unknown command", cmd, file=sys.stderr)
        return 2
    return 0


def forge(visible_file, outfile, plen):
    """Create the 'careful' forged-line carrier.

    The description is b"innocent: 5\\n<F> I--Q---     1 perm 3f3f3f3f     0     0 user      evil"
    where F is a fake serial.  Serials are random, so we choose F first and
    retry until the carrier's real serial S satisfies: S < F and no key that
    root can see has a serial in (S, F]; root's read then shows two physical
    lines with strictly ascending serials.  F is chosen as (next visible
    serial above a random point) - 1, i.e. just below a real key; the
    carrier is kept only if its random serial lands in the gap below F.
    """
    vis = sorted(int(x, 16) for x in open(visible_file).read().split())
    if len(vis) < 3:
        raise SystemExit("forge: visible serial list looks wrong: %r" % vis)
    payload = b"x" * plen
    for attempt in range(1, 400):
        r = random.randrange(3, vis[-1])
        nxt = [v for v in vis if v > r][0]
        F = nxt - 1          # just below a real key, so the order stays ascending
        desc = (b"innocent: 5\n%08x I--Q---     1 perm 3f3f3f3f     0     0 user      evil" % F)
        k = add_key("user", desc, payload, "@s")
        below = [v for v in vis if v < F]
        prev = below[-1] if below else 0
        if prev < k < F:
            keyctl(KEYCTL_SETPERM, k, 0x3f010001)
            with open(outfile, "w") as f:
                json.dump({"carrier": k, "fake": F, "attempts": attempt,
                           "desc": desc.hex()}, f)
            return 0
        keyctl(KEYCTL_INVALIDATE, k)
    return 1


# ---------------------------------------------------------------- expectations
def _expect_record(key, klass, state, note, extra, ktype=None, desc=None):
    rec = {"serial": "%08x" % key}
    try:
        d = describe(key)
        rec.update({"type": d["type"], "class": klass, "state": state,
                    "descriptionHex": d["desc"].hex(), "note": note,
                    "uid": d["uid"], "gid": d["gid"], "perm": d["perm"]})
    except OSError as e:
        if ktype is None:
            raise SystemExit("expect: cannot describe key %d (%s) and no type/desc given" % (key, e.strerror))
        rec.update({"type": ktype, "class": klass, "state": state,
                    "descriptionHex": os.fsencode(desc).hex(), "note": note})
    if extra:
        rec.update(json.loads(extra))
    return rec


def _append(path, rec):
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


PREFIX = None


def parse_keys(path):
    import re
    global PREFIX
    PREFIX = re.compile(rb"^([0-9a-f]{8}) ([I-][R-][D-][Q-][U-][N-][i-]) +(-?\d+) +(perm|expd|\d+[smhdw]) "
                        rb"([0-9a-f]{8}) +(-?\d+) +(-?\d+) (.{9}) (.*)$", re.S)
    out = {}
    order = []
    for line in open(path, "rb").read().split(b"\n"):
        m = PREFIX.match(line)
        if not m:
            continue
        serial = m.group(1).decode()
        order.append(serial)
        out.setdefault(serial, {"flags": m.group(2).decode(), "usage": int(m.group(3)),
                                "expiry": m.group(4).decode(), "perm": m.group(5).decode(),
                                "uid": int(m.group(6)), "gid": int(m.group(7)),
                                "type9": m.group(8).decode("latin1"), "line": line})
    return out, order


def state_of(flags, expiry):
    if flags[2] == "D": return "dead"
    if flags[6] == "i": return "invalidated"
    if flags[1] == "R": return "revoked"
    if flags[5] == "N": return "negative"
    if flags[4] == "U" and flags[0] != "I": return "under_construction"
    if expiry == "expd": return "expired"
    return "instantiated"


def finalize(stage, outdir, name, kernel):
    warn = []
    rd = lambda f: open(os.path.join(stage, f)).read()
    keys, order = parse_keys(os.path.join(outdir, "keys"))
    exp = []
    if os.path.exists(os.path.join(stage, "expect.jsonl")):
        seen = set()
        for l in open(os.path.join(stage, "expect.jsonl")):
            r = json.loads(l)
            if (r["serial"], r.get("forgedLine", False)) in seen:
                continue
            seen.add((r["serial"], r.get("forgedLine", False)))
            exp.append(r)
    for r in exp:
        k = keys.get(r["serial"])
        if r.get("forgedLine"):
            if k is None:
                warn.append("forged line %s not visible in capture" % r["serial"])
            continue
        if k is None:
            if not r.get("absentOk"):
                warn.append("expected key %s (%s) not in capture" % (r["serial"], r.get("note", "")))
            continue
        r["flags"] = k["flags"]
        e = k["expiry"]
        r["expiryUnit"] = e if e in ("perm", "expd") else e[-1]
        got = state_of(k["flags"], e)
        if got != r["state"]:
            warn.append("key %s: expected state %s, capture shows %s (%s %s)" % (r["serial"], r["state"], got, k["flags"], e))
        if "wantExpiryUnit" in r:
            if r["wantExpiryUnit"] != r["expiryUnit"]:
                warn.append("key %s: expected expiry unit %s, capture shows %s" % (r["serial"], r["wantExpiryUnit"], e))
            del r["wantExpiryUnit"]
    cmds = [c for c in rd("commands").split("\0") if c] if os.path.exists(os.path.join(stage, "commands")) else []
    uid, gid = rd("reader.ids").split()
    doc = {
        "scenario": name,
        "description": rd("description").strip(),
        "capturedAt": int(rd("capturedAt").strip()),
        "kernel": kernel,
        "reader": {"uid": int(uid), "gid": int(gid), "how": rd("reader.how").strip()},
        "commands": cmds,
        "expect": exp,
    }
    if os.path.exists(os.path.join(stage, "observed.json")):
        doc["observed"] = json.load(open(os.path.join(stage, "observed.json")))
    with open(os.path.join(outdir, "capture.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    for w in warn:
        print("WARN [%s]: %s" % (name, w), file=sys.stderr)
    return 0


def fscrypt_add(mnt):
    import fcntl
    raw = os.urandom(64)
    arg = bytearray(80) + bytearray(raw)
    arg[0:4] = (2).to_bytes(4, "little")          # FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER
    arg[40:44] = len(raw).to_bytes(4, "little")   # raw_size
    fd = os.open(mnt, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, 0xC0506617, arg)          # FS_IOC_ADD_ENCRYPTION_KEY
    finally:
        os.close(fd)
    print(bytes(arg[8:24]).hex())                # 16-byte key identifier


def main2(argv):
    cmd = argv[0]
    if cmd == "expect":          # expect FILE ID CLASS STATE NOTE [EXTRA_JSON [TYPE DESC]]
        extra = argv[6] if len(argv) > 6 else ""
        t, d = (argv[7], argv[8]) if len(argv) > 8 else (None, None)
        _append(argv[1], _expect_record(kid(argv[2]), argv[3], argv[4], argv[5], extra, t, d))
    elif cmd == "expect-many":   # expect-many FILE CLASS STATE NOTE EXTRA_JSON ID...
        for i in argv[6:]:
            _append(argv[1], _expect_record(kid(i), argv[2], argv[3], argv[4], argv[5]))
    elif cmd == "expect-members":  # expect-members FILE RING CLASS STATE NOTE
        for m in members(argv[2]):
            _append(argv[1], _expect_record(m, argv[3], argv[4], argv[5], ""))
    elif cmd == "finalize":      # finalize STAGE OUTDIR NAME KERNEL
        return finalize(*argv[1:5])
    elif cmd == "fscrypt-add":
        fscrypt_add(argv[1])
    else:
        return main(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main2(sys.argv[1:]) or 0)
