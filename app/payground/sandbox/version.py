"""/sandbox/version: which Payground answers at this address (the CLI asks before anything else)."""

from __future__ import annotations

from .. import __version__
from . import bp


@bp.get("/version")
def get_version():
    """Which Payground this is, and its version; no session needed."""
    # Nothing but what `payground --version` prints: `payground init` and `login` ask first,
    # so a wrong address or a stopped server is said before any password is typed.
    return {"object": "payground", "version": __version__}
