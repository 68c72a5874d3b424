#!/usr/bin/env python3
"""Write the committed Wan VAE (AutoencoderKLWan) parity fixtures for Reel's Swift engine.

Every case gets one folder under ``Tests/ReelModelTests/Fixtures/vae/<case>/``:

    model/vae/config.json                        diffusers' own save_pretrained
    model/vae/diffusion_pytorch_model.safetensors F32 or F16 weights
    decode_inputs.safetensors   latents [B,z,F,h,w]
    decode_outputs.safetensors  sample [B,3,1+s(F-1),8h,8w]  = vae.decode(latents).sample
    encode_inputs.safetensors   sample [B,3,1+4k,H,W]
    encode_outputs.safetensors  latents [B,z,1+k,H/8,W/8]    = vae.encode(sample).latent_dist.mean
    tiled_decode_inputs.safetensors / tiled_decode_outputs.safetensors (cases with "tiling" in case.json):
                                the same with vae.enable_tiling(...) on a frame larger than one tile
    case.json                   config, shapes, weights dtype, tiling, description

The references come from a model re-loaded from the folder just written with
``AutoencoderKLWan.from_pretrained(..., torch_dtype=float32)``: exactly what a float32
reader of the folder should reproduce (for F16 cases, f16-rounded weights upcast).

The random models are perturbed so likely mistakes show: every ``gamma`` (the RMS norms'
scale, 1 at init) gets noise, so a norm over the wrong axis or a missing gamma fails.
Inputs are chosen so few decoded values reach the [-1, 1] clamp (reported per case).

Everything is float32 on CPU under ``torch.no_grad()`` with one torch thread and fixed
seeds, so re-running reproduces the files bit for bit on the same torch/diffusers.

Usage:  python3 Deploy/reference/make_vae_fixtures.py [--out DIR] [--only CASE ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

import diffusers
from diffusers import AutoencoderKLWan

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "ReelModelTests" / "Fixtures" / "vae"


@dataclasses.dataclass
class Case:
    name: str
    description: str
    seed: int
    weights_dtype: str  # "float32" or "float16"
    batch: int
    decode_latent_fhw: tuple[int, int, int]
    encode_pixel_fhw: tuple[int, int, int]
    config: dict  # AutoencoderKLWan constructor kwargs
    # diffusers enable_tiling() arguments (pixels) and the latent F, h, w to decode with them
    tiling: dict | None = None
    tiled_latent_fhw: tuple[int, int, int] | None = None

    def case_json(self, shapes: dict) -> dict:
        return {
            "description": self.description,
            "weights_dtype": self.weights_dtype,
            "batch": self.batch,
            "config": self.config,
            "tiling": self.tiling,
            "shapes": shapes,
            "seed": self.seed,
            "generator": f"make_vae_fixtures.py, torch {torch.__version__}, diffusers {diffusers.__version__}",
        }


def vae_config(z_dim: int, **overrides) -> dict:
    """A tiny AutoencoderKLWan config with per-channel latent statistics of length z_dim."""
    gen = torch.Generator().manual_seed(1000 + z_dim)
    cfg = dict(
        base_dim=8,
        decoder_base_dim=None,
        z_dim=z_dim,
        dim_mult=[1, 2, 2, 2],
        num_res_blocks=1,
        attn_scales=[],
        temperal_downsample=[False, True, True],
        dropout=0.0,
        latents_mean=[round(v, 4) for v in (torch.randn(z_dim, generator=gen) * 0.5).tolist()],
        latents_std=[round(v, 4) for v in (1.0 + torch.rand(z_dim, generator=gen) * 2.0).tolist()],
    )
    cfg.update(overrides)
    return cfg


CASES = [
    Case(
        name="fp32_wan21_layout",
        description=(
            "fp32 weights, Wan 2.1's temporal layout temperal_downsample [False, True, True] (decoder upsamples "
            "time in its first two levels), base_dim 6, dim_mult [1,2,2,2], 1 residual block per level, z_dim 4; "
            "decode 4 latent frames 2x3 -> 13 frames 16x24; encode 9 frames 16x24 -> 3 latent frames; "
            "tiled decode of 2 latent frames 5x6 with 24-pixel tiles every 16 pixels (3x3 tiles, 8 blended)"
        ),
        seed=7001,
        weights_dtype="float32",
        batch=1,
        decode_latent_fhw=(4, 2, 3),
        encode_pixel_fhw=(9, 16, 24),
        config=vae_config(4, base_dim=6),
        tiling=dict(tile_sample_min_height=24, tile_sample_min_width=24,
                    tile_sample_stride_height=16, tile_sample_stride_width=16),
        tiled_latent_fhw=(2, 5, 6),
    ),
    Case(
        name="fp16_stride_first_batch2",
        description=(
            "fp16 weights, temporal layout temperal_downsample [True, True, False] (time halves in the encoder's "
            "first two levels, so the decoder upsamples time in its last two), base_dim 8, dim_mult [1,2,2,2], "
            "1 residual block per level, z_dim 4, batch of 2; decode 3 latent frames 2x2 -> 9 frames 16x16; "
            "encode 5 frames 16x16 -> 2 latent frames"
        ),
        seed=7002,
        weights_dtype="float16",
        batch=2,
        decode_latent_fhw=(3, 2, 2),
        encode_pixel_fhw=(5, 16, 16),
        config=vae_config(4, temperal_downsample=[True, True, False]),
    ),
    Case(
        name="fp16_two_res_blocks",
        description=(
            "fp16 weights, Wan 2.1's layout and num_res_blocks 2 (as the real VAE: 3 residual blocks per decoder "
            "level), base_dim 4 with decoder_base_dim 6, z_dim 8; decode 3 latent frames 3x2 -> 9 frames 24x16; "
            "encode 9 frames 24x16 -> 3 latent frames"
        ),
        seed=7003,
        weights_dtype="float16",
        batch=1,
        decode_latent_fhw=(3, 3, 2),
        encode_pixel_fhw=(9, 24, 16),
        config=vae_config(8, base_dim=4, decoder_base_dim=6, num_res_blocks=2),
    ),
]


def perturb_for_coverage(vae: AutoencoderKLWan, gen: torch.Generator, scale: float = 0.3) -> None:
    """Give every RMS-norm gamma noise (they start at 1, which would hide a missing or misplaced gamma)."""
    with torch.no_grad():
        for name, p in vae.named_parameters():
            if name.endswith(".gamma"):
                p.add_(torch.randn(p.shape, generator=gen, dtype=torch.float32) * scale)


def build_model_folder(case: Case, model_dir: Path) -> AutoencoderKLWan:
    """Create, perturb and save the random VAE; return the float32 model reloaded from the folder."""
    torch.manual_seed(case.seed)
    gen = torch.Generator().manual_seed(case.seed + 1)
    vae = AutoencoderKLWan(**case.config).eval()
    perturb_for_coverage(vae, gen)
    dtype = {"float32": torch.float32, "float16": torch.float16}[case.weights_dtype]
    to_save = vae.to(dtype) if dtype != torch.float32 else vae
    to_save.save_pretrained(model_dir / "vae", safe_serialization=True)
    ref = AutoencoderKLWan.from_pretrained(model_dir, subfolder="vae", torch_dtype=torch.float32).eval()
    saved = dict(to_save.named_parameters())
    for name, p in ref.named_parameters():
        assert p.dtype == torch.float32, name
        assert torch.equal(p, saved[name].float()), f"reloaded parameter {name} differs from the saved one"
    return ref


def save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    for k, v in tensors.items():
        assert v.dtype == torch.float32, (path, k, v.dtype)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata={"format": "pt"})


def clamped_fraction(x: torch.Tensor) -> float:
    return (x.abs() >= 1.0).float().mean().item()


@torch.no_grad()
def make_case(case: Case, out_root: Path) -> dict:
    case_dir = out_root / case.name
    if case_dir.exists():
        shutil.rmtree(case_dir)
    model_dir = case_dir / "model"
    model_dir.mkdir(parents=True)
    vae = build_model_folder(case, model_dir)
    z = case.config["z_dim"]
    gen = torch.Generator().manual_seed(case.seed + 2)
    summary = {"case": case.name, "params": sum(p.numel() for p in vae.parameters())}
    shapes = {}

    f, h, w = case.decode_latent_fhw
    latents = torch.randn((case.batch, z, f, h, w), generator=gen, dtype=torch.float32)
    sample = vae.decode(latents).sample
    save_tensors(case_dir / "decode_inputs.safetensors", {"latents": latents})
    save_tensors(case_dir / "decode_outputs.safetensors", {"sample": sample})
    shapes["decode"] = [list(latents.shape), list(sample.shape)]
    summary["decode"] = (sample.abs().max().item(), sample.std().item(), clamped_fraction(sample))

    f, h, w = case.encode_pixel_fhw
    # Smooth-ish video in [-1, 1]: a random low-resolution clip, upsampled, plus a little noise.
    coarse = torch.rand((case.batch, 3, f, h // 4, w // 4), generator=gen, dtype=torch.float32) * 1.6 - 0.8
    video = torch.nn.functional.interpolate(coarse, size=(f, h, w), mode="trilinear", align_corners=False)
    video = (video + torch.randn(video.shape, generator=gen) * 0.05).clamp(-1, 1)
    mean = vae.encode(video).latent_dist.mean
    save_tensors(case_dir / "encode_inputs.safetensors", {"sample": video})
    save_tensors(case_dir / "encode_outputs.safetensors", {"latents": mean})
    shapes["encode"] = [list(video.shape), list(mean.shape)]
    summary["encode"] = (mean.abs().max().item(), mean.std().item(), 0.0)

    if case.tiling is not None:
        f, h, w = case.tiled_latent_fhw
        tiled_latents = torch.randn((1, z, f, h, w), generator=gen, dtype=torch.float32)
        vae.enable_tiling(**case.tiling)
        tiled = vae.decode(tiled_latents).sample
        vae.disable_tiling()
        untiled = vae.decode(tiled_latents).sample
        save_tensors(case_dir / "tiled_decode_inputs.safetensors", {"latents": tiled_latents})
        save_tensors(case_dir / "tiled_decode_outputs.safetensors", {"sample": tiled})
        shapes["tiled_decode"] = [list(tiled_latents.shape), list(tiled.shape)]
        summary["tiled"] = (tiled.abs().max().item(), (tiled - untiled).abs().max().item(), clamped_fraction(tiled))

    with open(case_dir / "case.json", "w") as fh:
        json.dump(case.case_json(shapes), fh, indent=2)
        fh.write("\n")
    summary["bytes"] = sum(p.stat().st_size for p in case_dir.rglob("*") if p.is_file())
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="fixtures root (default: %(default)s)")
    parser.add_argument("--only", nargs="*", default=None, help="case names to (re)generate")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    args.out.mkdir(parents=True, exist_ok=True)
    names = {c.name for c in CASES}
    if args.only and set(args.only) - names:
        parser.error(f"unknown case(s): {sorted(set(args.only) - names)}; known: {sorted(names)}")
    print(f"torch {torch.__version__}, diffusers {diffusers.__version__}, out {args.out}")
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        s = make_case(case, args.out)
        print(f"{s['case']:26s} params {s['params']:7d}  {s['bytes'] / 1024:.0f} KiB")
        print(f"{'':26s} decode max|ref| {s['decode'][0]:.4f} std {s['decode'][1]:.4f} clamped {s['decode'][2]:.2%}")
        print(f"{'':26s} encode max|ref| {s['encode'][0]:.4f} std {s['encode'][1]:.4f}")
        if "tiled" in s:
            print(f"{'':26s} tiled max|ref| {s['tiled'][0]:.4f}, max|tiled - untiled| {s['tiled'][1]:.4f}, "
                  f"clamped {s['tiled'][2]:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
