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
