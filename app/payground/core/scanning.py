"""Finding keys in text: what ``payground scan`` looks for, framework-free.

Three kinds of find, each with how sure we are that it is a live credential:

- Payground keys (``sk_``/``rk_``/``pk_`` + ``test``/``live`` + 38 base62 characters): the
  checksum (see ``keys``) proves a find is a real key, not a placeholder, with no database
  and no false positives from strings like ``sk_test_123``.
- Other Stripe-shaped secret keys (``sk_live_51H...``): they have no checksum anyone outside
  Stripe can check, so any ``sk_``/``rk_`` + mode + 20 or more base62 characters counts. A
  learner's real Stripe key pasted into a Payground project is the worst find of all.
- Webhook signing secrets (``whsec_`` + 32 base62 characters): no checksum either.

A find never carries more of the secret than its display form (``sk_test_...Ab12``) outside
this module's ``Find.value``, which callers use to ask the server about it and then drop.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from . import keys as keyfmt
from .webhooks import SECRET_PATTERN

# Base62 runs after a key prefix. A Payground key's run is exactly 38 characters; a longer run
# is not a Payground key (its 46 characters would be a prefix of something else).
_CANDIDATE = re.compile(keyfmt.KEY_LIKE.pattern + r"|whsec_[0-9A-Za-z]+")
# What may come right before a key inside a word: an escape (``%3D`` in a URL, ``\n`` or
# ``\u0022`` in a JSON or C string). Payground keys need no such excuse: their checksum
# already proves them.
_ESCAPED = re.compile(r"(?:%[0-9A-Fa-f]{2}|\\[nrt]|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2})$")
# On a line, tells the scan that a key-like string there is meant to be (as gitleaks:allow).
ALLOW_MARK = "payground-scan:allow"
STRIPE_MIN_LENGTH = 20  # Stripe's own keys carry 24 or 99 characters after the prefix
# Test keys that Stripe's own documentation prints for everyone to copy (its samples have
# carried one after another): public, so no one's secret. Reported, but not as a leak.
STRIPE_DOCS_KEYS = frozenset({"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
                              "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
                              "sk_test_26PHem9AhJZvU623DfE1x4sd"})

# Severity order: what to deal with first.
SECRET = "secret"            # a Payground secret key
RESTRICTED = "restricted"    # a Payground restricted key
PUBLISHABLE = "publishable"  # a Payground publishable key: public by design, reported as info
STRIPE = "stripe"            # a secret or restricted key Payground did not issue
WEBHOOK_SECRET = "webhook_secret"
STRIPE_DOCS = "stripe_docs"  # a key from Stripe's documentation: public, reported as info


@dataclass(frozen=True)
class Find:
    """One key found at ``line`` (1-based) and ``column`` (1-based) of a text."""

    kind: str
    livemode: bool | None  # None for webhook secrets, which have no mode
    line: int
    column: int
    value: str

    @property
    def display(self) -> str:
        """``sk_test_...Ab12``: enough to recognise a key, never enough to use it."""
        head = "whsec_" if self.kind == WEBHOOK_SECRET else keyfmt.prefix_of(self.value)
        return keyfmt.redact(head, self.value[-4:])

    @property
    def leaks(self) -> bool:
        """Whether the find is a secret that must not be where it was found."""
        return self.kind not in (PUBLISHABLE, STRIPE_DOCS)


def classify(candidate: str) -> tuple[str, bool | None] | None:
    """The kind and mode of a key-like string, or ``None`` if it is not a credential."""
    if candidate.startswith("whsec_"):
        return (WEBHOOK_SECRET, None) if SECRET_PATTERN.fullmatch(candidate) else None
    parsed = keyfmt.parse(candidate)
    if parsed is not None:
        return parsed.kind, parsed.livemode
    prefix, run = candidate[:2], candidate[8:]
    if len(run) == keyfmt.RANDOM_LENGTH + keyfmt.CHECKSUM_LENGTH:
        return None  # Payground's shape, and its checksum says it is not a key (a typo, a sample)
    if candidate in STRIPE_DOCS_KEYS:
        return STRIPE_DOCS, False
    if prefix in ("sk", "rk") and len(run) >= STRIPE_MIN_LENGTH and not _placeholder(run):
        return STRIPE, candidate[3:7] == "live"
    return None


def _placeholder(run: str) -> bool:
    """``XXXXXXXXXXXXXXXXXXXXXXXX``, ``abcdefabcdefabcdefabcdef``: documentation, not a key
    (a random run of 20 base62 characters holds fewer than 8 distinct ones about never)."""
    return len(set(run)) < 8


def find_keys(text: str) -> list[Find]:
    """Every credential in ``text``, in order of appearance, except on lines marked with
    ``ALLOW_MARK`` (a test's deliberately broken key, say)."""
    if "_" not in text:
        return []
    finds = []
    line_starts = allowed = None
    for match in _CANDIDATE.finditer(text):
        candidate, start = match.group(0), match.start()
        found = classify(candidate)
        if found is None:
            continue
        if found[0] in (STRIPE, STRIPE_DOCS, WEBHOOK_SECRET) and _glued(text, start):
            continue  # the tail of some longer word (``task_live_...``), not a key
        if line_starts is None:
            line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
            allowed = {_line_of(line_starts, m.start())
                       for m in re.finditer(re.escape(ALLOW_MARK), text)}
        line = _line_of(line_starts, start)
        if line in allowed:
            continue
        finds.append(Find(kind=found[0], livemode=found[1], line=line,
                          column=start - line_starts[line - 1] + 1, value=candidate))
    return finds


def stripe_key_in(text: str) -> bool:
    """Whether ``text`` holds a secret or restricted key Payground did not issue (a real
    Stripe key, maybe): as ``find_keys`` reports it, without an allow mark."""
    if "k_" not in text:
        return False
    for match in keyfmt.KEY_LIKE.finditer(text):
        found = classify(match.group(0))
        if found is not None and found[0] == STRIPE and not _glued(text, match.start()):
            return True
    return False


def _glued(text: str, start: int) -> bool:
    before = text[start - 1:start]
    return (before.isascii() and before.isalnum()
            and not _ESCAPED.search(text[max(0, start - 6):start]))


def _line_of(line_starts: list[int], offset: int) -> int:
    """The 1-based number of the line holding ``offset``."""
    return bisect.bisect_right(line_starts, offset)


def describe(find: Find) -> str:
    """``live secret key``, ``test restricted key``, ``Stripe live secret key`` ..."""
    if find.kind == WEBHOOK_SECRET:
        return "webhook signing secret"
    if find.kind == STRIPE_DOCS:
        return "test secret key from Stripe's documentation"
    mode = "live" if find.livemode else "test"
    if find.kind == STRIPE:
        kind = "restricted" if find.value.startswith("rk_") else "secret"
        return f"{mode} {kind} key not issued by Payground (a real Stripe key?)"
    return f"{mode} {find.kind} key"
