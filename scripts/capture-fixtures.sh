#!/usr/bin/env bash
# Capture /proc/keys + /proc/key-users test fixtures from the REAL kernel.
#
#   sudo bash scripts/capture-fixtures.sh              # (re)generate every scenario
#   sudo bash scripts/capture-fixtures.sh --only NAME  # one scenario
#   sudo bash scripts/capture-fixtures.sh --list       # list scenario names
#
# Output: test/fixtures/<scenario>/{keys,key-users,sys/kernel/keys/*,capture.json}
#   keys / key-users are byte-exact copies made with cat (never text processed).
#   capture.json records when/who/how and the keys the scenario created
#   ("expect"); flags/expiryUnit in "expect" are taken from the captured file
#   and checked against the intended state (WARN lines on mismatch).
#
# Safety: unprivileged work only as uids 40100-40199; keys are created in
# throwaway session keyrings; every background process is killed by pid;
# sysctls and /etc/request-key.d changes are undone by an EXIT trap.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "capture-fixtures.sh: must run as root (it switches to test uids 40100-40199, edits" >&2
  echo "  /etc/request-key.d and /proc/sys/kernel/keys temporarily). Try: sudo bash $0" >&2
  exit 1
fi
for tool in keyctl setpriv openssl /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "capture-fixtures.sh: missing $tool" >&2; exit 1; }
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXDIR=$REPO/test/fixtures
KERNEL=$(uname -r)
STAGE=$(mktemp -d /tmp/kre-fixtures.XXXXXX)
chmod 0755 "$STAGE"
install -m 0755 "$REPO/scripts/fixture-lib/keyfix.py" "$STAGE/keyfix.py"
KF=$STAGE/keyfix.py
RKCONF=/etc/request-key.d/keyring-exporter-fixture.conf
SYSK=/proc/sys/kernel/keys
export KF STAGE
cd "$STAGE"   # unprivileged children need a readable cwd

ALL_SCENARIOS=(root-host-baseline session-anonymous session-named user-session-fallback
  persistent persistent-expiry-lowered key-states expiry-units key-types
  hard-descriptions forged-line quota-full quota-bytes many-sessions trust-store upcall-caches kerberos)

# ------------------------------------------------------------------ cleanup
PIDS=()
ORIG_PKE=""
LOOPDEV="" MNT=""
kill_bg() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  set +e
  kill_bg
  if [[ -n $ORIG_PKE ]]; then echo "$ORIG_PKE" > $SYSK/persistent_keyring_expiry; ORIG_PKE=""; fi
  rm -f "$RKCONF"
  if [[ -n $MNT ]]; then umount "$MNT" 2>/dev/null; rmdir "$MNT" 2>/dev/null; MNT=""; fi
  if [[ -n $LOOPDEV ]]; then losetup -d "$LOOPDEV" 2>/dev/null; LOOPDEV=""; fi
  rm -rf "$STAGE"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM HUP

# ------------------------------------------------------------------ helpers
# (exported so that they work inside `keyctl session ... bash -c` and setpriv'd shells)
keyfix() { /usr/bin/python3 "$KF" "$@"; }
# snap HOW: capture /proc/keys and /proc/key-users as the CURRENT process.
snap() {
  date +%s > "$CUR/capturedAt"
  cat /proc/keys > "$CUR/keys"
  cat /proc/key-users > "$CUR/key-users"
  mkdir -p "$CUR/sys/kernel/keys"
  local f
  for f in maxkeys maxbytes root_maxkeys root_maxbytes gc_delay persistent_keyring_expiry; do
    cat "/proc/sys/kernel/keys/$f" > "$CUR/sys/kernel/keys/$f"
  done
  printf '%s\n' "$1" > "$CUR/reader.how"
  printf '%s %s\n' "$(id -u)" "$(id -g)" > "$CUR/reader.ids"
}
# exp ID CLASS STATE NOTE [EXTRA_JSON [TYPE DESC]]   (describes the key as the current process)
exp() { keyfix expect "$CUR/expect.jsonl" "$@"; }
waitfile() { # waitfile FILE [seconds]
  local i
  for ((i = 0; i < ${2:-15} * 10; i++)); do [[ -s $1 ]] && return 0; sleep 0.1; done
  echo "timeout waiting for $1" >&2; return 1
}
hex8() { printf '%08x' "$1"; }
export -f keyfix snap exp waitfile hex8

# as UID CMD...: run as an unprivileged test uid (no supplementary groups)
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"; }
spawn() { "$@" & PIDS+=($!); }          # only for external commands (pid = the exec chain)
spawn_as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@" & PIDS+=($!); }
cmd() { local c; for c in "$@"; do printf '%s\0' "$c" >> "$CUR/commands"; done; }
describe() { printf '%s\n' "$*" > "$CUR/description"; }

begin() {
  SCEN=$1
  CUR=$STAGE/$SCEN
  rm -rf "$CUR"; mkdir -p "$CUR"; chmod 0777 "$CUR"
  : > "$CUR/expect.jsonl"; chmod 0666 "$CUR/expect.jsonl"
  export CUR SCEN
  echo "== $SCEN" >&2
}
finish() {
  kill_bg
  [[ -s $CUR/keys ]] || { echo "ERROR [$SCEN]: nothing captured" >&2; return 1; }
  local out=$FIXDIR/$SCEN
  rm -rf "$out"; mkdir -p "$out/sys/kernel/keys"
  cp "$CUR/keys" "$CUR/key-users" "$out/"
  cp "$CUR"/sys/kernel/keys/* "$out/sys/kernel/keys/"
  # The kernel's answers, where the scenario captured with keyring-exporter itself.
  if [[ -f $CUR/keyring-exporter-answers.json ]]; then cp "$CUR/keyring-exporter-answers.json" "$out/"; fi
  /usr/bin/python3 "$KF" finalize "$CUR" "$out" "$SCEN" "$KERNEL"
  chown -R 0:0 "$out"; chmod -R u=rwX,go=rX "$out"
}
# from_capture HOW: take the files keyring-exporter capture wrote into $CUR/capture (with the kernel's answers) as
# the scenario's capture, read by HOW
from_capture() {
  cp "$CUR/capture/keys" "$CUR/capture/key-users" "$CUR/capture/keyring-exporter-answers.json" "$CUR/"
  mkdir -p "$CUR/sys/kernel/keys"; cp "$CUR"/capture/sys/kernel/keys/* "$CUR/sys/kernel/keys/"
  date +%s > "$CUR/capturedAt"
  printf '%s\n' "$1" > "$CUR/reader.how"
  printf '%s %s\n' "$(id -u)" "$(id -g)" > "$CUR/reader.ids"
}
# observed KEY VALUE...: free-form facts stored under capture.json "observed"
observed() { /usr/bin/python3 - "$CUR/observed.json" "$@" <<'EOF'
import json, os, sys
p = sys.argv[1]
d = json.load(open(p)) if os.path.exists(p) else {}
d[sys.argv[2]] = " ".join(sys.argv[3:])
json.dump(d, open(p, "w"), indent=2)
EOF
}
# invalidate _uid.N and _uid_ses.N of a test uid (since 5.3 they are pinned by
# .user_reg and would otherwise outlive the uid's last process)
# (waits for the GC first: a uid at its quota cannot even look up @u)
drop_uid_keyrings() {
  local i
  for ((i = 0; i < 10; i++)); do
    sleep 0.5
    grep -q "^ *$1:" /proc/key-users || return 0
    as "$1" /usr/bin/python3 "$KF" invalidate-user-keyrings 2>/dev/null || true
  done
  echo "WARN: uid $1 still owns keys:" "$(grep "^ *$1:" /proc/key-users)" >&2
}
# serial (decimal) of the first /proc/keys line (root's view) whose description is exactly $1
root_find() {
  local line
  line=$(grep -a -E "^[0-9a-f]{8} .{7} .* keyring   $1: " /proc/keys | head -1) || true
  [[ -n $line ]] && printf '%d\n' "0x${line%% *}"
}

# request-key handler that keeps a key under construction for a few seconds.
# The key description pattern is unique to this script.
install_uc_handler() { # install_uc_handler SECONDS
  cat > "$STAGE/rk-handler.sh" <<EOF
#!/bin/sh
# \$1=%k (target key) \$2=%S (session/_req keyring) \$3=%d (description)
dir=$STAGE/uc.\$(echo "\$3" | tr -c 'A-Za-z0-9\n' '_')
mkdir -p "\$dir"
/usr/bin/python3 $KF id @s > "\$dir/req.tmp" && mv "\$dir/req.tmp" "\$dir/req"
/usr/bin/python3 $KF list @s > "\$dir/list.tmp" 2>&1 && mv "\$dir/list.tmp" "\$dir/list"
sleep $1
exec /bin/keyctl instantiate "\$1" "constructed-after-${1}s" "\$2"
EOF
  chmod 0755 "$STAGE/rk-handler.sh"
  printf 'create\tuser\tkre-fixture-uc:*\t*\t%s %%k %%S %%d\n' "$STAGE/rk-handler.sh" > "$RKCONF"
}
export -f root_find
# record _req.<serial> keyrings visible in the capture that no expectation names yet
exp_req_leftovers() {
  local s d
  while read -r s d; do
    grep -q "\"serial\": \"$s\"" "$CUR/expect.jsonl" && continue
    exp "$((16#$s))" request_key instantiated "_req.<serial> session keyring of a request-key upcall for key $(printf '%08x' "${d#_req.}")" "" keyring "$d" || true
  done < <(awk '$8 == "keyring" && $9 ~ /^_req\./ { n=$9; sub(/:$/, "", n); print $1, n }' "$CUR/keys")
}

# ================================================================== scenarios

sc_root_host_baseline() {
  begin root-host-baseline
  describe "Plain root view of the host with nothing created by the scenario: what the exporter sees on an ordinary host" \
    "(kernel keyrings, root's _uid.0/_uid_ses.0 and whatever earlier runs left, e.g. .persistent_register, which never goes away)." \
    "The reader is a root process WITHOUT a session keyring (so @s falls back to _uid_ses.0, user-session-keyring(7))."
  cmd "cat /proc/keys; cat /proc/key-users   # root, no keyctl session"
  snap "root, plain process of the capture script (no session keyring of its own; falls back to _uid_ses.0)"
  # classify the pre-existing keyrings we can see (for the parser tests)
  local s name cls
  while read -r s name; do
    case $name in
      .persistent_register) cls=persistent_register ;;
      .*) cls=kernel ;;
      _uid_ses.*) cls=user_session ;;
      _uid.*) cls=user ;;
      _persistent.*) cls=persistent ;;
      *) continue ;;
    esac
    exp "$((16#$s))" "$cls" instantiated "pre-existing kernel-created keyring (not created by this scenario)" || true
  done < <(grep -a -E '^[0-9a-f]{8} I------|^[0-9a-f]{8} I--Q---' "$CUR/keys" | awk '$8 == "keyring" {n=$9; sub(/:.*/, "", n); print $1, n}')
  finish
}

sc_session_anonymous() {
  begin session-anonymous
  describe "Anonymous session keyrings named _ses (session-keyring(7)): (A) 'keyctl session -' runs a program in a new _ses" \
    "holding a user key, kept alive by a background process; (B) 'keyctl new_session' in a bash makes a new _ses and installs it in" \
    "the parent (KEYCTL_SESSION_TO_PARENT); (C) a _ses revoked by its own process, as PAM does at logout, still pinned by the" \
    "running process (IR, expd, empty). A fourth session created and left before the capture is gone: a session keyring" \
    "dies with its last process. Reader: the bash of (B), which possesses only _ses B; A and C are visible through root's user-view."
  cmd "keyctl session - bash -c 'keyctl add user kre-fixture-anon-a payload-a @s; exec sleep 120' &" \
      "keyctl session - bash -c 'keyctl add user kre-fixture-anon-revoked x @s; keyctl revoke @s; exec sleep 120' &" \
      "keyctl session - keyctl add user kre-fixture-anon-gone x @s   # exits at once: keyring and key vanish" \
      "bash -c 'keyctl new_session; keyctl add user kre-fixture-anon-b payload-b @s; cat /proc/keys'"
  spawn keyctl session - bash -c '
    K=$(keyctl add user kre-fixture-anon-a payload-a @s)
    exp "$(keyfix id @s)" session instantiated "anonymous _ses from keyctl session - (pinned by a background process)"
    exp "$K" key instantiated "user key inside session A"
    echo ok > "$CUR/a.ready"; exec sleep 120' 2>/dev/null
  spawn keyctl session - bash -c '
    K=$(keyctl add user kre-fixture-anon-revoked x @s)
    exp "$(keyfix id @s)" session revoked "anonymous _ses revoked by its own process (pam_keyinit revoke at logout); still pinned, emptied"
    keyctl revoke @s
    echo ok > "$CUR/c.ready"; exec sleep 120' 2>/dev/null
  waitfile "$CUR/a.ready"; waitfile "$CUR/c.ready"
  keyctl session - keyctl add user kre-fixture-anon-gone x @s > "$CUR/gone.id" 2>/dev/null
  bash -c '
    keyctl new_session > "$CUR/b.id"
    K=$(keyctl add user kre-fixture-anon-b payload-b @s)
    exp "$(keyfix id @s)" session instantiated "anonymous _ses from keyctl new_session (session_to_parent into this bash, the reader)"
    exp "$K" key instantiated "user key inside session B (possessed by the reader)"
    sleep 1
    snap "root, inside the bash that ran keyctl new_session (possesses _ses B; A and C visible via user view)"'
  observed gone_key_serial "$(hex8 "$(cat "$CUR/gone.id")") (created in a session whose only process exited; absent from the capture)"
  finish
}

sc_session_named() {
  begin session-named
  local runc crun
  runc=_ses.$(printf 'kre-fixture-runc-container' | sha256sum | cut -c1-64)
  crun=$(printf 'kre-fixture-crun-container' | sha256sum | cut -c1-64)
  describe "Named session keyrings (KEYCTL_JOIN_SESSION_KEYRING with a name, keyctl session NAME): a named keyring with the" \
    "default perm 3f130000 is NOT joinable by a second process (no user Search bit), so a second 'keyctl session NAME' silently" \
    "creates ANOTHER keyring with the same name; after 'keyctl setperm @s 0x3f1b0000' (what runc does) a second process and the" \
    "reader really join the same keyring. Also a runc-style _ses.<64 hex> keyring (perm 3f1b0000) and a crun-style keyring named" \
    "after a 64-hex container id."
  cmd "keyctl session kre-fixture-named bash -c 'keyctl add user kre-fixture-named-key v @s; exec sleep 120' &" \
      "keyctl session kre-fixture-named sleep 120 &   # cannot find the first one (perm 3f130000 lacks user search): new keyring, same name" \
      "keyctl session kre-fixture-joinable bash -c 'keyctl setperm @s 0x3f1b0000; keyctl add user kre-fixture-joinable-key v @s; exec sleep 120' &" \
      "keyctl session kre-fixture-joinable sleep 120 &   # joins the same keyring" \
      "keyctl session $runc bash -c 'keyctl setperm @s 0x3f1b0000; exec sleep 120' &   # runc style" \
      "keyctl session $crun sleep 120 &   # crun style" \
      "keyctl session kre-fixture-joinable bash -c 'cat /proc/keys'   # reader joins too"
  spawn keyctl session kre-fixture-named bash -c '
    K=$(keyctl add user kre-fixture-named-key v @s)
    exp "$(keyfix id @s)" session instantiated "named session keyring created by keyctl session kre-fixture-named (default perm 3f130000)"
    exp "$K" key instantiated "user key inside kre-fixture-named"
    keyfix id @s > "$CUR/n1.id"; exec sleep 120' 2>/dev/null
  waitfile "$CUR/n1.id"
  spawn keyctl session kre-fixture-named bash -c '
    exp "$(keyfix id @s)" session instantiated "second keyctl session kre-fixture-named: NOT the same keyring (no user search perm on the first) -> a new keyring with the same name"
    keyfix id @s > "$CUR/n2.id"; exec sleep 120' 2>/dev/null
  spawn keyctl session kre-fixture-joinable bash -c '
    keyctl setperm @s 0x3f1b0000
    K=$(keyctl add user kre-fixture-joinable-key v @s)
    exp "$(keyfix id @s)" session instantiated "named session keyring made joinable with setperm 0x3f1b0000; joined by 2 more processes"
    exp "$K" key instantiated "user key inside kre-fixture-joinable"
    keyfix id @s > "$CUR/j1.id"; exec sleep 120' 2>/dev/null
  waitfile "$CUR/n2.id"; waitfile "$CUR/j1.id"
  spawn keyctl session kre-fixture-joinable bash -c 'keyfix id @s > "$CUR/j2.id"; exec sleep 120' 2>/dev/null
  spawn keyctl session "$runc" bash -c '
    keyctl setperm @s 0x3f1b0000
    exp "$(keyfix id @s)" session instantiated "runc-style named session keyring _ses.<64 hex container id>, perm set to 3f1b0000 like runc"
    keyfix id @s > "$CUR/r.id"; exec sleep 120' 2>/dev/null
  spawn keyctl session "$crun" bash -c '
    exp "$(keyfix id @s)" session instantiated "crun-style named session keyring named after a 64-hex container id (default perm)"
    keyfix id @s > "$CUR/c.id"; exec sleep 120' 2>/dev/null
  waitfile "$CUR/j2.id"; waitfile "$CUR/r.id"; waitfile "$CUR/c.id"
  keyctl session kre-fixture-joinable bash -c '
    keyfix id @s > "$CUR/j3.id"
    snap "root, third process that joined kre-fixture-joinable by name (keyctl session kre-fixture-joinable)"' 2>/dev/null
  observed first_vs_second_named "$(hex8 "$(cat "$CUR/n1.id")") vs $(hex8 "$(cat "$CUR/n2.id")"): two keyrings named kre-fixture-named"
  observed joinable_joined "$(hex8 "$(cat "$CUR/j1.id")") $(hex8 "$(cat "$CUR/j2.id")") $(hex8 "$(cat "$CUR/j3.id")") (same serial = really joined)"
  finish
}

sc_user_session_fallback() {
  begin user-session-fallback
  local U=40103
  as $U /usr/bin/python3 "$KF" id @s > "$CUR/probe.id"
  local probe; probe=$(as $U /usr/bin/python3 "$KF" describe-json "$(cat "$CUR/probe.id")")
  describe "user-session-keyring(7) fallback: uid $U in a process that has NO session keyring (the capture script's processes" \
    "have none and setpriv keeps that). One helper process (1) looks up @s without create: the kernel creates _uid_ses.$U and" \
    "_uid.$U (linked from it) and installs _uid_ses.$U as the process's session keyring; (2) adds a key to @us (stored in" \
    "_uid_ses.$U); (3) adds a key to @s: add_key looks @s up WITH create and, because the session keyring is the user-session" \
    "keyring, the kernel joins a NEW anonymous _ses and stores the key there ('under others a new session keyring will be" \
    "created'). The helper keeps running. Reader: another uid $U process without a session keyring (possesses _uid_ses.$U via" \
    "the fallback; the helper's _ses is visible through user-view)."
  cmd "setpriv --reuid=$U --regid=$U --clear-groups keyfix.py fallback-demo OUT 120 &   # keyctl(GET_KEYRING_ID, @s, 0); add_key(user, kre-fixture-fallback-in-uid-ses, @us); add_key(user, kre-fixture-fallback-via-at-s, @s)" \
      "setpriv --reuid=$U --regid=$U --clear-groups cat /proc/keys"
  observed probe_session_keyring "a fresh uid $U process resolves @s (no create) to: $probe"
  if ! grep -q "$(keyfix hex "_uid_ses.$U")" <<<"$probe"; then
    echo "WARN [$SCEN]: this script was started from a process that HAS a session keyring; the fallback cannot be shown" >&2
    observed warning "the invoking process had a session keyring: no fallback happened"
  fi
  spawn_as $U /usr/bin/python3 "$KF" fallback-demo "$CUR/fb.json" 120
  waitfile "$CUR/fb.json"
  as $U bash -c '
    eval "$(/usr/bin/python3 -c "import json;d=json.load(open(\"$CUR/fb.json\"));print(\"US=%d U=%d K1=%d K2=%d S1=%d\"%(d[\"user_session\"],d[\"user\"],d[\"key_in_uid_ses\"],d[\"key_added_to_at_s\"],d[\"session_after_add\"]))")"
    exp $US user_session instantiated "_uid_ses.N: installed as the session keyring of a process without one (lookup of @s without create)"
    exp $U user instantiated "_uid.N: created together with _uid_ses.N and linked from it"
    exp $K1 key instantiated "key added to @us: stored in _uid_ses.N"
    exp $S1 session instantiated "anonymous _ses the kernel joined when the same process then called add_key(@s) (lookup with create while @s == @us)"
    exp $K2 key instantiated "key added to @s: stored in the new _ses, not in _uid_ses.N"
    snap "uid '$U', plain process without a session keyring (setpriv from the capture script; possesses _uid_ses.'$U' via fallback)"'
  observed fallback_demo "$(cat "$CUR/fb.json")"
  kill_bg
  drop_uid_keyrings $U
  finish
}

# pre-existing _persistent.0 must not be destroyed: only invalidate what we created
_persistent_cleanup() { # run inside the root session after the capture
  local had0=$1 p0=$2 p1=$3
  keyctl invalidate "$p1" 2>/dev/null || true
  if [[ $had0 == no ]]; then keyctl invalidate "$p0" 2>/dev/null || true; fi
}
export -f _persistent_cleanup

sc_persistent() {
  begin persistent
  local U=40104 had0=no
  if [[ -n $(root_find '_persistent\.0') ]]; then had0=yes; fi
  export had0 U
  describe "persistent-keyring(7): 'keyctl get_persistent @s' for root itself and 'keyctl get_persistent @s $U' (root has CAP_SETUID)" \
    "for another uid; both _persistent.N keyrings are linked into the reader's session and registered in .persistent_register" \
    "(owned by root, not in quota, created on first use and never removed). A user key is stored in _persistent.0. The expiry is" \
    "reset to persistent_keyring_expiry (259200 s = 3 days) on every get and printed truncated: '2d' once a second has passed."
  cmd "keyctl session - bash -c '...'" "keyctl get_persistent @s" "keyctl get_persistent @s $U" \
      "keyctl add user kre-fixture-persistent-key secret <_persistent.0>" "sleep 2; cat /proc/keys" \
      "keyctl invalidate <key> <_persistent.$U> [<_persistent.0> if this run created it]"
  keyctl session - bash -c '
    P0=$(keyctl get_persistent @s); P1=$(keyctl get_persistent @s $U)
    K=$(keyctl add user kre-fixture-persistent-key secret $P0)
    exp $P0 persistent instantiated "_persistent.0 from keyctl get_persistent @s (pre-existing: $had0)"
    exp $P1 persistent instantiated "_persistent.'$U' created by root via keyctl get_persistent @s '$U'"
    exp $K key instantiated "user key stored in _persistent.0"
    R=$(root_find "\\.persistent_register")
    [[ -n $R ]] && exp $R persistent_register instantiated "per-user-namespace register of persistent keyrings (root-owned, never removed)"
    sleep 2
    snap "root, inside the keyctl session that linked both persistent keyrings"
    keyctl invalidate $K
    _persistent_cleanup $had0 $P0 $P1' 2>/dev/null
  finish
}

sc_persistent_expiry_lowered() {
  begin persistent-expiry-lowered
  local U=40104 had0=no
  if [[ -n $(root_find '_persistent\.0') ]]; then had0=yes; fi
  export had0 U
  ORIG_PKE=$(cat $SYSK/persistent_keyring_expiry)
  describe "persistent-keyring(7) expiry reset: /proc/sys/kernel/keys/persistent_keyring_expiry is lowered to 5400 s, then" \
    "keyctl get_persistent (root and uid $U) resets the keyrings' timeout to 5400 s, printed as '1h' (truncation). The sysctl" \
    "is restored right after the get calls (and by an EXIT trap); the captured sys/kernel/keys/persistent_keyring_expiry" \
    "therefore shows the restored value, while the keyrings keep the lowered timeout."
  cmd "echo 5400 > /proc/sys/kernel/keys/persistent_keyring_expiry" \
      "keyctl session - bash -c 'keyctl get_persistent @s; keyctl get_persistent @s $U; ...'" \
      "echo $ORIG_PKE > /proc/sys/kernel/keys/persistent_keyring_expiry" "sleep 1; cat /proc/keys"
  echo 5400 > $SYSK/persistent_keyring_expiry
  keyctl session - bash -c '
    P0=$(keyctl get_persistent @s); P1=$(keyctl get_persistent @s $U)
    echo '"$ORIG_PKE"' > /proc/sys/kernel/keys/persistent_keyring_expiry
    exp $P0 persistent instantiated "_persistent.0, expiry reset to the lowered 5400 s" "{\"wantExpiryUnit\": \"h\"}"
    exp $P1 persistent instantiated "_persistent.'$U', expiry 5400 s" "{\"wantExpiryUnit\": \"h\"}"
    R=$(root_find "\\.persistent_register")
    [[ -n $R ]] && exp $R persistent_register instantiated ".persistent_register"
    sleep 1
    snap "root, inside the keyctl session that linked both persistent keyrings"
    _persistent_cleanup $had0 $P0 $P1' 2>/dev/null
  echo "$ORIG_PKE" > $SYSK/persistent_keyring_expiry; ORIG_PKE=""
  finish
}

sc_key_states() {
  begin key-states
  install_uc_handler 8
  describe "Every key state that can be produced: instantiated; negative (request-key.conf 'debug:* negate' line -> keyctl negate" \
    "with 30 s timeout: I and N); revoked (R, expd, ': 0'); expired (timeout 1 s: expd); invalidated (a _ses invalidated by its own" \
    "still-running process: flag i, pinned by the process's creds); under construction (U without I) while a request-key handler" \
    "from a temporary /etc/request-key.d file sleeps, with its .request_key_auth key (description = target serial in hex) inside the" \
    "_req.<decimal serial> keyring. 'dead' (D) cannot be produced on modern kernels: the GC zeroes the perm when it marks a key dead," \
    "so the line disappears from /proc/keys."
  cmd "echo 'create user kre-fixture-uc:* * HANDLER %k %S %d' > $RKCONF   # handler: sleep 8; keyctl instantiate" \
      "keyctl session - bash -c '...'" \
      "keyctl add user kre-fixture-state-instantiated v @s" \
      "keyctl request2 user debug:kre-fixture-state-negative negate @s   # fails: Required key not available" \
      "keyctl add user kre-fixture-state-revoked v @s; keyctl revoke K" \
      "keyctl add user kre-fixture-state-expired v @s; keyctl timeout K 1" \
      "keyctl session - bash -c 'keyctl invalidate @s; exec sleep 120' &" \
      "keyctl request2 user kre-fixture-uc:states callout-info @s &   # stays under construction for 8 s" \
      "sleep 2; cat /proc/keys" "rm $RKCONF"
  spawn keyctl session - bash -c '
    exp "$(keyfix id @s)" session invalidated "anonymous _ses invalidated by its own running process (keyctl invalidate @s); pinned by the process creds"
    keyctl invalidate @s
    echo ok > "$CUR/inv.ready"; exec sleep 120' 2>/dev/null
  waitfile "$CUR/inv.ready"
  keyctl session - bash -c '
    exp "$(keyfix id @s)" session instantiated "the reader'"'"'s own session keyring"
    K=$(keyctl add user kre-fixture-state-instantiated v @s); exp $K key instantiated "instantiated user key"
    keyctl request2 user debug:kre-fixture-state-negative negate @s 2>/dev/null && echo "negate unexpectedly succeeded" >&2
    K=$(keyfix find @s user debug:kre-fixture-state-negative); exp $K key negative "negative key from request-key.conf negate line (keyctl negate %k 30)"
    K=$(keyctl add user kre-fixture-state-revoked v @s); exp $K key revoked "revoked user key (expiry shows expd, payload released: : 0)"; keyctl revoke $K
    K=$(keyctl add user kre-fixture-state-expired v @s); exp $K key expired "user key whose 1 s timeout has passed"; keyctl timeout $K 1
    keyctl request2 user kre-fixture-uc:states callout-info @s > /dev/null 2>&1 &
    RQ=$!
    d="$STAGE/uc.kre_fixture_uc_states"
    waitfile "$d/list"
    K=$(keyfix find @s user kre-fixture-uc:states); exp $K key under_construction "key under construction (request-key handler still sleeping)"
    R=$(cat "$d/req"); exp $R request_key instantiated "_req.<decimal serial of the key under construction>: session keyring of /sbin/request-key"
    A=$(awk '\''$2 == ".request_key_auth" {print $1}'\'' "$d/list"); exp $A key instantiated ".request_key_auth key (owner = requester, not in quota)"
    sleep 2
    snap "root, inside the keyctl session that requested/created the keys"
    wait $RQ || true' 2>/dev/null
  rm -f "$RKCONF"
  exp_req_leftovers
  finish
}

sc_expiry_units() {
  begin expiry-units
  describe "Expiry column units: keys with timeouts of 45 s (s), 600 s (m, printed 9m after truncation), 7200 s (h), 200000 s (d)," \
    "1300000 s (w), none (perm) and one expired key (expd). The printed value is remaining time truncated to the unit."
  cmd "keyctl session - bash -c '...'" "keyctl add user kre-fixture-expiry-expd v @s; keyctl timeout K 1; sleep 2" \
      "for t in 45 600 7200 200000 1300000: keyctl add user kre-fixture-expiry-\$t v @s; keyctl timeout K \$t" \
      "keyctl add user kre-fixture-expiry-perm v @s" "cat /proc/keys"
  keyctl session - bash -c '
    exp "$(keyfix id @s)" session instantiated "reader session keyring"
    K=$(keyctl add user kre-fixture-expiry-expd v @s); keyctl timeout $K 1
    exp $K key expired "timeout 1 s, captured after 2 s" "{\"wantExpiryUnit\": \"expd\"}"
    sleep 2
    for tu in 45:s 600:m 7200:h 200000:d 1300000:w; do
      t=${tu%:*} u=${tu#*:}
      K=$(keyctl add user kre-fixture-expiry-$t v @s); keyctl timeout $K $t
      exp $K key instantiated "timeout $t s" "{\"wantExpiryUnit\": \"$u\"}"
    done
    K=$(keyctl add user kre-fixture-expiry-perm v @s); exp $K key instantiated "no timeout" "{\"wantExpiryUnit\": \"perm\"}"
    snap "root, inside the keyctl session holding the keys"' 2>/dev/null
  finish
}

sc_key_types() {
  begin key-types
  install_uc_handler 8
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=kre-fixture -days 30 -outform DER \
    -keyout "$CUR/cert.key" -out "$CUR/cert.der" 2>/dev/null
  chmod 0644 "$CUR/cert.der"
  describe "At least one key of every type this kernel can create from userspace or cause: keyring, user, logon, encrypted" \
    "(master key = a user key), asymmetric (X.509 DER; one with the parser-proposed description '<CN>: <SKID hex>', one with an" \
    "explicit description), dns_resolver (positive 'localhost' and a failed lookup, which becomes a negative key),"\
    "fscrypt-provisioning (binary payload: u32 type=2 identifier, u32 reserved=0, 32 raw bytes), .request_key_auth (from a held" \
    "request-key construction) and, if a loop ext4 with -O encrypt can be mounted, the .fscrypt user-claim key of a v2 policy key" \
    "(on 6.18 no fscrypt-<id>-users keyring appears: it is not a key any more; root's nkeys confirms it)." \
    "big_key and trusted are not built into this kernel."
  cmd "keyctl session - bash -c '...'" \
      "keyctl newring kre-fixture-types-keyring @s" \
      "keyctl add user kre-fixture-types-user payload @s" \
      "keyctl add logon kre-fixture:logon secret @s" \
      "keyctl add user kre-fixture-types-master 0123456789abcdef0123456789abcdef @s" \
      "keyctl add encrypted kre-fixture-types-encrypted 'new user:kre-fixture-types-master 32' @s" \
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=kre-fixture -outform DER -out cert.der" \
      "keyctl padd asymmetric '' @s < cert.der" "keyctl padd asymmetric kre-fixture-types-asymmetric @s < cert.der" \
      "printf '\\x02\\0\\0\\0\\0\\0\\0\\0<32 bytes>' | keyctl padd fscrypt-provisioning kre-fixture-types-fscrypt-prov @s" \
      "keyctl request2 user kre-fixture-uc:types callout-info @s &   # held under construction by a request-key.d handler" \
      "keyctl request2 dns_resolver kre-fixture-nx.invalid '' @s   # fails -> negative dns_resolver key" \
      "keyctl request2 dns_resolver localhost '' @s" \
      "truncate -s 64M img; mkfs.ext4 -O encrypt img; mount -o loop img mnt; FS_IOC_ADD_ENCRYPTION_KEY (v2) on mnt" \
      "cat /proc/keys"
  # optional .fscrypt: loop-mounted ext4 with the encrypt feature
  local fscrypt=no
  if command -v mkfs.ext4 >/dev/null && truncate -s 64M "$STAGE/ext4.img" 2>/dev/null \
     && mkfs.ext4 -q -F -O encrypt "$STAGE/ext4.img" >/dev/null 2>&1 \
     && LOOPDEV=$(losetup -f --show "$STAGE/ext4.img" 2>/dev/null) \
     && MNT=$(mktemp -d /tmp/kre-fixture-mnt.XXXXXX) && mount -t ext4 "$LOOPDEV" "$MNT" 2>/dev/null; then
    fscrypt=yes
  else
    observed fscrypt "loop ext4 mount not possible here; .fscrypt skipped"
    [[ -n $MNT ]] && rmdir "$MNT" 2>/dev/null; MNT=""
    [[ -n $LOOPDEV ]] && losetup -d "$LOOPDEV" 2>/dev/null; LOOPDEV=""
  fi
  export fscrypt MNT
  keyctl session - bash -c '
    exp "$(keyfix id @s)" session instantiated "reader session keyring"
    K=$(keyctl newring kre-fixture-types-keyring @s); exp $K keyring instantiated "plain keyring (keyctl newring)"
    K=$(keyctl add user kre-fixture-types-user payload @s); exp $K key instantiated "user"
    K=$(keyctl add logon kre-fixture:logon secret @s); exp $K key instantiated "logon (perm 3d010000: no read)"
    K=$(keyctl add user kre-fixture-types-master 0123456789abcdef0123456789abcdef @s); exp $K key instantiated "user key used as encrypted-key master key"
    K=$(keyctl add encrypted kre-fixture-types-encrypted "new user:kre-fixture-types-master 32" @s); exp $K key instantiated "encrypted, 32-byte key, default format (summary = internal datalen)"
    K=$(keyctl padd asymmetric "" @s < "$CUR/cert.der"); exp $K key instantiated "asymmetric X.509 with kernel-proposed description <CN>: <SKID>"
    K=$(keyctl padd asymmetric kre-fixture-types-asymmetric @s < "$CUR/cert.der"); exp $K key instantiated "asymmetric X.509 with explicit description"
    printf "\x02\x00\x00\x00\x00\x00\x00\x00%s" 0123456789abcdef0123456789abcdef | keyctl padd fscrypt-provisioning kre-fixture-types-fscrypt-prov @s > "$CUR/fp.id"
    K=$(cat "$CUR/fp.id"); exp $K key instantiated "fscrypt-provisioning (summary: datalen [type])"
    if [[ $fscrypt == yes ]]; then
      ID=$(keyfix fscrypt-add "$MNT"); echo "$ID" > "$CUR/fscrypt.id"
    fi
    keyctl request2 user kre-fixture-uc:types callout-info @s > /dev/null 2>&1 &
    RQ=$!
    d="$STAGE/uc.kre_fixture_uc_types"
    waitfile "$d/list"
    K=$(keyfix find @s user kre-fixture-uc:types); exp $K key under_construction "user key under construction (source of the auth key)"
    R=$(cat "$d/req"); exp $R request_key instantiated "_req.<serial> keyring of the request-key helper"
    A=$(awk '\''$2 == ".request_key_auth" {print $1}'\'' "$d/list"); exp $A key instantiated ".request_key_auth (type column shows .request_)"
    timeout 20 keyctl request2 dns_resolver kre-fixture-nx.invalid "" @s > /dev/null 2>&1 || true
    K=$(keyfix find @s dns_resolver kre-fixture-nx.invalid) && exp $K key negative "dns_resolver lookup that failed: negative key (instant-reap type)"
    K=$(timeout 20 keyctl request2 dns_resolver localhost "" @s 2>/dev/null) && exp $K key instantiated "dns_resolver positive result (5 s expiry from the upcall)"
    snap "root, inside the keyctl session holding the keys"
    wait $RQ || true' 2>/dev/null
  rm -f "$RKCONF"
  exp_req_leftovers
  if [[ $fscrypt == yes && -s $CUR/fscrypt.id ]]; then
    local id s n
    id=$(cat "$CUR/fscrypt.id")
    observed fscrypt "ext4 loop mount with -O encrypt; v2 key identifier $id added with FS_IOC_ADD_ENCRYPTION_KEY"
    while read -r s n; do
      exp "$((16#$s))" "$( [[ $n == fscrypt-* ]] && echo kernel || echo key )" instantiated "fscrypt: $n" \
        || true
    done < <(awk -v id="$id" 'index($0, id) { n=$9; sub(/:$/, "", n); print $1, n }' "$CUR/keys")
  fi
  if [[ -n $MNT ]]; then umount "$MNT"; rmdir "$MNT"; MNT=""; fi
  if [[ -n $LOOPDEV ]]; then losetup -d "$LOOPDEV"; LOOPDEV=""; fi
  rm -f "$STAGE/ext4.img"
  finish
}

sc_hard_descriptions() {
  begin hard-descriptions
  local U=40108
  describe "Descriptions a parser must survive, all raw bytes in /proc/keys: leading/trailing spaces, runs of spaces, tabs, a" \
    "fake summary ('kre-fixture-fake: 12' -> '...: 12: 5'), ';', non-UTF-8 bytes, UTF-8 (Cyrillic), the 4095-byte maximum (4096 is" \
    "rejected with EINVAL), embedded newlines (one record on 3 physical lines), a key looking like an empty keyring, and keyrings" \
    "with hard names. uid $U additionally makes keyrings that use reserved kernel names (_persistent.0, _uid.0, _uid_ses.0," \
    "_req.123) with other-view so that root sees them: class keyring, impostors. Dot names are refused (EPERM)."
  cmd "keyctl session - bash -c '...'   # keyctl add user <description> <payload> @s for each description below" \
      "keyctl add user \"\$(printf 'kre-fixture-max-%.0s' ; printf 'x%.0s' {1..4079})\" v @s   # 4095 bytes" \
      "keyctl newring \$'  kre-fixture ring: 3' @s ; keyctl newring \$'kre-fixture\\tring' @s ; keyctl newring .kre-fixture-dot @s (EPERM)" \
      "setpriv --reuid=$U --regid=$U --clear-groups keyctl session - bash -c 'keyctl newring _persistent.0 @s; keyctl setperm R 0x3f010001; ...' &" \
      "cat /proc/keys   # root"
  spawn_as $U keyctl session - bash -c '
    for n in _persistent.0:persistent _uid.0:user _uid_ses.0:user_session _req.123:request_key .persistent_register:persistent_register; do
      name=${n%:*} cls=${n#*:}
      if R=$(keyctl newring "$name" @s 2>/dev/null); then
        keyctl setperm $R 0x3f010001
        exp $R keyring instantiated "unprivileged uid '$U' keyring using the reserved name $name (other-view granted)" "{\"impostorOf\": \"$cls\"}"
      else
        echo "$name" >> "$CUR/refused"
      fi
    done
    echo ok > "$CUR/imp.ready"; exec sleep 120' 2>/dev/null
  waitfile "$CUR/imp.ready"
  keyctl session - bash -c '
    exp "$(keyfix id @s)" session instantiated "reader session keyring"
    add() { local K; K=$(keyctl add user "$1" "$2" @s) && exp $K key instantiated "$3"; }
    add "   kre-fixture-leading-spaces" v "three leading spaces"
    add "kre-fixture-trailing-spaces   " v "three trailing spaces"
    add "kre-fixture   runs   of   spaces" v "runs of spaces"
    add $'"'"'kre-fixture\ttab\tseparated'"'"' v "tabs"
    add "kre-fixture-fake: 12" fives "fake summary in the description (payload 5 bytes)"
    add "kre-fixture:colon:separated:" v "colons, trailing colon"
    add "kre-fixture;semi;colon;0;0;3f010000" v "semicolons (KEYCTL_DESCRIBE separator)"
    add $'"'"'kre-fixture-\xff\xfe-not-utf8'"'"' v "non-UTF-8 bytes 0xff 0xfe"
    add "kre-fixture-ключ" v "UTF-8 Cyrillic"
    add $'"'"'kre-fixture-multi\nsecond line\nthird line'"'"' v "embedded newlines: one record, three physical lines"
    add "kre-fixture-looks-like-a-ring: empty" v "user key whose description ends like an empty keyring"
    add " " v "single space description"
    long="kre-fixture-max-"; long+=$(printf "x%.0s" $(seq 1 4079))
    add "$long" v "4095-byte description (maximum)"
    keyctl add user "${long}y" v @s 2>"$CUR/4096.err" && echo "4096 accepted?" >&2
    R=$(keyctl newring $'"'"'  kre-fixture ring: 3'"'"' @s); exp $R keyring instantiated "keyring with leading spaces and a fake summary"
    keyctl add user kre-fixture-in-ring v $R > /dev/null
    R=$(keyctl newring $'"'"'kre-fixture\tring\twith tabs'"'"' @s); exp $R keyring instantiated "keyring with tabs"
    R=$(keyctl newring $'"'"'kre-fixture-ring\nwith newline'"'"' @s); exp $R keyring instantiated "keyring with a newline"
    keyctl newring .kre-fixture-dot @s 2>"$CUR/dot.err" && echo "dot accepted?" >&2
    snap "root, inside the keyctl session holding the keys (impostor keyrings of uid '$U' visible through other-view)"' 2>/dev/null
  observed desc_4096 "$(cat "$CUR/4096.err")"
  observed dot_keyring "$(cat "$CUR/dot.err")"
  [[ -s $CUR/refused ]] && observed refused_impostor_names "$(tr '\n' ' ' < "$CUR/refused")"
  kill_bg
  drop_uid_keyrings $U
  finish
}

sc_forged_line() {
  begin forged-line
  local U=40109
  describe "Forged /proc/keys lines: unprivileged uid $U creates user keys whose descriptions contain a newline followed by text" \
    "that looks like a complete root-owned record, and grants other-view (setperm 0x3f010001) so root's read shows them." \
    "(a) naive: 'kre-fixture-innocent\\n<fake _uid.0 keyring line with serial 00000002>' - the carrier's first physical line has no" \
    "summary and the fake line ends with the carrier's real ': 6' summary, and its serial breaks ascending order. (b) careful:" \
    "'kre-fixture-innocent: 5\\n<F> I--Q---     1 perm 3f3f3f3f     0     0 user      evil' where F is chosen so that no key root" \
    "can see lies between the carrier's serial and F (retrying until the random carrier serial fits): both physical lines look" \
    "complete and serials ascend. Reader: root (no session keyring; sees the carriers only through their other-view bit)."
  cmd "setpriv --reuid=$U --regid=$U --clear-groups keyctl session - bash -c '...' &" \
      "keyctl add user \$'kre-fixture-innocent\\n00000002 I--Q---     1 perm 3f3f3f3f     0     0 keyring   _uid.0: 1' secret @s; keyctl setperm K 0x3f010001" \
      "keyfix.py forge VISIBLE OUT 32   # add_key(user, \$'kre-fixture-innocent: 5\\n<F> ... user      evil', 32 bytes) + setperm 0x3f010001, retried" \
      "cat /proc/keys   # as root"
  # serials root can currently see (the careful fake serial must not collide with their order)
  grep -a -o -E '^[0-9a-f]{8} ' /proc/keys > "$CUR/visible" || true; chmod 0666 "$CUR/visible"
  spawn_as $U keyctl session - bash -c '
    naive=$'"'"'kre-fixture-innocent\n00000002 I--Q---     1 perm 3f3f3f3f     0     0 keyring   _uid.0: 1'"'"'
    K=$(keyctl add user "$naive" secret @s); keyctl setperm $K 0x3f010001
    exp $K key instantiated "naive carrier: description = innocent + newline + a whole fake root line" "{\"carriesForgedLine\": true}"
    hex8 $K >> "$CUR/visible"
    keyfix forge "$CUR/visible" "$CUR/forge.json" 32 || { echo "forge failed" >&2; exit 1; }
    C=$(/usr/bin/python3 -c "import json;print(json.load(open(\"$CUR/forge.json\"))[\"carrier\"])")
    exp $C key instantiated "careful carrier: first line ends with a fake summary, second line is a fake root user key" "{\"carriesForgedLine\": true}"
    echo ok > "$CUR/f.ready"; exec sleep 120' 2>/dev/null
  waitfile "$CUR/f.ready" 60
  local F
  F=$(/usr/bin/python3 -c "import json;print('%08x' % json.load(open('$CUR/forge.json'))['fake'])")
  /usr/bin/python3 - "$CUR/expect.jsonl" "$F" <<'EOF'
import json, sys
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"serial": "00000002", "type": "keyring", "class": "user", "state": "instantiated",
        "descriptionHex": b"_uid.0".hex(), "note": "FORGED line from the naive carrier (claims root's _uid.0; serial out of order; ends with the carrier's real ': 6')",
        "uid": 0, "gid": 0, "perm": "3f3f3f3f", "forgedLine": True}) + "\n")
    f.write(json.dumps({"serial": sys.argv[2], "type": "user", "class": "key", "state": "instantiated",
        "descriptionHex": b"evil".hex(), "note": "FORGED line from the careful carrier (claims a root user key 'evil' with perm 3f3f3f3f; its ': 32' is the carrier's real summary)",
        "uid": 0, "gid": 0, "perm": "3f3f3f3f", "forgedLine": True}) + "\n")
EOF
  snap "root, plain process of the capture script (no session keyring; the carriers are visible only through other-view)"
  observed forge "$(cat "$CUR/forge.json")"
  kill_bg
  drop_uid_keyrings $U
  finish
}

sc_quota_full() {
  begin quota-full
  local U=40110
  describe "Key-count quota: uid $U, in its own 'keyctl session -', adds user keys until add_key fails with EDQUOT (Disk quota" \
    "exceeded). /proc/key-users shows qnkeys == maxkeys (200 by default); the session keyring itself counts (and may overrun)." \
    "Read as uid $U inside that session."
  cmd "setpriv --reuid=$U --regid=$U --clear-groups keyctl session - bash -c 'i=0; while keyctl add user kre-fixture-quota-\$i x @s; do i=\$((i+1)); done; cat /proc/keys'"
  as $U keyctl session - bash -c '
    exp "$(keyfix id @s)" session instantiated "session keyring of the quota filler"
    i=0; while keyctl add user kre-fixture-quota-$i x @s > /dev/null 2>"$CUR/err"; do i=$((i+1)); done
    echo $i > "$CUR/count"
    keyfix expect-members "$CUR/expect.jsonl" @s key instantiated "quota filler key"
    snap "uid '$U', inside the keyctl session holding all its keys"' 2>/dev/null
  observed keys_added_before_failure "$(cat "$CUR/count")"
  observed error "$(cat "$CUR/err")"
  drop_uid_keyrings $U
  finish
}

sc_quota_bytes() {
  begin quota-bytes
  local U=40111
  describe "Byte quota: uid $U adds large user keys (4000-byte payloads, then smaller ones) until add_key fails with EDQUOT; qnbytes" \
    "ends close to maxbytes (20000). Each user key costs description length + 1 + payload bytes; the session keyring costs its" \
    "description + 1 + 4 bytes per link. Read as uid $U inside its session."
  cmd "setpriv --reuid=$U --regid=$U --clear-groups keyctl session - bash -c '...'" \
      "for size in 4000 1000 200 20 1: add kre-fixture-bytes-N with a payload of size bytes until EDQUOT" "cat /proc/keys"
  as $U keyctl session - bash -c '
    exp "$(keyfix id @s)" session instantiated "session keyring of the byte filler"
    i=0
    for size in 4000 1000 200 20 1; do
      p=$(head -c $size /dev/zero | tr "\0" "b")
      while keyctl add user kre-fixture-bytes-$i "$p" @s > /dev/null 2>"$CUR/err"; do i=$((i+1)); done
    done
    echo $i > "$CUR/count"
    keyfix expect-members "$CUR/expect.jsonl" @s key instantiated "byte quota filler key"
    snap "uid '$U', inside the keyctl session holding all its keys"' 2>/dev/null
  observed keys_added "$(cat "$CUR/count")"
  observed error "$(cat "$CUR/err")"
  drop_uid_keyrings $U
  finish
}

sc_many_sessions() {
  begin many-sessions
  local U=40112 N=60 i
  describe "uid $U runs $N background processes, each in its own 'keyctl session - sleep 300': $N live anonymous _ses keyrings" \
    "(like $N logins of one user). Read as uid $U from a process without a session keyring (all are visible through user-view)."
  cmd "for i in 1..$N: setpriv --reuid=$U --regid=$U --clear-groups keyctl session - sleep 300 &" \
      "setpriv --reuid=$U --regid=$U --clear-groups cat /proc/keys" "kill <each pid>"
  for ((i = 0; i < N; i++)); do
    spawn_as $U keyctl session - sleep 300 2> "$CUR/ses.$i"
  done
  for ((i = 0; i < N; i++)); do waitfile "$CUR/ses.$i"; done
  local ids=()
  for ((i = 0; i < N; i++)); do ids+=("$(awk '{print $NF}' "$CUR/ses.$i")"); done
  as $U /usr/bin/python3 "$KF" expect-many "$CUR/expect.jsonl" session instantiated "anonymous _ses of one background process" "" "${ids[@]}"
  as $U bash -c 'snap "uid '$U', plain process without a session keyring (setpriv from the capture script)"'
  kill_bg
  drop_uid_keyrings $U
  finish
}

sc_trust_store() {
  begin trust-store
  describe "The trust store, captured by keyring-exporter capture (so with the kernel's answers: KEYCTL_DESCRIBE of every serial" \
    "and KEYCTL_READ of the kernel's keyrings of certificates). Root, in a throwaway session, makes _ima and _evm keyrings as" \
    "dracut does where the kernel has no .ima (perm 0x3f0b0000) and adds X.509 certificates made by openssl to them with" \
    "'keyctl padd asymmetric': two in _ima, one in _evm; besides them the host's own .builtin_trusted_keys and .blacklist." \
    "Needs the project built (npm run build)."
  [[ -f $REPO/dist/src/cli/main.js ]] || { echo "ERROR [$SCEN]: build the project first (npm run build)" >&2; return 1; }
  local n subj
  for n in ima-a ima-b evm-a; do
    case $n in
      ima-a) subj="/O=Fixture Org/CN=Fixture IMA Signing Key" ;;
      ima-b) subj="/CN=Fixture Second IMA Key" ;;
      evm-a) subj="/O=Fixture Org/CN=Fixture EVM Key" ;;
    esac
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$STAGE/$n.key" -outform DER -out "$STAGE/$n.der" -subj "$subj" -days 3650 2>/dev/null
  done
  cmd "keyctl session - bash -c '...'   # root" "keyctl newring _ima @s; keyctl setperm <ring> 0x3f0b0000; keyctl padd asymmetric '' <ring> < cert.der" \
      "(the same for _evm)" "keyring-exporter capture DIR"
  REPO=$REPO keyctl session - bash -c '
    set -e
    ima=$(keyctl newring _ima @s); keyctl setperm "$ima" 0x3f0b0000
    evm=$(keyctl newring _evm @s); keyctl setperm "$evm" 0x3f0b0000
    exp "$ima" keyring instantiated "_ima made by root, as dracut makes it"
    exp "$evm" keyring instantiated "_evm made by root, as dracut makes it"
    for c in ima-a ima-b; do k=$(keyctl padd asymmetric "" "$ima" < "$STAGE/$c.der"); exp "$k" key instantiated "certificate $c in _ima"; done
    k=$(keyctl padd asymmetric "" "$evm" < "$STAGE/evm-a.der"); exp "$k" key instantiated "certificate evm-a in _evm"
    node "$REPO/bin/keyring-exporter" capture "$CUR/capture" > /dev/null
  ' > /dev/null
  from_capture "root, in the throwaway session that holds _ima and _evm (keyring-exporter capture)"
  finish
}

sc_upcall_caches() {
  begin upcall-caches
  describe "The kernel's dns_resolver cache, captured by keyring-exporter capture (with the kernel's answers). Root, in a" \
    "throwaway session, looks up 21 names that do not exist with 'keyctl request2 dns_resolver' (key.dns_resolver from keyutils" \
    "answers through /etc/request-key.conf): each failure is cached as a negative key for a minute. Then it looks up" \
    "localhost (a positive key with the 5 s the helper gives it) and takes its timeout away ('keyctl timeout KEY 0'): an" \
    "answer that never expires. Needs the project built (npm run build)."
  [[ -f $REPO/dist/src/cli/main.js ]] || { echo "ERROR [$SCEN]: build the project first (npm run build)" >&2; return 1; }
  cmd "keyctl session - bash -c '...'   # root" "for i in 1..21: keyctl request2 dns_resolver kre-fixture-nx-\$i.invalid '' @s" \
      "k=\$(keyctl request2 dns_resolver localhost '' @s); keyctl timeout \$k 0" "keyring-exporter capture DIR"
  REPO=$REPO keyctl session - bash -c '
    for i in $(seq 1 21); do
      timeout 20 keyctl request2 dns_resolver "kre-fixture-nx-$i.invalid" "" @s > /dev/null 2>&1 || true
      k=$(keyfix find @s dns_resolver "kre-fixture-nx-$i.invalid") && exp "$k" key negative "a failed dns_resolver lookup, cached as a negative key"
    done
    k=$(keyctl request2 dns_resolver localhost "" @s) && keyctl timeout "$k" 0 && exp "$k" key instantiated "localhost, its timeout taken away: never expires"
    node "$REPO/bin/keyring-exporter" capture "$CUR/capture" > /dev/null
  ' > /dev/null
  from_capture "root, in the throwaway session that holds the lookups (keyring-exporter capture)"
  finish
}

sc_kerberos() {
  begin kerberos
  local U=40113 P
  describe "MIT Kerberos credential caches in keyrings (krb5 src/lib/krb5/ccache/cc_keyring.c), from a real KDC: a realm" \
    "KRE-FIXTURE.TEST made by the script (krb5kdc on 127.0.0.1, tickets of at most 10 minutes). uid $U runs kinit as alice" \
    "into KEYRING:persistent:$U (the _krb collection in _persistent.$U: its primary cache holds a TGT and a host service" \
    "ticket), into a second cache of that collection, into a third with a 2-second lifetime that has expired (its keyring" \
    "and TGT print expd), and into KEYRING:session:kre-fixture (a _krb_kre-fixture collection in a session keyring kept" \
    "alive by a background process). Captured by keyring-exporter capture --view all-users (root cannot view the uid's" \
    "keys; it reads /proc/keys as the uid, and the kernel describes each key as the uid may see it). Needs krb5-kdc," \
    "krb5-admin-server and krb5-user, and the project built (npm run build)."
  [[ -f $REPO/dist/src/cli/main.js ]] || { echo "ERROR [$SCEN]: build the project first (npm run build)" >&2; return 1; }
  for tool in kinit kvno krb5kdc kdb5_util kadmin.local; do
    command -v $tool > /dev/null || { echo "ERROR [$SCEN]: $tool missing (apt-get install krb5-kdc krb5-admin-server krb5-user)" >&2; return 1; }
  done
  local K=$STAGE/kdc
  mkdir -p "$K"; chmod 755 "$K"
  P=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf '[libdefaults]\n  default_realm = KRE-FIXTURE.TEST\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n  rdns = false\n[realms]\n  KRE-FIXTURE.TEST = {\n    kdc = 127.0.0.1:%s\n  }\n' "$P" > "$K/krb5.conf"
  printf '[kdcdefaults]\n  kdc_listen = 127.0.0.1:%s\n  kdc_tcp_listen = 127.0.0.1:%s\n[realms]\n  KRE-FIXTURE.TEST = {\n    database_name = %s/principal\n    key_stash_file = %s/stash\n    max_life = 10m\n    max_renewable_life = 20m\n  }\n' "$P" "$P" "$K" "$K" > "$K/kdc.conf"
  chmod 644 "$K/krb5.conf"
  export KRB5_CONFIG=$K/krb5.conf KRB5_KDC_PROFILE=$K/kdc.conf
  kdb5_util create -s -r KRE-FIXTURE.TEST -P kre-fixture-master > /dev/null 2>&1
  kadmin.local -q "addprinc -pw alice-fixture-pw alice" > /dev/null 2>&1
  kadmin.local -q "addprinc -randkey host/srv.kre-fixture.test" > /dev/null 2>&1
  spawn krb5kdc -n -P "$K/kdc.pid"
  local i; for ((i = 0; i < 50; i++)); do ss -lnt | grep -q "127.0.0.1:$P " && break; sleep 0.1; done
  cmd "kdb5_util create -s -r KRE-FIXTURE.TEST; kadmin.local addprinc alice, host/srv.kre-fixture.test; krb5kdc -n" \
      "setpriv --reuid=$U ... keyctl session - bash -c 'echo PW | kinit alice  # KRB5CCNAME=KEYRING:persistent:$U; kvno host/srv.kre-fixture.test'" \
      "the same with KRB5CCNAME=KEYRING:persistent:$U:krb_ccache_second, and with kinit -l 2s into KEYRING:persistent:$U:krb_ccache_expired" \
      "setpriv --reuid=$U ... keyctl session - bash -c 'echo PW | KRB5CCNAME=KEYRING:session:kre-fixture kinit alice; sleep 120' &" \
      "keyring-exporter capture --view all-users DIR   # root"
  as $U keyctl session - bash -c '
    pc=KEYRING:persistent:'$U'
    echo alice-fixture-pw | KRB5CCNAME=$pc kinit alice > /dev/null && KRB5CCNAME=$pc kvno host/srv.kre-fixture.test > /dev/null
    echo alice-fixture-pw | KRB5CCNAME=$pc:krb_ccache_second kinit alice > /dev/null
    echo alice-fixture-pw | KRB5CCNAME=$pc:krb_ccache_expired kinit -l 2s alice > /dev/null
    KRB5CCNAME=$pc klist -A > "$CUR/klist-persistent.txt" 2>&1 || true' > /dev/null 2>&1
  spawn_as $U keyctl session - bash -c '
    echo alice-fixture-pw | KRB5CCNAME=KEYRING:session:kre-fixture kinit alice > /dev/null
    KRB5CCNAME=KEYRING:session:kre-fixture klist > "$CUR/klist-session.txt" 2>&1
    echo ok > "$CUR/krb.ready"; exec sleep 120' 2> /dev/null
  waitfile "$CUR/krb.ready"
  sleep 3  # the 2-second cache has expired
  node "$REPO/bin/keyring-exporter" capture --view all-users "$CUR/capture" > /dev/null
  from_capture "root, keyring-exporter capture --view all-users (/proc/keys read as root and as uid $U, merged)"
  observed klist_persistent "$(cat "$CUR/klist-persistent.txt")"
  observed klist_session "$(cat "$CUR/klist-session.txt")"
  kill_bg
  as $U keyctl session - bash -c 'keyctl invalidate $(keyctl get_persistent @s)' > /dev/null 2>&1 || true
  drop_uid_keyrings $U
  unset KRB5_CONFIG KRB5_KDC_PROFILE
  finish
}

# ================================================================== main
run_one() {
  local fn=sc_${1//-/_}
  declare -F "$fn" >/dev/null || { echo "unknown scenario: $1 (use --list)" >&2; exit 2; }
  "$fn"
}

ONLY=()
while (($#)); do
  case $1 in
    --only) ONLY+=("$2"); shift 2 ;;
    --only=*) ONLY+=("${1#--only=}"); shift ;;
    --list) printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
((${#ONLY[@]})) || ONLY=("${ALL_SCENARIOS[@]}")
mkdir -p "$FIXDIR"
for s in "${ONLY[@]}"; do run_one "$s"; done

# ------------------------------------------------------------------ leftovers check
kill_bg
sleep 1
left=$(grep -a -c 'kre-fixture' /proc/keys || true)
for ((i = 0; i < 10 && left > 0; i++)); do sleep 1; left=$(grep -a -c 'kre-fixture' /proc/keys || true); done
if ((left > 0)); then
  echo "WARNING: $left /proc/keys lines (root's view) still mention kre-fixture:" >&2
  grep -a 'kre-fixture' /proc/keys >&2 || true
fi
if grep -E '^ *401[0-9][0-9]:' /proc/key-users >&2; then
  echo "WARNING: test uids still own keys (see /proc/key-users lines above)" >&2
fi
echo "fixtures written to $FIXDIR" >&2
