#!/usr/bin/env python3
"""Torch-free NumPy re-derivation of the Wan 2.1 DiT forward and the flow-match Euler sampler.

Written from a reading of diffusers' transformer_wan.py / scheduling_flow_match_euler_discrete.py /
pipeline_wan.py, not by calling them. It exists for two reasons:

* it cross-checks the committed fixtures independently of torch (if this file and diffusers agree,
  the fixtures encode the math below and nothing accidental), and
* it is a compact, line-by-line spec of what the Swift engine must compute, including the
  float32/float64 details of the scheduler and the two different patch layouts.

It reads the safetensors files by hand (header + raw little-endian data, BF16 widened to F32 by a
16-bit shift), exactly like a minimal Swift loader would.

Usage:  python3 Deploy/reference/wan_numpy_reference.py [FIXTURES_DIR]
Exits non-zero if any case differs from its fixture by more than 1e-4 relative (max-abs based).
"""

from __future__ import annotations

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np

F32 = np.float32


# ----------------------------------------------------------------------------- safetensors

def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Minimal safetensors reader: u64 LE header size, JSON header, raw data. F32 and BF16 only."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        buf = data[start:end]
        if info["dtype"] == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        elif info["dtype"] == "BF16":
            arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{path}: {name}: unsupported dtype {info['dtype']}")
        out[name] = arr.reshape(info["shape"]).astype(F32)
    return out


# ----------------------------------------------------------------------------- primitives

def linear(x, w, b):
    return (x @ w.T + b).astype(F32)


def layer_norm(x, eps, weight=None, bias=None):
    """torch.nn.functional.layer_norm: biased variance over the last axis."""
    mean = x.mean(-1, keepdims=True, dtype=np.float64).astype(F32)
    var = ((x - mean) ** 2).mean(-1, keepdims=True, dtype=np.float64).astype(F32)
    y = (x - mean) / np.sqrt(var + F32(eps))
    if weight is not None:
        y = y * weight + bias
    return y.astype(F32)


def rms_norm(x, weight, eps):
    """torch.nn.RMSNorm over the last axis (the whole inner_dim = heads*head_dim, i.e. across heads)."""
    ms = (x.astype(np.float64) ** 2).mean(-1, keepdims=True).astype(F32)
    return (x / np.sqrt(ms + F32(eps)) * weight).astype(F32)


def gelu_tanh(x):
    return (0.5 * x * (1.0 + np.tanh(F32(math.sqrt(2.0 / math.pi)) * (x + F32(0.044715) * x ** 3)))).astype(F32)


def silu(x):
    return (x / (1.0 + np.exp(-x))).astype(F32)


def softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return (e / e.sum(-1, keepdims=True)).astype(F32)


# ----------------------------------------------------------------------------- embeddings

def timestep_embedding(t, dim):
    """Sinusoidal embedding, cos first (flip_sin_to_cos=True), downscale_freq_shift=0, all float32."""
    half = dim // 2
    exponent = (F32(-math.log(10000.0)) * np.arange(half, dtype=F32)) / F32(half)
    freqs = np.exp(exponent).astype(F32)
    args = t.astype(F32)[:, None] * freqs[None, :]
    return np.concatenate([np.cos(args), np.sin(args)], axis=-1).astype(F32)


def rope_tables(head_dim, fhw):
    """cos/sin [tokens, head_dim], each value repeated for the two members of an interleaved pair.

    head_dim is split into t/h/w parts: h = w = 2*(head_dim//6), t = head_dim - h - w. Angles are
    computed in float64 (pos * theta^(-2i/d)) and rounded to float32 after cos/sin.
    """
    hw = 2 * (head_dim // 6)
    dims = [head_dim - 2 * hw, hw, hw]
    f, h, w = fhw
    grid = np.stack(np.meshgrid(np.arange(f), np.arange(h), np.arange(w), indexing="ij"), -1).reshape(-1, 3)
    cos_parts, sin_parts = [], []
    for axis, d in enumerate(dims):
        inv = 1.0 / (10000.0 ** (np.arange(0, d, 2, dtype=np.float64) / d))
        ang = grid[:, axis:axis + 1].astype(np.float64) * inv[None, :]
        cos_parts.append(np.repeat(np.cos(ang), 2, axis=1))
        sin_parts.append(np.repeat(np.sin(ang), 2, axis=1))
    return np.concatenate(cos_parts, 1).astype(F32), np.concatenate(sin_parts, 1).astype(F32)


def apply_rope(x, cos, sin):
    """x [B, N, heads, head_dim]; rotates interleaved pairs (x[2i], x[2i+1])."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    c, s = cos[None, :, None, 0::2], sin[None, :, None, 0::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


def attention(q, k, v):
    """q [B,Nq,h,d], k/v [B,Nk,h,d] -> [B,Nq,h*d]; softmax(q k^T / sqrt(d)) v per head."""
    d = q.shape[-1]
    logits = np.einsum("bqhd,bkhd->bhqk", q, k).astype(F32) * F32(1.0 / math.sqrt(d))
    out = np.einsum("bhqk,bkhd->bqhd", softmax(logits), v).astype(F32)
    return out.reshape(out.shape[0], out.shape[1], -1)


# ----------------------------------------------------------------------------- transformer

def wan_forward(W, cfg, x, t, ctx):
    """WanTransformer3DModel.forward (T2V, no image tokens). x [B,C,F,H,W], t [B], ctx [B,L,text_dim]."""
    B, C, F, H, Wd = x.shape
    pt, ph, pw = cfg["patch_size"]
    heads, hd = cfg["num_attention_heads"], cfg["attention_head_dim"]
    D, eps = heads * hd, cfg["eps"]
    f, h, w = F // pt, H // ph, Wd // pw
    N = f * h * w

    # Patch embedding: Conv3d(stride = kernel = patch) == GEMM over patches flattened (c, kt, kh, kw).
    p = x.reshape(B, C, f, pt, h, ph, w, pw).transpose(0, 2, 4, 6, 1, 3, 5, 7).reshape(B, N, C * pt * ph * pw)
    hs = linear(p, W["patch_embedding.weight"].reshape(D, -1), W["patch_embedding.bias"])

    # Condition embedder.
    temb = timestep_embedding(t, cfg["freq_dim"])
    temb = linear(temb, W["condition_embedder.time_embedder.linear_1.weight"], W["condition_embedder.time_embedder.linear_1.bias"])
    temb = linear(silu(temb), W["condition_embedder.time_embedder.linear_2.weight"], W["condition_embedder.time_embedder.linear_2.bias"])
    tproj = linear(silu(temb), W["condition_embedder.time_proj.weight"], W["condition_embedder.time_proj.bias"]).reshape(B, 6, D)
    c = linear(ctx, W["condition_embedder.text_embedder.linear_1.weight"], W["condition_embedder.text_embedder.linear_1.bias"])
    c = linear(gelu_tanh(c), W["condition_embedder.text_embedder.linear_2.weight"], W["condition_embedder.text_embedder.linear_2.bias"])

    cos, sin = rope_tables(hd, (f, h, w))

    for i in range(cfg["num_layers"]):
        P = lambda name: W[f"blocks.{i}.{name}"]  # noqa: E731
        mod = P("scale_shift_table")[0][None] + tproj  # [B, 6, D]
        shift, scale, gate, c_shift, c_scale, c_gate = (mod[:, j][:, None, :] for j in range(6))

        # Self-attention: adaLN, q/k RMSNorm over all heads, RoPE on q and k, gated residual.
        n = layer_norm(hs, eps) * (1 + scale) + shift
        q = rms_norm(linear(n, P("attn1.to_q.weight"), P("attn1.to_q.bias")), P("attn1.norm_q.weight"), eps)
        k = rms_norm(linear(n, P("attn1.to_k.weight"), P("attn1.to_k.bias")), P("attn1.norm_k.weight"), eps)
        v = linear(n, P("attn1.to_v.weight"), P("attn1.to_v.bias"))
        q, k, v = (a.reshape(B, N, heads, hd) for a in (q, k, v))
        a = attention(apply_rope(q, cos, sin), apply_rope(k, cos, sin), v)
        hs = hs + linear(a, P("attn1.to_out.0.weight"), P("attn1.to_out.0.bias")) * gate

        # Cross-attention: optional affine LayerNorm, q/k RMSNorm too, no RoPE, no gate, no modulation.
        n = layer_norm(hs, eps, P("norm2.weight"), P("norm2.bias")) if cfg["cross_attn_norm"] else hs
        q = rms_norm(linear(n, P("attn2.to_q.weight"), P("attn2.to_q.bias")), P("attn2.norm_q.weight"), eps)
        k = rms_norm(linear(c, P("attn2.to_k.weight"), P("attn2.to_k.bias")), P("attn2.norm_k.weight"), eps)
        v = linear(c, P("attn2.to_v.weight"), P("attn2.to_v.bias"))
        L = c.shape[1]
        a = attention(q.reshape(B, N, heads, hd), k.reshape(B, L, heads, hd), v.reshape(B, L, heads, hd))
        hs = hs + linear(a, P("attn2.to_out.0.weight"), P("attn2.to_out.0.bias"))

        # Feed-forward (tanh GELU), gated residual.
        n = layer_norm(hs, eps) * (1 + c_scale) + c_shift
        ff = linear(gelu_tanh(linear(n, P("ffn.net.0.proj.weight"), P("ffn.net.0.proj.bias"))),
                    P("ffn.net.2.weight"), P("ffn.net.2.bias"))
        hs = hs + ff * c_gate

    # Output: modulation from temb (NOT time_proj, no SiLU), table order (shift, scale).
    mod = W["scale_shift_table"][0][None] + temb[:, None, :]  # [B, 2, D]
    shift, scale = mod[:, 0][:, None, :], mod[:, 1][:, None, :]
    hs = layer_norm(hs, eps) * (1 + scale) + shift
    out = linear(hs, W["proj_out.weight"], W["proj_out.bias"])  # [B, N, pt*ph*pw*C_out], channel LAST
    Co = out.shape[-1] // (pt * ph * pw)
    out = out.reshape(B, f, h, w, pt, ph, pw, Co).transpose(0, 7, 1, 4, 2, 5, 3, 6)
    return out.reshape(B, Co, F, H, Wd).astype(F32)


# ----------------------------------------------------------------------------- scheduler

def flow_match_schedule(shift, steps, num_train=1000):
    """FlowMatchEulerDiscreteScheduler(num_train_timesteps, shift) + set_timesteps(steps): (sigmas[N+1], timesteps[N]).

    The constructor shifts the float32 training sigmas once; set_timesteps takes sigma_max/sigma_min
    of that *shifted* table, linspaces in float64 and shifts again, so the last sigma is shifted twice.
    """
    s = (np.linspace(1, num_train, num_train, dtype=F32)[::-1] / F32(num_train)).astype(F32)
    s = (F32(shift) * s / (F32(1) + F32(shift - 1) * s)).astype(F32)
    sigma_max, sigma_min = float(s[0]), float(s[-1])
    ts = np.linspace(sigma_max * num_train, sigma_min * num_train, steps)  # float64
    sig = ts / num_train
    sig = (shift * sig / (1 + (shift - 1) * sig)).astype(F32)
    timesteps = (sig * F32(num_train)).astype(F32)
    return np.concatenate([sig, np.zeros(1, F32)]), timesteps


def sample(W, cfg, noise, pos, neg, shift, steps, guidance):
    sigmas, timesteps = flow_match_schedule(shift, steps)
    lat = noise.astype(F32)
    for i, t in enumerate(timesteps):
        tb = np.full(lat.shape[0], t, F32)
        pred = wan_forward(W, cfg, lat, tb, pos)
        if guidance is not None and guidance > 1.0:
            unc = wan_forward(W, cfg, lat, tb, neg)
            pred = (unc + F32(guidance) * (pred - unc)).astype(F32)
        lat = (lat + (sigmas[i + 1] - sigmas[i]) * pred).astype(F32)
    return lat, sigmas, timesteps


# ----------------------------------------------------------------------------- check

def rel(a, ref):
    return float(np.abs(a - ref).max() / np.abs(ref).max())


def check_case(case_dir: Path, tol: float) -> bool:
    info = json.loads((case_dir / "case.json").read_text())
    cfg = json.loads((case_dir / "model/transformer/config.json").read_text())
    W = read_safetensors(case_dir / "model/transformer/diffusion_pytorch_model.safetensors")
    ok = True
    i = read_safetensors(case_dir / "dit_inputs.safetensors")
    o = read_safetensors(case_dir / "dit_outputs.safetensors")
    r = rel(wan_forward(W, cfg, i["hidden_states"], i["timestep"], i["encoder_hidden_states"]), o["sample"])
    ok &= r <= tol
    msg = f"{case_dir.name:28s} dit rel {r:.2e}"
    if info.get("sampling"):
        si = read_safetensors(case_dir / "sample_inputs.safetensors")
        so = read_safetensors(case_dir / "sample_outputs.safetensors")
        lat, sig, ts = sample(W, cfg, si["noise"], si["prompt_embeds"], si.get("negative_prompt_embeds"),
                              info["shift"], info["steps"], info["guidance"])
        exact = np.array_equal(sig, so["sigmas"]) and np.array_equal(ts, so["timesteps"])
        r2 = rel(lat, so["latents"])
        ok &= exact and r2 <= tol
        msg += f"  schedule bit-exact {exact}  latents rel {r2:.2e}"
    print(msg, "OK" if ok else "FAIL")
    return ok


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "Tests/ReelModelTests/Fixtures"
    results = [check_case(d, 1e-4) for d in sorted(root.iterdir()) if (d / "case.json").exists()]
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
