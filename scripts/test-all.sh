#!/usr/bin/env bash
# Installs everything the tests need (Debian and npm packages) and runs every test.
# Prints "tests: N passed, N failed" last; exits non-zero when anything failed.
# Must run as root (it installs Debian packages and the kernel tests act as throwaway uids).
set -uo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(keyutils prometheus openssl util-linux apache2-utils systemd procps debootstrap krb5-kdc krb5-admin-server krb5-user)
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { echo "apt-get install failed"; echo "tests: 0 passed, 1 failed"; exit 1; }
fi
# Debian's prometheus package enables a service; the tests start their own Prometheus when they need one.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then systemctl stop prometheus || true; fi

echo "== npm ci"
npm ci --no-audit --no-fund --loglevel=error || { echo "tests: 0 passed, 1 failed"; exit 1; }

passed=0; failed=0
check() { # name, command...
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
check "typecheck" npx tsc -p tsconfig.json --noEmit
check "lint" npx eslint .
check "build" npm run -s build

echo "== vitest"
report=$(mktemp)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
vitest_rc=$?
if [ -s "$report" ]; then
  read -r vp vf < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // A skipped or pending test counts as failed: nothing here may skip silently.
    const failed = r.numFailedTests + r.numPendingTests + r.numTodoTests + (r.numFailedTestSuites || 0);
    console.log(r.numPassedTests, failed);' "$report")
  passed=$((passed + vp)); failed=$((failed + vf))
  if [ "$vitest_rc" -ne 0 ] && [ "$vf" -eq 0 ]; then failed=$((failed + 1)); fi
else
  failed=$((failed + 1))
fi
rm -f "$report"

echo "tests: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
