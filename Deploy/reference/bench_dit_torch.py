#!/usr/bin/env python3
"""Time one diffusers WanTransformer3DModel forward on CPU (float32, random weights).

    python3 Deploy/reference/bench_dit_torch.py --preset small --tokens 1024 --threads 2 [--repeat 3] [--json]

This is the PyTorch side of Reel's DiT benchmark: the presets, the latent-shape rule, the text
length and the FLOP formula are the ones the Swift ``reel bench`` implements, so the two numbers
are directly comparable.

* Latent shape from the token count N (patch 1x2x2, tokens = F * (H/2) * (W/2)):
  N == 32760 -> F=21, H=60, W=104 (Wan 2.1 480p, 81 frames); otherwise F=1 and
  H/2 = the largest divisor of N that is <= sqrt(N), W/2 = N / (H/2)  (1024 -> 1x64x64).
* Text: L = 512 tokens of width text_dim, batch 1.
* One warm-up forward, then ``--repeat`` timed forwards; the median is reported.
* FLOPs (see ``dit_flops``): 2*m*n*k for every Linear/Conv3d GEMM, plus 4*N^2*d per self-attention
  and 4*N*L*d per cross-attention (d = heads * head_dim), summed over layers.
* ``--json`` prints exactly one object: preset, tokens, threads, seconds, flops, gflops,
  torch_version, peak_rss_bytes (ru_maxrss of this process, in bytes).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import sys
import time

import torch

TEXT_LEN = 512

PRESETS = {
    "tiny": dict(
        patch_size=[1, 2, 2], num_attention_heads=2, attention_head_dim=16, in_channels=16, out_channels=16,
        text_dim=64, freq_dim=64, ffn_dim=128, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024,
    ),
    "small": dict(
        patch_size=[1, 2, 2], num_attention_heads=8, attention_head_dim=128, in_channels=16, out_channels=16,
        text_dim=4096, freq_dim=256, ffn_dim=4096, num_layers=4, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024,
    ),
}


def latent_shape_for_tokens(tokens: int) -> tuple[int, int, int]:
    """(F, H, W) of a latent giving ``tokens`` patch tokens with patch 1x2x2 (see module docstring)."""
    if tokens <= 0:
        raise ValueError("tokens must be positive")
    if tokens == 32760:
        return 21, 60, 104
    half_h = max(d for d in range(1, math.isqrt(tokens) + 1) if tokens % d == 0)
    return 1, 2 * half_h, 2 * (tokens // half_h)


def dit_flops(cfg: dict, latent_fhw: tuple[int, int, int], text_len: int = TEXT_LEN, batch: int = 1) -> int:
    """Forward FLOPs: 2*m*n*k per GEMM + 4*N^2*d (self-attn) + 4*N*L*d (cross-attn) per layer."""
    pt, ph, pw = cfg["patch_size"]
    f, h, w = latent_fhw
    n = (f // pt) * (h // ph) * (w // pw)  # tokens
    d = cfg["num_attention_heads"] * cfg["attention_head_dim"]
    patch = pt * ph * pw
    L = text_len

    def gemm(m: int, k: int, nn: int) -> int:
        return 2 * m * k * nn

    total = gemm(n, cfg["in_channels"] * patch, d)  # patch_embedding (Conv3d as GEMM)
    total += gemm(1, cfg["freq_dim"], d) + gemm(1, d, d) + gemm(1, d, 6 * d)  # time_embedder + time_proj
    total += gemm(L, cfg["text_dim"], d) + gemm(L, d, d)  # text_embedder
    per_layer = (
        4 * gemm(n, d, d)  # self-attention q, k, v, out
        + 2 * gemm(n, d, d) + 2 * gemm(L, d, d)  # cross-attention q, out (image tokens) + k, v (text)
        + gemm(n, d, cfg["ffn_dim"]) + gemm(n, cfg["ffn_dim"], d)  # feed-forward
        + 4 * n * n * d  # self-attention scores + weighted sum
        + 4 * n * L * d  # cross-attention scores + weighted sum
    )
    total += cfg["num_layers"] * per_layer
    total += gemm(n, d, cfg["out_channels"] * patch)  # proj_out
    return batch * total


def count_gemm_flops_with_hooks(model, inputs) -> int:
    """Independent check of the GEMM part of ``dit_flops``: 2*m*n*k summed over Linear/Conv3d calls."""
    total = 0

    def hook(module, args, output):
        nonlocal total
        if isinstance(module, torch.nn.Linear):
            total += 2 * (output.numel() // module.out_features) * module.in_features * module.out_features
        else:  # Conv3d with stride == kernel: one GEMM row per output voxel
            k = module.in_channels * math.prod(module.kernel_size)
            total += 2 * (output.numel() // module.out_channels) * k * module.out_channels

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Linear, torch.nn.Conv3d))]
    try:
        with torch.no_grad():
            model(*inputs, return_dict=False)
    finally:
        for h in handles:
            h.remove()
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time diffusers' Wan DiT forward on CPU (float32).")
    parser.add_argument("--preset", choices=sorted(PRESETS), required=True)
    parser.add_argument("--tokens", type=int, required=True, help="patch tokens N (latent shape from the rule)")
    parser.add_argument("--threads", type=int, required=True, help="torch.set_num_threads")
    parser.add_argument("--repeat", type=int, default=3, help="timed forwards after one warm-up (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--check-flops", action="store_true",
                        help="also count GEMM FLOPs with forward hooks and compare with the formula")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.threads < 1:
        parser.error("--repeat and --threads must be >= 1")

    torch.set_num_threads(args.threads)
    from diffusers import WanTransformer3DModel  # after set_num_threads; import is slow

    cfg = PRESETS[args.preset]
    fhw = latent_shape_for_tokens(args.tokens)
    torch.manual_seed(0)
    model = WanTransformer3DModel(**cfg).eval().float()
    hidden_states = torch.randn(1, cfg["in_channels"], *fhw)
    timestep = torch.tensor([500.0])
    text = torch.randn(1, TEXT_LEN, cfg["text_dim"])
    inputs = (hidden_states, timestep, text)

    flops = dit_flops(cfg, fhw)
    times = []
    with torch.no_grad():
        model(*inputs, return_dict=False)  # warm-up
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            model(*inputs, return_dict=False)
            times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB

    if args.check_flops:
        hooked = count_gemm_flops_with_hooks(model, inputs)
        n = args.tokens
        d = cfg["num_attention_heads"] * cfg["attention_head_dim"]
        attn = cfg["num_layers"] * (4 * n * n * d + 4 * n * TEXT_LEN * d)
        ok = hooked + attn == flops
        print(f"flop check: hooks {hooked} + attention {attn} = {hooked + attn} vs formula {flops}: "
              f"{'OK' if ok else 'MISMATCH'}", file=sys.stderr)
        if not ok:
            return 1

    result = {
        "preset": args.preset,
        "tokens": args.tokens,
        "threads": args.threads,
        "seconds": seconds,
        "flops": flops,
        "gflops": flops / seconds / 1e9,
        "torch_version": torch.__version__,
        "peak_rss_bytes": peak_rss,
    }
    if args.json:
        print(json.dumps(result))
    else:
        f, h, w = fhw
        print(f"preset {args.preset}: latent 1x{cfg['in_channels']}x{f}x{h}x{w} -> {args.tokens} tokens, "
              f"text {TEXT_LEN}x{cfg['text_dim']}, threads {args.threads}, torch {torch.__version__}")
        print(f"forward times (s): {', '.join(f'{t:.4f}' for t in times)}")
        print(f"median {seconds:.4f} s, {flops} FLOP ({flops / 1e9:.2f} GFLOP), {result['gflops']:.2f} GFLOP/s, "
              f"peak RSS {peak_rss / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
