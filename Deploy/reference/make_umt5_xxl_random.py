#!/usr/bin/env python3
"""Writes a text encoder with umT5-XXL's real shapes and random BF16 weights, for measuring
Reel's memory on Wan's encoder without downloading it (about 11.4 GB on disk):

    python3 Deploy/reference/make_umt5_xxl_random.py --out /tmp/umt5-xxl
    /usr/bin/time -v reel model encode-text /tmp/umt5-xxl --prompt "a fox running through snow" --output /tmp/e.safetensors

DIR/text_encoder/ gets Wan's config (d_model 4096, d_ff 10240, 24 layers, 64 heads, d_kv 64,
32 buckets, max distance 128, vocabulary 256,384) and shards of at most 2 GB with their index,
written one tensor at a time so this script needs little memory. DIR/tokenizer/ is the fixture's
small SentencePiece model (its 245 ids are all rows of the real embedding). Weights are N(0, σ)
with σ = 0.02 (norm weights 1), enough for finite outputs; the numbers mean nothing.
"""
import argparse
import json
import pathlib
import shutil

import torch
from safetensors.torch import save_file

FIXTURE_TOKENIZER = pathlib.Path(__file__).resolve().parents[2] / "Tests/ReelModelTests/Fixtures/umt5/tokenizer"

CONFIG = {
    "architectures": ["UMT5EncoderModel"], "model_type": "umt5", "d_model": 4096, "d_ff": 10240, "d_kv": 64,
    "num_layers": 24, "num_heads": 64, "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
    "vocab_size": 256384, "feed_forward_proj": "gated-gelu", "dense_act_fn": "gelu_new", "is_gated_act": True,
    "layer_norm_epsilon": 1e-6, "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
    "torch_dtype": "bfloat16",
}


def shapes():
    c = CONFIG
    inner = c["num_heads"] * c["d_kv"]
    yield "shared.weight", (c["vocab_size"], c["d_model"])
    for i in range(c["num_layers"]):
        p = f"encoder.block.{i}.layer"
        for name in "qkv":
            yield f"{p}.0.SelfAttention.{name}.weight", (inner, c["d_model"])
        yield f"{p}.0.SelfAttention.o.weight", (c["d_model"], inner)
        yield f"{p}.0.SelfAttention.relative_attention_bias.weight", (c["relative_attention_num_buckets"], c["num_heads"])
        yield f"{p}.0.layer_norm.weight", (c["d_model"],)
        yield f"{p}.1.DenseReluDense.wi_0.weight", (c["d_ff"], c["d_model"])
        yield f"{p}.1.DenseReluDense.wi_1.weight", (c["d_ff"], c["d_model"])
        yield f"{p}.1.DenseReluDense.wo.weight", (c["d_model"], c["d_ff"])
        yield f"{p}.1.layer_norm.weight", (c["d_model"],)
    yield "encoder.final_layer_norm.weight", (c["d_model"],)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--shard-bytes", type=int, default=2 << 30)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    encoder = out / "text_encoder"
    encoder.mkdir(parents=True, exist_ok=True)
    (encoder / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    shutil.copytree(FIXTURE_TOKENIZER, out / "tokenizer", dirs_exist_ok=True)
    torch.manual_seed(0)
    shards, current, size = [], {}, 0
    for name, shape in shapes():
        if "layer_norm" in name:
            t = torch.ones(shape, dtype=torch.bfloat16)
        else:
            t = (torch.randn(shape, dtype=torch.float32) * 0.02).to(torch.bfloat16)
        nbytes = t.numel() * 2
        if current and size + nbytes > args.shard_bytes:
            shards.append(current)
            current, size = {}, 0
        current[name] = t
        size += nbytes
        if len(current) == 1 and size >= args.shard_bytes:
            shards.append(current)
            current, size = {}, 0
    if current:
        shards.append(current)
    weight_map, total = {}, 0
    for i, tensors in enumerate(shards):
        file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(tensors, str(encoder / file), metadata={"format": "pt"})
        for name, t in tensors.items():
            weight_map[name] = file
            total += t.numel() * 2
        print(f"wrote {file}: {len(tensors)} tensors", flush=True)
        tensors.clear()
    (encoder / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n")
    print(f"{total / 1e9:.2f} GB of BF16 weights in {len(shards)} shards under {encoder}")


if __name__ == "__main__":
    main()
