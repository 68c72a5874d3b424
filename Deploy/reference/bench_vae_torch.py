#!/usr/bin/env python3
"""Time diffusers' AutoencoderKLWan decode on CPU (float32, random weights).

    python3 Deploy/reference/bench_vae_torch.py --preset small --width 832 --height 480 --latent-frames 2 \
        --threads 2 [--repeat 1] [--json]

This is the PyTorch side of ``reel bench decode``: the presets are the VAE configs the Swift
``ModelPreset`` writes (tiny: base_dim 16, one residual block per level; small: Wan 2.1's real
VAE, base_dim 96, two), the latents are ``[1, 16, F, H/8, W/8]`` standard normal, and what is
timed is ``vae.decode(latents)`` — one latent frame at a time with diffusers' feature cache,
exactly the work Reel's decoder does. The median of ``--repeat`` runs is reported (no warm-up
run: a 480p decode of the real VAE takes minutes on two cores).

``--json`` prints exactly one object: preset, width, height, latent_frames, pixel_frames,
threads, seconds, fps (pixel frames per second), torch_version, peak_rss_bytes.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time

import torch

PRESETS = {
    "tiny": dict(base_dim=16, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=1, temperal_downsample=[False, True, True]),
    "small": dict(base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, temperal_downsample=[False, True, True]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--latent-frames", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.width % 8 or args.height % 8 or args.latent_frames < 1 or args.repeat < 1:
        parser.error("width and height must be multiples of 8, latent frames and repeat at least 1")

    from diffusers import AutoencoderKLWan

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    vae = AutoencoderKLWan(**PRESETS[args.preset]).eval()
    latents = torch.randn(1, 16, args.latent_frames, args.height // 8, args.width // 8)
    times = []
    with torch.no_grad():
        for i in range(args.repeat):
            start = time.perf_counter()
            sample = vae.decode(latents).sample
            times.append(time.perf_counter() - start)
            print(f"decode {i + 1}/{args.repeat}: {times[-1]:.3f} s", file=sys.stderr)
    frames = sample.shape[2]
    seconds = statistics.median(times)
    result = {
        "preset": args.preset, "width": args.width, "height": args.height, "latent_frames": args.latent_frames,
        "pixel_frames": frames, "threads": args.threads, "seconds": seconds, "fps": frames / seconds,
        "torch_version": torch.__version__,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.preset} VAE decode, {args.latent_frames} latent frames -> {frames} frames of "
              f"{args.width}x{args.height}, {args.threads} thread(s): {seconds:.3f} s, {frames / seconds:.3f} frames/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
