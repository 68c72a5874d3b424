#!/usr/bin/env python3
"""Whether a prompt timeline changes the object's colour where it says, for the demo
model (#16: "`--prompt-at` changes the object's colour where the timeline says it
should, which the demo-model detector sees").

The timeline is read from the clip's own provenance record (the `reel_prompts` tag
Reel writes into every MP4 rendered with `--prompt-at`), so the check needs nothing
but the file. Each prompt's span, less `--margin` seconds at each end (where
neighbouring windows crossfade between prompts), must show the prompt's object
colour (quality.py's detector) in at least `--min-share` of its frames, and the
other prompts' colours in at most `1 - min-share` of them. Render with e.g.

    reel submit --model demo --size 64x64 --seconds 6 \
        --prompt "a red ball moving left to right on dark blue" \
        --prompt-at "3:a blue ball moving left to right on dark blue" --wait --output timeline.mp4
    python3 Deploy/train/timeline_colour.py --mp4 timeline.mp4

Prints each span's shares and exits 1 when a span fails. Random weights (the tiny
model) draw no colours to detect; the farm's own test (PromptTimelineFarmTests) checks
that each window is conditioned on the prompts over its span.
"""
import argparse
import json
import subprocess
import sys

import numpy as np

import clips
from quality import colour_found, read_mp4


def timeline_of(path: str) -> list[dict]:
    """The `reel_prompts` tag of a Reel MP4: `[{"at": seconds, "text": "…"}, …]`."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags=reel_prompts", "-of", "json", path],
        check=True, capture_output=True, text=True).stdout
    tag = json.loads(out).get("format", {}).get("tags", {}).get("reel_prompts")
    if not tag:
        sys.exit(f"{path} has no reel_prompts tag: render it with `reel submit --prompt-at`")
    return json.loads(tag)


def check(frames: np.ndarray, fps: float, timeline: list[dict], margin: float = 0.5, min_share: float = 0.8) -> tuple[bool, list[str]]:
    """Per prompt span: the share of frames showing the prompt's colour and the others'."""
    colours = [clips.parse_prompt(p["text"])[0].colour for p in timeline]
    found = {c: colour_found(frames, c) for c in set(colours)}
    ok, lines = True, []
    seconds = len(frames) / fps
    for i, (prompt, colour) in enumerate(zip(timeline, colours)):
        start = prompt["at"] + (margin if i > 0 else 0)
        end = (timeline[i + 1]["at"] - margin) if i + 1 < len(timeline) else seconds
        span = slice(int(np.ceil(start * fps)), int(np.floor(end * fps)))
        if span.stop <= span.start:
            lines.append(f"{prompt['at']} s: span too short to judge after the margins")
            continue
        own = float(found[colour][span].mean())
        others = [float(found[c][span].mean()) for c in set(colours) if c != colour]
        good = own >= min_share and all(o <= 1 - min_share for o in others)
        ok &= good
        lines.append(f"{start:.2f}–{end:.2f} s '{colour}': found in {own:.0%} of frames; other colours at most "
                     f"{max(others, default=0):.0%} ({'ok' if good else 'FAILED'})")
    return ok, lines


def self_test() -> int:
    """The generator's own clips: a red ball for 2 s then a blue one passes; the red
    ball alone throughout fails (the timeline says blue from 2 s)."""
    red = clips.ClipSpec(colour="red").render(32)
    blue = clips.ClipSpec(colour="blue").render(32, start=32)
    timeline = [{"at": 0, "text": "a red ball moving left to right"}, {"at": 2, "text": "a blue ball moving left to right"}]
    changed, _ = check(np.concatenate([red, blue]), 16, timeline)
    unchanged, _ = check(np.concatenate([red, clips.ClipSpec(colour="red").render(32, start=32)]), 16, timeline)
    ok = changed and not unchanged
    print(f"self-test: colour change seen {changed}, missing change caught {not unchanged}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mp4")
    p.add_argument("--fps", type=float, default=16)
    p.add_argument("--margin", type=float, default=0.5, help="seconds left out at each prompt change")
    p.add_argument("--min-share", type=float, default=0.8)
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args()
    if args.self_test:
        sys.exit(self_test())
    if not args.mp4:
        p.error("give --mp4 FILE (or --self-test)")
    ok, lines = check(read_mp4(args.mp4), args.fps, timeline_of(args.mp4), args.margin, args.min_share)
    print("\n".join(lines))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
