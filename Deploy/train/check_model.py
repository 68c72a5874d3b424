"""Checks a demo model folder the way the issue's "done when" asks: diffusers loads
both parts (WanTransformer3DModel, AutoencoderKLWan), and diffusers' own sampling of
it (FlowMatchEulerDiscreteScheduler steps, classifier-free guidance against the empty
prompt's zero rows) gives the same latents as `reel model sample` on the same noise
and stand-in embeddings.

    python3 check_model.py Models/demo --reel .build/debug/reel
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_embed  # noqa: E402

from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanTransformer3DModel  # noqa: E402


@torch.no_grad()
def diffusers_sample(folder: str, noise: torch.Tensor, cond: torch.Tensor, uncond: torch.Tensor, steps: int, guidance: float) -> torch.Tensor:
    model = WanTransformer3DModel.from_pretrained(folder, subfolder="transformer").eval()
    scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(folder, subfolder="scheduler")
    scheduler.set_timesteps(steps)
    x = noise.clone()
    for t in scheduler.timesteps:
        tt = t.expand(x.shape[0])
        v = model(hidden_states=x, timestep=tt, encoder_hidden_states=cond, return_dict=False)[0]
        if guidance != 1:
            vu = model(hidden_states=x, timestep=tt, encoder_hidden_states=uncond, return_dict=False)[0]
            v = vu + guidance * (v - vu)
        x = scheduler.step(v, t, x, return_dict=False)[0]
    return x


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--reel", default=".build/debug/reel")
    p.add_argument("--prompt", default="a red ball bouncing rightwards on a navy background")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--guidance", type=float, default=4.0)
    p.add_argument("--latent-frames", type=int, default=5)
    p.add_argument("--tolerance", type=float, default=1e-4)
    args = p.parse_args()
    torch.set_num_threads(2)

    vae = AutoencoderKLWan.from_pretrained(args.folder, subfolder="vae")
    model_config = WanTransformer3DModel.load_config(os.path.join(args.folder, "transformer"))
    print(f"diffusers loads the VAE (z_dim {vae.config.z_dim}) and the transformer (text_dim {model_config['text_dim']})")
    channels, text_dim = model_config["in_channels"], model_config["text_dim"]
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(1, channels, args.latent_frames, 8, 8, generator=g)
    cond = torch.from_numpy(standin_embed.embed(args.prompt, text_dim, 512))[None]
    uncond = torch.zeros_like(cond)
    expected = diffusers_sample(args.folder, noise, cond, uncond, args.steps, args.guidance)
    with tempfile.TemporaryDirectory() as tmp:
        inputs, output = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
        save_file({"noise": noise.numpy(), "prompt_embeds": cond.numpy(), "negative_prompt_embeds": uncond.numpy()}, inputs)
        subprocess.run([args.reel, "model", "sample", args.folder, "--inputs", inputs, "--output", output,
                        "--steps", str(args.steps), "--guidance", str(args.guidance), "--threads", "2"], check=True)
        got = next(iter(load_file(output).values()))
    maxdiff = float(np.abs(got - expected.numpy()).max())
    print(f"reel model sample vs diffusers: {args.steps} steps, guidance {args.guidance}, maxdiff {maxdiff:.3g}")
    sys.exit(0 if maxdiff <= args.tolerance else 1)


if __name__ == "__main__":
    main()
