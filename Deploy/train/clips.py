"""Procedural clips for Reel's demo model, and their prompts, from one small grammar.

A clip is one object (shape x colour x size) moving over a background (a colour or a
vertical gradient). The motion is one of:

- ``moving D``: straight along direction D at constant speed, wrapping around the frame
  (it leaves on one side and comes back on the other), so a clip of any length keeps
  moving the same way;
- ``bouncing D``: the same travel along D with hops across it (|sin|, like a ball);
- ``orbiting clockwise`` / ``orbiting counterclockwise``: a circle about the centre.

D is ``rightwards``, ``leftwards``, ``downwards`` or ``upwards``; an optional
``slowly`` / ``quickly`` sets the speed. The prompt is written from the same spec,
e.g. "a red ball bouncing rightwards on a navy background", and
``parse_prompt`` reads such a prompt back, warning (never refusing) about words
outside the grammar. Everything is deterministic from a seed (``ClipSpec.sample``).

Run ``python3 clips.py --seed 7 --png strip.png`` to see one clip's frames, or
``python3 clips.py --grammar grammar.json`` to write the vocabulary that
``reel demo --prompt`` warns with.

**Every spec has its own bag of words.** The model reads prompts through Reel's stand-in
embedder, one vector per word, and Wan's cross-attention has no position term for the
text, so it sees a prompt as an unordered bag of words: "left to right" and "right to
left", or "a red ball on a dark blue background" and "a blue ball on a dark red
background", would be the same condition. So each direction is one word, the
background colours are words no object colour uses, and a gradient's two colours are
drawn in a fixed order (top to bottom in the order of ``BACKGROUND_COLOURS``) whichever
order the prompt names them in.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import warnings

import numpy as np

# Bright object colours and dark backgrounds, far apart in RGB so a colour histogram
# tells them apart (the adherence detector relies on it).
OBJECT_COLOURS = {
    "red": (230, 40, 40),
    "green": (40, 210, 60),
    "blue": (50, 100, 255),
    "yellow": (245, 225, 40),
    "orange": (255, 140, 20),
    "purple": (170, 60, 230),
    "white": (245, 245, 245),
    "cyan": (40, 220, 230),
}
# Dark colours, named by words no object colour uses (see the module's note on bags of words).
BACKGROUND_COLOURS = {
    "black": (8, 8, 8),
    "navy": (15, 25, 80),
    "pine": (15, 60, 25),
    "charcoal": (55, 55, 55),
    "plum": (50, 15, 60),
    "maroon": (70, 12, 12),
}
SHAPES = ("ball", "square", "triangle")
# Object radius as a fraction of the frame's shorter side.
SIZES = {"small": 0.09, "": 0.13, "large": 0.19}
# One word each: the model cannot tell "left to right" from "right to left" (same words).
DIRECTIONS = {
    "rightwards": (1.0, 0.0),
    "leftwards": (-1.0, 0.0),
    "downwards": (0.0, 1.0),
    "upwards": (0.0, -1.0),
}
ORBITS = {"clockwise": 1.0, "counterclockwise": -1.0}
# Frames to cross the frame once at 16 fps.
SPEEDS = {"slowly": 96.0, "": 56.0, "quickly": 32.0}
MOTIONS = ("moving", "bouncing", "orbiting")

# Words every prompt may use besides the vocabulary above.
GLUE = ("a", "an", "on", "background", "gradient", "to", "from")


@dataclasses.dataclass(frozen=True)
class ClipSpec:
    """One clip of the grammar; ``prompt()`` writes it, ``render()`` draws it."""

    shape: str = "ball"
    colour: str = "red"
    size: str = ""
    motion: str = "moving"
    direction: str = "rightwards"  # for orbiting: "clockwise" or "counterclockwise"
    speed: str = ""
    background: str = "navy"
    # A second background colour: a top-to-bottom gradient from `background`, which comes
    # first in BACKGROUND_COLOURS (`gradient()` orders a pair).
    gradient_to: str | None = None
    phase: float = 0.0  # where along its path the object starts, in [0, 1)

    @staticmethod
    def sample(seed: int) -> "ClipSpec":
        """A clip drawn uniformly from the grammar, the same for the same seed."""
        rng = np.random.default_rng(seed)

        def pick(options):
            options = list(options)
            return options[int(rng.integers(len(options)))]

        motion = pick(MOTIONS)
        direction = pick(ORBITS) if motion == "orbiting" else pick(DIRECTIONS)
        background = pick(BACKGROUND_COLOURS)
        gradient_to = None
        if rng.random() < 0.35:
            gradient_to = pick(b for b in BACKGROUND_COLOURS if b != background)
            background, gradient_to = gradient(background, gradient_to)
        return ClipSpec(
            shape=pick(SHAPES), colour=pick(OBJECT_COLOURS), size=pick(SIZES), motion=motion,
            direction=direction, speed=pick(SPEEDS), background=background, gradient_to=gradient_to,
            phase=float(rng.random()))

    def prompt(self) -> str:
        first = self.size or self.colour
        words = ["an" if first[0] in "aeiou" else "a"]
        if self.size:
            words.append(self.size)
        words += [self.colour, self.shape, self.motion, self.direction]
        if self.speed:
            words.append(self.speed)
        if self.gradient_to:
            words += ["on", "a", self.background, "to", self.gradient_to, "gradient"]
        else:
            words += ["on", "a", self.background, "background"]
        return " ".join(words)

    # MARK: drawing

    def centre(self, frame: int, width: int, height: int) -> tuple[float, float]:
        """The object's centre in pixels at `frame` (unwrapped: may lie outside the frame)."""
        side = min(width, height)
        frames_per_crossing = SPEEDS[self.speed]
        if self.motion == "orbiting":
            sign = ORBITS[self.direction]
            radius = 0.28 * side
            # One turn takes as long as one crossing.
            angle = 2 * math.pi * (self.phase + sign * frame / frames_per_crossing)
            # Image y grows downwards, so +angle with (cos, sin) turns clockwise on screen.
            return width / 2 + radius * math.cos(angle), height / 2 + radius * math.sin(angle)
        dx, dy = DIRECTIONS[self.direction]
        travel = (self.phase + frame / frames_per_crossing)  # crossings so far
        # Across the travel axis the object keeps to the middle band.
        x = width / 2 + dx * travel * width
        y = height / 2 + dy * travel * height
        if self.motion == "bouncing":
            hop = abs(math.sin(math.pi * 3 * travel))  # three hops per crossing
            amplitude = 0.3 * side
            if dx != 0:
                y = height * 0.72 - amplitude * hop
            else:
                x = width * 0.28 + amplitude * hop
        return x, y

    def background_image(self, width: int, height: int) -> np.ndarray:
        top = np.array(BACKGROUND_COLOURS[self.background], np.float32)
        if self.gradient_to is None:
            return np.broadcast_to(top, (height, width, 3)).copy()
        bottom = np.array(BACKGROUND_COLOURS[self.gradient_to], np.float32)
        t = (np.arange(height, dtype=np.float32) + 0.5) / height
        rows = top[None, :] * (1 - t[:, None]) + bottom[None, :] * t[:, None]
        return np.broadcast_to(rows[:, None, :], (height, width, 3)).copy()

    def coverage(self, cx: float, cy: float, width: int, height: int) -> np.ndarray:
        """`(H, W)` in [0, 1]: how much of each pixel the object covers (a one-pixel
        soft edge from the signed distance, so motion is smooth between frames).
        Drawn also one frame-width/height away, so an object wrapping out of one
        side shows on the other."""
        side = min(width, height)
        r = SIZES[self.size] * side
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
        alpha = np.zeros((height, width), np.float32)
        for ox in (-width, 0, width):
            for oy in (-height, 0, height):
                px, py = xs - (cx + ox), ys - (cy + oy)
                if self.shape == "ball":
                    d = np.sqrt(px * px + py * py) - r
                elif self.shape == "square":
                    s = r * 0.88
                    d = np.maximum(np.abs(px), np.abs(py)) - s
                else:  # an upward triangle inscribed in the circle of radius r * 1.15
                    R = r * 1.15
                    d = np.maximum.reduce([
                        py - R * 0.5,  # bottom edge
                        (-py * 0.5 + px * 0.866) - R * 0.5,
                        (-py * 0.5 - px * 0.866) - R * 0.5,
                    ])
                alpha = np.maximum(alpha, np.clip(0.5 - d, 0.0, 1.0))
        return alpha

    def render(self, frames: int, width: int = 64, height: int = 64, start: int = 0) -> np.ndarray:
        """`(frames, H, W, 3)` uint8, frames `start ..< start + frames` of the clip."""
        background = self.background_image(width, height)
        colour = np.array(OBJECT_COLOURS[self.colour], np.float32)
        out = np.empty((frames, height, width, 3), np.uint8)
        for i in range(frames):
            cx, cy = self.centre(start + i, width, height)
            a = self.coverage(cx % width, cy % height, width, height)[..., None]
            out[i] = np.clip(np.rint(background * (1 - a) + colour * a), 0, 255).astype(np.uint8)
        return out


# MARK: parsing


def gradient(a: str, b: str) -> tuple[str, str]:
    """A gradient's (top, bottom) colours: in the order of BACKGROUND_COLOURS, whichever
    order they were named in, since the model cannot see word order."""
    order = list(BACKGROUND_COLOURS)
    return (a, b) if order.index(a) < order.index(b) else (b, a)


def vocabulary() -> dict:
    """The grammar's words, for `reel demo --prompt` (written as grammar.json)."""
    words = set(GLUE)
    for group in (OBJECT_COLOURS, BACKGROUND_COLOURS, SHAPES, SIZES, DIRECTIONS, ORBITS, SPEEDS, MOTIONS):
        for phrase in group:
            words.update(phrase.split())
    return {
        "words": sorted(w for w in words if w),
        "object_colours": sorted(OBJECT_COLOURS),
        "background_colours": sorted(BACKGROUND_COLOURS),
        "shapes": list(SHAPES),
        "sizes": [s for s in SIZES if s],
        "motions": list(MOTIONS),
        "directions": list(DIRECTIONS) + list(ORBITS),
        "speeds": [s for s in SPEEDS if s],
        "example": ClipSpec(shape="ball", colour="red", motion="bouncing", background="navy").prompt(),
        # The colours as drawn (RGB 0-255), for the adherence detector of `reel demo`
        # (Sources/ReelMedia/PaletteDetector.swift), which mirrors quality.py's.
        # A list, in quality.py's order (the nearest colour wins, ties to the earlier one).
        "palette": [[name, *rgb] for name, rgb in {**OBJECT_COLOURS, **BACKGROUND_COLOURS}.items()],
    }


def parse_prompt(prompt: str) -> tuple[ClipSpec, list[str]]:
    """Reads a prompt of the grammar into a spec; returns it with the words that are
    outside the grammar, after warning about them (they are kept in the prompt the
    model sees, where they shift the embedding without meaning anything to it).
    Parts the prompt does not name take the ``ClipSpec`` defaults."""
    words = prompt.lower().split()
    known = set(vocabulary()["words"])
    unknown = [w for w in words if w not in known]
    if unknown:
        warnings.warn(f"words outside the demo grammar (the model was not trained on them): {' '.join(unknown)}")
    text = " " + " ".join(w for w in words if w in known) + " "
    fields: dict = {}
    for shape in SHAPES:
        if f" {shape} " in text:
            fields["shape"] = shape
    for size in SIZES:
        if size and f" {size} " in text:
            fields["size"] = size
    for speed in SPEEDS:
        if speed and f" {speed} " in text:
            fields["speed"] = speed
    for motion in MOTIONS:
        if f" {motion} " in text:
            fields["motion"] = motion
    for d in list(DIRECTIONS) + list(ORBITS):
        if f" {d} " in text:
            fields["direction"] = d
            if d in ORBITS:
                fields["motion"] = "orbiting"
    # The object's colour comes before "on", the background's after.
    head, _, tail = text.partition(" on ")
    for colour in OBJECT_COLOURS:
        if f" {colour} " in head + " ":
            fields["colour"] = colour
    backgrounds = [b for b in BACKGROUND_COLOURS if f" {b} " in " " + tail]
    if backgrounds:
        fields["background"] = backgrounds[0]
        if len(backgrounds) > 1 and " gradient " in text:
            fields["background"], fields["gradient_to"] = gradient(backgrounds[0], backgrounds[1])
    if fields.get("motion") == "orbiting" and fields.get("direction") not in ORBITS:
        fields["direction"] = "clockwise"
    if fields.get("motion") in ("moving", "bouncing") and fields.get("direction") in ORBITS:
        fields["direction"] = "rightwards"
    return ClipSpec(**fields), unknown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prompt", help="draw this prompt instead of a sampled clip")
    parser.add_argument("--frames", type=int, default=33)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--png", help="write every 4th frame side by side")
    parser.add_argument("--grammar", help="write the vocabulary as JSON")
    args = parser.parse_args()
    if args.grammar:
        with open(args.grammar, "w") as f:
            json.dump(vocabulary(), f, indent=2)
            f.write("\n")
    spec = parse_prompt(args.prompt)[0] if args.prompt else ClipSpec.sample(args.seed)
    print(spec.prompt())
    if args.png:
        from PIL import Image

        clip = spec.render(args.frames, args.size, args.size)
        Image.fromarray(np.concatenate(list(clip[::4]), axis=1)).save(args.png)


if __name__ == "__main__":
    main()
