"""Writes the fixture that holds Reel's Swift adherence detector (PaletteDetector,
CentroidTrack in Sources/ReelMedia) to quality.py's, the reference: clips sampled from
a demo-model folder (blurred edges, colours off by the VAE's error, objects found in
some frames only: what the detector meets in practice) and one generator clip, each as
a lossless PNG strip of its frames stacked top to bottom, with quality.py's verdicts in
expected.json (per frame: the prompted colour's pixel count and centroid; per clip:
the colour rate, the direction verdict and adherence()).

    python3 detector_fixture.py --model /tmp/demo-export \\
        --out ../../Tests/ReelMediaTests/Fixtures/adherence

CI never runs this; `PaletteDetectorFixtureTests` reads what it wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clips  # noqa: E402
import quality  # noqa: E402

PROMPTS = [
    "a red ball moving rightwards on a navy background",
    "a green ball moving leftwards on a navy background",
    "a white triangle orbiting clockwise on a pine background",
]


def verdicts(frames: np.ndarray, prompt: str) -> dict:
    spec, _ = clips.parse_prompt(prompt)
    counts = quality.colour_masks(frames, spec.colour).sum(axis=(1, 2))
    track = quality.centroids(frames, spec.colour)
    a = quality.adherence(frames, spec)
    direction = quality.direction_ok(track, spec.direction, frames.shape[2], frames.shape[1])
    return {
        "prompt": prompt, "colour": spec.colour, "direction": spec.direction, "frames": len(frames),
        "pixels": [int(c) for c in counts],
        "centroids": [None if np.isnan(p[0]) else [float(p[0]), float(p[1])] for p in track],
        "direction_ok": direction, "adherence": a,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="an exported demo-model folder to sample")
    p.add_argument("--out", required=True)
    p.add_argument("--latent-frames", type=int, default=8)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=12)
    args = p.parse_args()
    import torch

    import train

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    cases = []
    for i, prompt in enumerate(PROMPTS):
        video = train.sample(args.model, prompt, args.latent_frames, args.steps, args.guidance, args.seed)
        name = f"sample{i}.png"
        Image.fromarray(np.concatenate(list(video), axis=0)).save(os.path.join(args.out, name), optimize=True)
        cases.append(dict(verdicts(video, prompt), file=name, source=f"{args.model} sampled, seed {args.seed}, {args.steps} steps, guidance {args.guidance:g}"))
        print(name, cases[-1]["adherence"], "direction", cases[-1]["direction_ok"])
    # A generator clip: the ground truth, orbiting, 29 frames.
    spec = clips.ClipSpec(shape="square", colour="orange", motion="orbiting", direction="counterclockwise", background="plum")
    video = spec.render(29)
    Image.fromarray(np.concatenate(list(video), axis=0)).save(os.path.join(args.out, "generator.png"), optimize=True)
    cases.append(dict(verdicts(video, spec.prompt()), file="generator.png", source="clips.py"))
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump({"palette": clips.vocabulary()["palette"], "max_distance": 70, "min_pixels": 12, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
