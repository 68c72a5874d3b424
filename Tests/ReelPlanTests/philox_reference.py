#!/usr/bin/env python3
"""Independent reference for Reel's latent noise (ReelPlan.LatentNoise).

Written from the definition in Sources/ReelPlan/ReelPlan.docc/NOISE.md, not from
the Swift code, so NoiseTests compares Swift against a second implementation.
Pure Python integers and the math module (C libm), no numpy: numpy's vectorised
log/sin/cos may differ from libm in the last bit.

Run: python3 Tests/ReelPlanTests/philox_reference.py
and paste the printed constants into NoiseTests.swift.
"""
import math
import struct

MASK = 0xFFFFFFFF
M0, M1 = 0xD2511F53, 0xCD9E8D57  # Random123; 0xCD9ED385 fails its KAT
W0, W1 = 0x9E3779B9, 0xBB67AE85


def philox4x32_10(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for i in range(10):
        if i:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0, p1 & MASK, (p0 >> 32) ^ c3 ^ k1, p0 & MASK)
    return c0, c1, c2, c3


def box_muller(a, b):
    u1 = (a + 1) * 2.0**-32
    u2 = b * 2.0**-32
    r = math.sqrt(-2.0 * math.log(u1))
    theta = (2.0 * math.pi) * u2
    return r * math.cos(theta), r * math.sin(theta)


def to_float32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def noise(seed, e):
    n = e // 4
    x = philox4x32_10((n & MASK, n >> 32, 0, 0), (seed & MASK, seed >> 32))
    z0, z1 = box_muller(x[0], x[1])
    z2, z3 = box_muller(x[2], x[3])
    return (z0, z1, z2, z3)[e % 4]


def main():
    print("// Random123 known-answer vectors, philox4x32-10 (counter, key -> output)")
    for ctr, key in [
        ((0, 0, 0, 0), (0, 0)),
        ((MASK, MASK, MASK, MASK), (MASK, MASK)),
        ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0)),
    ]:
        out = philox4x32_10(ctr, key)
        print("//", " ".join(f"{v:08x}" for v in ctr), "|", " ".join(f"{v:08x}" for v in key),
              "->", " ".join(f"0x{v:08X}" for v in out))

    seed = 0x0123456789ABCDEF
    print(f"// seed 0x{seed:016X}, elements 0..<8 and a few far indices: (index, float32 bits, value)")
    for e in list(range(8)) + [4097, 2**33 + 6]:
        z = noise(seed, e)
        print(f"({e}, 0x{to_float32_bits(z):08X}),  // {z!r}")

    seed = 42
    print(f"// seed {seed}, Wan 1.3B clip [16, 41, 60, 104]: element (c=3, f=40, y=59, x=103)")
    c, f, y, x = 3, 40, 59, 103
    e = ((c * 41 + f) * 60 + y) * 104 + x
    z = noise(seed, e)
    print(f"({e}, 0x{to_float32_bits(z):08X}),  // {z!r}")

    print("// worked example for NOISE.md: seed 42, counter n = 1 (elements 4..<8)")
    x = philox4x32_10((1, 0, 0, 0), (42, 0))
    print("// philox words", " ".join(f"0x{v:08X}" for v in x))
    for lane, (a, b) in ((4, (x[0], x[1])), (6, (x[2], x[3]))):
        u1 = (a + 1) * 2.0**-32
        u2 = b * 2.0**-32
        r = math.sqrt(-2.0 * math.log(u1))
        theta = (2.0 * math.pi) * u2
        z_cos, z_sin = box_muller(a, b)
        print(f"// u1 {u1!r} u2 {u2!r} r {r!r} theta {theta!r}")
        print(f"//   element {lane}: {z_cos!r} -> 0x{to_float32_bits(z_cos):08X}; "
              f"element {lane + 1}: {z_sin!r} -> 0x{to_float32_bits(z_sin):08X}")

if __name__ == "__main__":
    main()
