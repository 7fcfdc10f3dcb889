#!/usr/bin/env python3
"""Generates tests/vectors/murmur3.json: golden murmur3_x86_32 vectors for Burgee's bucketing.

    h      = murmur3_x86_32(seed 0, UTF-8 bytes of the input), as an unsigned 32-bit integer
    bucket = (murmur3(salt ++ value) * total) >> 32          (64-bit integer arithmetic)

Every value is computed twice, by the small pure-Python implementation below and by the
`mmh3` package from PyPI (`pip install mmh3`), and written only when both agree. Run from the
repository root:  python3 tests/vectors/tools/gen_murmur3.py
These values are pinned forever: changing them moves every user between variants.
"""
import json
import os
import sys

import mmh3  # pip install mmh3


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & 0xFFFFFFFF
    nblocks = len(data) // 4
    for i in range(nblocks):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    tail = data[4 * nblocks:]
    k = 0
    if len(tail) >= 3:
        k ^= tail[2] << 16
    if len(tail) >= 2:
        k ^= tail[1] << 8
    if len(tail) >= 1:
        k ^= tail[0]
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def h32(s: str) -> int:
    b = s.encode("utf-8")
    mine, theirs = murmur3_x86_32(b), mmh3.hash(b, 0, signed=False)
    if mine != theirs:
        sys.exit(f"disagreement on {s!r}: pure-Python {mine}, mmh3 {theirs}")
    return mine


HASHES = [
    ("murmur3.empty", ""),
    ("murmur3.tail-1", "a"),
    ("murmur3.tail-2", "ab"),
    ("murmur3.tail-3", "abc"),
    ("murmur3.block-1", "abcd"),
    ("murmur3.block-1-tail-1", "abcde"),
    ("murmur3.block-1-tail-2", "abcdef"),
    ("murmur3.block-1-tail-3", "abcdefg"),
    ("murmur3.block-2", "abcdefgh"),
    ("murmur3.hello", "hello"),
    ("murmur3.hello-world", "Hello, world!"),
    ("murmur3.quick-brown-fox", "The quick brown fox jumps over the lazy dog"),
    ("murmur3.digits", "0123456789"),
    ("murmur3.space", " "),
    ("murmur3.nul-byte", "\u0000"),
    ("murmur3.user-1", "user-1"),
    ("murmur3.flag-and-key", "daily-planninguser-1"),
    ("murmur3.non-ascii.u-umlaut", "ü"),
    ("murmur3.non-ascii.japanese", "日本語"),
    ("murmur3.non-ascii.emoji", "😀"),
    ("murmur3.non-ascii.mixed", "Zoë-ümlaut"),
    ("murmur3.non-ascii.cyrillic", "Привет"),
    ("murmur3.non-ascii.combining", "e\u0301"),
    ("murmur3.non-ascii.precomposed", "\u00e9"),
    ("murmur3.high-bit", "\u00ff\u00fe\u00fd\u00fc"),
    ("murmur3.long-128", "x" * 128),
    ("murmur3.long-sentence", "Burgee evaluates feature flags at the edge, in the browser and in the admin app with one Rust core and pinned bucketing."),
    ("murmur3.long-non-ascii", "日本語のテキストと絵文字😀を含む長い入力。" * 4),
]

BUCKETS = [
    ("bucket.100.user-1", "daily-planning", "user-1", 100),
    ("bucket.100.user-2", "daily-planning", "user-2", 100),
    ("bucket.100.user-3", "daily-planning", "user-3", 100),
    ("bucket.100.other-salt", "checkout", "user-1", 100),
    ("bucket.100.empty-value", "daily-planning", "", 100),
    ("bucket.100.empty-salt", "", "user-1", 100),
    ("bucket.100.empty-both", "", "", 100),
    ("bucket.100.non-ascii-value", "daily-planning", "Zoë-ümlaut", 100),
    ("bucket.100.emoji-value", "daily-planning", "😀", 100),
    ("bucket.100.japanese-salt", "日本語", "user-1", 100),
    ("bucket.100.org", "daily-planning", "org-7", 100),
    ("bucket.3.user-1", "ab-test", "user-1", 3),
    ("bucket.3.user-2", "ab-test", "user-2", 3),
    ("bucket.3.user-3", "ab-test", "user-3", 3),
    ("bucket.3.user-4", "ab-test", "user-4", 3),
    ("bucket.10000.user-1", "fine-grained", "user-1", 10000),
    ("bucket.10000.user-2", "fine-grained", "user-2", 10000),
    ("bucket.10000.non-ascii", "fine-grained", "ü", 10000),
    ("bucket.1.user-1", "single", "user-1", 1),
    ("bucket.1.emoji", "single", "😀", 1),
    ("bucket.2.user-1", "coin", "user-1", 2),
    ("bucket.7.user-1", "week", "user-1", 7),
    ("bucket.1000.long", "long", "x" * 200, 1000),
    ("bucket.max-total", "daily-planning", "user-1", 4294967295),
]


def main():
    hashes = [{"id": i, "input": s, "hash": h32(s)} for i, s in HASHES]
    buckets = []
    for i, salt, value, total in BUCKETS:
        h = h32(salt + value)
        buckets.append({"id": i, "salt": salt, "value": value, "total": total, "bucket": (h * total) >> 32})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "murmur3.json")
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"hashes": hashes, "buckets": buckets}, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"wrote {len(hashes)} hashes and {len(buckets)} buckets to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
