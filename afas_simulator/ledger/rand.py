"""Stable randomness: every random stream is named, so the same name always gives the same numbers.

Python's `hash()` is salted per process, so names are hashed with BLAKE2b instead. A stream name is
the simulator seed, the environment key and whatever identifies the thing generated (administration,
year, period, purpose), which makes each slice reproducible on its own, in any order.
"""

from __future__ import annotations

import hashlib

import numpy as np

_SEPARATOR = "\x1f"


def _digest(parts: tuple[object, ...], size: int) -> bytes:
    text = _SEPARATOR.join(str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).digest()


def derive_seed(*parts: object) -> int:
    """A 128-bit seed from the parts (their `str()` forms, in order)."""
    return int.from_bytes(_digest(parts, 16), "big")


def stream(*parts: object) -> np.random.Generator:
    """A numpy generator seeded from the parts; same parts, same numbers, in every process."""
    return np.random.Generator(np.random.PCG64(derive_seed(*parts)))


def hex_id(*parts: object) -> str:
    """32 uppercase hexadecimal characters derived from the parts (AFAS file ids look like this)."""
    return _digest(parts, 16).hex().upper()
