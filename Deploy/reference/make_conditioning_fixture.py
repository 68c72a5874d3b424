#!/usr/bin/env python3
"""Reference for Reel's conditioning arithmetic (issue #16): how an SDEdit strength maps
to the first step, and flow matching's forward process that pinning re-noises with.

Writes Tests/ReelModelTests/Fixtures/conditioning/scale_noise.json from diffusers:
- FlowMatchEulerDiscreteScheduler(shift=S).set_timesteps(N): the sigmas;
- WanVideoToVideoPipeline.get_timesteps's rule for t_start (called on a bare instance,
  so the fixture records diffusers' own function, not a copy of it);
- scheduler.scale_noise(x0, t, eps) with set_begin_index(i) for every step i and for
  each strength's t_start: sigma_i * eps + (1 - sigma_i) * x0 in float32.
Deterministic: fixed seed, one thread. CI never runs this; the Swift test reads the JSON.
"""
import argparse
import json
import os

import torch
import diffusers
from diffusers import FlowMatchEulerDiscreteScheduler
from diffusers.pipelines.wan.pipeline_wan_video2video import WanVideoToVideoPipeline

torch.set_num_threads(1)


def t_start_for(strength, steps, scheduler):
    # get_timesteps only reads self.scheduler.order, so a bare object holding the scheduler is enough.
    holder = WanVideoToVideoPipeline.__new__(WanVideoToVideoPipeline)
    object.__setattr__(holder, "scheduler", scheduler)
    _, remaining = WanVideoToVideoPipeline.get_timesteps(holder, steps, scheduler.timesteps, strength, "cpu")
    return steps - remaining


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "Tests", "ReelModelTests", "Fixtures", "conditioning", "scale_noise.json")
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=default)
    args = parser.parse_args()

    steps, shift = 10, 3.0
    shape = [2, 3, 2, 3]  # [C, t, y, x]
    g = torch.Generator().manual_seed(1616)
    x0 = torch.randn(shape, generator=g, dtype=torch.float32)
    eps = torch.randn(shape, generator=g, dtype=torch.float32)

    scheduler = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=shift)
    scheduler.set_timesteps(steps)
    sigmas = scheduler.sigmas.to(torch.float32)

    noised = []
    for i in range(steps + 1):
        scheduler.set_begin_index(i)
        t = scheduler.timesteps[i : i + 1] if i < steps else torch.tensor([0.0])
        out = scheduler.scale_noise(x0[None], t, eps[None])[0]
        noised.append([float(v) for v in out.flatten()])

    strengths = [1.0, 0.75, 0.62, 0.5, 0.33, 0.3, 0.25, 0.1]
    starts = [t_start_for(s, steps, scheduler) for s in strengths]

    fixture = {
        "generator": f"make_conditioning_fixture.py, torch {torch.__version__}, diffusers {diffusers.__version__}",
        "steps": steps,
        "shift": shift,
        "shape": shape,
        "sigmas": [float(s) for s in sigmas],
        "x0": [float(v) for v in x0.flatten()],
        "noise": [float(v) for v in eps.flatten()],
        "noised": noised,
        "strengths": strengths,
        "first_steps": starts,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote", args.out, "first steps", starts)


if __name__ == "__main__":
    main()
