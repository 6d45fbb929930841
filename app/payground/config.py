"""Configuration: package defaults < PAYGROUND_* environment < the mapping given to create_app."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

DEFAULTS: dict[str, Any] = {
    "HOME": "~/.payground",
    "DATABASE_URL": None,  # derived: sqlite:///$HOME/payground.db
    "SECRET": None,  # derived: $HOME/secret, generated once (mode 0600)
    "REDIS_URL": None,
    "RATE_LIMITS": "test=25,live=100",
    # Failed authentications per client address (only while RATE_LIMITS is not `off`).
    "AUTH_FAILURE_LIMIT": "10/1m",
    "TRUSTED_PROXIES": "",
    # Where webhook deliveries may go (names, *.domains, addresses, CIDR ranges); empty: any.
    "WEBHOOK_ALLOWED_HOSTS": "",
    # Failed dashboard log-ins per client address; on whatever RATE_LIMITS says. `off` disables.
    "LOGIN_FAILURE_LIMIT": "5/1m",
    # Failed log-ins per email address, from any addresses (only while LOGIN_FAILURE_LIMIT is
    # not `off`): someone with many addresses guessing one account's password.
    "LOGIN_EMAIL_FAILURE_LIMIT": "10/10m",
    "TESTING": False,
    "LOG_LEVEL": "INFO",
    # Stripe refuses request bodies far smaller than this; anything bigger is abuse.
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "PUBLIC_URL": None,  # used in error `request_log_url`s; defaults to the request's host
    # Request-log rows are written in batches at most this old (0: each at once, on its own).
    "REQUEST_LOG_FLUSH_MS": 50,
    # scrypt work factor for account passwords; test fixtures lower it to sign up fast.
    "PASSWORD_COST": 2**14,
}

# Values read from the environment are strings; these are converted, the rest stay strings
# (so an all-digit secret stays a string, unlike Flask's from_prefixed_env).
_INTEGERS = {"MAX_CONTENT_LENGTH", "PASSWORD_COST", "REQUEST_LOG_FLUSH_MS"}
_BOOLEANS = {"TESTING"}


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve the configuration once, in precedence order, and derive the paths."""
    config = dict(DEFAULTS)
    for name, raw in _from_environment(environ).items():
        if name in _INTEGERS:
            config[name] = int(raw)
        elif name in _BOOLEANS:
            config[name] = as_bool(raw)
        else:
            config[name] = raw
    config.update(overrides or {})
    if config["SECRET"]:  # a given pepper is hidden from the start, as the home's below
        config["SECRET"] = Pepper(config["SECRET"])

    home = Path(os.path.expanduser(str(config["HOME"])))
    config["HOME"] = str(home)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = sqlite_url(home / "payground.db")
    check_database_url(config["DATABASE_URL"])
    # Checked here, at start-up: a typo must stop the server, not fail every request later.
    config["TRUSTED_PROXIES"] = parse_trusted_proxies(config["TRUSTED_PROXIES"])
    config["WEBHOOK_ALLOWED_HOSTS"] = parse_webhook_allowed_hosts(
        config["WEBHOOK_ALLOWED_HOSTS"])
    parse_login_failure_limit(config["LOGIN_FAILURE_LIMIT"])
    parse_login_email_failure_limit(config["LOGIN_EMAIL_FAILURE_LIMIT"])
    check_password_cost(config["PASSWORD_COST"])
    # The home's read last: until then ``config`` holds no pepper, or a hidden one, for a
    # traceback of a typo above to show (``pytest --showlocals`` prints this frame's locals,
    # and JUnit XML keeps them).
    config["SECRET"] = Pepper(config["SECRET"] or _secret_from_home(home))
    return config


def _from_environment(environ: Mapping[str, str] | None) -> dict[str, str]:
    """The non-empty ``PAYGROUND_*`` values, ``SECRET`` as a :class:`Pepper`.

    Read here, where nothing can fail, so that ``load_config``'s frame never holds
    ``os.environ`` (``--tb=long`` prints its arguments, ``--showlocals`` its locals: the
    environment's repr, ``PAYGROUND_SECRET`` and every other secret in it) nor the pepper
    in clear, when a setting it converts or checks next raises.
    """
    values = {}
    for name in DEFAULTS:
        raw = (os.environ if environ is None else environ).get(f"PAYGROUND_{name}")
        if raw:
            values[name] = Pepper(raw) if name == "SECRET" else raw
    return values


class Pepper(str):
    """The key pepper: a ``str`` whose ``repr`` hides it.

    Tracebacks that print locals (``pytest --showlocals``, ``--tb=long``'s arguments, JUnit
    XML) show dicts and arguments by ``repr``: ``create_app``'s settings when the database
    cannot be reached, a service's ``pepper=`` when it raises. Its value is unchanged for
    everything else (HMAC keys, ``str()``, comparisons).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "Pepper('<hidden>')"


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """The database URL of the SQLite file at ``path``, with the path's characters escaped.

    ``sqlite:///`` followed by the bare path broke on directories a CI workspace or a
    ``TMPDIR`` can have: a ``?`` started the URL's query, so the database became a file
    further up (one that every run and every xdist worker then shared), and SQLAlchemy 2.1
    reads ``%2F`` as a ``/``.

    :raises ValueError: if this SQLAlchemy cannot write ``path`` in a URL (before 2.1 it
        escapes nothing there, so a ``?`` cannot be written).
    """
    from sqlalchemy import __version__
    from sqlalchemy.engine import URL, make_url

    url = URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)
    if make_url(url).database != str(path):
        raise ValueError(f"PAYGROUND_HOME: SQLAlchemy {__version__} cannot name the database "
                         f"file {str(path)!r} in a URL (a '?' there starts the URL's options): "
                         "use a folder without '?', or SQLAlchemy 2.1 or later")
    return url


DATABASE_URL_FORMS = ("postgresql+psycopg://user:password@host:5432/database (pip install "
                      "'payground[postgres]') or sqlite:////absolute/path/payground.db")


def check_database_url(url: str) -> None:
    """``DATABASE_URL`` names SQLite or PostgreSQL through psycopg (3), the driver the
    ``postgres`` extra installs. Anything else stopped ``serve`` with SQLAlchemy's traceback:
    a bare database name, the ``postgres://`` that hosting providers hand out (SQLAlchemy
    reads only ``postgresql://``), ``postgresql+psycopg2://``, another database.

    :raises ValueError: naming the setting, the scheme it has (never the URL: it may hold a
        password) and the forms it takes.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"PAYGROUND_DATABASE_URL is not a database URL: use "
                         f"{DATABASE_URL_FORMS}") from None
    try:
        # The dialect class only, not its driver: `postgresql://` is psycopg's on SQLAlchemy
        # 2.1, psycopg2's (not installed) on 2.0.
        dialect = parsed.get_dialect()
    except ArgumentError:  # no such dialect: postgres://, a typo
        dialect = None
    # `postgresql+psycopg_async://` names psycopg too, but an asyncio dialect: the app's
    # synchronous engine failed its first query (MissingGreenlet).
    if dialect is not None and not dialect.is_async and (dialect.name, dialect.driver) in {
            ("sqlite", "pysqlite"), ("postgresql", "psycopg")}:
        return
    read_as = ""
    if dialect is not None and dialect.name in ("sqlite", "postgresql") \
            and "+" not in parsed.drivername:
        read_as = f" (SQLAlchemy reads it as {dialect.name}+{dialect.driver})"
    raise ValueError(f"PAYGROUND_DATABASE_URL starts with {parsed.drivername}://, which "
                     f"Payground cannot use{read_as}: use {DATABASE_URL_FORMS}")


def check_password_cost(cost: int) -> None:
    """``PASSWORD_COST``, scrypt's N: a power of two that scrypt can run in the memory
    ``core.passwords`` gives it (2 to 2**15); any other value failed every sign-up.

    :raises ValueError: naming the setting and what it takes.
    """
    from .core.passwords import MAX_N

    if not (2 <= cost <= MAX_N and cost & (cost - 1) == 0):
        raise ValueError(f"PAYGROUND_PASSWORD_COST: {cost} is not a power of two from 2 to "
                         f"{MAX_N} (scrypt's N; the default is 16384)")


def parse_trusted_proxies(value: Any) -> str:
    """``TRUSTED_PROXIES`` (addresses or CIDR ranges, comma-separated or a list), normalised.

    :raises ValueError: naming the part that is neither an address nor a range.
    """
    import ipaddress

    parts = value.split(",") if isinstance(value, str) else list(value or ())
    networks = []
    for part in (str(p).strip() for p in parts):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(f"PAYGROUND_TRUSTED_PROXIES: cannot read {part!r} (use addresses "
                             "or CIDR ranges, e.g. 10.0.0.0/8,::1)") from None
    return ",".join(networks)


def parse_webhook_allowed_hosts(value: Any) -> Any:
    """``WEBHOOK_ALLOWED_HOSTS`` (comma-separated or a list) as a ``core.webhooks.AllowedHosts``.

    :raises ValueError: naming the entry that cannot be read.
    """
    from .core.webhooks import AllowedHosts

    if isinstance(value, AllowedHosts):
        return value
    return AllowedHosts(value if isinstance(value, str)
                        else ",".join(str(item) for item in value or ()))


def seed_home_secret(home: str | os.PathLike[str], secret: str) -> None:
    """Make ``secret`` the key pepper of ``home`` unless it has one already (as a server
    starting there would make a random one). For the pytest plugin: the pytest-xdist workers
    of one run start their servers in homes of their own, on a database they may share."""
    _secret_from_home(Path(os.path.expanduser(str(home))), secret)


def make_private_dir(path: Path) -> None:
    """Create the folder ``path`` (and its missing parents) readable by its owner only.

    PAYGROUND_HOME holds the SQLite database (password hashes, customers, the request log)
    next to the key pepper and the CLI session: like ``~/.ssh``, other users of the machine
    have no business listing or reading it (SQLite creates its files 0644). A folder that
    exists already is left as its owner made it.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_from_home(home: Path, new: str | None = None) -> str:
    """Read the key pepper from $HOME/secret, creating it (0600) the first time: ``new``, or
    a random one."""
    path = home / "secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    make_private_dir(home)
    secret = Pepper(new or secrets.token_urlsafe(32))  # a local: see Pepper
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its secret
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    return secret


class Rate(NamedTuple):
    """A budget: ``limit`` requests per ``window`` seconds."""

    limit: int
    window: int = 1


def parse_rate(text: str, *, setting: str = "rate") -> Rate:
    """``25`` -> 25 per second; ``25/10s``, ``10/1m``, ``100/m`` -> 25 per 10 s, 10 per minute..."""
    from .core.clock import parse_duration

    number, slash, window = str(text).strip().partition("/")
    window = window.strip()
    if window[:1].isalpha():  # "100/m" means one minute
        window = "1" + window
    try:
        rate = Rate(int(number), parse_duration(window) if slash else 1)
    except ValueError:
        rate = Rate(0, 0)
    if rate.limit < 1 or rate.window < 1:
        raise ValueError(f"PAYGROUND_{setting}: cannot read {text!r} "
                         "(use a count and an optional window: 25, 25/10s, 10/1m)")
    return rate


def _is_off(value: str | None) -> bool:
    return value is None or str(value).strip().lower() in {"off", "none", "0", ""}


def parse_rate_limits(value: str | None) -> dict[bool, Rate] | None:
    """`test=25,live=100` -> {False: Rate(25, 1), True: Rate(100, 1)}; `off` -> None.

    Each mode's budget may name its window: `test=25/10s` is 25 requests per 10 seconds.
    A mode left out keeps its default (test 25/s, live 100/s).
    """
    if _is_off(value):
        return None
    limits = {False: Rate(25), True: Rate(100)}
    for part in str(value).split(","):
        mode, _, budget = part.partition("=")
        mode = mode.strip().lower()
        if mode not in {"test", "live"} or not budget.strip():
            raise ValueError(f"PAYGROUND_RATE_LIMITS: cannot read {part!r} (use test=25,live=100)")
        limits[mode == "live"] = parse_rate(budget, setting="RATE_LIMITS")
    return limits


def parse_auth_failure_limit(value: str | None) -> Rate | None:
    """`10/1m` (the default) -> Rate(10, 60): failed authentications per client address."""
    return None if _is_off(value) else parse_rate(value, setting="AUTH_FAILURE_LIMIT")


def parse_login_failure_limit(value: str | None) -> Rate | None:
    """`5/1m` (the default) -> Rate(5, 60): failed dashboard log-ins per client address."""
    return None if _is_off(value) else parse_rate(value, setting="LOGIN_FAILURE_LIMIT")


def parse_login_email_failure_limit(value: str | None) -> Rate | None:
    """`10/10m` (the default) -> Rate(10, 600): failed log-ins per email address."""
    return None if _is_off(value) else parse_rate(value, setting="LOGIN_EMAIL_FAILURE_LIMIT")
