#!/bin/bash
# A by-hand try at the size users render (README, "Conditioning"): a 60 s 832x480 edit
# of a 61 s 1280x720 source at strength 1.0 (the source encoded), 0.3 and 1.0 again
# (cached), on a coordinator and two simulated-time stand-in workers (200 ms a step).
# Prints each job's wall time, the coordinator's and workers' peak memory and job 2's status.
#   Deploy/tries/minute-edit.sh [REEL_BINARY] [WORK_DIRECTORY]
set -u
R=$(realpath "${1:-.build/debug/reel}")
W=${2:-$(mktemp -d)}
mkdir -p "$W" && cd "$W" || exit 1
rm -rf data
[ -f src.mp4 ] || ffmpeg -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=30 -t 61 -pix_fmt yuv420p \
    -c:v libx264 -preset veryfast src.mp4
"$R" coordinator --data data --http 127.0.0.1:8790 --listen tcp://127.0.0.1:5590 --verify-fraction 0 > coordinator.log 2>&1 &
C=$!
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
for _ in $(seq 100); do [ -f data/api-token ] && break; sleep 0.2; done
WORKERS=()
for w in a b; do
    "$R" worker --coordinator tcp://127.0.0.1:5590 --name "sim-$w" --simulated-step-ms 200 > "worker-$w.log" 2>&1 &
    WORKERS+=($!)
done
sleep 5
REEL_TOKEN=$(cat data/api-token)
export REEL_TOKEN
for s in 1.0 0.3 1.00; do
    t0=$(date +%s.%N)
    "$R" submit --coordinator http://127.0.0.1:8790 --model simulated --prompt "a city at night" --seconds 60 --size 832x480 \
        --steps 30 --edit src.mp4 --strength "$s" --wait --output "out-$s.mp4" > "submit-$s.log" 2>&1
    echo "strength $s: exit $? in $(echo "$(date +%s.%N) - $t0" | bc) s"
done
echo "coordinator $(grep VmHWM "/proc/$C/status")"
for p in "${WORKERS[@]}"; do echo "worker $(grep VmHWM "/proc/$p/status")"; done
"$R" status --coordinator http://127.0.0.1:8790 2
echo "logs and clips in $W"
