#!/usr/bin/env python3
"""Write the committed DiT / sampler parity fixtures for Reel's Swift engine.

Every case gets one folder under ``Tests/ReelModelTests/Fixtures/<case>/``:

    model/transformer/config.json                        diffusers' own save_pretrained
    model/transformer/diffusion_pytorch_model.safetensors
    model/scheduler/scheduler_config.json                FlowMatchEulerDiscreteScheduler.save_config
    dit_inputs.safetensors      hidden_states [B,C_in,F,H,W], timestep [B], encoder_hidden_states [B,L,text_dim]
    dit_outputs.safetensors     sample [B,C_out,F,H,W]
    sample_inputs.safetensors   noise [B,C,F,H,W], prompt_embeds [B,L,text_dim], negative_prompt_embeds (guided only)
    sample_outputs.safetensors  latents [B,C,F,H,W] after N steps, sigmas [N+1], timesteps [N],
                                trajectory [N,B,C,F,H,W] (latents after each step, for locating a divergence)
    case.json                   steps, guidance, shift, weights_dtype, description, ... (see ``Case.case_json``)

A case whose transformer has in_channels != out_channels cannot be sampled (the
pipeline feeds the prediction back as the next latents), so it has no
``sample_*`` files and ``"sampling": false`` / ``"steps": null`` in case.json.

The reference numbers are always computed by a model re-loaded from the folder
just written, with ``WanTransformer3DModel.from_pretrained(..., torch_dtype=float32)``,
i.e. exactly what a float32 consumer of that folder should reproduce. For the
bf16 cases this means bf16-rounded weights upcast to float32 (the RoPE tables
are *not* rounded: they are a non-persistent buffer rebuilt in float64->float32
by the constructor, unlike ``model.to(bfloat16).float()`` which would round them).

Everything is float32 on CPU under ``torch.no_grad()`` with one torch thread and
fixed seeds, so re-running the script reproduces the committed files bit for bit
on the same torch/diffusers versions.

Usage:  python3 Deploy/reference/make_dit_fixtures.py [--out DIR] [--only CASE ...]
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
from diffusers import FlowMatchEulerDiscreteScheduler, WanTransformer3DModel

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "ReelModelTests" / "Fixtures"


@dataclasses.dataclass
class Case:
    """One fixture case: a tiny random Wan transformer plus the inputs to run through it."""

    name: str
    description: str
    seed: int
    weights_dtype: str  # "float32" or "bfloat16": dtype of the stored safetensors weights
    batch: int
    latent_fhw: tuple[int, int, int]  # F, H, W of the latent (before patching)
    text_len: int
    dit_timesteps: list[float]  # one per batch element, float32-exact values
    shift: float
    steps: int | None  # None: no sampling fixture for this case
    guidance: float | None  # None: unguided (single forward per step, no negative embeds)
    config: dict  # WanTransformer3DModel constructor kwargs

    @property
    def sampling(self) -> bool:
        return self.steps is not None

    def case_json(self) -> dict:
        f, h, w = self.latent_fhw
        return {
            "steps": self.steps,
            "guidance": self.guidance,
            "shift": self.shift,
            "weights_dtype": self.weights_dtype,
            "description": self.description,
            "sampling": self.sampling,
            "batch": self.batch,
            "latent_shape": [self.batch, self.config["in_channels"], f, h, w],
            "output_shape": [self.batch, self.config["out_channels"], f, h, w],
            "text_len": self.text_len,
            "dit_timesteps": self.dit_timesteps,
            "seed": self.seed,
            "generator": f"make_dit_fixtures.py, torch {torch.__version__}, diffusers {diffusers.__version__}",
        }


def base_config(**overrides) -> dict:
    """Tiny WanTransformer3DModel config; every key diffusers' config.json carries is spelled out."""
    cfg = dict(
        patch_size=[1, 2, 2],
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=4,
        out_channels=4,
        text_dim=16,
        freq_dim=32,
        ffn_dim=64,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        eps=1e-6,
        image_dim=None,
        added_kv_proj_dim=None,
        rope_max_seq_len=64,
        pos_embed_seq_len=None,
    )
    cfg.update(overrides)
    return cfg


CASES = [
    Case(
        name="fp32_batch2_nonsquare",
        description=(
            "fp32 weights, B=2 with different timesteps per batch element, 2 heads x head_dim 12 "
            "(RoPE split t/h/w = 4/4/4), cross_attn_norm, odd F=3, non-square 4x8 latent, "
            "ffn 64 (not a multiple of width 24); CFG 5.0 with negative embeds, shift 3.0, 4 steps"
        ),
        seed=1001,
        weights_dtype="float32",
        batch=2,
        latent_fhw=(3, 4, 8),
        text_len=6,
        dit_timesteps=[937.5, 12.25],
        shift=3.0,
        steps=4,
        guidance=5.0,
        config=base_config(num_attention_heads=2, attention_head_dim=12, in_channels=4, out_channels=4,
                           text_dim=16, freq_dim=32, ffn_dim=64, cross_attn_norm=True),
    ),
    Case(
        name="bf16_three_heads",
        description=(
            "bf16-stored weights (reference = bf16-rounded weights computed in fp32), B=1, 3 heads x head_dim 8 "
            "(RoPE split t/h/w = 4/2/2), no cross_attn_norm (norm2 is Identity, no norm2 weights), "
            "in_channels 6 != out_channels 4, F=5, 6x6 latent; DiT fixture only (in != out cannot be sampled, "
            "see bf16_three_heads_sampling)"
        ),
        seed=2002,
        weights_dtype="bfloat16",
        batch=1,
        latent_fhw=(5, 6, 6),
        text_len=8,
        dit_timesteps=[500.75],
        shift=5.0,
        steps=None,
        guidance=None,
        config=base_config(num_attention_heads=3, attention_head_dim=8, in_channels=6, out_channels=4,
                           text_dim=32, freq_dim=16, ffn_dim=48, cross_attn_norm=False),
    ),
    Case(
        name="bf16_three_heads_sampling",
        description=(
            "Sampling companion of bf16_three_heads: same architecture but in_channels = out_channels = 4 so the "
            "prediction can be fed back; bf16-stored weights, B=1, 3 heads x head_dim 8, no cross_attn_norm, "
            "F=5, 6x6 latent; CFG 4.5 with negative embeds, shift 5.0, 4 steps"
        ),
        seed=3003,
        weights_dtype="bfloat16",
        batch=1,
        latent_fhw=(5, 6, 6),
        text_len=7,
        dit_timesteps=[333.125],
        shift=5.0,
        steps=4,
        guidance=4.5,
        config=base_config(num_attention_heads=3, attention_head_dim=8, in_channels=4, out_channels=4,
                           text_dim=32, freq_dim=16, ffn_dim=48, cross_attn_norm=False),
    ),
    Case(
        name="fp32_unguided",
        description=(
            "fp32 weights, B=1, 2 heads x head_dim 16 (RoPE split t/h/w = 8/4/4), cross_attn_norm, single frame "
            "F=1, 4x4 latent (4 tokens), ffn 4x width; no guidance (one forward per step, no negative embeds), "
            "shift 1.0, 3 steps"
        ),
        seed=4004,
        weights_dtype="float32",
        batch=1,
        latent_fhw=(1, 4, 4),
        text_len=5,
        dit_timesteps=[12.25],
        shift=1.0,
        steps=3,
        guidance=None,
        config=base_config(num_attention_heads=2, attention_head_dim=16, in_channels=4, out_channels=4,
                           text_dim=24, freq_dim=64, ffn_dim=128, cross_attn_norm=True),
    ),
]


def perturb_for_coverage(model: WanTransformer3DModel, gen: torch.Generator, scale: float = 0.2,
                         gelu_gain: float = 4.0, ffn_out_gain: float = 3.0) -> None:
    """Make the random model sensitive to the mistakes a reimplementation is likely to make.

    * RMSNorm / LayerNorm weights start at 1 and biases at 0, so an implementation that ignores
      them (or applies norm_q to the wrong axis, or drops norm2's bias) would still match an
      unperturbed model: add noise to norm_q/norm_k (self and cross attention) and norm2.
    * The adaLN scale_shift_tables are random already but get extra noise so their exact chunk
      order (shift, scale, gate, c_shift, c_scale, c_gate) matters more.
    * With default init the GELU inputs have std ~0.6, where tanh-GELU and erf-GELU differ by
      < 1e-4 relative; scaling the two GELU-feeding projections (ffn.net.0.proj and
      text_embedder.linear_1) by ``gelu_gain`` pushes them to std ~2.3 so using the wrong GELU
      fails the 1e-4 tolerance; ffn.net.2 is scaled by ``ffn_out_gain`` so the FFN branch (and
      with it the GELU) carries a larger share of each block's residual update.
    """

    def noise_like(p: torch.Tensor) -> torch.Tensor:
        return torch.randn(p.shape, generator=gen, dtype=torch.float32) * scale

    with torch.no_grad():
        for block in model.blocks:
            for attn in (block.attn1, block.attn2):
                for norm in (attn.norm_q, attn.norm_k):
                    norm.weight.add_(noise_like(norm.weight))
            if isinstance(block.norm2, torch.nn.LayerNorm):
                block.norm2.weight.add_(noise_like(block.norm2.weight))
                block.norm2.bias.add_(noise_like(block.norm2.bias))
            block.scale_shift_table.add_(noise_like(block.scale_shift_table))
        model.scale_shift_table.add_(noise_like(model.scale_shift_table))
        for block in model.blocks:
            block.ffn.net[0].proj.weight.mul_(gelu_gain)
            block.ffn.net[2].weight.mul_(ffn_out_gain)
        model.condition_embedder.text_embedder.linear_1.weight.mul_(gelu_gain)


def build_model_folder(case: Case, model_dir: Path) -> WanTransformer3DModel:
    """Create, perturb and save the random transformer + scheduler config; return the float32 reloaded model."""
    torch.manual_seed(case.seed)
    gen = torch.Generator().manual_seed(case.seed + 1)
    model = WanTransformer3DModel(**case.config).eval()
    perturb_for_coverage(model, gen)

    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[case.weights_dtype]
    to_save = model.to(dtype) if dtype != torch.float32 else model
    to_save.save_pretrained(model_dir / "transformer", safe_serialization=True)

    FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=case.shift).save_config(model_dir / "scheduler")

    # Reference model: exactly what a float32 reader of the folder gets.
    ref = WanTransformer3DModel.from_pretrained(model_dir, subfolder="transformer", torch_dtype=torch.float32).eval()
    saved = dict(to_save.named_parameters())
    for name, p in ref.named_parameters():
        assert p.dtype == torch.float32, name
        assert torch.equal(p, saved[name].float()), f"reloaded parameter {name} differs from the saved one"
    return ref


def randn(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(shape, generator=gen, dtype=torch.float32)


@torch.no_grad()
def dit_forward(model: WanTransformer3DModel, hidden_states, timestep, encoder_hidden_states) -> torch.Tensor:
    return model(hidden_states, timestep, encoder_hidden_states, return_dict=False)[0]


@torch.no_grad()
def sample_like_wan_pipeline(model, scheduler, noise, prompt_embeds, negative_prompt_embeds, steps, guidance):
    """The denoising loop of diffusers' WanPipeline.__call__ (Wan 2.1 T2V path), without VAE/text encoder.

    Mirrors pipeline_wan.py: set_timesteps(N); set_begin_index(0); for each t:
    latent_model_input = latents (float32), timestep = t.expand(B), cond forward, uncond forward with
    the negative embeds when guidance > 1, noise_uncond + g * (noise_pred - noise_uncond), then
    scheduler.step(noise_pred, t, latents).
    """
    scheduler.set_timesteps(steps, device="cpu")
    scheduler.set_begin_index(0)
    latents = noise.to(torch.float32)
    do_cfg = guidance is not None and guidance > 1.0
    trajectory = []
    for t in scheduler.timesteps:
        latent_model_input = latents.to(torch.float32)
        timestep = t.expand(latents.shape[0])
        noise_pred = model(hidden_states=latent_model_input, timestep=timestep,
                           encoder_hidden_states=prompt_embeds, return_dict=False)[0]
        if do_cfg:
            noise_uncond = model(hidden_states=latent_model_input, timestep=timestep,
                                 encoder_hidden_states=negative_prompt_embeds, return_dict=False)[0]
            noise_pred = noise_uncond + guidance * (noise_pred - noise_uncond)
        latents = scheduler.step(noise_pred, t, latents, return_dict=False)[0]
        trajectory.append(latents.clone())
    return latents, torch.stack(trajectory)


def save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    for k, v in tensors.items():
        assert v.dtype == torch.float32, (path, k, v.dtype)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata={"format": "pt"})


def make_case(case: Case, out_root: Path) -> dict:
    """Write one case folder; return a summary with max|ref| of every output."""
    case_dir = out_root / case.name
    if case_dir.exists():
        shutil.rmtree(case_dir)
    model_dir = case_dir / "model"
    model_dir.mkdir(parents=True)

    model = build_model_folder(case, model_dir)
    cfg = case.config
    f, h, w = case.latent_fhw
    gen = torch.Generator().manual_seed(case.seed + 2)
    summary = {"case": case.name, "params": sum(p.numel() for p in model.parameters())}

    # Single forward.
    hidden_states = randn(gen, case.batch, cfg["in_channels"], f, h, w)
    timestep = torch.tensor(case.dit_timesteps, dtype=torch.float32)
    assert timestep.tolist() == case.dit_timesteps, "dit timesteps must be exact in float32"
    encoder_hidden_states = randn(gen, case.batch, case.text_len, cfg["text_dim"])
    sample = dit_forward(model, hidden_states, timestep, encoder_hidden_states)
    assert sample.shape == (case.batch, cfg["out_channels"], f, h, w)
    save_tensors(case_dir / "dit_inputs.safetensors", {
        "hidden_states": hidden_states, "timestep": timestep, "encoder_hidden_states": encoder_hidden_states})
    save_tensors(case_dir / "dit_outputs.safetensors", {"sample": sample})
    summary["dit_max_abs"] = sample.abs().max().item()
    summary["dit_std"] = sample.std().item()

    # Sampling loop.
    if case.sampling:
        assert cfg["in_channels"] == cfg["out_channels"]
        noise = randn(gen, case.batch, cfg["in_channels"], f, h, w)
        prompt_embeds = randn(gen, case.batch, case.text_len, cfg["text_dim"])
        inputs = {"noise": noise, "prompt_embeds": prompt_embeds}
        negative = None
        if case.guidance is not None:
            negative = randn(gen, case.batch, case.text_len, cfg["text_dim"])
            inputs["negative_prompt_embeds"] = negative
        # Scheduler read back from the folder, like any consumer would.
        scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(model_dir, subfolder="scheduler")
        latents, trajectory = sample_like_wan_pipeline(model, scheduler, noise, prompt_embeds, negative,
                                                       case.steps, case.guidance)
        save_tensors(case_dir / "sample_inputs.safetensors", inputs)
        save_tensors(case_dir / "sample_outputs.safetensors", {
            "latents": latents,
            "sigmas": scheduler.sigmas.to(torch.float32),
            "timesteps": scheduler.timesteps.to(torch.float32),
            "trajectory": trajectory,
        })
        summary["latents_max_abs"] = latents.abs().max().item()
        summary["latents_std"] = latents.std().item()
        summary["sigmas"] = scheduler.sigmas.tolist()
        summary["timesteps"] = scheduler.timesteps.tolist()

    with open(case_dir / "case.json", "w") as fh:
        json.dump(case.case_json(), fh, indent=2)
        fh.write("\n")
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
    if args.only:
        unknown = set(args.only) - names
        if unknown:
            parser.error(f"unknown case(s): {sorted(unknown)}; known: {sorted(names)}")

    print(f"torch {torch.__version__}, diffusers {diffusers.__version__}, out {args.out}")
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        s = make_case(case, args.out)
        line = f"{s['case']:28s} params {s['params']:7d}  dit max|ref| {s['dit_max_abs']:.4f} (std {s['dit_std']:.4f})"
        if "latents_max_abs" in s:
            line += f"  latents max|ref| {s['latents_max_abs']:.4f} (std {s['latents_std']:.4f})"
        print(line)
        if "sigmas" in s:
            print(f"{'':28s} sigmas {s['sigmas']}\n{'':28s} timesteps {s['timesteps']}")
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"total fixture size: {total} bytes ({total / 1024:.1f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
