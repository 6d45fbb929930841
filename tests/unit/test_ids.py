"""Prefixed object ids."""

import re

from payground.core.ids import new_id, new_sortable_id


def test_new_id_shape():
    assert re.match(r"^req_[0-9A-Za-z]{14}$", new_id("req_", 14))


def test_sortable_ids_sort_in_creation_order_and_are_unique():
    ids = [new_sortable_id("ch_") for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(re.match(r"^ch_[0-9A-Za-z]{24}$", i) for i in ids)


def test_new_id_uses_every_base62_character_evenly():
    from collections import Counter

    counts = Counter("".join(new_id("", 62) for _ in range(2000)))
    assert len(counts) == 62
    # 124,000 draws: each character expected 2,000 times; a biased mapping would be far off.
    assert min(counts.values()) > 1700 and max(counts.values()) < 2300
