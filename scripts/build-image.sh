#!/bin/bash
# Builds the container image from deploy/container/Containerfile with podman (or docker), passing the commit
# and branch that --version and keyring_exporter_build_info report (the build copies no .git).
#   scripts/build-image.sh [TAG]        (default: keyring-exporter:VERSION)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p "require('./package.json').version")
tag=${1:-keyring-exporter:$version}
engine=$(command -v podman || command -v docker || true)
if [ -z "$engine" ]; then echo "build-image.sh: podman or docker is needed" >&2; exit 2; fi
exec "$engine" build -f deploy/container/Containerfile -t "$tag" \
  --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg BRANCH="$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)" .
