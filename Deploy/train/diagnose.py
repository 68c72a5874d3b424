"""Cheap checks (minutes each) of a demo-model run, to tell which part is wrong before
spending hours of training. Reads the checkpoints in --work and an export in --out.

    python3 diagnose.py --check words       # does the conditioning tell prompts apart?
    python3 diagnose.py --check vae         # colours after encode -> decode (17 frames)
    python3 diagnose.py --check drift       # the same over 61 frames (the demo's window), by time
    python3 diagnose.py --check norm        # latent statistics: export vs training
    python3 diagnose.py --check teacher     # one denoising prediction from sigma 0.5
    python3 diagnose.py --check guidance    # samples at several guidance scales
    python3 diagnose.py --check phases      # motion by a frame pair's place in its latent frame (81 frames)

Colours are measured as the mean RGB of the object's pixels (where the source clip has
its object) and of the rest (the background), on the 0-255 scale.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clips  # noqa: E402
import quality  # noqa: E402
import standin_embed  # noqa: E402
import train  # noqa: E402

from diffusers import WanTransformer3DModel  # noqa: E402


def to_pixels(x: torch.Tensor) -> np.ndarray:
    """`(3, T, H, W)` in [-1, 1] -> `(T, H, W, 3)` float 0-255."""
    return ((x.clamp(-1, 1) + 1) * 127.5).permute(1, 2, 3, 0).numpy()


def colours(frames: np.ndarray, spec: clips.ClipSpec, first: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean RGB on the object (where the source draws it fully) and off it."""
    mask = np.stack([spec.coverage(*(c % 64 for c in spec.centre(first + i, 64, 64)), 64, 64) > 0.99
                     for i in range(len(frames))])
    far = np.stack([spec.coverage(*(c % 64 for c in spec.centre(first + i, 64, 64)), 64, 64) == 0
                    for i in range(len(frames))])
    return frames[mask].mean(0), frames[far].mean(0)


def fmt(c: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:5.0f}" for v in c) + ")"


def check_words(args) -> None:
    """The stand-in embedder gives one row per word and the transformer's cross-attention
    has no position term, so the conditioning is a *bag* of words: two prompts with the
    same words in another order are the same condition. Counts such collisions in the
    grammar and shows that a row permutation leaves the transformer's output unchanged."""
    seen: dict[tuple, set] = {}
    for seed in range(3000):
        p = clips.ClipSpec.sample(seed).prompt()
        seen.setdefault(tuple(sorted(p.split())), set()).add(p)
    clashes = [v for v in seen.values() if len(v) > 1]
    print(f"{len(seen)} distinct bags of words over 3,000 sampled prompts; {len(clashes)} bags hold 2+ different prompts")
    for v in clashes[:4]:
        print("   same bag:", " | ".join(sorted(v)))
    model = WanTransformer3DModel.from_pretrained(args.out, subfolder="transformer").eval()
    a, b = args.pair
    ea = torch.from_numpy(standin_embed.embed(a, train.TEXT_DIM, train.TEXT_TOKENS))[None]
    eb = torch.from_numpy(standin_embed.embed(b, train.TEXT_DIM, train.TEXT_TOKENS))[None]
    x = torch.randn(1, 8, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([500.0])
    with torch.no_grad():
        va = model(hidden_states=x, timestep=t, encoder_hidden_states=ea, return_dict=False)[0]
        vb = model(hidden_states=x, timestep=t, encoder_hidden_states=eb, return_dict=False)[0]
    print(f"'{a}' vs '{b}': embeddings differ by {(ea - eb).abs().max():.3g}, "
          f"transformer outputs by {(va - vb).abs().max():.3g} (of {va.abs().mean():.3g} mean |v|)")


def load_vae(args, path: str | None = None):
    """The VAE of `path`, else the first --vae-ckpt, else the work folder's checkpoint."""
    vae = train.AutoencoderKLWan(**train.VAE_CONFIG)
    path = path or (args.vae_ckpt or [os.path.join(args.work, "vae_ckpt.pt")])[0]
    state = torch.load(path, weights_only=False)
    vae.load_state_dict(state["model"])
    print(f"VAE {path}: step {state['step']}, trained on {state.get('frames', 9)}-frame clips")
    return vae.eval()


def check_drift(args) -> None:
    """Colours after encode -> decode of 61 frames, by time: a VAE trained on short clips
    drifts once its causal cache runs past what they trained. With several --vae-ckpt,
    each in turn; --png draws the first clip's frames 0, 8, …, 56: the source, then each
    checkpoint's decode."""
    for path in args.vae_ckpt or [None]:
        drift_of(args, load_vae(args, path))
    if args.png:
        from PIL import Image

        Image.fromarray(np.concatenate(STRIPS, axis=0)).save(args.png)
        print(f"wrote {args.png}")


STRIPS: list[np.ndarray] = []


def drift_of(args, vae) -> None:
    errors = []
    for seed in args.seeds[:3]:
        spec = clips.ClipSpec.sample(seed)
        x = train.clip_tensor(spec, 61, 0)
        with torch.no_grad():
            r = vae.decode(vae.encode(x[None]).latent_dist.mode()).sample[0]
        src, rec = to_pixels(x), to_pixels(r)
        if seed == args.seeds[0]:
            if not STRIPS:
                STRIPS.append(np.concatenate(list(src[0:57:8]), axis=1).round().astype(np.uint8))
            STRIPS.append(np.concatenate(list(rec[0:57:8]), axis=1).round().astype(np.uint8))
        print(spec.prompt())
        row = []
        for t0 in range(0, 61, 12):
            (o, b), (os_, bs) = colours(rec[t0 : t0 + 4], spec, t0), colours(src[t0 : t0 + 4], spec, t0)
            row.append((np.abs(o - os_).mean(), np.abs(b - bs).mean()))
            print(f"  frames {t0:2d}-{min(t0 + 3, len(src) - 1):2d}: object {fmt(os_)} -> {fmt(o)}   background {fmt(bs)} -> {fmt(b)}")
        errors.append(row)
    e = np.array(errors).mean(0)
    print("mean |error| (0-255) by frames 0-3, 12-15, …, 60: object " + " ".join(f"{v:.0f}" for v in e[:, 0])
          + "; background " + " ".join(f"{v:.0f}" for v in e[:, 1]))


def check_vae(args) -> None:
    vae = load_vae(args)
    print("clip                                                           object src -> recon          background src -> recon")
    errs = []
    for seed in args.seeds:
        spec = clips.ClipSpec.sample(seed)
        x = train.clip_tensor(spec, 17, 0)
        with torch.no_grad():
            z = vae.encode(x[None]).latent_dist.mode()
            r = vae.decode(z).sample[0]
        src, rec = to_pixels(x), to_pixels(r)
        (os_, bs), (orc, brc) = colours(src, spec, 0), colours(rec, spec, 0)
        errs.append((np.abs(os_ - orc).mean(), np.abs(bs - brc).mean()))
        print(f"{spec.prompt()[:62]:62s} {fmt(os_)} -> {fmt(orc)}  {fmt(bs)} -> {fmt(brc)}")
    e = np.array(errs)
    print(f"mean |error| per channel: object {e[:, 0].mean():.1f}, background {e[:, 1].mean():.1f} (0-255)")


def check_norm(args) -> None:
    import json

    data = train.load_latents(args)
    with open(os.path.join(args.out, "vae", "config.json")) as f:
        cfg = json.load(f)
    mean, std = np.array(cfg["latents_mean"]), np.array(cfg["latents_std"])
    print("export latents_mean", np.round(mean, 3), "\ntraining mean      ", np.round(data["mean"].numpy(), 3))
    print("export latents_std ", np.round(std, 3), "\ntraining std       ", np.round(data["std"].numpy(), 3))
    z = (data["latents"] - data["mean"].view(1, -1, 1, 1, 1)) / data["std"].view(1, -1, 1, 1, 1)
    print(f"normalised training latents: mean {z.mean():.3f}, std {z.std():.3f}, "
          f"max |mean| per channel {z.mean(dim=(0, 2, 3, 4)).abs().max():.3f}")
    vae_step = torch.load(os.path.join(args.work, "vae_ckpt.pt"), weights_only=False)["step"]
    print(f"VAE checkpoint step {vae_step}; latents files written {sorted(os.listdir(os.path.join(args.work, 'latents')))[:1]}…")


def check_teacher(args) -> None:
    """Noises training latents to sigma and decodes the transformer's one-step x0
    prediction, with the clip's prompt, the empty prompt and guidance, against the
    clip itself."""
    data = train.load_latents(args)
    mean, std = data["mean"].view(1, -1, 1, 1, 1), data["std"].view(1, -1, 1, 1, 1)
    vae = train.load_vae(args)
    model = WanTransformer3DModel.from_pretrained(args.out, subfolder="transformer").eval()
    seeds = torch.load(os.path.join(args.work, "latents", "part_0000.pt"), weights_only=False)["seeds"]
    g = torch.Generator().manual_seed(1)
    rows = []
    for i in range(args.count):
        spec = clips.ClipSpec.sample(seeds[i])
        z0 = ((data["latents"][i : i + 1, :, :5]) - mean) / std  # 5 latent frames = 17 pixel frames
        noise = torch.randn(z0.shape, generator=g)
        s = args.sigma
        xt = (1 - s) * z0 + s * noise
        cond = torch.from_numpy(standin_embed.embed(data["prompts"][i], train.TEXT_DIM, train.TEXT_TOKENS))[None]
        t = torch.tensor([s * 1000])
        with torch.no_grad():
            vc = model(hidden_states=xt, timestep=t, encoder_hidden_states=cond, return_dict=False)[0]
            vu = model(hidden_states=xt, timestep=t, encoder_hidden_states=torch.zeros_like(cond), return_dict=False)[0]
            out = [fmt(colours(to_pixels(vae.decode(z0 * std + mean).sample[0]), spec, 0)[0])]
            for name, v in (("cond", vc), ("uncond", vu), ("cfg4", vu + 4 * (vc - vu))):
                x0 = xt - s * v
                err = (x0 - z0).pow(2).mean().item()
                pix = to_pixels(vae.decode(x0 * std + mean).sample[0])
                o, b = colours(pix, spec, 0)
                out.append(f"{name} mse {err:.3f} obj {fmt(o)} bg {fmt(b)}")
        print(f"{spec.prompt()}\n   target obj {out[0]}\n   " + "\n   ".join(out[1:]))
        rows.append(out)


def check_guidance(args) -> None:
    from PIL import Image

    strips = []
    for guidance in args.guidances:
        found, bgs, moves = [], [], []
        for prompt in args.prompts:
            spec, _ = clips.parse_prompt(prompt)
            video = train.sample(args.out, prompt, args.latent_frames, args.steps, guidance, args.seed)
            found.append(quality.colour_found(video, spec.colour).mean())
            # Frames after the first latent frame's (the transformer no longer trains on it).
            moves.append(quality.direction_ok(quality.centroids(video[5:], spec.colour), spec.direction, 64, 64))
            target = np.array(clips.BACKGROUND_COLOURS[spec.background], np.float32)
            corner = video[:, :6, :6].reshape(-1, 3).astype(np.float32).mean(0)
            bgs.append(np.abs(corner - target).mean())
            strips.append(np.concatenate(list(video[:: max(1, len(video) // 8)][:8]), axis=1))
        print(f"guidance {guidance:g}: prompted colour found in {100 * np.mean(found):.0f} % of frames "
              f"(per prompt {', '.join(f'{100 * f:.0f}' for f in found)}); background corner |error| {np.mean(bgs):.1f}; "
              f"direction right in {sum(m is True for m in moves)} of {len(moves)} (undecided {sum(m is None for m in moves)})", flush=True)
    if args.png:
        Image.fromarray(np.concatenate(strips, axis=0)).save(args.png)
        print(f"wrote {args.png} (rows: each guidance × each prompt)")


def check_phases(args) -> None:
    """Mean |frame-to-frame difference| of encode -> decode over 81 frames, by the pair's
    place among each latent frame's four pixel frames (pair t = frames t-1, t; t % 4 == 1
    crosses from one latent frame to the next), each over the mean of all four. The
    clips move evenly (about 1.0 each); a decoder that bunches the motion into the pairs
    between latent frames reads as a seam wherever the farm's windows meet, since those
    fall between latent frames too (the step-9,950 decoder: 0.78, 1.21, 1.03, 0.98; step
    10,550: 0.78, 1.12, 1.12, 0.98; the shipped step 10,850: 0.89, 1.11, 1.02, 0.99). With
    WORK/sample_pool.pt, the same over the transformer's pooled samples, decoded whole
    (64 px), and their `phase_excess`."""
    for path in args.vae_ckpt or [None]:
        vae = load_vae(args, path)
        recon, source = np.zeros(4), np.zeros(4)
        for seed in args.seeds[:5]:
            x = train.clip_tensor(clips.ClipSpec.sample(900 + seed), 81, 7)[None]
            with torch.no_grad():
                r = train.decode_unclamped(vae, vae.encode(x).latent_dist.mode()).clamp(-1, 1)
            for clip, total in ((r, recon), (x, source)):
                d = (clip[0, :, 1:] - clip[0, :, :-1]).abs().mean(dim=(0, 2, 3)).numpy()
                t = np.arange(1, clip.shape[2])
                total += [d[t % 4 == phase].mean() for phase in range(4)]
        print("pairs t % 4 = 0, 1 (between latent frames), 2, 3 over their mean: decode "
              + " ".join(f"{v:.3f}" for v in recon / recon.mean()) + "; source " + " ".join(f"{v:.3f}" for v in source / source.mean()))
        pool = os.path.join(args.work, "sample_pool.pt")
        if os.path.exists(pool):
            # The transformer's own samples (train.py's --sample-pool), decoded as the farm
            # decodes a clip's start and numbered as its frames: what --pool-evenness evens.
            latents = torch.load(pool, weights_only=False)["latents"]
            phases, excess = np.zeros(4), []
            for z in latents.split(2):
                z = torch.cat([z[:, :, 1:2], z], 2)
                with torch.no_grad():
                    r = train.decode_unclamped(vae, z, 1)
                excess.append(train.phase_excess(r).item())
                phases += train.phase_ratios(r.clamp(-1, 1)).sum(0).numpy()
            phases /= len(latents)
            print(f"the {len(latents)} pooled samples ({pool}), pairs numbered as above: "
                  + " ".join(f"{v:.3f}" for v in phases) + f"; phase_excess {np.mean(excess):.4f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", choices=["words", "vae", "drift", "norm", "teacher", "guidance", "phases"], required=True)
    p.add_argument("--vae-ckpt", nargs="*", default=None, help="vae, drift, phases: VAE checkpoints other than WORK/vae_ckpt.pt")
    p.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"))
    p.add_argument("--out", default="/tmp/demo-export")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5, 6, 7, 8])
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--sigma", type=float, default=0.5)
    # The first runs' grammar: two prompts with the same words in another order.
    p.add_argument("--pair", nargs=2, default=["a red ball moving left to right on a dark blue background",
                                               "a blue ball moving right to left on a dark red background"])
    p.add_argument("--guidances", type=float, nargs="*", default=[1.0, 2.0, 4.0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--latent-frames", type=int, default=8)
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--png", default=None)
    p.add_argument("--prompts", nargs="*", default=train.PREVIEW_PROMPTS)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    {"words": check_words, "vae": check_vae, "drift": check_drift, "norm": check_norm, "teacher": check_teacher, "guidance": check_guidance, "phases": check_phases}[args.check](args)


if __name__ == "__main__":
    main()
