#!/usr/bin/env python3
"""The seam metric across a looped clip's wrap point, for the demo model (#16: "a
looped clip's wrap point passes the seam metric", ≤ 1.1).

The clip is read as a cycle: the difference from its last frame back to its first
is the wrap pair, compared (as quality.py's seam_metric compares window boundaries)
against the clip's interior frame-to-frame differences. Run it on a clip rendered
with `reel submit --loop … --wait --output loop.mp4`:

    python3 Deploy/train/loop_seam.py --mp4 loop.mp4 [--limit 1.1]

Prints the metric and exits 1 above the limit. It needs the trained demo model to
mean anything (random weights give no continuity to measure); the farm's own test
(LoopFarmTests) checks that the wrap overlap is blended like every other.
"""
import argparse
import sys

import numpy as np

from quality import read_mp4, seam_metric


def wrap_seam(frames: np.ndarray) -> float:
    """seam_metric of the clip followed by its own first frame, with the boundary at
    the appended frame: |first − last| over the interior mean."""
    cycle = np.concatenate([frames, frames[:1]], axis=0)
    return seam_metric(cycle, [len(frames)])


def self_test() -> int:
    """A stripe pattern moving one pixel a frame round a 48-pixel period loops
    perfectly (metric 1.0); the same clip cut at frame 30 jumps at the wrap (≈ 14)."""
    x = np.arange(48)
    base = 127 + 100 * np.sin(2 * np.pi * x / 48)
    frames = np.stack([np.broadcast_to(np.roll(base, k)[None, :, None], (8, 48, 3)) for k in range(48)]).astype(np.uint8)
    smooth, cut = wrap_seam(frames), wrap_seam(frames[:30])
    ok = 0.95 <= smooth <= 1.05 and cut > 2
    print(f"self-test: seamless loop {smooth:.3f}, cut loop {cut:.3f}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mp4")
    p.add_argument("--limit", type=float, default=1.1)
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args()
    if args.self_test:
        sys.exit(self_test())
    if not args.mp4:
        p.error("give --mp4 FILE (or --self-test)")
    frames = read_mp4(args.mp4)
    seam = wrap_seam(frames)
    print(f"{len(frames)} frames: seam across the wrap {seam:.3f} (limit {args.limit})")
    sys.exit(0 if seam <= args.limit else 1)


if __name__ == "__main__":
    main()
