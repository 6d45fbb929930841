"""The one form an account's email address is stored, looked up and compared in.

Two addresses a person reads as the same must not be two accounts, nor a log-in that fails:
``ADA@example.com`` and ``ada@example.com``; ``ａｄａ@example.com`` (fullwidth letters, as
some keyboards type them); ``"jose\\u0301@example.com"`` (``e`` and a combining accent) and
``josé@example.com`` (one precomposed letter). NFKC folds compatibility forms and composes
combining marks; casefold is Unicode's case-insensitive comparison (``lower`` leaves ``ß``
and ``STRASSE`` apart).
"""

from __future__ import annotations

import unicodedata


def normalize_email(address: str) -> str:
    """``address`` as an account is known by: NFKC, then casefolded, domain and local part.

    The domain is case-insensitive by definition (DNS). The local part may be case-sensitive
    by RFC 5321, but the mail providers people use do not treat it so, Payground never sends
    mail to it (it is a log-in name here), and Payground always lower-cased it: casefolded,
    two accounts cannot differ by case alone, which a reader cannot see.

    >>> normalize_email(" ＡＤＡ@Example.COM ")
    'ada@example.com'
    """
    text = unicodedata.normalize("NFKC", address).strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return _fold(text)  # not an address; the schema refuses it, callers compare as is
    return f"{_fold(local)}@{_fold(domain)}"


def _fold(text: str) -> str:
    # Casefolding can undo NFKC (U+01F0 "ǰ" folds to "j" and a combining caron): normalise
    # again, so that the form is a fixed point and normalising a stored address keeps it.
    return unicodedata.normalize("NFKC", text.casefold())
