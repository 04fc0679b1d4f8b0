"""A small image file declaring a huge image must not be decoded (hardening, item 3).

The files are written by hand: a valid PNG header and a zlib stream of zero rows, a few KB on
disk for hundreds of millions of pixels. The client must refuse them from the header, with the
limit in the message, without the memory that decoding would take.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import psutil
import pytest

from jupyter_mlpipe.errors import InvalidArgument
from jupyter_mlpipe.serving.client import MAX_IMAGE_PIXELS, build_payload, image_array


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def write_bilevel_png(path: Path, width: int, height: int) -> Path:
    """A 1-bit PNG of zeros, compressed row by row (never the whole image in memory)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
                     + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("side", [12000, 20000])
def test_huge_images_are_refused_before_decoding(tmp_path: Path, side: int) -> None:
    bomb = write_bilevel_png(tmp_path / f"bomb-{side}.png", side, side)
    assert bomb.stat().st_size < 200_000
    process = psutil.Process()
    before = process.memory_info().rss
    with pytest.raises(InvalidArgument) as caught:
        build_payload(bomb)
    grown = process.memory_info().rss - before
    message = str(caught.value)
    assert f"{MAX_IMAGE_PIXELS:,}" in message and "4096×4096" in message
    assert "resize" in message
    assert grown < 50 * 1024 * 1024  # decoding 12000² would take ≥ 144 MB


def test_an_image_at_the_limit_still_reads(tmp_path: Path) -> None:
    small = write_bilevel_png(tmp_path / "ok.png", 64, 32)
    array = image_array(small)
    assert array.shape == (32, 64) and float(np.max(array)) == 0.0
    with pytest.raises(InvalidArgument, match="at most 2,047 pixels"):
        image_array(small, max_pixels=2047)
