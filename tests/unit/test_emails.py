"""The one form an account's email address is known by (``core.emails``)."""

import sys
import unicodedata

import pytest

from payground.core.emails import normalize_email


@pytest.mark.parametrize("typed, known_as", [
    ("ada@example.com", "ada@example.com"),
    ("ADA@Example.COM", "ada@example.com"),
    ("  ada@example.com\t", "ada@example.com"),
    ("ａｄａ@example.com", "ada@example.com"),  # fullwidth letters
    ("ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ada@example.com"),  # fullwidth all through
    ("jose\u0301@example.com", "jos\u00e9@example.com"),  # e + combining acute: é
    ("JOSÉ@example.com", "jos\u00e9@example.com"),
    ("STRASSE@example.de", "strasse@example.de"),
    ("straße@example.de", "strasse@example.de"),  # casefold, where lower() keeps ß
    ("ﬁnn@example.com", "finn@example.com"),  # the ligature is two letters
    ("ada@EXAMPLE.ＣＯＭ", "ada@example.com"),
    ("\"a@b\"@example.com", "\"a@b\"@example.com"),  # a quoted local part keeps its @
])
def test_addresses_that_read_the_same_are_one(typed, known_as):
    assert normalize_email(typed) == known_as


def test_addresses_that_differ_stay_apart():
    assert normalize_email("ada@example.com") != normalize_email("ada@example.org")
    assert normalize_email("ada@example.com") != normalize_email("adà@example.com")


def test_the_normal_form_is_a_fixed_point_for_every_character():
    """Normalising a stored address keeps it (the migration and every log-in rely on it):
    casefolding can undo NFKC, and NFKC can make leading spaces (U+00A8 is " ̈")."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF or not _may_change(char):
            continue  # surrogates (no request carries one), and what both leave alone
        for typed in (f"{char}a@{char}.com", f"a{char}@b{char}", char):
            once = normalize_email(typed)
            assert normalize_email(once) == once, hex(code)


def _may_change(char: str) -> bool:
    """Whether NFKC or casefolding changes ``char``, or it combines, or it is a space."""
    return (unicodedata.normalize("NFKC", char) != char or char.casefold() != char
            or unicodedata.category(char).startswith("M") or char.isspace())
