#!/usr/bin/env bash
# Installs the Debian packages Reel builds and runs with. Idempotent: when every
# package is already present it changes nothing and needs no network.
set -euo pipefail

packages=(
    pkg-config
    libopenblas-dev          # GEMM for the transformer and VAE
    libzmq3-dev              # the farm's wire
    libprotobuf-c-dev        # protobuf runtime for C workers
    libpq-dev postgresql     # job state; reel starts its own cluster
    libavcodec-dev libavformat-dev libavutil-dev libswscale-dev   # video files
    ffmpeg                   # ffprobe, used by tests to check written videos
    iproute2                 # ip netns: the test with a worker on its own network namespace
    libsentencepiece-dev     # umT5's tokenizer (spiece.model)
    sentencepiece            # spm_train, for Deploy/reference/make_umt5_fixtures.py only
    systemd                  # systemd-analyze verify, for Deploy/check-deploy.sh
    docker-compose           # its schema check (`config`), for Deploy/check-deploy.sh; no engine runs
    python3-pip              # kubernetes-validate, for Deploy/check-deploy.sh
    openssl                  # self-signed certificates for the API's TLS test
    prometheus               # promtool check metrics, on the coordinator's and workers' /metrics in tests
    python3-venv             # the virtual environment install-schemathesis.sh puts schemathesis in
    chromium                 # headless, for DashboardBrowserTests (the dashboard in a real browser)
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# kubernetes-validate (PyPI, with its Kubernetes schemas inside) checks Deploy/kubernetes offline.
install_validator() {
    if ! python3 -c 'import kubernetes_validate' 2>/dev/null; then
        echo "install-deps: installing kubernetes-validate 1.37.0 from PyPI" >&2
        pip3 install -q --break-system-packages kubernetes-validate==1.37.0
    fi
}

# schemathesis (PyPI), in its own virtual environment, for OpenAPIConformanceTests.
schemathesis="$(dirname "$0")/install-schemathesis.sh"

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} Debian packages present" >&2
    install_validator
    "$schemathesis"
    exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
install_validator
"$schemathesis"
