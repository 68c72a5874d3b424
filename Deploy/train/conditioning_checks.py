#!/usr/bin/env python3
"""Issue #16's done-when checks for conditioning that need the trained demo model
(random weights give no image to keep and no continuity to measure). Run them on
clips rendered through a local farm once the farm renders conditioning:

    # image-to-video: the first frame, decoded, against the image's VAE round trip
    python3 Deploy/train/conditioning_checks.py image --mp4 i2v.mp4 --image cat.png --model DEMO_DIR [--fit crop] [--min-psnr 25]
    # extension: the output's first frames are the source's, and the join has no seam
    python3 Deploy/train/conditioning_checks.py extend --mp4 joined.mp4 --source src.mp4 [--limit 1.1] [--min-psnr 30]
    # connection: starts at A's last frame and ends at B's first
    python3 Deploy/train/conditioning_checks.py connect --mp4 bridge.mp4 --a a.mp4 --b b.mp4 [--min-psnr 25]
    python3 Deploy/train/conditioning_checks.py --self-test

Each prints what it measured and exits 1 when a check fails. The image check needs
torch and diffusers (the VAE round trip is diffusers' `AutoencoderKLWan`); the others
only numpy and ffmpeg. The farm's CI tests check what random weights allow: pinned
latents equal the encoded source exactly (`PinnedDenoiseTests`), the encoding matches
diffusers (`SourceEncodingWorkerTests`).
"""
from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from quality import read_mp4, seam_metric


def fit_layout(fit: str, sw: int, sh: int, tw: int, th: int) -> tuple[int, int, int, int]:
    """Reel's SourceFit rule (ReelPlan/SourceFit.swift): scaled width, height and the
    offset of the scaled source in the target (negative: cut, positive: border)."""
    if fit == "stretch" or sw * th == sh * tw:
        return tw, th, 0, 0
    wider = sw * th > sh * tw
    match_width = (fit == "crop") != wider
    rounded = lambda n, d: (2 * n + d) // (2 * d)
    if match_width:
        w, h = tw, rounded(sh * tw, sw)
        h = max(h, th) if fit == "crop" else min(h, th)
    else:
        w, h = rounded(sw * th, sh), th
        w = max(w, tw) if fit == "crop" else min(w, tw)
    # Swift's integer division truncates toward zero.
    return max(w, 1), max(h, 1), int((tw - w) / 2), int((th - h) / 2)


def conform(image: np.ndarray, fit: str, width: int, height: int) -> np.ndarray:
    """The image scaled and placed as Reel's workers place it (PIL's filters stand in for
    libswscale's, so expect a dB or so of difference, not more)."""
    from PIL import Image
    w, h, x, y = fit_layout(fit, image.shape[1], image.shape[0], width, height)
    scaled = np.asarray(Image.fromarray(image).resize((w, h), Image.BICUBIC))
    canvas = np.zeros((height, width, 3), np.uint8)
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + w, width), min(y + h, height)
    canvas[top:bottom, left:right] = scaled[top - y:bottom - y, left - x:right - x]
    return canvas


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def vae_round_trip(frame: np.ndarray, model: str) -> np.ndarray:
    """`decode(encode(x).latent_dist.mean)` with the model folder's VAE, one frame."""
    import torch
    from diffusers import AutoencoderKLWan
    vae = AutoencoderKLWan.from_pretrained(model, subfolder="vae", torch_dtype=torch.float32).eval()
    x = torch.from_numpy(frame.astype(np.float32) / 127.5 - 1).permute(2, 0, 1)[None, :, None]
    with torch.no_grad():
        decoded = vae.decode(vae.encode(x).latent_dist.mean).sample
    out = ((decoded[0, :, 0].permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    return out


def check_image(args) -> bool:
    from PIL import Image
    frames = read_mp4(args.mp4)
    height, width = frames.shape[1:3]
    image = conform(np.asarray(Image.open(args.image).convert("RGB")), args.fit, width, height)
    reference = vae_round_trip(image, args.model)
    value = psnr(frames[0], reference)
    print(f"first frame vs the image's VAE round trip: {value:.2f} dB (at least {args.min_psnr}); vs the image itself {psnr(frames[0], image):.2f} dB")
    return value >= args.min_psnr


def check_extend(args) -> bool:
    out, source = read_mp4(args.mp4), read_mp4(args.source)
    n = len(source)
    if len(out) <= n:
        print(f"the output has {len(out)} frames, not more than the source's {n}: it does not contain both")
        return False
    kept = min(psnr(out[i], source[i]) for i in range(n))
    seam = seam_metric(out, [n])
    print(f"source frames in the output: worst {kept:.2f} dB (at least {args.min_psnr}); seam at the join (frame {n}) {seam:.3f} (limit {args.limit})")
    return kept >= args.min_psnr and seam <= args.limit


def check_connect(args) -> bool:
    out, a, b = read_mp4(args.mp4), read_mp4(args.a), read_mp4(args.b)
    start, end = psnr(out[0], a[-1]), psnr(out[-1], b[0])
    print(f"first frame vs A's last {start:.2f} dB, last frame vs B's first {end:.2f} dB (at least {args.min_psnr})")
    return start >= args.min_psnr and end >= args.min_psnr


def self_test() -> int:
    """The fit rule against the values worked out by hand in ReelPlan's SourceFitTests;
    the extension check on a smooth ramp (no seam) and on one with a jump at the join."""
    ok = fit_layout("crop", 1920, 1080, 832, 480) == (853, 480, -10, 0)
    ok &= fit_layout("pad", 1920, 1080, 832, 480) == (832, 468, 0, 6)
    ok &= fit_layout("crop", 480, 832, 832, 480) == (832, 1442, 0, -481)
    ok &= fit_layout("pad", 480, 832, 832, 480) == (277, 480, 277, 0)
    ramp = np.stack([np.full((8, 8, 3), 4 * k, np.uint8) for k in range(40)])
    jump = ramp.copy()
    jump[20:] += 30
    smooth, cut = seam_metric(ramp, [20]), seam_metric(jump, [20])
    ok &= 0.95 <= smooth <= 1.05 and cut > 2
    print(f"self-test: fit layouts {'match' if ok else 'differ'}; seam smooth {smooth:.3f}, cut {cut:.3f}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--self-test", action="store_true")
    sub = p.add_subparsers(dest="check")
    i = sub.add_parser("image")
    i.add_argument("--mp4", required=True)
    i.add_argument("--image", required=True)
    i.add_argument("--model", required=True, help="the model folder (its vae/ does the round trip)")
    i.add_argument("--fit", default="crop", choices=["crop", "pad", "stretch"])
    i.add_argument("--min-psnr", type=float, default=25)
    e = sub.add_parser("extend")
    e.add_argument("--mp4", required=True)
    e.add_argument("--source", required=True)
    e.add_argument("--limit", type=float, default=1.1)
    e.add_argument("--min-psnr", type=float, default=30)
    c = sub.add_parser("connect")
    c.add_argument("--mp4", required=True)
    c.add_argument("--a", required=True)
    c.add_argument("--b", required=True)
    c.add_argument("--min-psnr", type=float, default=25)
    args = p.parse_args()
    if args.self_test:
        sys.exit(self_test())
    checks = {"image": check_image, "extend": check_extend, "connect": check_connect}
    if args.check not in checks:
        p.error("name a check (image, extend, connect) or --self-test")
    sys.exit(0 if checks[args.check](args) else 1)


if __name__ == "__main__":
    main()
