#!/usr/bin/env python3
"""Check that a model folder (e.g. written by ``reel model init``) is a valid diffusers Wan folder.

    python3 Deploy/reference/check_folder.py DIR [--inputs IN.safetensors --outputs OUT.safetensors] [--tol 1e-4]
                                                 [--vae-inputs IN.safetensors --vae-outputs OUT.safetensors]

DIR must have the diffusers layout: ``DIR/transformer`` (config.json + safetensors weights) and
``DIR/scheduler`` (scheduler_config.json). The script

1. loads ``WanTransformer3DModel.from_pretrained(DIR, subfolder="transformer", torch_dtype=float32)``
   and ``FlowMatchEulerDiscreteScheduler.from_pretrained(DIR, subfolder="scheduler")``;
2. fails (exit 1) if loading raises, if diffusers reports missing / unexpected / mismatched weight
   keys, or if diffusers logs any warning while loading (e.g. unknown config attributes);
3. prints the parameter count (and the scheduler's shift);
4. with ``--inputs/--outputs``: runs one float32 CPU forward on IN's ``hidden_states``, ``timestep``,
   ``encoder_hidden_states`` and compares with OUT's ``sample``, printing ``maxdiff`` and
   ``maxdiff / max|ref|``; exits 1 when the latter exceeds ``--tol`` (default 1e-4).
5. when ``DIR/vae`` exists, does the same for ``AutoencoderKLWan.from_pretrained(DIR, subfolder="vae")``
   (loading problems, parameter count), and with ``--vae-inputs/--vae-outputs`` runs
   ``vae.decode(latents).sample`` on IN's ``latents`` against OUT's ``sample`` (``reel model decode``'s files).

Exit codes: 0 ok, 1 check failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

# A local folder is all this script ever reads; never fall back to the Hugging Face Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402


class _WarningCollector(logging.Handler):
    """Collects WARNING-and-above records emitted by the diffusers loggers while loading."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


def _load_model(cls, folder: Path, subfolder: str, extra=None):
    """``cls.from_pretrained(folder, subfolder)`` in float32 (plus ``extra()`` under the same
    warning collector); return (model, extra's result, problems) where problems lists failures."""
    from diffusers.utils import logging as dlogging

    collector = _WarningCollector()
    root = dlogging.get_logger("diffusers")  # the library root logger every diffusers module propagates to
    root.addHandler(collector)
    problems: list[str] = []
    try:
        model, info = cls.from_pretrained(folder, subfolder=subfolder, torch_dtype=torch.float32, output_loading_info=True)
        other = extra() if extra is not None else None
    finally:
        root.removeHandler(collector)
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        if info.get(kind):
            problems.append(f"{subfolder} {kind}: {info[kind]}")
    problems.extend(f"warning while loading {subfolder}: {m}" for m in collector.messages)
    return model.eval(), other, problems


def load(folder: Path):
    """Load transformer + scheduler; return (model, scheduler, problems) where problems lists failures."""
    from diffusers import FlowMatchEulerDiscreteScheduler, WanTransformer3DModel

    return _load_model(WanTransformer3DModel, folder, "transformer",
                       lambda: FlowMatchEulerDiscreteScheduler.from_pretrained(folder, subfolder="scheduler"))


def load_vae(folder: Path):
    """Load DIR/vae; return (vae, problems)."""
    from diffusers import AutoencoderKLWan

    vae, _, problems = _load_model(AutoencoderKLWan, folder, "vae")
    return vae, problems


def compare_vae(vae, inputs: Path, outputs: Path) -> tuple[float, float]:
    """Decode IN's latents; return (maxdiff, maxdiff / max|ref|) against OUT's sample."""
    from safetensors.torch import load_file

    inp, out = load_file(str(inputs)), load_file(str(outputs))
    if "latents" not in inp:
        raise KeyError(f"{inputs}: missing tensor 'latents' (has {sorted(inp)})")
    if "sample" not in out:
        raise KeyError(f"{outputs}: missing tensor 'sample' (has {sorted(out)})")
    with torch.no_grad():
        got = vae.decode(inp["latents"].float()).sample
    return _relative(got, out["sample"].float(), outputs)


def _relative(got: torch.Tensor, ref: torch.Tensor, outputs: Path) -> tuple[float, float]:
    if got.shape != ref.shape:
        raise ValueError(f"shape mismatch: diffusers gives {tuple(got.shape)}, {outputs} has {tuple(ref.shape)}")
    maxdiff = (got - ref).abs().max().item()
    scale = ref.abs().max().item()
    return maxdiff, (maxdiff / scale if scale > 0 else float("inf") if maxdiff > 0 else 0.0)


def compare(model, inputs: Path, outputs: Path) -> tuple[float, float]:
    """Run one forward on the saved inputs; return (maxdiff, maxdiff / max|ref|)."""
    from safetensors.torch import load_file

    inp, out = load_file(str(inputs)), load_file(str(outputs))
    for key in ("hidden_states", "timestep", "encoder_hidden_states"):
        if key not in inp:
            raise KeyError(f"{inputs}: missing tensor '{key}' (has {sorted(inp)})")
    if "sample" not in out:
        raise KeyError(f"{outputs}: missing tensor 'sample' (has {sorted(out)})")
    with torch.no_grad():
        got = model(inp["hidden_states"].float(), inp["timestep"].float(), inp["encoder_hidden_states"].float(),
                    return_dict=False)[0]
    return _relative(got, out["sample"].float(), outputs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate a diffusers-layout Wan model folder.")
    parser.add_argument("folder", type=Path, help="folder containing transformer/ and scheduler/")
    parser.add_argument("--inputs", type=Path, help="safetensors with hidden_states, timestep, encoder_hidden_states")
    parser.add_argument("--outputs", type=Path, help="safetensors with the 'sample' to compare against")
    parser.add_argument("--vae-inputs", type=Path, help="safetensors with the VAE's latents")
    parser.add_argument("--vae-outputs", type=Path, help="safetensors with the decoded 'sample' to compare against")
    parser.add_argument("--tol", type=float, default=1e-4, help="max allowed maxdiff / max|ref| (default 1e-4)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    if (args.inputs is None) != (args.outputs is None):
        parser.error("--inputs and --outputs go together")
    if (args.vae_inputs is None) != (args.vae_outputs is None):
        parser.error("--vae-inputs and --vae-outputs go together")
    torch.set_num_threads(args.threads)

    for sub in ("transformer", "scheduler"):
        if not (args.folder / sub).is_dir():
            print(f"FAIL: {args.folder / sub} is not a directory (expected the diffusers layout)", file=sys.stderr)
            return 1
    try:
        model, scheduler, problems = load(args.folder)
    except Exception as exc:  # report any loading failure as a check failure, with the error
        print(f"FAIL: could not load {args.folder}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters {n_params}")
    print(f"scheduler shift {scheduler.config.shift} num_train_timesteps {scheduler.config.num_train_timesteps}")
    if problems:
        for p in problems:
            print(f"FAIL: {p}", file=sys.stderr)
        return 1

    if args.inputs is not None:
        try:
            maxdiff, rel = compare(model, args.inputs, args.outputs)
        except Exception as exc:
            print(f"FAIL: forward/compare: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        if not report(maxdiff, rel, args.tol):
            return 1
    if (args.folder / "vae").is_dir():
        try:
            vae, problems = load_vae(args.folder)
        except Exception as exc:
            print(f"FAIL: could not load {args.folder / 'vae'}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        print(f"vae parameters {sum(p.numel() for p in vae.parameters())}")
        for p in problems:
            print(f"FAIL: {p}", file=sys.stderr)
        if problems:
            return 1
        if args.vae_inputs is not None:
            try:
                maxdiff, rel = compare_vae(vae, args.vae_inputs, args.vae_outputs)
            except Exception as exc:
                print(f"FAIL: decode/compare: {type(exc).__name__}: {exc}", file=sys.stderr)
                return 1
            if not report(maxdiff, rel, args.tol):
                return 1
    elif args.vae_inputs is not None:
        print(f"FAIL: {args.folder / 'vae'} is not a directory", file=sys.stderr)
        return 1
    print("OK")
    return 0


def report(maxdiff: float, rel: float, tol: float) -> bool:
    print(f"maxdiff {maxdiff:.6e}")
    print(f"maxdiff / max|ref| {rel:.6e}")
    if not rel <= tol:
        print(f"FAIL: relative error {rel:.3e} > tol {tol:.1e}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
