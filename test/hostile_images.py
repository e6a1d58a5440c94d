"""Hostile images for the reliability tests: a PNG decompression bomb and elongated strips."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

import numpy as np


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


@lru_cache(maxsize=2)
def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid black 8-bit grey PNG of ``width`` x ``height``: under 2 MB that decodes to
    ``width * height * 3`` bytes of BGR (1.2 GB at the default size). Built row by row, so
    making it never holds the decoded image."""
    compressor = zlib.compressobj(1)
    row = bytes(width + 1)  # filter byte 0 + one zero byte per pixel
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def strip(width: int, height: int) -> np.ndarray:
    """A grey BGR uint8 image ``width`` x ``height`` (tiny in bytes for extreme aspect ratios)."""
    return np.full((height, width, 3), 127, np.uint8)
