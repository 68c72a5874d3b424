#!/usr/bin/env bash
# Checks Deploy/'s files with the real tools, offline (no Docker engine, no
# cluster): systemd-analyze verify for the units, kubernetes-validate (its
# schemas ship with it) for the manifests, docker-compose's own schema for the
# compose file, and the Dockerfile's stages and paths. Exits non-zero on the
# first problem; prints what it checked. Run by Tests/ReelCLITests/DeployFilesTests.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# systemd: verify in a scratch root that has the system's units and a stand-in
# /usr/local/bin/reel (verify checks that ExecStart's binary exists). Any
# output, even a warning, fails.
root="$work/root"
mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp -r /lib/systemd/system "$root/usr/lib/systemd/"
printf '#!/bin/sh\n' >"$root/usr/local/bin/reel"
chmod +x "$root/usr/local/bin/reel"
cp systemd/*.service "$root/etc/systemd/system/"
out=$(systemd-analyze --root="$root" verify \
    /etc/systemd/system/reel-coordinator.service /etc/systemd/system/reel-worker@gpu-07.service 2>&1) || { echo "$out" >&2; exit 1; }
if [[ -n "$out" ]]; then echo "$out" >&2; exit 1; fi
echo "check-deploy: systemd-analyze verify passed for reel-coordinator.service and reel-worker@.service"

# Kubernetes: strict (unknown fields fail) against 1.30's schemas.
python3 -m kubernetes_validate --strict --quiet -k 1.30.0 kubernetes/*.yaml
echo "check-deploy: kubernetes-validate --strict passed for $(ls kubernetes/*.yaml | tr '\n' ' ')"

# Compose: docker-compose's schema, with empty stand-ins for the secret files.
mkdir -p "$work/compose/secrets"
cp compose/compose.yaml "$work/compose/"
for secret in coordinator.key coordinator.pub workers.key allowed-workers pgpass db-password; do : >"$work/compose/secrets/$secret"; done
docker-compose -f "$work/compose/compose.yaml" config -q
echo "check-deploy: docker-compose config passed for compose/compose.yaml"

# Dockerfile: two named stages, the run stage takes the binary from the build
# stage, runs as a non-root user, and every COPY source exists in the repository.
grep -q '^FROM .* AS build$' Dockerfile && grep -q '^FROM .* AS run$' Dockerfile
grep -q '^COPY --from=build /usr/local/bin/reel /usr/local/bin/reel$' Dockerfile
grep -q '^USER reel$' Dockerfile
for source in $(grep '^COPY ' Dockerfile | grep -v -- '--from' | awk '{for (i = 2; i < NF; i++) print $i}'); do
    [[ -e "../$source" ]] || { echo "Dockerfile copies $source, which the repository lacks" >&2; exit 1; }
done
echo "check-deploy: Dockerfile stages, user and COPY sources checked (no Docker engine here to build it)"
