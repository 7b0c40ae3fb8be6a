"""Entry tiles (c2sp.org/tlog-tiles): the fixed-stride reading of 32-byte entries agrees with the
prefix-by-prefix reading, and a malformed tile is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leolink.policy.tiles import entry_bundle, read_entry_bundle

hashes = st.lists(st.binary(min_size=32, max_size=32), max_size=300)
entries = st.lists(st.binary(max_size=70), max_size=50)


@given(hashes)
def test_a_tile_of_record_hashes_reads_back(items: list[bytes]):
    assert list(read_entry_bundle(entry_bundle(items))) == items


@given(entries)
def test_a_tile_of_any_entries_reads_back(items: list[bytes]):
    assert list(read_entry_bundle(entry_bundle(items))) == items


def test_a_cut_tile_is_refused():
    data = entry_bundle([bytes(32), bytes(32)])
    with pytest.raises(ValueError, match="ends inside"):
        read_entry_bundle(data[:-1])
