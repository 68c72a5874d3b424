"""The demo clip without blending, for issue #12's "seam metric … reported for hard cuts
beside it": the farm's windows (16 latent frames, overlap 10 as `reel demo` lays them out,
`--overlap 4` for its earlier clips; the last one shifted to end
at the clip's end, as `reel plan` lays them out) sampled one by one from slices of one
clip-wide noise, each with diffusers' own sampling (as train.sample), and joined by
cutting every overlap in its middle; decoded whole and written as an MP4 like the
farm's. It prints quality.py's seam metric at the cuts; `reel demo --measure` gives the
Swift metric (at the windows' starts and ends) of the same file.

    python3 hard_cuts.py --model /tmp/demo-export --prompt "…" --out /tmp/hard.mp4
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality  # noqa: E402
import standin_embed  # noqa: E402
import train  # noqa: E402

from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanTransformer3DModel  # noqa: E402


# `reel demo`'s overlap in latent frames (DemoCommand.planConfig); its window is 16.
DEMO_OVERLAP = 10


def windows(frames: int, window: int = 16, overlap: int = DEMO_OVERLAP) -> list[int]:
    """Window starts: every window − overlap, the last moved back to end at `frames`."""
    stride = window - overlap
    starts = list(range(0, max(1, frames - window), stride))
    if starts[-1] + window < frames:
        starts.append(frames - window)
    return starts


def cut_frames(latent_frames: int, overlap: int = DEMO_OVERLAP) -> list[int]:
    """Each overlap [start of the next window, end of this one) cut in its middle."""
    starts = windows(latent_frames, overlap=overlap)
    return [(starts[i + 1] + starts[i] + 16) // 2 for i in range(len(starts) - 1)]


@torch.no_grad()
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="the exported folder to sample (not needed with --measure)")
    p.add_argument("--prompt", default="a red ball bouncing rightwards on a navy background")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--overlap", type=int, default=DEMO_OVERLAP, help="latent frames shared by neighbouring windows (default: reel demo's)")
    p.add_argument("--out", default="/tmp/hard-cuts.mp4")
    p.add_argument("--measure", help="only measure this MP4 (e.g. the farm's blended clip) at the cuts")
    args = p.parse_args()
    if args.measure:
        frames = quality.read_mp4(args.measure)
        latent = (len(frames) - 1) // 4 + 1
        print(f"{args.measure}: seam metric at the cuts {quality.seam_metric(frames, [4 * c - 3 for c in cut_frames(latent, args.overlap)]):.3f}")
        return
    torch.set_num_threads(1)
    pixel_frames = int(round(args.seconds * train.FPS))
    pixel_frames += (4 - (pixel_frames - 1) % 4) % 4  # 4k + 1, never shorter
    latent_frames = (pixel_frames - 1) // 4 + 1
    model = WanTransformer3DModel.from_pretrained(args.model, subfolder="transformer").eval()
    vae = AutoencoderKLWan.from_pretrained(args.model, subfolder="vae").eval()
    scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(args.model, subfolder="scheduler")
    g = torch.Generator().manual_seed(args.seed)
    noise = torch.randn(1, model.config.in_channels, latent_frames, train.SIZE // 8, train.SIZE // 8, generator=g)
    cond = torch.from_numpy(standin_embed.embed(args.prompt, train.TEXT_DIM, train.TEXT_TOKENS))[None]
    uncond = torch.zeros_like(cond)
    starts = windows(latent_frames, overlap=args.overlap)
    cuts = cut_frames(latent_frames, args.overlap)
    owners = [0] + cuts + [latent_frames]
    clip = torch.empty_like(noise)
    for i, s in enumerate(starts):
        x = noise[:, :, s : s + 16].clone()
        scheduler.set_timesteps(args.steps)
        for t in scheduler.timesteps:
            tt = t.expand(1)
            v = model(hidden_states=x, timestep=tt, encoder_hidden_states=cond, return_dict=False)[0]
            if args.guidance != 1:
                vu = model(hidden_states=x, timestep=tt, encoder_hidden_states=uncond, return_dict=False)[0]
                v = vu + args.guidance * (v - vu)
            x = scheduler.step(v, t, x, return_dict=False)[0]
        a, b = owners[i], owners[i + 1]
        clip[:, :, a:b] = x[:, :, a - s : b - s]
        print(f"window {i} [{s}, {s + 16}): keeps latent frames [{a}, {b})", flush=True)
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    std = torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    video = train.decode_clip(vae, clip * std + mean, train.first_latent_is_later(args.model))[0]
    frames = ((video.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 3, 0).numpy()
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{train.SIZE}x{train.SIZE}",
                    "-r", str(train.FPS), "-i", "-", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", args.out],
                   input=frames.tobytes(), check=True)
    # Latent frame c starts at pixel frame 4c − 3: the cut is the pair (4c − 4, 4c − 3).
    written = quality.read_mp4(args.out)
    at_cuts = quality.seam_metric(written, [4 * c - 3 for c in cuts])
    print(f"{len(written)} frames, {len(starts)} windows, cuts at latent frames {cuts}: seam metric at the cuts {at_cuts:.3f}")
    print(f"wrote {args.out}; the Swift metric at window starts and ends: reel demo --measure {args.out} --prompt \"{args.prompt}\"")


if __name__ == "__main__":
    main()
