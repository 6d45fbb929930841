"""The contract: every /v1 route declares a permission, messages match SPEC.md, public API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import payground
from payground import errors, messages
from payground.http.auth import PERMISSION_ATTR

ROOT = Path(__file__).resolve().parent.parent
# The team's contract lives beside the repo; a snapshot is kept for clones without it.
SPEC_PATHS = [ROOT.parent / "shared" / "SPEC.md", ROOT / "tests" / "data" / "SPEC.md"]
SPEC = next(p for p in SPEC_PATHS if p.exists()).read_text()
SPEC_FLAT = re.sub(r"\s+", " ", SPEC)

PERMISSIONS = {f"{r}_{level}" for r in ("customer", "charge", "refund", "payment_intent",
                                        "payment_method", "payout", "webhook", "setup_intent")
               for level in ("read", "write")}
PERMISSIONS |= {"token_write", "token_read", "balance_read", "event_read",
                "accounts_kyc_basic_read"}


def v1_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1"):
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            yield rule, methods, app.view_functions[rule.endpoint]


def test_every_v1_route_declares_a_known_permission(app):
    routes = list(v1_routes(app))
    assert routes
    missing = [r.rule for r, _, view in routes if getattr(view, PERMISSION_ATTR, None) is None]
    assert missing == []
    unknown = {getattr(view, PERMISSION_ATTR) for _, _, view in routes} - PERMISSIONS
    assert unknown == set()


# The /sandbox routes anyone may call; every other one needs the account's session.
OPEN_SANDBOX_ENDPOINTS = {"sandbox.signup", "sandbox.login", "sandbox.get_version"}


def test_every_other_sandbox_route_needs_a_session(app):
    """/sandbox has no permissions, only a session: a route that forgot it would answer
    anyone (the README's endpoint table would still say "session")."""
    client = app.test_client()
    answered = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/sandbox") or rule.endpoint in OPEN_SANDBOX_ENDPOINTS:
            continue
        path = re.sub(r"<(?:\w+:)?\w+>", "x_nope", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(path, method=method)
            answered[f"{method} {rule.rule}"] = (r.status_code, r.get_json()["error"]["message"])
    assert "POST /sandbox/bank" in answered
    assert {k: v for k, v in answered.items() if v != (401, messages.NO_SESSION)} == {}


def test_reads_need_read_and_writes_need_write(app):
    for rule, methods, view in v1_routes(app):
        permission = getattr(view, PERMISSION_ATTR)
        expected = "read" if methods == ["GET"] else "write"
        assert permission.endswith("_" + expected), (rule.rule, methods, permission)


@pytest.mark.parametrize("template,spec_form", [
    (messages.NO_API_KEY, {}),
    (messages.INVALID_API_KEY, {"masked": "<masked>"}),
    (messages.EXPIRED_API_KEY, {"masked": "<masked>"}),
    (messages.SECRET_KEY_REQUIRED, {}),
    (messages.MISSING_PERMISSION, {"masked": "<masked>", "account": "<acct>",
                                   "permission": "<perm>"}),
    (messages.NO_SUCH_OTHER_MODE, {"noun": "charge", "id": "ch_...", "other": "live",
                                   "mode": "test"}),
    (messages.LIVE_MODE_TEST_CARD, {}),
])
def test_messages_match_the_spec_character_for_character(template, spec_form):
    assert template.format(**spec_form) in SPEC_FLAT


def test_idempotency_mismatch_message_starts_like_the_spec():
    spec_start = re.search(r"\(`(Keys for idempotent requests[^`]*?)\.\.\.`\)", SPEC_FLAT)
    assert spec_start, "SPEC no longer quotes the idempotency message"
    assert messages.IDEMPOTENCY_MISMATCH.startswith(spec_start.group(1))


def test_public_api_is_exactly_what_is_exported():
    assert payground.__all__ == ["__version__", "create_app"]
    assert callable(payground.create_app)
    assert re.match(r"^\d+\.\d+\.\d+", payground.__version__)
    for name in errors.__all__:
        assert hasattr(errors, name), name
    public_errors = {n for n in dir(errors) if isinstance(getattr(errors, n), type)
                     and issubclass(getattr(errors, n), errors.StripeError)}
    assert public_errors <= set(errors.__all__)


# Where a version is named as the one something came in: a docstring's `.. versionadded::`
# (or versionchanged, deprecated), or prose such as "added in 0.2" or "since Payground 0.2".
VERSION_MARKER = re.compile(
    r"\.\. (?:versionadded|versionchanged|deprecated)::\s*v?(\d+(?:\.\d+)+)"
    r"|\b(?:added|new|changed|introduced|available) (?:in|since) (?:Payground )?(?:version )?"
    r"v?(\d+(?:\.\d+)+)"
    r"|\bsince (?:Payground )?(?:version )?v?(\d+\.\d+(?:\.\d+)?)\b"
    r"|\bPayground (?:version |v)(\d+\.\d+(?:\.\d+)?)\b", re.IGNORECASE)


def _release(text: str) -> tuple[int, ...]:
    parts = [int(part) for part in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def test_no_version_marker_is_ahead_of_the_package():
    """The package is version __version__ (pyproject.toml reads it from payground/__init__.py)
    and no release came before it: nothing in the code's docstrings, the README, the lessons
    or the docs may say it came in a later one."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^dynamic = \["version"\]$', pyproject, re.MULTILINE)
    assert re.search(r'^\[tool\.hatch\.version\]\npath = "app/payground/__init__\.py"$',
                     pyproject, re.MULTILINE)
    package = _release(payground.__version__)
    sources = [*(ROOT / "app").rglob("*.py"), *ROOT.glob("*.md"), *(ROOT / "docs").rglob("*.md"),
               *(ROOT / "tutorials").rglob("*.md"), *(ROOT / "tutorials").rglob("*.py"),
               *(ROOT / "bench").glob("*.md")]
    marked, ahead = 0, []
    for path in sources:
        for match in VERSION_MARKER.finditer(path.read_text(encoding="utf-8")):
            named = next(group for group in match.groups() if group)
            marked += 1
            if _release(named) > package:
                ahead.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
    assert marked > 0  # the pattern still finds the docstrings' markers
    assert ahead == [], f"named as later than the package's {payground.__version__}"


def test_importing_payground_is_light():
    import subprocess
    import sys

    code = "import sys, payground, payground.pytest_plugin; print('flask' in sys.modules, " \
           "'sqlalchemy' in sys.modules, 'stripe' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "False"]


def test_py_typed_is_shipped():
    assert (Path(payground.__file__).parent / "py.typed").exists()


def test_error_tree_statuses_and_types():
    assert (errors.AuthenticationError.status, errors.AuthenticationError.type) == (
        401, "invalid_request_error")
    assert (errors.CardError.status, errors.CardError.type) == (402, "card_error")
    assert (errors.PermissionDenied.status, errors.RateLimitError.status) == (403, 429)
    assert (errors.ResourceMissing.status, errors.ResourceMissing.code) == (404,
                                                                           "resource_missing")
    assert errors.IdempotencyError.type == "idempotency_error"
    assert "ApiKeyExpired" in errors.__doc__
