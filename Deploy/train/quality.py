"""Measured quality of demo clips: prompt adherence and the seam metric.

- **Adherence.** A colour-histogram detector classifies each pixel to the nearest colour
  of the grammar's palette (object and background colours); the prompted object colour
  is *found* in a frame when at least `min_pixels` pixels are classified as it. Its
  centroid track gives the direction of motion per window: the median frame-to-frame
  step along the prompted axis (steps longer than a third of the frame are wraps and
  are dropped), or for orbits the median change of the angle about the frame's centre.
- **Seam metric.** Mean absolute frame-to-frame difference at window boundaries divided
  by the same in window interiors: 1 means the boundaries are as smooth as the rest.

`python3 quality.py --self-test` checks the detector and the metric on the generator's
own clips, where the ground truth is known (and on doctored clips where they must
fail). `python3 quality.py --mp4 clip.mp4 --prompt "…"` measures a rendered clip.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys

import numpy as np

import clips

PALETTE_NAMES = list(clips.OBJECT_COLOURS) + list(clips.BACKGROUND_COLOURS)
PALETTE = np.array([*clips.OBJECT_COLOURS.values(), *clips.BACKGROUND_COLOURS.values()], np.float32)


def colour_masks(frames: np.ndarray, colour: str, max_distance: float = 70) -> np.ndarray:
    """`(T, H, W)` bool: pixels whose nearest palette colour is `colour`, within
    `max_distance` in RGB (edge pixels, blends of two colours, are far from both)."""
    x = frames.astype(np.float32)[..., None, :]  # T H W 1 3
    d = ((x - PALETTE) ** 2).sum(-1)  # T H W P
    return (d.argmin(-1) == PALETTE_NAMES.index(colour)) & (d.min(-1) <= max_distance**2)


def colour_found(frames: np.ndarray, colour: str, min_pixels: int = 12) -> np.ndarray:
    """Per frame: whether the colour covers at least `min_pixels` pixels."""
    return colour_masks(frames, colour).sum(axis=(1, 2)) >= min_pixels


def centroids(frames: np.ndarray, colour: str, min_pixels: int = 12) -> np.ndarray:
    """`(T, 2)` centroid (x, y) of the colour's pixels, NaN where not found."""
    masks = colour_masks(frames, colour)
    out = np.full((len(frames), 2), np.nan)
    ys, xs = np.mgrid[0 : frames.shape[1], 0 : frames.shape[2]]
    for t, m in enumerate(masks):
        if m.sum() >= min_pixels:
            out[t] = xs[m].mean(), ys[m].mean()
    return out


def direction_ok(track: np.ndarray, direction: str, width: int, height: int) -> bool | None:
    """Whether the track moves in `direction`; None when the track is too short to say."""
    ok = ~np.isnan(track[:, 0])
    if direction in clips.ORBITS:
        angle = np.arctan2(track[:, 1] - height / 2, track[:, 0] - width / 2)
        steps = np.diff(angle)[ok[1:] & ok[:-1]]
        steps = (steps + math.pi) % (2 * math.pi) - math.pi
        if len(steps) < 3:
            return None
        # Image y grows downwards: a growing angle turns clockwise on screen.
        return bool(np.median(steps) * clips.ORBITS[direction] > 0)
    dx, dy = clips.DIRECTIONS[direction]
    axis, size = (0, width) if dx != 0 else (1, height)
    steps = np.diff(track[:, axis])[ok[1:] & ok[:-1]]
    steps = steps[np.abs(steps) < size / 3]
    if len(steps) < 3:
        return None
    return bool(np.median(steps) * (dx + dy) > 0)


def adherence(frames: np.ndarray, spec: clips.ClipSpec, window: int = 61, stride: int = 48) -> dict:
    """The colour found-rate over frames and the direction rate over windows of pixel frames."""
    found = colour_found(frames, spec.colour)
    track = centroids(frames, spec.colour)
    verdicts = []
    for start in range(0, max(1, len(frames) - window + 1), stride):
        v = direction_ok(track[start : start + window], spec.direction, frames.shape[2], frames.shape[1])
        verdicts.append(bool(v))  # a window where the object cannot be tracked counts as wrong
    return {"colour": float(found.mean()), "direction": float(np.mean(verdicts)), "windows": len(verdicts)}


def seam_metric(frames: np.ndarray, boundaries: list[int]) -> float:
    """Boundary ÷ interior mean absolute frame-to-frame difference. `boundaries` are the
    pixel frames that start where a window's share hands over to the next (the difference
    taken is frame b against b − 1)."""
    diff = np.abs(np.diff(frames.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))  # diff[i] = |f[i+1] - f[i]|
    at = [b - 1 for b in boundaries if 1 <= b < len(frames)]
    interior = np.ones(len(diff), bool)
    for b in at:
        interior[max(0, b - 2) : b + 3] = False
    return float(diff[at].mean() / max(diff[interior].mean(), 1e-6))


def window_boundaries(latent_frames: int, window: int = 16, overlap: int = 4) -> list[int]:
    """Pixel frames at the middle of each overlap of the farm's temporal windows
    (latent frame l covers pixel frames 4l − 3 … 4l; latent frame 0 is pixel frame 0)."""
    out, start = [], window - overlap
    while start + overlap < latent_frames:
        out.append(4 * (start + overlap // 2))
        start += window - overlap
    return out


def read_mp4(path: str) -> np.ndarray:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path],
        check=True, capture_output=True, text=True).stdout.strip().split(",")
    width, height = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


# MARK: self-test on the generator's ground truth


def self_test() -> int:
    failures = 0

    def check(cond: bool, what: str) -> None:
        nonlocal failures
        print(("ok    " if cond else "FAIL  ") + what)
        failures += 0 if cond else 1

    # The grammar: prompts read back to their specs, clips repeat from their seeds, and
    # words outside the grammar are warned about but do not stop parsing.
    import dataclasses
    import warnings

    roundtrip = 0
    for seed in range(300):
        spec = clips.ClipSpec.sample(seed)
        parsed, unknown = clips.parse_prompt(spec.prompt())
        roundtrip += parsed == dataclasses.replace(spec, phase=0.0) and not unknown
    check(roundtrip == 300, f"{roundtrip}/300 sampled prompts parse back to their specs")
    # The model sees a prompt as a bag of words (the stand-in embedder has no word order and
    # the cross-attention no position term): different specs must have different bags.
    bags: dict = {}
    for seed in range(3000):
        spec = dataclasses.replace(clips.ClipSpec.sample(seed), phase=0.0)
        bags.setdefault(tuple(sorted(spec.prompt().split())), set()).add(spec)
    clashes = sum(len(v) > 1 for v in bags.values())
    check(clashes == 0, f"{len(bags)} specs of 3,000 sampled have distinct bags of words ({clashes} clashes)")
    check(np.array_equal(clips.ClipSpec.sample(5).render(9), clips.ClipSpec.sample(5).render(9)), "a seed gives the same clip twice")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed, unknown = clips.parse_prompt("a purple ball moving leftwards gracefully on a black background")
    check(unknown == ["gracefully"] and len(caught) == 1 and parsed.colour == "purple" and parsed.direction == "leftwards",
          f"an unknown word is warned about and the rest parsed ({unknown})")

    specs = [clips.ClipSpec.sample(1000 + i) for i in range(12)]
    for spec in specs:
        frames = spec.render(121)
        a = adherence(frames, spec)
        check(a["colour"] >= 0.9 and a["direction"] >= 0.8, f"{spec.prompt()}: colour {a['colour']:.2f}, direction {a['direction']:.2f}")
        # The detector must fail on the wrong colour and on the clip played backwards.
        wrong = next(c for c in clips.OBJECT_COLOURS if c != spec.colour)
        check(colour_found(frames, wrong).mean() < 0.1, f"  no {wrong} found in it")
        back = adherence(frames[::-1].copy(), spec)
        check(back["direction"] <= 0.2, f"  played backwards: direction {back['direction']:.2f}")
    # Seams: a continuous clip scores about 1; one with its windows cut from different
    # phases (hard cuts) scores far above.
    spec = clips.ClipSpec(shape="ball", colour="red", motion="moving", direction="rightwards")
    smooth = spec.render(121)
    bounds = window_boundaries(31)
    s = seam_metric(smooth, bounds)
    check(0.8 <= s <= 1.1, f"seam metric of a continuous clip {s:.3f}")
    cut = smooth.copy()
    for b in bounds:
        cut[b:] = spec.render(121 - b, start=b + 17)
    s = seam_metric(cut, bounds)
    check(s > 2, f"seam metric with jumps at the boundaries {s:.3f}")
    print(f"{failures} failed")
    return 1 if failures else 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--self-test", action="store_true")
    p.add_argument("--mp4")
    p.add_argument("--prompt")
    p.add_argument("--window", type=int, default=16, help="the farm's window in latent frames")
    p.add_argument("--overlap", type=int, default=10, help="the farm's overlap in latent frames (reel demo's: 10)")
    args = p.parse_args()
    if args.self_test:
        sys.exit(self_test())
    frames = read_mp4(args.mp4)
    spec, _ = clips.parse_prompt(args.prompt)
    a = adherence(frames, spec)
    latent = (len(frames) - 1) // 4 + 1
    seam = seam_metric(frames, window_boundaries(latent, args.window, args.overlap))
    print(f"{len(frames)} frames: colour {a['colour']:.3f} of frames, direction {a['direction']:.3f} of {a['windows']} windows, seam {seam:.3f}")


if __name__ == "__main__":
    main()
