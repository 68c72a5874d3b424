#!/usr/bin/env python3
"""The PyTorch side of `reel bench text`: transformers' UMT5EncoderModel forward on CPU.

    python3 Deploy/reference/bench_umt5_torch.py --make DIR [--preset small|xxl2]
    python3 Deploy/reference/bench_umt5_torch.py DIR --tokens 128 --threads 2 [--repeat 3] [--json]

`--make` writes DIR/text_encoder (random float32 weights, saved by transformers) and DIR/tokenizer
(the fixture's SentencePiece model). Presets: `small` (d_model 1024, 16 heads × 64, d_ff 2816,
4 layers) and `xxl2` (umT5-XXL's real widths — d_model 4096, 64 heads × 64, d_ff 10240 — with 2 of
its 24 layers, 1.6 GB). Both have a 4,096-row embedding: the look-up costs nothing either way.

Timing: the ids are `(i * 7919) % 4096` for i < tokens, with an all-ones attention mask (what the
pipeline's real tokens are); one warm-up, then the median of `--repeat` forwards under
`torch.no_grad()` in float32 with `torch.set_num_threads(threads)`. `--json` prints one object:
tokens, threads, seconds, tokens_per_second, torch_version, peak_rss_bytes.
"""
import argparse
import json
import pathlib
import resource
import shutil
import statistics
import time

import torch

PRESETS = {
    "small": dict(d_model=1024, d_kv=64, num_heads=16, d_ff=2816, num_layers=4),
    "xxl2": dict(d_model=4096, d_kv=64, num_heads=64, d_ff=10240, num_layers=2),
}
FIXTURE_TOKENIZER = pathlib.Path(__file__).resolve().parents[2] / "Tests/ReelModelTests/Fixtures/umt5/tokenizer"


def make(folder: pathlib.Path, preset: str) -> None:
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(
        vocab_size=4096, relative_attention_num_buckets=32, relative_attention_max_distance=128,
        feed_forward_proj="gated-gelu", layer_norm_epsilon=1e-6, dropout_rate=0.0, **PRESETS[preset])
    torch.manual_seed(0)
    UMT5EncoderModel(config).save_pretrained(folder / "text_encoder", safe_serialization=True)
    shutil.copytree(FIXTURE_TOKENIZER, folder / "tokenizer", dirs_exist_ok=True)
    print(f"wrote {folder} ({preset})")


def ids(tokens: int) -> list[int]:
    return [(i * 7919) % 4096 for i in range(tokens)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--make", action="store_true")
    parser.add_argument("--preset", default="small", choices=sorted(PRESETS))
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = pathlib.Path(args.folder)
    if args.make:
        make(folder, args.preset)
        return
    from transformers import UMT5EncoderModel

    torch.set_num_threads(args.threads)
    model = UMT5EncoderModel.from_pretrained(folder / "text_encoder", torch_dtype=torch.float32).eval()
    input_ids = torch.tensor([ids(args.tokens)])
    mask = torch.ones_like(input_ids)
    times = []
    with torch.no_grad():
        model(input_ids=input_ids, attention_mask=mask)
        for _ in range(args.repeat):
            start = time.perf_counter()
            model(input_ids=input_ids, attention_mask=mask)
            times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    result = dict(tokens=args.tokens, threads=args.threads, seconds=seconds, tokens_per_second=args.tokens / seconds,
                  torch_version=torch.__version__, peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
