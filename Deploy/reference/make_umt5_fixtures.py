#!/usr/bin/env python3
"""Makes the umT5 text-encoder fixtures in Tests/ReelModelTests/Fixtures/umt5/.

1. Writes a small multilingual corpus (accents, CJK, emoji, punctuation) and trains a
   SentencePiece Unigram model on it with `spm_train` (Debian's `sentencepiece`), with
   T5's special ids: <pad> 0, </s> 1, <unk> 2, no <s>.
2. Saves a diffusers-style folder, `model/tokenizer/` (spiece.model plus the files
   transformers' T5Tokenizer and T5TokenizerFast save: tokenizer_config.json,
   special_tokens_map.json, tokenizer.json) and, per case, `model/text_encoder/` (a tiny
   random UMT5EncoderModel, config.json and sharded safetensors with their index).
3. Writes references: `tokens.json` (for every test prompt: WanPipeline's cleaned text,
   and the ids of AutoTokenizer — what WanPipeline loads — checked against the slow
   T5Tokenizer), and per case `encode_outputs.safetensors` with what
   WanPipeline.encode_prompt returns for a batch of prompts of different lengths.

Deterministic: fixed seeds, one thread. Usage:

    pip install torch transformers diffusers sentencepiece protobuf safetensors ftfy
    apt-get install sentencepiece
    python3 Deploy/reference/make_umt5_fixtures.py
"""
import json
import pathlib
import shutil
import subprocess
import tempfile

import torch
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parents[2] / "Tests/ReelModelTests/Fixtures/umt5"

# Prompts the tokenizer test checks. Cleaning (WanPipeline.prompt_clean) runs first.
TOKEN_PROMPTS = [
    "a fox running through snow",
    "Crème brûlée à la française, naïve café",
    "東京の夜景、雨の中を歩く猫",
    "一只熊猫在竹林里吃竹子",
    "a cat 🐱 riding a skateboard 🛹 at sunset 🌅",
    "lots   of\t\twhitespace \n\n and\u3000ideographic\u00a0spaces  ",
    "Tom &amp; Jerry &lt;3 &quot;cartoon&quot; &#169; &#x263A; &amp;amp;",
    "curly \u201cquotes\u201d and \u2018apostrophes\u2019 and ﬁne ligatures",
    "ＦＵＬＬＷＩＤＴＨ letters and ｶﾀｶﾅ",
    "special tokens inline </s> and <pad> and <unk> stay special",
    "",
    "   ",
    "a",
    "Ünïcödé ÀÉÎÕÜ ñ ç ß ø å æ œ",
    "mixed 日本語 English Русский текст العربية",
    "numbers 1234567890 and punctuation!?.,;:()[]{}",
    " ".join(f"word{i} 雪 café" for i in range(300)),  # far over 512 tokens
]

# The batch whose embeddings both cases check: different lengths, one empty negative.
ENCODE_PROMPTS = [
    "a fox running through snow",
    "Crème brûlée à la française, naïve café, 東京の夜景 🐱",
    "一只熊猫",
    "lots   of whitespace &amp; entities, and a longer prompt with more words to make it the longest one in the batch",
]
NEGATIVE_PROMPT = "blurry, low quality"
LONG_PROMPT = " ".join(f"snow{i} 雪 fox" for i in range(400))  # truncated to 512 tokens

CORPUS_LINES = [
    "a fox running through snow in the forest at night",
    "the quick brown fox jumps over the lazy dog",
    "a cat riding a skateboard at sunset on the beach",
    "Crème brûlée à la française, naïve café au lait",
    "Ünïcödé ÀÉÎÕÜ ñ ç ß ø å æ œ résumé façade jalapeño",
    "東京の夜景、雨の中を歩く猫と犬",
    "一只熊猫在竹林里吃竹子，雪山和河流",
    "日本語 English Русский текст العربية 한국어 문장",
    "🐱 🐶 🦊 🌅 🛹 ❄️ 🎥 ✨",
    "numbers 1234567890 and punctuation ! ? . , ; : ( ) [ ] { } \" '",
    "blurry, low quality, worst quality, static, overexposed, subtitles",
    "a video of waves crashing on rocks, cinematic lighting, slow motion",
    "word snow fox café 雪 whitespace entities quotes ligatures letters",
]


def log(msg: str) -> None:
    print(msg, flush=True)


def train_spm(workdir: pathlib.Path) -> pathlib.Path:
    corpus = workdir / "corpus.txt"
    lines = []
    for rep in range(40):
        for i, line in enumerate(CORPUS_LINES):
            words = line.split()
            # Rotations give the trainer varied contexts without randomness.
            k = (rep + i) % max(1, len(words))
            lines.append(" ".join(words[k:] + words[:k]))
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    prefix = workdir / "spiece"
    subprocess.run(
        [
            "spm_train", f"--input={corpus}", f"--model_prefix={prefix}", "--model_type=unigram",
            "--vocab_size=400", "--hard_vocab_limit=false", "--character_coverage=0.995", "--pad_id=0", "--eos_id=1", "--unk_id=2",
            "--bos_id=-1", "--byte_fallback=false", "--num_threads=1", "--seed_sentencepiece_size=100000",
            "--minloglevel=2",
        ],
        check=True,
    )
    return prefix.with_suffix(".model")


def save_tokenizer(spm: pathlib.Path, folder: pathlib.Path):
    # transformers 5 has one T5Tokenizer (on the tokenizers library); from a folder
    # holding only spiece.model it converts the SentencePiece model. libsentencepiece
    # (python `sentencepiece`) is the second reference the ids are checked against.
    import sentencepiece
    from transformers import AutoTokenizer, T5Tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(spm, folder / "spiece.model")
    converted = T5Tokenizer.from_pretrained(folder, extra_ids=0)
    converted.save_pretrained(folder)
    auto = AutoTokenizer.from_pretrained(folder)
    log(f"AutoTokenizer for the folder: {type(auto).__name__} (what WanPipeline uses)")
    return sentencepiece.SentencePieceProcessor(model_file=str(folder / "spiece.model")), auto


def tokenize(tokenizer, text, max_length=512):
    enc = tokenizer(
        [text], padding="max_length", max_length=max_length, truncation=True,
        add_special_tokens=True, return_attention_mask=True,
    )
    return enc["input_ids"][0], enc["attention_mask"][0]


def token_references(slow, auto):
    from diffusers.pipelines.wan.pipeline_wan import prompt_clean

    cases = []
    for prompt in TOKEN_PROMPTS:
        cleaned = prompt_clean(prompt)
        ids, mask = tokenize(auto, cleaned)
        spm_ids = (slow.encode(cleaned) + [1])[:512]
        if spm_ids != ids[: sum(mask)]:
            log(f"NOTE libsentencepiece alone and {type(auto).__name__} disagree on {cleaned[:60]!r}")
        untruncated = auto(cleaned, add_special_tokens=True)["input_ids"]
        cases.append({
            "prompt": prompt,
            "cleaned": cleaned,
            "ids": ids[: sum(mask)],
            "length": sum(mask),
            "untruncated_length": len(untruncated),
            "plain_sentencepiece_agrees": spm_ids == ids[: sum(mask)],
        })
    return cases


def random_encoder(vocab_size: int, seed: int):
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(
        vocab_size=vocab_size, d_model=64, d_kv=12, d_ff=96, num_layers=3, num_heads=4,
        relative_attention_num_buckets=32, relative_attention_max_distance=128,
        feed_forward_proj="gated-gelu", layer_norm_epsilon=1e-6, dropout_rate=0.0,
    )
    torch.manual_seed(seed)
    model = UMT5EncoderModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name:
                # Ones would hide a missing or misplaced norm weight.
                p.copy_(1 + 0.3 * torch.randn_like(p))
            elif "relative_attention_bias" in name:
                p.copy_(torch.randn_like(p))
            elif "wi_0" in name:
                # Larger pre-activations so tanh- and erf-GELU differ beyond the tolerance.
                p.mul_(4.0)
    return model


def encode(pipe, prompts, negative):
    with torch.no_grad():
        pos, neg = pipe.encode_prompt(
            prompt=prompts, negative_prompt=negative, do_classifier_free_guidance=True,
            num_videos_per_prompt=1, max_sequence_length=512, device=torch.device("cpu"), dtype=torch.float32,
        )
    return pos, neg


def seq_lengths(tokenizer, prompts):
    from diffusers.pipelines.wan.pipeline_wan import prompt_clean

    return [sum(tokenize(tokenizer, prompt_clean(p))[1]) for p in prompts]


def make_case(name, weights_dtype, spm_folder, tokenizer, vocab_size, seed, long_prompt):
    from diffusers import WanPipeline
    from transformers import UMT5EncoderModel

    case = ROOT / name
    model_dir = case / "model"
    if case.exists():
        shutil.rmtree(case)
    shutil.copytree(spm_folder, model_dir / "tokenizer")
    model = random_encoder(vocab_size, seed)
    if weights_dtype == "BF16":
        model = model.to(torch.bfloat16)
    # Small shards so the index path is exercised.
    model.save_pretrained(model_dir / "text_encoder", max_shard_size="60KB", safe_serialization=True)
    assert (model_dir / "text_encoder" / "model.safetensors.index.json").exists(), "expected a sharded checkpoint"
    # Reference: the saved weights loaded back in float32 (bf16-rounded for the BF16 case).
    loaded = UMT5EncoderModel.from_pretrained(model_dir / "text_encoder", torch_dtype=torch.float32).eval()
    pipe = WanPipeline(tokenizer=tokenizer, text_encoder=loaded, vae=None, scheduler=None, transformer=None)

    pos, neg = encode(pipe, ENCODE_PROMPTS, [NEGATIVE_PROMPT, "", NEGATIVE_PROMPT, ""])
    lens = seq_lengths(tokenizer, ENCODE_PROMPTS)
    neg_lens = seq_lengths(tokenizer, [NEGATIVE_PROMPT, "", NEGATIVE_PROMPT, ""])
    # The pipeline zeroes every row past each prompt's length; the fixture keeps the
    # first `keep` rows (the rest are checked to be zero here, and by the Swift test).
    keep = max(lens + neg_lens) + 3
    for t, ls in ((pos, lens), (neg, neg_lens)):
        for b, n in enumerate(ls):
            assert torch.all(t[b, n:] == 0), "diffusers did not zero the padding"
    tensors = {
        "prompt_embeds": pos[:, :keep].contiguous(),
        "negative_prompt_embeds": neg[:, :keep].contiguous(),
        "seq_lens": torch.tensor(lens, dtype=torch.float32),
        "negative_seq_lens": torch.tensor(neg_lens, dtype=torch.float32),
    }
    if long_prompt:
        long_pos, _ = encode(pipe, [LONG_PROMPT], [""])
        tensors["long_prompt_embeds"] = long_pos.contiguous()
    # Relative-position buckets for key − query = −511 … 511 (the float32 log edges).
    attn = loaded.encoder.block[0].layer[0].SelfAttention
    rel = torch.arange(-511, 512)
    tensors["relative_buckets"] = attn._relative_position_bucket(rel).to(torch.float32)
    save_file(tensors, str(case / "encode_outputs.safetensors"))
    (case / "case.json").write_text(json.dumps({
        "weights_dtype": weights_dtype,
        "prompts": ENCODE_PROMPTS,
        "negative_prompts": [NEGATIVE_PROMPT, "", NEGATIVE_PROMPT, ""],
        "long_prompt": LONG_PROMPT if long_prompt else None,
        "max_sequence_length": 512,
        "kept_rows": keep,
        "seed": seed,
    }, ensure_ascii=False, indent=1) + "\n")
    # Only the text-encoder files are wanted; the tokenizer copy is the shared one.
    shutil.rmtree(model_dir / "tokenizer")
    log(f"{name}: {weights_dtype}, seq_lens {lens}, negative {neg_lens}, kept rows {keep}, max|ref| {pos.abs().max():.4g}")


def main() -> None:
    import transformers, diffusers, sentencepiece

    torch.set_num_threads(1)
    ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        spm = train_spm(pathlib.Path(tmp))
        tokenizer_dir = ROOT / "tokenizer"
        if tokenizer_dir.exists():
            shutil.rmtree(tokenizer_dir)
        slow, auto = save_tokenizer(spm, tokenizer_dir)
    vocab_size = slow.get_piece_size()
    log(f"SentencePiece vocabulary: {vocab_size} pieces")
    tokens = token_references(slow, auto)
    (ROOT / "tokens.json").write_text(json.dumps({
        "tokenizer_class": type(auto).__name__,
        "max_length": 512,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "diffusers": diffusers.__version__, "sentencepiece": sentencepiece.__version__},
        "cases": tokens,
    }, ensure_ascii=False, indent=1) + "\n")
    make_case("fp32_tiny", "F32", tokenizer_dir, auto, vocab_size, seed=1, long_prompt=True)
    make_case("bf16_tiny", "BF16", tokenizer_dir, auto, vocab_size, seed=2, long_prompt=False)


if __name__ == "__main__":
    main()
