"""Trains Reel's demo model: a tiny AutoencoderKLWan and a tiny WanTransformer3DModel
on procedural clips (clips.py), text-conditioned by Reel's stand-in embedder
(standin_embed.py), and writes them as a diffusers-layout model folder, the layout
`reel model init` writes (transformer/, scheduler/, vae/).

Run by hand, never in CI. Each phase checkpoints every --checkpoint-every steps into
--work and resumes from there, and stops at --budget-minutes (per call):

    nice -n 10 python3 train.py --phase vae --budget-minutes 25
    nice -n 10 python3 train.py --phase latents          # encode the DiT's training clips
    nice -n 10 python3 train.py --phase dit --budget-minutes 60
    python3 train.py --phase export --out ../../Models/demo

Losses go to WORK/vae_loss.csv and WORK/dit_loss.csv (step, seconds, loss, ...).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clips  # noqa: E402
import standin_embed  # noqa: E402

from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanTransformer3DModel  # noqa: E402

SIZE = 64  # frame side in pixels
FPS = 16
VAE_FRAMES = 9  # 4k+1 frames per VAE training clip (short: the causal convolutions see 1 + 2 chunks)
DIT_PIXEL_FRAMES = 81  # frames per encoded clip: 21 latent frames, cropped to DIT_WINDOW
DIT_WINDOW = 16  # latent frames per DiT training sample: the demo's window
TEXT_DIM = 64
TEXT_TOKENS = 512  # Reel pads prompts to 512 rows, as WanPipeline does
SHIFT = 3.0  # the tiny preset's FlowMatchEulerDiscreteScheduler shift
# Preview prompts: the first two differ in colour and direction, then a bounce and an orbit.
PREVIEW_PROMPTS = [
    "a red ball moving rightwards on a navy background",
    "a green ball moving leftwards on a navy background",
    "a large yellow square bouncing rightwards on a black background",
    "a white triangle orbiting clockwise on a pine background",
]

VAE_CONFIG = dict(
    base_dim=16, z_dim=8, dim_mult=[1, 2, 4, 4], num_res_blocks=1, attn_scales=[],
    temperal_downsample=[False, True, True], dropout=0.0,
    latents_mean=[0.0] * 8, latents_std=[1.0] * 8)
DIT_CONFIG = dict(
    patch_size=(1, 2, 2), num_attention_heads=4, attention_head_dim=32, in_channels=8, out_channels=8,
    text_dim=TEXT_DIM, freq_dim=64, ffn_dim=256, num_layers=4, cross_attn_norm=True,
    qk_norm="rms_norm_across_heads", eps=1e-6, image_dim=None, added_kv_proj_dim=None, rope_max_seq_len=1024)


def clip_tensor(spec: clips.ClipSpec, frames: int, start: int) -> torch.Tensor:
    """`(3, T, H, W)` in [-1, 1]."""
    pixels = spec.render(frames, SIZE, SIZE, start=start)
    return torch.from_numpy(pixels).permute(3, 0, 1, 2).float() / 127.5 - 1.0


class LossLog:
    def __init__(self, path: str, fields: list[str]):
        new = not os.path.exists(path)
        self.file = open(path, "a", newline="")
        self.writer = csv.writer(self.file)
        if new:
            self.writer.writerow(fields)

    def write(self, row: list) -> None:
        self.writer.writerow(row)
        self.file.flush()


def save_checkpoint(path: str, **state) -> None:
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


# MARK: VAE


def decode_unclamped(vae: AutoencoderKLWan, z: torch.Tensor, grad_begin: int = 0, grad_count: int | None = None) -> torch.Tensor:
    """The decode Reel and diffusers' `AutoencoderKLWan.decode` run, one latent frame at
    a time through the causal-convolution cache (the first with `first_chunk`), but
    without the final clamp to [-1, 1]: in training, the clamp zeroes the gradient of
    every pixel decoded past ±1, and the dark backgrounds sit at -0.94 to -0.57, so an
    overshoot there never comes back (an overfit of one clip reaches MSE 0.0055 in 50
    steps with the clamp and 0.0020 without).

    With `grad_begin`/`grad_count`, latent frames before `grad_begin` run without
    gradient (they only fill the cache) and the decode stops after `grad_count` frames:
    it returns the pixel frames of latent frames `grad_begin ..< grad_begin + grad_count`."""
    end = z.shape[2] if grad_count is None else grad_begin + grad_count
    vae.clear_cache()
    x = vae.post_quant_conv(z)  # a 1×1×1 convolution: frame by frame, no cache
    frames = []
    for i in range(end):
        vae._conv_idx = [0]
        with torch.set_grad_enabled(torch.is_grad_enabled() and i >= grad_begin):
            out = vae.decoder(x[:, :, i : i + 1], feat_cache=vae._feat_map, feat_idx=vae._conv_idx, first_chunk=i == 0)
        if i >= grad_begin:
            frames.append(out)
    vae.clear_cache()
    return torch.cat(frames, 2)


def object_mask(x: torch.Tensor) -> torch.Tensor:
    """`(B, 1, T, H, W)`: 1 where a pixel is far from its frame's median colour, i.e. on
    the object (the backgrounds are flat or smooth gradients); the object covers 2–11 %
    of a frame, so a plain MSE is nearly all background."""
    median = x.flatten(3).median(dim=3).values[..., None, None]
    return ((x - median).abs().amax(dim=1, keepdim=True) > 0.35).float()


def weighted_mse(recon: torch.Tensor, x: torch.Tensor, object_weight: float = 4.0) -> torch.Tensor:
    """MSE with the object's pixels weighted `1 + object_weight`, normalised by the
    weights' sum so its scale stays that of a plain MSE."""
    w = 1 + object_weight * object_mask(x)
    return ((recon - x).pow(2) * w).sum() / (w.sum() * x.shape[1])


def motion_mse(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """MSE between the frame-to-frame differences of the decode and of the clip. The
    causal decoder draws each latent frame's four pixel frames in one go, and a plain
    MSE lets it move the object unevenly across them: on the step-9,950 decoder the pairs
    that cross from one latent frame to the next differ 1.21× the mean, those inside one
    0.78–1.03× (`diagnose.py --check phases`), which reads as a seam wherever the farm's
    windows meet. The clips themselves move evenly (0.98–1.02×)."""
    return F.mse_loss(recon[:, :, 1:] - recon[:, :, :-1], x[:, :, 1:] - x[:, :, :-1])


def foreground_mse(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """MSE over the object's pixels only: what says whether the VAE reconstructs the
    object (a flat background decode has a small plain MSE and a large object MSE)."""
    m = object_mask(x)
    return ((recon - x).pow(2) * m).sum() / (m.sum() * x.shape[1]).clamp(min=1)



def phase_excess(recon: torch.Tensor) -> torch.Tensor:
    """A pool decode `(B, C, 4L, H, W)` (latent frame 0 in later form, whose first three
    pixel frames the farm drops, then L − 1 more) -> the mean over items of
    Σ_phase max(0, m_phase ÷ m − 1)², where m_phase is the item's mean |Δ| over the frame
    pairs at one place among a latent frame's four (one phase crosses from one latent
    frame to the next) and m the same over all pairs, held fixed (no gradient).

    Why: `motion_mse` evens the motion only where a clip gives the true motion; on the
    transformer's samples, which have no ground truth, the step-10,550 decoder (shipped
    before 10,850) still moves the object 1.07× the mean across latent frames, and the
    farm's windows always meet there. Every phase above the mean is pushed down, not only the crossing
    one: a first run that pushed only the crossing pairs moved the bunching to the pair
    after them (0.96 and 1.13 on the 12 drawn prompts), which reads better at the seams
    and is no more even. Phases below the mean get no gradient, so the term cannot be met
    by making the pairs inside a latent frame flicker; with `latent_frame_means` holding
    each latent frame's mean, lowering one phase spreads the move over the others."""
    return (phase_ratios(recon) - 1).clamp(min=0).pow(2).sum(1).mean()


def phase_ratios(recon: torch.Tensor) -> torch.Tensor:
    """A pool decode (as `phase_excess` takes it) -> `(B, 4)`: each item's mean |Δ| over
    the pairs at each place among a latent frame's four, numbered as the farm's frames
    (pair t ends at frame t; place 1 crosses between latent frames), over its mean pair,
    held fixed (no gradient)."""
    kept = recon[:, :, 3:]  # as the farm emits it: pixel frames 4l − 3 … 4l from latent frame l
    d = (kept[:, :, 1:] - kept[:, :, :-1]).abs().mean(dim=(1, 3, 4))  # B, pairs; pair t ends at frame t + 1
    phase = torch.arange(1, kept.shape[2]) % 4
    mean = d.mean(1).detach().clamp(min=1e-6)
    return torch.stack([d[:, phase == p].mean(1) for p in range(4)], 1) / mean[:, None]


def object_colour_mse(recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE between the object's mean colour in each frame of `recon` and of `target`
    `(B, C, T, H, W)`, each over its own `object_mask`: wherever each draws the object, so
    the term holds the colour whatever the spread of the motion.

    Why: `phase_excess` alone moved the drawn prompts' object colours towards red (a yellow
    ball (214, 187, 40) -> (211, 161, 44), a green square found in 84 -> 60 % of frames)
    although `latent_frame_means` held each latent frame's mean, which is mostly
    background."""
    def colour(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return (x * m).sum(dim=(3, 4)) / m.sum(dim=(3, 4)).clamp(min=1)  # B, C, T

    target_mask = object_mask(target.detach())
    has = (target_mask.sum(dim=(1, 3, 4)) > 0).float()[:, None]  # B, 1, T: frames showing the object
    recon_colour = colour(recon, object_mask(recon.detach()))
    return ((recon_colour - colour(target, target_mask)).pow(2) * has).sum() / (has.sum() * recon.shape[1]).clamp(min=1)


def latent_frame_means(x: torch.Tensor) -> torch.Tensor:
    """`(B, C, N, H, W)` pixel frames -> `(B, C, L, H, W)`: the mean of each latent frame's
    pixel frames (the first alone when N = 4k + 1, as the causal decoder draws it). It does
    not depend on how the motion is spread over a latent frame's four frames, so an anchor
    on it keeps the colours and content the anchor decoder draws and leaves the spread to
    `motion_mse`."""
    first = x[:, :, :1] if x.shape[2] % 4 == 1 else x[:, :, :0]
    rest = x[:, :, first.shape[2] :]
    groups = rest.reshape(*rest.shape[:2], rest.shape[2] // 4, 4, *rest.shape[3:]).mean(3)
    return torch.cat([first, groups], 2)


class SamplePool:
    """`--sample-pool N`: N of the anchor folder's transformer samples, drawn once (and kept
    in WORK/sample_pool.pt), each `--sample-windows` windows one after another as a farm
    decode runs them, from prompts of the whole grammar (seeds 5,000,000 on, which no
    measured prompt set uses). The decoder in training learns on them against the anchor
    decoder's decode, so that what it learns on encoder latents does not change how it
    reads the transformer's, which lie off the encoder's manifold: an anchor on encoder
    latents alone kept their colours but lost the drawn prompts' (green 84 -> 61 % of
    frames, Deploy/train/README.md)."""

    def __init__(self, args, anchor_folder: str):
        path = os.path.join(args.work, "sample_pool.pt")
        drawn_with = {"count": args.sample_pool, "windows": args.sample_windows, "steps": args.sample_steps,
                      "guidance": args.guidance, "seed": args.seed, "folder": os.path.abspath(anchor_folder)}
        if os.path.exists(path):
            state = torch.load(path, weights_only=False)
            if state.get("drawn_with") != drawn_with:
                sys.exit(f"{path} was drawn with {state.get('drawn_with')}, not {drawn_with}: delete it to draw the pool again")
            self.latents, self.prompts = state["latents"], state["prompts"]
            print(f"sample pool: {len(self.prompts)} samples of {self.latents.shape[2]} latent frames from {path}")
            return
        source = SampleTargets(anchor_folder, args.sample_steps, args.guidance)
        rng = np.random.default_rng(args.seed)
        self.prompts = [clips.ClipSpec.sample(5_000_000 + i).prompt() for i in range(args.sample_pool)]
        t0 = time.time()
        parts = []
        for i in range(0, len(self.prompts), 8):
            chunk = self.prompts[i : i + 8]
            z = source.sample([p for p in chunk for _ in range(args.sample_windows)], DIT_WINDOW + 1, rng)
            windows = z.view(len(chunk), args.sample_windows, *z.shape[1:]).unbind(1)
            parts.append(torch.cat([w[:, :, 1:] if k else w for k, w in enumerate(windows)], 2))
        self.latents = torch.cat(parts)
        torch.save({"latents": self.latents, "prompts": self.prompts, "drawn_with": drawn_with}, path)
        print(f"sample pool: {len(self.prompts)} samples of {self.latents.shape[2]} latent frames in {time.time() - t0:.0f} s -> {path}")

    def batch(self, count: int, side: int, rng: np.random.Generator) -> torch.Tensor:
        """`count` samples cropped to `side` pixels around the object, led by their latent
        frame 1 as the farm decodes a clip's start (its first latent frame in the later form)."""
        z = self.latents[rng.choice(len(self.prompts), size=count, replace=False)]
        z = SampleTargets.cropped(z, side)
        return torch.cat([z[:, :, 1:2], z], 2)


def crop_origin(spec: clips.ClipSpec, frame: int, side: int, rng: np.random.Generator) -> tuple[int, int]:
    """Where a `side`-pixel crop of the frame starts: half the time near the object at
    `frame` (so most crops show it), else anywhere."""
    if side >= SIZE:
        return 0, 0
    if rng.random() < 0.5:
        x, y = spec.centre(frame, SIZE, SIZE)
        x0, y0 = int(x % SIZE) - side // 2 + int(rng.integers(-6, 7)), int(y % SIZE) - side // 2 + int(rng.integers(-6, 7))
    else:
        x0, y0 = (int(v) for v in rng.integers(0, SIZE - side + 1, size=2))
    x0, y0 = min(max(x0, 0), SIZE - side), min(max(y0, 0), SIZE - side)
    return x0, y0


class SampleTargets:
    """The transformer's own samples as decoder training data (`--sample-targets FOLDER`),
    each with a target drawn from its prompt: FOLDER's decoder's decode of it, with the
    prompted colour wherever that decode draws the object (a channel above 155 of 255:
    every object colour has one at 230 or more, no background one above 80).

    Why: a decoder trained on encoder latents alone reads the colours of the
    transformer's latents wrong. A purple square's sampled latents lie on the purple
    side of the encoder's blue -> purple axis, yet decode blue in most frames; encoder
    latents redrawn by the transformer from σ ≤ 0.7 decode right, so only whole
    samples show it. The target comes from FOLDER's fixed decoder: taken from the
    decoder in training, it fed back that decoder's own drift, and within 180 steps
    whole frames were painted purple. Backgrounds are left as decoded. Not in the
    shipped model: it mended purple but cost blue (Deploy/train/README.md)."""

    def __init__(self, folder: str, steps: int, guidance: float):
        self.model = WanTransformer3DModel.from_pretrained(folder, subfolder="transformer").eval()
        self.teacher = AutoencoderKLWan.from_pretrained(folder, subfolder="vae").eval()
        self.mean = torch.tensor(self.teacher.config.latents_mean).view(1, -1, 1, 1, 1)
        self.std = torch.tensor(self.teacher.config.latents_std).view(1, -1, 1, 1, 1)
        self.steps, self.guidance = steps, guidance
        self.scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(folder, subfolder="scheduler")

    @torch.no_grad()
    def sample(self, prompts: list[str], latent_frames: int, rng: np.random.Generator) -> torch.Tensor:
        """`(B, C, latent_frames, 8, 8)` latents as the decoder takes them (denormalised)."""
        shape = (len(prompts), self.model.config.in_channels, latent_frames, SIZE // 8, SIZE // 8)
        x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
        return denoise(self.model, self.scheduler, x, prompts, self.steps, self.guidance) * self.std + self.mean

    @staticmethod
    def crop(z: torch.Tensor, side: int) -> list[tuple[int, int]]:
        """Per item, the latent-grid origin of a `side`-pixel crop centred on the object:
        the latent pixel farthest from its frame's median, in the middle frame."""
        cells, grid = side // 8, z.shape[-1]
        mid = z[:, :, z.shape[2] // 2]  # B C h w
        far = (mid - mid.flatten(2).median(dim=2).values[..., None, None]).pow(2).sum(1).flatten(1).argmax(1)
        out = []
        for f in far.tolist():
            y, x = divmod(f, grid)
            out.append((min(max(x - cells // 2, 0), grid - cells), min(max(y - cells // 2, 0), grid - cells)))
        return out

    @staticmethod
    def cropped(z: torch.Tensor, side: int, locate_from: int = 0) -> torch.Tensor:
        """`z` cropped per item to `side` pixels around the object, as ``crop`` finds it in
        latent frames `locate_from` on."""
        cells = side // 8
        origins = SampleTargets.crop(z[:, :, locate_from:], side)
        return torch.stack([z[i, :, :, y : y + cells, x : x + cells] for i, (x, y) in enumerate(origins)])

    @torch.no_grad()
    def targets(self, z: torch.Tensor, specs: list[clips.ClipSpec], frames: int) -> torch.Tensor:
        """`z` `(B, C, T, h, w)`, decoded as in training: the targets of its last `frames`
        pixel frames, `(B, 3, frames, 8h, 8w)`."""
        decoded = decode_unclamped(self.teacher, z)[:, :, -frames:]
        # Every object colour has a channel at 230 or more, every background none above
        # 80: a pixel is on the object where a channel passes the middle, 155.
        on = (decoded.amax(dim=1, keepdim=True) > 155 / 127.5 - 1).float()
        colour = torch.tensor([clips.OBJECT_COLOURS[s.colour] for s in specs]).float().view(-1, 3, 1, 1, 1) / 127.5 - 1
        return on * colour + (1 - on) * decoded


def train_vae(args) -> None:
    torch.manual_seed(args.seed)
    if args.sample_targets and not args.vae_decoder_only:
        sys.exit("--sample-targets trains the decoder alone: add --vae-decoder-only")
    sample_targets = SampleTargets(args.sample_targets, args.sample_steps, args.guidance) if args.sample_targets else None
    anchor = None
    if args.anchor:
        if not args.vae_decoder_only:
            sys.exit("--anchor trains the decoder alone: add --vae-decoder-only")
        anchor = AutoencoderKLWan.from_pretrained(os.path.join(args.anchor, "vae")).eval()
    if args.anchor_latent_frames and args.motion_weight <= 0:
        sys.exit("--anchor-latent-frames leaves how motion spreads over a latent frame to --motion-weight: give it one above 0")
    if args.pool_weight != 1 and not args.sample_pool:
        sys.exit("--pool-weight weighs the fit on --sample-pool's samples: add --sample-pool N")
    if (args.pool_evenness or args.pool_colour_weight) and not args.sample_pool:
        sys.exit("--pool-evenness and --pool-colour-weight act on --sample-pool's samples: add --sample-pool N")
    pool = None
    if args.sample_pool:
        if anchor is None:
            sys.exit("--sample-pool learns against the anchor's decode: add --anchor FOLDER")
        if sample_targets is not None:
            sys.exit("--sample-pool and --sample-targets both take --sample-share of the steps: use one")
        if args.sample_pool < args.vae_batch:
            sys.exit(f"--sample-pool {args.sample_pool} is smaller than a batch (--vae-batch {args.vae_batch})")
        pool = SamplePool(args, args.anchor)
    vae = AutoencoderKLWan(**VAE_CONFIG)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, betas=(0.9, args.adam_beta2), weight_decay=0.0)
    ckpt = os.path.join(args.work, "vae_ckpt.pt")
    step, seconds = 0, 0.0
    if os.path.exists(ckpt):
        state = torch.load(ckpt, weights_only=False)
        vae.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, seconds = state["step"], state["seconds"]
        print(f"resumed VAE at step {step} ({seconds / 60:.1f} min trained)")
    log = LossLog(os.path.join(args.work, "vae_loss.csv"), ["step", "seconds", "loss", "mse", "mean_sq", "object_mse", "kind", "motion_mse", "phase_excess"])
    rng = np.random.default_rng(args.seed * 1_000_003 + step)
    start = time.time()
    vae.train()
    while step < args.vae_steps and time.time() - start < args.budget_minutes * 60:
        t0 = time.time()
        specs = []
        for _ in range(args.vae_batch):
            spec = clips.ClipSpec.sample(int(rng.integers(1 << 62)))
            if args.favour and rng.random() < args.favour[1]:
                while not set(spec.prompt().split()) & set(args.favour[0]):
                    spec = clips.ClipSpec.sample(int(rng.integers(1 << 62)))
            specs.append(spec)
        kind = "sample" if sample_targets and rng.random() < args.sample_share else "clip"
        if pool is not None and rng.random() < args.sample_share:
            kind = "pool"
        if kind == "pool":
            # The lead frame only fills the cache; every latent frame after it learns, since
            # a farm decode's colours drift with the run's length (--sample-windows windows).
            z = pool.batch(args.vae_batch, args.vae_crop, rng)
            recon = decode_unclamped(vae, z, 1)
            with torch.no_grad():
                batch = decode_unclamped(anchor, z, 1)
        elif kind == "sample":
            # --sample-windows windows of the transformer's, one after another as a
            # clip's start (a farm decode runs over 41 latent frames and more), decoded
            # on a crop around the object as the farm decodes (latent frame 0 in the
            # later form, after latent frame 1); the decoder learns on one of the
            # windows, those before it only fill the cache.
            count = int(rng.integers(1, args.sample_windows + 1))
            z = sample_targets.sample([s.prompt() for s in specs for _ in range(count)], DIT_WINDOW + 1, rng)
            windows = z.view(len(specs), count, *z.shape[1:]).unbind(1)
            z = torch.cat([w[:, :, 1:] if k else w for k, w in enumerate(windows)], 2)
            begin = 2 + DIT_WINDOW * (count - 1)  # in the decode below, which leads with latent frame 1
            z = SampleTargets.cropped(z, args.vae_crop, locate_from=begin - 1)
            z = torch.cat([z[:, :, 1:2], z], 2)
            recon = decode_unclamped(vae, z, begin, DIT_WINDOW)
            batch = sample_targets.targets(z, specs, recon.shape[2])
        else:
            items = []
            for spec in specs:
                first = int(rng.integers(0, 200))
                clip = clip_tensor(spec, args.vae_frames, first)
                # The VAE is convolutional: a crop of the full-size frame (same object and
                # background scale) trains it at a fraction of the cost.
                x0, y0 = crop_origin(spec, first + args.vae_frames // 2, args.vae_crop, rng)
                items.append(clip[..., y0 : y0 + args.vae_crop, x0 : x0 + args.vae_crop])
            batch = torch.stack(items)
            if args.vae_decoder_only:
                # The encoder (and so the transformer's latents) stays as it is: only the
                # decoder learns, e.g. long decodes past what earlier clips showed it.
                with torch.no_grad():
                    z = vae.encode(batch).latent_dist.mode()
            else:
                z = vae.encode(batch).latent_dist.mode()
            recon = decode_unclamped(vae, z)
        mse = F.mse_loss(recon, batch)
        fg = foreground_mse(recon, batch)
        kl = z.pow(2).mean()
        # The pool's targets are the anchor's decode, whose motion is the bunched one this
        # term is there to even: it learns motion from clips only.
        motion = motion_mse(recon, batch) if kind != "pool" else torch.zeros(())
        target = batch
        if anchor is not None:
            # The anchor decoder's own decode is the colour target: what the anchor model
            # draws stays as measured, and only the motion term moves the decode.
            with torch.no_grad():
                target = decode_unclamped(anchor, z) if kind == "clip" else target
        if args.anchor_latent_frames:
            fit = weighted_mse(latent_frame_means(recon), latent_frame_means(target), args.object_weight)
        else:
            fit = weighted_mse(recon, target, args.object_weight)
        evenness = torch.zeros(())
        if kind == "pool":
            fit = args.pool_weight * fit
            if args.pool_evenness:
                evenness = phase_excess(recon)
            if args.pool_colour_weight:
                fit = fit + args.pool_colour_weight * object_colour_mse(recon, target)
        loss = fit + args.kl_weight * kl + args.motion_weight * motion + args.pool_evenness * evenness
        for g in opt.param_groups:
            g["lr"] = args.vae_lr * min(1.0, (step + 1) / args.warmup)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        step += 1
        seconds += time.time() - t0
        log.write([step, f"{seconds:.1f}", f"{loss.item():.6f}", f"{mse.item():.6f}", f"{kl.item():.4f}", f"{fg.item():.6f}", kind, f"{motion.item():.6f}", f"{evenness.item():.6f}"])
        if step % 20 == 0:
            print(f"vae step {step} ({kind}) loss {loss.item():.5f} mse {mse.item():.5f} object mse {fg.item():.5f} motion mse {motion.item():.5f} phase excess {evenness.item():.5f} "
                  f"mean_sq {kl.item():.3f} ({time.time() - t0:.2f} s/step)", flush=True)
        if step % args.checkpoint_every == 0:
            save_checkpoint(ckpt, model=vae.state_dict(), opt=opt.state_dict(), step=step, seconds=seconds, lr=args.vae_lr, batch=args.vae_batch, frames=args.vae_frames)
    save_checkpoint(ckpt, model=vae.state_dict(), opt=opt.state_dict(), step=step, seconds=seconds, lr=args.vae_lr, batch=args.vae_batch, frames=args.vae_frames)
    print(f"VAE: {step} steps, {seconds / 60:.1f} min of training")


def load_vae(args) -> AutoencoderKLWan:
    vae = AutoencoderKLWan(**VAE_CONFIG)
    vae.load_state_dict(torch.load(os.path.join(args.work, "vae_ckpt.pt"), weights_only=False)["model"])
    return vae.eval()


# MARK: latents


def encode_latents(args) -> None:
    """Encodes --clips clips of DIT_PIXEL_FRAMES frames (posterior means) into
    WORK/latents/part_K.pt, 8 clips a part; parts already there are kept, so it resumes,
    and --worker I/N encodes every N-th part (N processes in parallel)."""
    vae = load_vae(args)
    vae_step = torch.load(os.path.join(args.work, "vae_ckpt.pt"), weights_only=False)["step"]
    folder = os.path.join(args.work, "latents")
    os.makedirs(folder, exist_ok=True)
    index, count = (int(v) for v in args.worker.split("/"))
    start = time.time()
    with torch.no_grad():
        for part in range(index, (args.clips + 7) // 8, count):
            path = os.path.join(folder, f"part_{part:04d}.pt")
            # A part is kept only if this VAE checkpoint encoded it (and with this grammar's prompts).
            if os.path.exists(path) and torch.load(path, weights_only=False).get("vae_step") == vae_step:
                continue
            if time.time() - start > args.budget_minutes * 60:
                break
            seeds = [10_000_000 + args.seed * 100_000 + i for i in range(part * 8, min(args.clips, part * 8 + 8))]
            specs = [clips.ClipSpec.sample(s) for s in seeds]
            batch = torch.stack([clip_tensor(s, DIT_PIXEL_FRAMES, 0) for s in specs])
            z = vae.encode(batch).latent_dist.mode()
            save_checkpoint(path, latents=z, prompts=[s.prompt() for s in specs], seeds=seeds, vae_step=vae_step)
            print(f"part {part}: {len(seeds)} clips ({time.time() - start:.0f} s)", flush=True)


def load_latents(args) -> dict:
    """All encoded parts, with the per-channel mean and std of the latents after the
    first latent frame. The causal VAE encodes a clip's first frame alone, and its latent
    lies far from the others (normalised by all frames' statistics, its channel means were
    ±0.4 to ±1.9 with std 0.3, the other frames' 0 ± 0.1 with std 1): the transformer does
    not train on it (see `--first-window-share`), so it does not count here."""
    folder = os.path.join(args.work, "latents")
    parts = [torch.load(os.path.join(folder, f), weights_only=False) for f in sorted(os.listdir(folder)) if f.endswith(".pt")]
    z = torch.cat([p["latents"] for p in parts])
    rest = z[:, :, 1:]
    return {"latents": z, "prompts": [q for p in parts for q in p["prompts"]],
            "vae_steps": sorted({p.get("vae_step") for p in parts}, key=str),
            "mean": rest.mean(dim=(0, 2, 3, 4)), "std": rest.std(dim=(0, 2, 3, 4))}


# MARK: DiT


class Embeddings:
    """Stand-in embeddings by prompt, cached."""

    def __init__(self):
        self.cache: dict[str, torch.Tensor] = {}

    def __call__(self, prompt: str) -> torch.Tensor:
        if prompt not in self.cache:
            self.cache[prompt] = torch.from_numpy(standin_embed.embed(prompt, TEXT_DIM, TEXT_TOKENS))
        return self.cache[prompt]


def shifted_sigma(u: torch.Tensor, shift: float = SHIFT) -> torch.Tensor:
    """The scheduler's shift applied to uniform u: where sampling spends its steps."""
    return shift * u / (1 + (shift - 1) * u)


def dit_lr(args, step: int) -> float:
    """A 200-step warm-up to --dit-lr, held; with --dit-anneal A:B, a cosine from
    --dit-lr at step A down to --dit-lr-final at step B, held after. Absolute steps,
    so a resumed run continues the same schedule."""
    lr = args.dit_lr * min(1.0, (step + 1) / 200)
    if args.dit_anneal:
        a, b = args.dit_anneal
        t = min(1.0, max(0.0, (step - a) / max(1, b - a)))
        lr = args.dit_lr_final + (lr - args.dit_lr_final) * 0.5 * (1 + math.cos(math.pi * t))
    return lr


def train_dit(args) -> None:
    torch.manual_seed(args.seed)
    data = load_latents(args)
    if len(data["vae_steps"]) != 1:
        sys.exit(f"latents from several VAE checkpoints ({data['vae_steps']}): run --phase latents again")
    z = data["latents"]
    z = (z - data["mean"].view(1, -1, 1, 1, 1)) / data["std"].view(1, -1, 1, 1, 1)
    prompts = data["prompts"]
    n, _, frames, _, _ = z.shape
    model = WanTransformer3DModel(**DIT_CONFIG)
    ema = WanTransformer3DModel(**DIT_CONFIG)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=args.dit_lr, weight_decay=0.01)
    ckpt = os.path.join(args.work, "dit_ckpt.pt")
    step, seconds = 0, 0.0
    if os.path.exists(ckpt):
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step, seconds = state["step"], state["seconds"]
        print(f"resumed DiT at step {step} ({seconds / 60:.1f} min trained)")
    print(f"DiT: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, {n} clips of {frames} latent frames")
    log = LossLog(os.path.join(args.work, "dit_loss.csv"), ["step", "seconds", "loss"])
    embed = Embeddings()
    empty = torch.zeros(TEXT_TOKENS, TEXT_DIM)
    rng = np.random.default_rng(args.seed * 7_919 + step)
    favoured = [i for i, p in enumerate(prompts) if args.favour and set(p.split()) & set(args.favour[0])]
    if args.favour:
        print(f"favouring {len(favoured)} clips naming {', '.join(args.favour[0])}: {args.favour[1]:.0%} of each batch")
    start = time.time()
    model.train()
    while step < args.dit_steps and time.time() - start < args.budget_minutes * 60:
        t0 = time.time()
        idx = rng.integers(n, size=args.dit_batch)
        if favoured:
            # --favour WORDS:SHARE: that share of the batch drawn from the clips whose
            # prompt names one of the words (colours the model keeps confusing).
            pick = rng.random(len(idx)) < args.favour[1]
            idx = np.where(pick, rng.choice(favoured, size=len(idx)), idx)
        # Windows start after the clip's first latent frame, unless --first-window-share:
        # nothing tells the model whether its window starts the clip (the farm's windows
        # all get the same prompt and positions), and the first frame's latent lies far
        # from the others, so training on both made it draw their average at position 0,
        # a bright flat frame that then bled into the window (first runs, share 0.33).
        # A clip's first latent frame drawn as a later one costs about its first 2–5
        # frames when decoded.
        offsets = [0 if rng.random() < args.first_window_share else int(rng.integers(1, frames - DIT_WINDOW + 1)) for _ in idx]
        x0 = torch.stack([z[i, :, o : o + DIT_WINDOW] for i, o in zip(idx, offsets)])
        text = torch.stack([empty if rng.random() < 0.1 else embed(prompts[i]) for i in idx])
        sigma = shifted_sigma(torch.from_numpy(rng.random(len(idx))).float())
        noise = torch.randn_like(x0)
        s = sigma.view(-1, 1, 1, 1, 1)
        xt = (1 - s) * x0 + s * noise
        lr = dit_lr(args, step)
        for g in opt.param_groups:
            g["lr"] = lr
        pred = model(hidden_states=xt, timestep=sigma * 1000, encoder_hidden_states=text, return_dict=False)[0]
        if args.object_latent_weight:
            # The object covers a few latent pixels of 64 and its colour a small part of
            # their values: weight the positions whose latent stands out from its frame's
            # median (normalised, > 1 in some channel), as the VAE weights object pixels.
            median = x0.flatten(3).median(dim=3).values[..., None, None]
            w = 1 + args.object_latent_weight * ((x0 - median).abs().amax(dim=1, keepdim=True) > 1).float()
            loss = ((pred - (noise - x0)).pow(2) * w).sum() / (w.sum() * x0.shape[1])
        else:
            loss = F.mse_loss(pred, noise - x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(args.ema, (1 + step) / (10 + step))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        step += 1
        seconds += time.time() - t0
        log.write([step, f"{seconds:.1f}", f"{loss.item():.6f}"])
        if step % 20 == 0:
            print(f"dit step {step} loss {loss.item():.5f} ({time.time() - t0:.2f} s/step)", flush=True)
        if step % args.checkpoint_every == 0:
            save_checkpoint(ckpt, model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=step, seconds=seconds)
    save_checkpoint(ckpt, model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=step, seconds=seconds)
    print(f"DiT: {step} steps, {seconds / 60:.1f} min of training")


# MARK: export and preview


def export(args) -> None:
    """Writes the model folder: transformer (EMA weights), scheduler, VAE with the
    latent statistics, and grammar.json."""
    data = load_latents(args)
    vae_config = dict(VAE_CONFIG, latents_mean=[round(float(v), 6) for v in data["mean"]],
                      latents_std=[round(float(v), 6) for v in data["std"]])
    vae = AutoencoderKLWan(**vae_config)
    vae.load_state_dict(load_vae(args).state_dict())
    model = WanTransformer3DModel(**DIT_CONFIG)
    model.load_state_dict(torch.load(os.path.join(args.work, "dit_ckpt.pt"), weights_only=False)["ema"])
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(os.path.join(args.out, "transformer"))
    vae.save_pretrained(os.path.join(args.out, "vae"))
    FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=SHIFT).save_pretrained(os.path.join(args.out, "scheduler"))
    with open(os.path.join(args.out, "grammar.json"), "w") as f:
        json.dump(clips.vocabulary(), f, indent=2)
        f.write("\n")
    # Reel's note on the checkpoint: windows never start at a clip's first latent frame
    # (unless --first-window-share), so the transformer draws it in later form.
    if args.first_window_share == 0:
        with open(os.path.join(args.out, "reel.json"), "w") as f:
            json.dump({"first_latent_form": "later"}, f, indent=2)
            f.write("\n")
    vae_state = torch.load(os.path.join(args.work, "vae_ckpt.pt"), weights_only=False)
    dit_state = torch.load(os.path.join(args.work, "dit_ckpt.pt"), weights_only=False)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(MODEL_CARD.format(
            vae_steps=vae_state["step"], vae_minutes=vae_state["seconds"] / 60, dit_steps=dit_state["step"],
            dit_minutes=dit_state["seconds"] / 60, clips=len(data["prompts"]), seed=args.seed,
            dit_params=sum(p.numel() for p in model.parameters()), vae_params=sum(p.numel() for p in vae.parameters()),
            vae_batch=vae_state.get("batch", args.vae_batch), vae_lr=vae_state.get("lr", args.vae_lr), dit_batch=args.dit_batch, example=clips.vocabulary()["example"]))
    print(f"wrote {args.out}")


MODEL_CARD = """# Reel demo model

A tiny Wan 2.1-architecture text-to-video model that the Reel project trained itself, so
that `reel demo` renders prompted motion instead of noise. It is **not** a general
video model: it knows one grammar of procedural clips and nothing else.

- `transformer/`: `WanTransformer3DModel`, {dit_params:,} parameters (4 layers, 4 heads
  of 32, FFN 256, text_dim 64, patch 1×2×2, 8 latent channels).
- `vae/`: `AutoencoderKLWan`, {vae_params:,} parameters (base_dim 16, z_dim 8,
  dim_mult [1, 2, 4, 4], one residual block per level; Wan's strides: 4× in time,
  8× in space), with the latent statistics of its training clips as `latents_mean` /
  `latents_std`.
- `scheduler/`: `FlowMatchEulerDiscreteScheduler`, shift 3.0 (the tiny preset's).
- `grammar.json`: the words of the grammar; `reel demo --prompt` warns about others.
- `reel.json`: `"first_latent_form": "later"`, Reel's note that the transformer draws a
  clip's latent frame 0 in the VAE's later form (see Training, step 3).

## Training data
Procedural clips from `Deploy/train/clips.py` (64×64, 16 fps): one object (ball,
square or triangle; eight colours; three sizes) moving, bouncing or orbiting over a
dark colour or a two-colour gradient. The prompt is written from the same spec, e.g.
"{example}". Nothing else: no downloaded data.

## Training
`Deploy/train/train.py`, seed {seed}, on a 2-core CPU shared with other work:
1. the VAE on random 32×32 crops of 9-frame clips (steps 1–5,452, batch 4), then of
   33-frame clips (steps 5,453–8,700), then of 81-frame clips (steps 8,701–9,800, batch 2),
   then its decoder alone on 121-frame clips (from step 9,801, batch {vae_batch},
   `--vae-decoder-only`, so the latents stay valid): a causal decoder trained on short
   clips drifts in colour once a long decode runs past what it saw (its receptive field
   is 30 latent frames, 117 pixel frames). MSE with the object's pixels weighted 5×,
   + 1e-4·mean(μ²) on the posterior's mean μ, decoded frame by frame through the causal
   cache without the final clamp; AdamW {vae_lr:g}, 100-step warm-up:
   {vae_steps} steps, {vae_minutes:.1f} minutes of step time;
2. {clips} clips of 81 frames encoded to latents (posterior means);
3. the transformer with Wan's flow-matching objective (x_t = (1 − σ)·x_0 + σ·ε, target
   ε − x_0, σ from the shift-3 schedule, timestep 1000·σ) on 16-latent-frame crops,
   conditioned on Reel's **stand-in** text embedder (`Deploy/train/standin_embed.py`,
   bit-identical to `Sources/ReelTensor/StandInTextEmbedder.swift`), the prompt
   dropped to the empty prompt (zero rows) one time in ten for classifier-free
   guidance; windows start after the clip's first latent frame, so it draws a clip's
   latent frame 0 like every other, in the VAE's later form (`reel.json` says so, and
   Reel decodes that frame after latent frame 1, keeping its last pixel frame: decoded
   alone as the causal VAE's first frame it came out wrong, the clip's first 2–3 frames);
   learning rate 5e-4, a cosine anneal to 2e-5 over steps 8,360–11,860, retrained on
   the latents of the 81-frame VAE with a second anneal over steps 11,900–15,000, then
   700 steps at 2e-4 → 2e-5 drawing 35 % of each batch from clips naming blue or
   purple: {dit_steps} steps, {dit_minutes:.1f} minutes of step time, batch {dit_batch};
   the exported weights are the EMA.

Loss curves, the wall and CPU time of every session and the measured quality: the
"Demo model" section of the repository's README and `Deploy/train/README.md`.

## Licence
The project's licence, like the rest of the repository.
"""


def first_latent_is_later(folder: str) -> bool:
    """Whether the folder's reel.json says its transformer draws a clip's latent frame 0 in
    later form (this script's models never train on it: see --first-window-share)."""
    path = os.path.join(folder, "reel.json")
    if not os.path.exists(path):
        return False
    with open(path) as f:
        return json.load(f).get("first_latent_form", "first") == "later"


def decode_clip(vae: AutoencoderKLWan, z: torch.Tensor, later_start: bool) -> torch.Tensor:
    """Decodes `(1, C, F, h, w)` VAE-space latents as Reel does: with `later_start`, latent
    frame 0 is read as a later frame after latent frame 1 (itself for one frame), and only
    its last pixel frame kept, so the frame count is the plain decode's."""
    if not later_start:
        return vae.decode(z).sample
    lead = z[:, :, 1:2] if z.shape[2] > 1 else z[:, :, :1]
    return vae.decode(torch.cat([lead, z], 2)).sample[:, :, vae.config.scale_factor_temporal:]


@torch.no_grad()
def denoise(model: WanTransformer3DModel, scheduler: FlowMatchEulerDiscreteScheduler, x: torch.Tensor,
            prompts: list[str], steps: int, guidance: float) -> torch.Tensor:
    """Euler over the scheduler's `steps` from the noise `x` `(B, C, F, h, w)`, one prompt
    an item, classifier-free guidance against the empty prompt: normalised latents."""
    scheduler.set_timesteps(steps)
    cond = torch.stack([torch.from_numpy(standin_embed.embed(p, TEXT_DIM, TEXT_TOKENS)) for p in prompts])
    uncond = torch.zeros_like(cond)
    for t in scheduler.timesteps:
        tt = t.expand(len(prompts))
        v = model(hidden_states=x, timestep=tt, encoder_hidden_states=cond, return_dict=False)[0]
        if guidance != 1:
            vu = model(hidden_states=x, timestep=tt, encoder_hidden_states=uncond, return_dict=False)[0]
            v = vu + guidance * (v - vu)
        x = scheduler.step(v, t, x, return_dict=False)[0]
    return x


@torch.no_grad()
def sample(folder: str, prompt: str, latent_frames: int, steps: int, guidance: float, seed: int) -> np.ndarray:
    """Diffusers' own sampling of the folder (Euler over the folder's scheduler, classifier-free
    guidance against the empty prompt) and the VAE decode: `(T, H, W, 3)` uint8."""
    model = WanTransformer3DModel.from_pretrained(folder, subfolder="transformer").eval()
    vae = AutoencoderKLWan.from_pretrained(folder, subfolder="vae").eval()
    scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(folder, subfolder="scheduler")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, model.config.in_channels, latent_frames, SIZE // 8, SIZE // 8, generator=g)
    x = denoise(model, scheduler, x, [prompt], steps, guidance)
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    std = torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    video = decode_clip(vae, x * std + mean, first_latent_is_later(folder))[0]
    return ((video.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 3, 0).numpy()


def preview(args) -> None:
    from PIL import Image

    rows = []
    for prompt in args.prompts:
        video = sample(args.out, prompt, DIT_WINDOW, args.steps, args.guidance, args.seed)
        rows.append(np.concatenate(list(video[::6]), axis=1))
        print(prompt)
    Image.fromarray(np.concatenate(rows, axis=0)).save(args.png)
    print(f"wrote {args.png}")


@torch.no_grad()
def probe(args) -> None:
    """Whether the VAE checkpoint uses its latents: how much the encoder's output and
    the decoder's output differ between two different clips, and how much the decoder's
    output moves for large random latents. A collapsed VAE (the mean image whatever the
    input) shows differences near zero."""
    vae = load_vae(args)
    xs = [clip_tensor(clips.ClipSpec.sample(s), VAE_FRAMES, 0)[None] for s in (1, 2)]
    zs = [vae.encode(x).latent_dist.mode() for x in xs]
    ds = [vae.decode(z).sample for z in zs]
    wild = vae.decode(10 * torch.randn_like(zs[0])).sample - vae.decode(torch.zeros_like(zs[0])).sample
    print(f"latent std {zs[0].std():.4f}; mean |z1 - z2| {(zs[0] - zs[1]).abs().mean():.3g}; "
          f"mean |decode(z1) - decode(z2)| {(ds[0] - ds[1]).abs().mean():.3g}; "
          f"mean |decode(10·noise) - decode(0)| {wild.abs().mean():.3g}; reconstruction MSE {F.mse_loss(ds[0], xs[0]):.4f}")


def overfit(args) -> None:
    """The smallest VAE check: fit the same clip(s) every step with the training loss and
    print the plain and the object MSE. A set-up that can train gets one 9-frame clip to an
    object MSE of a few hundredths within a few hundred steps; if it cannot, the set-up is
    wrong, not the budget."""
    torch.manual_seed(args.seed)
    vae = AutoencoderKLWan(**VAE_CONFIG).train()
    opt = torch.optim.Adam(vae.parameters(), lr=args.vae_lr, betas=(0.9, args.adam_beta2))
    x = torch.stack([clip_tensor(clips.ClipSpec.sample(s), VAE_FRAMES, 0) for s in range(1, 1 + args.overfit_clips)])
    x = x[..., : args.vae_crop, : args.vae_crop]
    for step in range(args.vae_steps):
        z = vae.encode(x).latent_dist.mode()
        r = decode_unclamped(vae, z)
        loss = weighted_mse(r, x, args.object_weight) + args.kl_weight * z.pow(2).mean()
        for g in opt.param_groups:
            g["lr"] = args.vae_lr * min(1.0, (step + 1) / args.warmup)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        if step % 10 == 0 or step == args.vae_steps - 1:
            print(f"step {step} mse {F.mse_loss(r, x).item():.5f} object mse {foreground_mse(r, x).item():.5f}", flush=True)


def curves(args) -> None:
    """Markdown tables of the loss curves: mean loss over buckets of steps, and the
    measured seconds per step (a run restarted from a checkpoint continues the rows)."""
    for name, column in (("vae", "mse"), ("dit", "loss")):
        path = os.path.join(args.work, f"{name}_loss.csv")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            rows = list(csv.DictReader(f))
        # Keep the last run that started from step 1 (an earlier one was abandoned).
        starts = [i for i, r in enumerate(rows) if r["step"] == "1"]
        rows = rows[starts[-1]:] if starts else rows
        n = len(rows)
        if n == 0:
            continue
        bucket = max(1, n // 8)
        print(f"\n{name}: {n} steps, {float(rows[-1]['seconds']) / 60:.1f} min, {float(rows[-1]['seconds']) / n:.2f} s/step\n")
        # The object MSE (VAE runs since the fixed recipe) says whether objects come back.
        columns = [c for c in (column, "object_mse") if c in rows[0]]
        print("| steps | " + " | ".join(f"mean {c}" for c in columns) + " |\n| --- |" + " --- |" * len(columns))
        for i in range(0, n, bucket):
            chunk = rows[i : i + bucket]
            means = " | ".join(f"{np.mean([float(r[c]) for r in chunk]):.4f}" for c in columns)
            print(f"| {chunk[0]['step']}–{chunk[-1]['step']} | {means} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--phase", choices=["vae", "latents", "dit", "export", "preview", "curves", "probe", "overfit"], required=True)
    p.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"))
    p.add_argument("--out", default="Models/demo")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--budget-minutes", type=float, default=30)
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--vae-steps", type=int, default=100_000)
    p.add_argument("--vae-batch", type=int, default=4)
    p.add_argument("--vae-lr", type=float, default=1e-4)
    p.add_argument("--object-weight", type=float, default=4.0, help="VAE: extra loss weight of the object's pixels")
    p.add_argument("--motion-weight", type=float, default=0.0,
                   help="VAE: weight of the frame-to-frame difference MSE (motion_mse), which evens the motion "
                        "across each latent frame's pixel frames")
    p.add_argument("--anchor", default=None, metavar="FOLDER",
                   help="VAE decoder: learn against FOLDER's decoder's decode of the clip's latents instead of the "
                        "clip (with --motion-weight: even the motion, keep the colours that model was measured with)")
    p.add_argument("--anchor-latent-frames", action="store_true",
                   help="VAE: fit each latent frame's mean pixel frame only (with --anchor: keep the anchor's colours, "
                        "leave how the motion spreads over a latent frame to --motion-weight)")
    p.add_argument("--sample-pool", type=int, default=0, metavar="N",
                   help="VAE decoder: with --anchor, also learn on N of the anchor folder's transformer samples "
                        "(--sample-windows windows each, --sample-share of the steps) against the anchor's decode")
    p.add_argument("--pool-weight", type=float, default=1.0,
                   help="--sample-pool: weight of the fit on the pool's samples (their decodes' colours shift "
                        "with what the decoder learns on clips unless held harder than the clips' own fit)")
    p.add_argument("--pool-evenness", type=float, default=0.0,
                   help="--sample-pool: weight of phase_excess on the pool's decodes (no place among a latent "
                        "frame's four pixel frames moves more than the mean, where no clip gives the true motion)")
    p.add_argument("--pool-colour-weight", type=float, default=0.0,
                   help="--sample-pool: weight of object_colour_mse against the anchor's decode (the object's "
                        "mean colour per frame, wherever each decode draws it)")
    p.add_argument("--adam-beta2", type=float, default=0.999, help="VAE: Adam's second-moment decay")
    p.add_argument("--warmup", type=int, default=100, help="VAE learning-rate warm-up steps")
    p.add_argument("--vae-frames", type=int, default=VAE_FRAMES,
                   help="VAE: frames per training clip (4k+1); clips longer than the 9 the first runs used keep "
                        "colours from drifting in long decodes, where the causal cache runs past what 9 frames trained")
    p.add_argument("--vae-decoder-only", action="store_true",
                   help="VAE: train the decoder alone; the encoder, and the latents encoded with it, stay valid")
    p.add_argument("--sample-targets", default=None, metavar="FOLDER",
                   help="VAE decoder: also train on FOLDER's transformer's samples against targets from their prompts "
                        "(see SampleTargets); needs --vae-decoder-only")
    p.add_argument("--sample-share", type=float, default=0.5, help="--sample-targets or --sample-pool: the share of steps on samples")
    p.add_argument("--sample-windows", type=int, default=1,
                   help="--sample-targets: up to this many windows one after another, learnt on the last")
    p.add_argument("--sample-steps", type=int, default=10, help="--sample-targets: sampling steps per sample")
    p.add_argument("--vae-crop", type=int, default=32, help="train on random crops of this side (multiple of 8)")
    p.add_argument("--kl-weight", type=float, default=1e-4, help="weight of the latent mean's square")
    p.add_argument("--overfit-clips", type=int, default=1)
    p.add_argument("--clips", type=int, default=256)
    p.add_argument("--worker", default="0/1", help="latents: encode every N-th part starting at I (I/N)")
    p.add_argument("--dit-steps", type=int, default=100_000)
    p.add_argument("--dit-batch", type=int, default=16)
    p.add_argument("--dit-lr", type=float, default=5e-4)
    p.add_argument("--dit-anneal", type=lambda v: tuple(int(x) for x in v.split(":")), default=None, metavar="A:B",
                   help="DiT: cosine learning-rate decay from step A to step B (absolute steps)")
    p.add_argument("--favour", type=lambda v: (v.split(":")[0].split(","), float(v.split(":")[1])), default=None, metavar="WORDS:SHARE",
                   help="DiT and VAE: draw SHARE of each batch from the clips whose prompt names one of WORDS (comma-separated)")
    p.add_argument("--object-latent-weight", type=float, default=0.0,
                   help="DiT: extra loss weight of the latent positions that stand out from their frame (the object)")
    p.add_argument("--dit-lr-final", type=float, default=2e-5, help="DiT: the learning rate at and after --dit-anneal's B")
    p.add_argument("--ema", type=float, default=0.998)
    p.add_argument("--first-window-share", type=float, default=0.0,
                   help="DiT: share of training windows that start at the clip's first latent frame (first runs: 0.33)")
    p.add_argument("--steps", type=int, default=20, help="preview sampling steps")
    p.add_argument("--guidance", type=float, default=4.0)
    p.add_argument("--png", default="preview.png")
    p.add_argument("--prompts", nargs="*", default=PREVIEW_PROMPTS)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    {"vae": train_vae, "latents": encode_latents, "dit": train_dit, "export": export, "preview": preview, "curves": curves, "probe": probe, "overfit": overfit}[args.phase](args)


if __name__ == "__main__":
    main()
