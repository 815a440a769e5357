#!/bin/bash
# The cost of serve's all-users view against its self view (issue 21): 20 throwaway uids (43500-43519) with 50
# keys each in session keyrings root cannot view, then `serve --view self` and `serve --view all-users` on
# 127.0.0.1:9921, 40 scrapes each after 20 to warm up: the median scrape and the exporter's CPU per scrape.
# Run as root from the repository, after `npm run build`. Every process it starts is ended by its pid; the keys
# go with their sessions.
set -u
cd "$(dirname "$0")/../.."
pids=""
for u in $(seq 43500 43519); do
  setpriv --reuid=$u --regid=$u --clear-groups keyctl session - bash -c 'for i in $(seq 49); do keyctl add user "c$i" v @s >/dev/null; done; sleep 60' >/dev/null 2>&1 & pids="$pids $!"
done
for i in $(seq 200); do n=$(awk '$1 ~ /^435[01][0-9]:/ { split($3, a, "/"); s += a[1] } END { print s + 0 }' /proc/key-users); [ "$n" -ge 1000 ] && break; sleep 0.1; done
echo "keys of the 20 uids: $n"
# The kernel's part alone: /proc/keys read once as root and once as each of the 20 uids, no exporter (Python,
# switching its effective ids as the reader thread does), 100 times.
/usr/bin/python3 - <<'PY'
import os, time
def read_all():
    with open('/proc/keys', 'rb') as f: f.read()
    for u in range(43500, 43520):
        os.setgroups([]); os.setresgid(-1, u, -1); os.setresuid(-1, u, -1)
        with open('/proc/keys', 'rb') as f: f.read()
        os.setresuid(-1, 0, -1); os.setresgid(-1, 0, -1)
t = time.process_time()
for _ in range(100): read_all()
print(f"kernel floor: 21 reads of /proc/keys (root and the 20 uids), {(time.process_time() - t) * 10:.1f} ms of CPU a round")
PY
for view in self all-users; do
  node bin/keyring-exporter serve --view $view --web.listen-address 127.0.0.1:9921 --log.level warn 2>/dev/null & s=$!
  for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:9921/metrics && break; sleep 0.1; done
  for i in $(seq 20); do curl -s -o /dev/null http://127.0.0.1:9921/metrics; done
  c0=$(awk '{print $14+$15}' /proc/$s/stat)
  times=$(for i in $(seq 40); do curl -s -o /dev/null -w "%{time_total}\n" http://127.0.0.1:9921/metrics; done | sort -n | sed -n 20p)
  c1=$(awk '{print $14+$15}' /proc/$s/stat)
  echo "$view: median scrape ${times}s, CPU $(( (c1 - c0) * 10 / 40 )) ms/scrape"
  curl -s http://127.0.0.1:9921/metrics | grep -E '^keyring_view_uids|^keyring_session_keyrings\{uid="43500"\}'
  kill $s; wait $s 2>/dev/null
done
for p in $pids; do pkill -P $p; kill $p 2>/dev/null; done; wait 2>/dev/null
