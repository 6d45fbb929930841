"""API key format: generation, CRC32/base62 checksum, masking, and the peppered digest.

A key is ``{sk|pk|rk}_{test|live}_{32 random base62}{6-char checksum}``. The checksum is the
CRC32 of everything before it, in base62, left-padded with ``0``: a typo or a truncated paste
is caught without touching the database, and secret scanners can validate a find offline.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import string
import zlib
from dataclasses import dataclass
from urllib.parse import quote, unquote

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KINDS = {"sk": "secret", "pk": "publishable", "rk": "restricted"}
KIND_PREFIX = {v: k for k, v in KINDS.items()}
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
KEY_PATTERN = re.compile(r"^(sk|pk|rk)_(test|live)_[0-9A-Za-z]{38}$")
# Anything that looks like a key (even a broken one) - used to scrub logs and URLs.
KEY_LIKE = re.compile(r"(?:sk|pk|rk)_(?:test|live)_[0-9A-Za-z]+")
# Dashboard session tokens (``sess_`` + 43 URL-safe characters) manage keys: secret too.
SESSION_TOKEN = re.compile(r"sess_[0-9A-Za-z_-]{20,}")
# Connect OAuth's authorization codes (``ac_`` + 32) and refresh tokens (``rt_`` + 40, see
# ``core.oauth``) reach an account's data as a key does.
OAUTH_SECRET = re.compile(r"(?:ac|rt)_[0-9A-Za-z]{20,}")
_SCRUBBED = re.compile(KEY_LIKE.pattern + r"|whsec_[0-9A-Za-z]+|" + SESSION_TOKEN.pattern
                       + "|" + OAUTH_SECRET.pattern)
# A key can come disguised: percent-encoded in whole or in part (``sk%5Ftest%5F...``,
# ``%73k_test_...``), encoded twice or more (``%255F``, or the escape's own digits:
# ``%%35F``), or split by bytes a decoder could not read: U+FFFD, or in a header (read as
# Latin-1) any byte past ASCII; control characters but line breaks and tabs, and invisible
# ones (zero-width space, BOM) too, even inside an escape (``%5<ZWSP>F``). ``_DISGUISE``
# finds text that may hold one, ``_DISGUISED_RUN`` the unbroken runs of key characters,
# escapes, ``%`` signs and such characters to look into (read whole, as ``unveiled`` reads
# a whole text: a run cut at a lone ``%`` would miss what ``%%35F`` decodes to).
_NOISE_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff\u200b-\u200f\u2060\ufeff\ufffd"
_NOISE = re.compile(f"[{_NOISE_CHARS}]")
_DISGUISE = re.compile(f"%[0-9A-Fa-f]{{2}}|[{_NOISE_CHARS}]")
_DISGUISED_RUN = re.compile(f"(?:%[0-9A-Fa-f]{{2}}|[0-9A-Za-z_%\\-{_NOISE_CHARS}])+")
# What a masked run keeps as it is; anything else it decoded to is escaped again (it may go
# into a header, which takes Latin-1 only).
_PRINTABLE_ASCII = string.punctuation + " "
# Encoded this many times over is not a URL any client writes; deeper is left as it is.
DECODE_ROUNDS = 8
# ``%25`` repeated before an escape: the same escape encoded again and again (``%25255F``),
# however many times, is decoded in one step (the rounds above bound only odder nestings).
_ENCODED_AGAIN = re.compile(r"%(?:25)+(?=[0-9A-Fa-f]{2})")
# A key with every character escaped DECODE_ROUNDS times over (46 x 17 characters) fits.
SCRUB_MARGIN = 2000


@dataclass(frozen=True)
class ParsedKey:
    """The parts of a well-formed key: ``kind`` is secret/publishable/restricted."""

    kind: str
    livemode: bool


def base62(number: int) -> str:
    if number == 0:
        return BASE62[0]
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits))


def checksum(body: str) -> str:
    """Six base62 characters of CRC32(body), left-padded with ``0``."""
    return base62(zlib.crc32(body.encode("ascii"))).rjust(CHECKSUM_LENGTH, "0")


def prefix_for(kind: str, livemode: bool) -> str:
    return f"{KIND_PREFIX[kind]}_{'live' if livemode else 'test'}_"


def with_checksum(prefix: str, random_part: str) -> str:
    body = prefix + random_part
    return body + checksum(body)


def generate(kind: str, livemode: bool) -> str:
    """A new key of ``kind`` (secret, publishable, restricted) for the given mode."""
    random_part = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return with_checksum(prefix_for(kind, livemode), random_part)


def derive(kind: str, livemode: bool, pepper: str, label: str) -> str:
    """A key computed from the pepper and a label, so it never needs storing.

    Publishable keys are public and shown any time, yet nothing stored may work as a key:
    deriving them from the server's pepper and the key's id satisfies both.
    """
    raw = hmac.new(pepper.encode(), f"derive:{label}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(raw, "big")
    chars = []
    for _ in range(RANDOM_LENGTH):
        number, rest = divmod(number, 62)
        chars.append(BASE62[rest])
    return with_checksum(prefix_for(kind, livemode), "".join(chars))


def parse(key: str) -> ParsedKey | None:
    """Return the key's kind and mode if its shape and checksum are right, else ``None``."""
    if len(key) != 46 or not KEY_PATTERN.match(key):
        return None
    body, check = key[:-CHECKSUM_LENGTH], key[-CHECKSUM_LENGTH:]
    if not hmac.compare_digest(checksum(body), check):
        return None
    return ParsedKey(kind=KINDS[key[:2]], livemode=key[3:7] == "live")


def secret_in(text: str) -> str | None:
    """The first well-formed secret or restricted key inside ``text``, else ``None``.

    Publishable keys are public and pass; a key-like string whose checksum fails is not a key.
    """
    for match in KEY_LIKE.finditer(text):
        candidate = match.group(0)[:46]
        parsed = parse(candidate)
        if parsed is not None and parsed.kind != "publishable":
            return candidate
    return None


def unveiled(text: str) -> str:
    """``text`` as a key scanner should read it: percent-escapes decoded (again, while an
    escape is left, up to ``DECODE_ROUNDS`` times, but ``%25`` repeated any number of times
    in one: ``%255F``, ``%2525255F`` and ``%%35F`` are ``_``), and the characters that may
    stand for unreadable bytes, control and invisible characters dropped (before each round
    too). Text with neither escapes nor such characters comes back unchanged."""
    if _DISGUISE.search(text) is None:
        return text
    text = _NOISE.sub("", text)  # first too: ``%5<ZWSP>F`` is an escape once it is dropped
    text = _ENCODED_AGAIN.sub("%", text)
    for _ in range(DECODE_ROUNDS):
        decoded = _NOISE.sub("", unquote(text, errors="replace"))
        if decoded == text:
            break
        text = decoded
    return text


def digest(pepper: str, key: str) -> str:
    """HMAC-SHA256(pepper, key) as hex: the only form of a key that is stored."""
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def mask(key: str) -> str:
    """Error-message form: first 8 characters, one ``*`` per hidden character, last 4."""
    if len(key) <= 12:
        return key[:2] + "*" * max(len(key) - 2, 0)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def redact(prefix: str, last4: str) -> str:
    """Display form: ``sk_test_...Ab12``."""
    return f"{prefix}...{last4}"


def prefix_of(key: str) -> str:
    """``sk_test_`` for a well-formed key."""
    return key[:8]


def scrub(text: str) -> str:
    """Replace anything key-like in ``text`` by its masked form (for logs and stored URLs),
    and webhook signing secrets (``whsec_...``, see ``core.webhooks``), session tokens and
    OAuth authorization codes and refresh tokens (``ac_AbCd...``, ``rt_AbCd...``) by theirs.

    A disguised one too (see ``unveiled``): the run of text holding it becomes the masked
    form of what it decodes to, so ``/v1/customers/sk%5Ftest%5F...`` reads
    ``/v1/customers/sk_test_****...Ab12``.
    """
    if _DISGUISE.search(text) is not None:
        text = _DISGUISED_RUN.sub(_unveiled_run, text)
    return _SCRUBBED.sub(_masked_match, text)


def scrub_start(text: str, length: int) -> str:
    """``scrub(text)[:length]``, reading only ``SCRUB_MARGIN`` characters of ``text`` past
    ``length``: scrubbing reads all it is given, and a URL, a header or a body can run to
    hundreds of kilobytes (tens of milliseconds each time). A key that starts in what is
    kept is read whole, however escaped; padded out past the margin, what is kept of it is
    masked all the same (or holds no more than its prefix)."""
    return scrub(text[:length + SCRUB_MARGIN])[:length]


def _unveiled_run(match: re.Match) -> str:
    run = match.group(0)
    plain = unveiled(run)
    if plain == run:
        return run
    masked = _SCRUBBED.sub(_masked_match, plain)
    return quote(masked, safe=_PRINTABLE_ASCII) if masked != plain else run


def _masked_match(match: re.Match) -> str:
    found = match.group(0)
    for prefix in ("whsec_", "sess_"):
        if found.startswith(prefix) and len(found) > len(prefix) + 4:
            return prefix + "*" * (len(found) - len(prefix) - 4) + found[-4:]
    if found.startswith(("ac_", "rt_")):  # as OAuth's messages show them (core.oauth.shown)
        return found[:7] + "..."
    return mask(found)


def allows(granted, needed: str) -> bool:
    """Whether a restricted key's ``granted`` permissions cover ``needed``: ``charge_write``
    grants ``charge_read``; nothing else is implied."""
    if needed in granted:
        return True
    resource, _, level = needed.rpartition("_")
    return level == "read" and f"{resource}_write" in granted


def address_allowed(address: str, allowlist) -> bool:
    """Whether ``address`` is inside one of the key's allow-listed networks."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(allowlist)))


@functools.lru_cache(maxsize=1024)
def _networks(allowlist: tuple[str, ...]) -> tuple:
    """An allow-list parsed once, not on every request its key makes."""
    import ipaddress

    return tuple(ipaddress.ip_network(net) for net in allowlist)
