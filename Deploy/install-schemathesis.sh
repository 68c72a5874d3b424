#!/usr/bin/env bash
# Installs schemathesis (the property-based API tester OpenAPIConformanceTests runs
# against a live coordinator) into its own virtual environment under .build/, so
# CI's Python stays as it was. Idempotent: with the pinned version present it
# changes nothing and needs no network. Called by Deploy/install-deps.sh.
set -euo pipefail

version=4.32.5
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.build/schemathesis"

if [[ -x "$venv/bin/schemathesis" ]] && "$venv/bin/python" -c "import importlib.metadata as m; assert m.version('schemathesis') == '$version'" 2>/dev/null; then
    echo "install-schemathesis: schemathesis $version present" >&2
    exit 0
fi
mkdir -p "$root/.build"
python3 -m venv "$venv"
"$venv/bin/pip" install -q "schemathesis==$version"
echo "install-schemathesis: installed schemathesis $version in $venv" >&2
