"""C2SP tlog-tiles addressing: which hashes a tile holds and how its path is written.

A tile at tile level ``L`` and index ``N`` holds the hashes of tree level ``8 * L``, nodes
``256 * N .. 256 * N + W - 1`` (``W = 256`` for a full tile, fewer for the partial tile at the
right edge, whose path ends ``.p/W``); the entry tile ``N`` holds entries ``256 * N ..``, each
prefixed by its length as a big-endian uint16.  An index is written in groups of three digits,
all but the last prefixed with ``x``: 1234067 is ``x001/x234/067`` (c2sp.org/tlog-tiles).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Final

from leolink.errors import InputError

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "entry_bundle",
    "parse_tile_index",
    "read_entry_bundle",
    "tile_index_path",
]

TILE_HEIGHT: Final = 8
TILE_WIDTH: Final = 256

#: The size of a leolink log entry: a record's SHA-256 hash.
_HASH_SIZE: Final = 32


def tile_index_path(index: int, width: int = TILE_WIDTH) -> str:
    """The path segment of tile ``index`` (``.p/W`` appended for a partial tile)."""
    digits = f"{index:d}"
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    path = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def parse_tile_index(path: str) -> tuple[int, int]:
    """``(index, width)`` of a tile path segment such as ``x001/x234/067.p/12``."""
    width = TILE_WIDTH
    if ".p/" in path:
        path, _, w = path.partition(".p/")
        if not w.isdigit() or not 1 <= int(w) < TILE_WIDTH or w != str(int(w)):
            raise InputError(f"partial tile width {w!r} must be 1..255 without leading zeros")
        width = int(w)
    groups = path.split("/")
    ok = all(len(g) == 4 and g[0] == "x" and g[1:].isdigit() for g in groups[:-1])
    if not ok or len(groups[-1]) != 3 or not groups[-1].isdigit():
        raise InputError(f"tile index {path!r} must read like x001/x234/067 (three-digit groups)")
    index = int("".join(g.lstrip("x") for g in groups))
    if tile_index_path(index) != path:
        raise InputError(f"tile index {path!r} is not written canonically")
    return index, width


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Entries as an entry tile: each ``uint16 length || entry``."""
    return b"".join(struct.pack(">H", len(e)) + e for e in entries)


def read_entry_bundle(data: bytes) -> Sequence[bytes]:
    """The entries of an entry tile.

    A leolink log's entries are all 32-byte record hashes, so its tiles are a fixed stride of
    34 bytes (``00 20`` + hash); such a tile is cut by slicing, which is what makes verifying a
    million records from tiles fast, and anything else is read prefix by prefix.
    """
    stride = 2 + _HASH_SIZE
    count = len(data) // stride
    fixed = len(data) == count * stride and data[0::stride] == bytes(count)
    if fixed and data[1::stride] == bytes((_HASH_SIZE,)) * count:
        return [data[i + 2 : i + stride] for i in range(0, len(data), stride)]
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise ValueError("an entry tile ends inside a length prefix")
        (n,) = struct.unpack(">H", data[i : i + 2])
        if i + 2 + n > len(data):
            raise ValueError("an entry tile ends inside an entry")
        out.append(data[i + 2 : i + 2 + n])
        i += 2 + n
    return out
