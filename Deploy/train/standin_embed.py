"""Reel's **stand-in** text embedder (Sources/ReelTensor/StandInTextEmbedder.swift),
re-implemented so the demo model is trained on the vectors the farm gives it.

It is not a language model: each whitespace-separated word of the lowercased prompt
maps to a unit-variance vector drawn by SplitMix64 (Sources/ReelTensor/SeededRandom.swift)
seeded by the first 8 bytes (big-endian) of the SHA-256 of the word's UTF-8; the rows
after the last word are zero, up to `tokens` rows.

`python3 standin_embed.py --fixture PATH` writes prompts and their embeddings as
safetensors, which Tests/ReelTensorTests/StandInTextEmbedderFixtureTests.swift reads
to check that the Swift embedder gives bit-identical floats.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math

import numpy as np

MASK = (1 << 64) - 1

# Unicode's White_Space property, which Swift's Character.isWhitespace tests (Python's
# str.split() also splits on U+001C–U+001F, which are not White_Space).
WHITE_SPACE = frozenset(
    "\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


class SplitMix64:
    """SeededRandom: SplitMix64 with Box–Muller normals, as the Swift one."""

    def __init__(self, seed: int):
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def normal(self) -> np.float32:
        # Same operations in double precision (the same libm's log and cos), then
        # rounded to float32 once, as Swift's Float(Double) does.
        u1 = (float(self.next() >> 11) + 1.0) / float(1 << 53)
        u2 = float(self.next() >> 11) / float(1 << 53)
        return np.float32(math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2))


def lowercased(text: str) -> str:
    """Swift's String.lowercased(): the full Unicode lowercase mapping of each scalar,
    without str.lower()'s context rule that turns a word-final capital sigma into ς
    (Swift gives σ; the fixture's "ΣΊΣΥΦΟΣ" holds the two to it)."""
    return "".join(ch.lower() for ch in text)


def words(prompt: str) -> list[str]:
    """The prompt's lowercased words, split on White_Space as Swift splits Characters."""
    out, current = [], []
    for ch in lowercased(prompt):
        if ch in WHITE_SPACE:
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        out.append("".join(current))
    return out


def word_seed(word: str) -> int:
    return int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "big")


def embed(prompt: str, width: int, tokens: int = 512) -> np.ndarray:
    """`(tokens, width)` float32: one row per word (up to `tokens`), then zero rows."""
    out = np.zeros((tokens, width), np.float32)
    cache: dict[str, np.ndarray] = {}
    for row, word in enumerate(words(prompt)[:tokens]):
        if word not in cache:
            rng = SplitMix64(word_seed(word))
            cache[word] = np.array([rng.normal() for _ in range(width)], np.float32)
        out[row] = cache[word]
    return out


# Prompts that exercise case, unicode (multi-byte UTF-8, a case mapping that changes
# length, combining marks), runs of different whitespace, and more words than tokens.
FIXTURE_PROMPTS = [
    "a red ball bouncing left to right on a dark blue background",
    "A RED Ball   bouncing\tLEFT to right\non a Dark Blue background",
    "",
    "   ",
    "ÉCLAIR über straße café naïve",
    "İstanbul ΣΊΣΥΦΟΣ ǅemal",
    "e\u0301 cafe\u0301 日本語 の テスト 🎬🎞️ emoji",
    "non\u00a0breaking\u2003em space\u3000ideographic",
    " ".join(f"word{i}" for i in range(40)),
]


def write_fixture(path: str, width: int, tokens: int) -> None:
    from safetensors.numpy import save_file

    tensors = {f"prompt_{i}": embed(p, width, tokens) for i, p in enumerate(FIXTURE_PROMPTS)}
    metadata = {"prompts": json.dumps(FIXTURE_PROMPTS), "width": str(width), "tokens": str(tokens),
                "generator": "Deploy/train/standin_embed.py"}
    save_file(tensors, path, metadata=metadata)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixture", help="write the test fixture here")
    parser.add_argument("--width", type=int, default=24)
    parser.add_argument("--tokens", type=int, default=32, help="fewer than the longest fixture prompt's words")
    parser.add_argument("--prompt", help="print this prompt's first row")
    args = parser.parse_args()
    if args.fixture:
        write_fixture(args.fixture, args.width, args.tokens)
    if args.prompt is not None:
        print(embed(args.prompt, args.width, args.tokens)[0])


if __name__ == "__main__":
    main()
