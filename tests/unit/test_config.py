"""Configuration precedence: defaults < PAYGROUND_* environment < mapping."""

import os
import stat

import pytest

from payground.config import Rate, load_config, parse_auth_failure_limit, parse_rate_limits


def test_defaults_derive_paths_from_home(tmp_path):
    config = load_config({"HOME": str(tmp_path)}, environ={})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'payground.db'}"
    assert config["RATE_LIMITS"] == "test=25,live=100"


def test_environment_beats_defaults_and_mapping_beats_environment(tmp_path):
    env = {"PAYGROUND_HOME": str(tmp_path), "PAYGROUND_RATE_LIMITS": "off",
           "PAYGROUND_SECRET": "1234"}
    config = load_config({"RATE_LIMITS": "test=5"}, environ=env)
    assert config["HOME"] == str(tmp_path)
    assert config["RATE_LIMITS"] == "test=5"
    assert config["SECRET"] == "1234"  # an all-digit secret stays a string


def test_secret_is_generated_once_with_mode_0600(tmp_path):
    first = load_config({"HOME": str(tmp_path)}, environ={})["SECRET"]
    second = load_config({"HOME": str(tmp_path)}, environ={})["SECRET"]
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "secret").st_mode)
    assert mode == 0o600


@pytest.mark.parametrize("given", [None, "1234"])
def test_the_pepper_hides_from_repr_and_nothing_else(tmp_path, given):
    # Tracebacks that print locals show the settings dict by repr (pytest --showlocals).
    config = load_config({"HOME": str(tmp_path), "SECRET": given}, environ={})
    pepper = config["SECRET"]
    expected = given or (tmp_path / "secret").read_text().strip()
    assert pepper == expected and str(pepper) == expected and pepper.encode() == expected.encode()
    assert expected not in repr(config)
    assert "Pepper('<hidden>')" in repr(config)


@pytest.mark.parametrize("given_in", ["environment", "overrides"])
def test_a_given_pepper_stays_hidden_when_a_later_setting_fails(tmp_path, monkeypatch,
                                                               given_in):
    # With PAYGROUND_SECRET set, load_config's settings held it in clear until they were
    # returned, and its `environ` argument became os.environ: `pytest -l --tb=long` printed
    # both when a setting after it failed its check.
    pepper = "pepper-given-by-the-user-0123456789"
    monkeypatch.setenv("PAYGROUND_PASSWORD_COST", "3")
    if given_in == "environment":
        monkeypatch.setenv("PAYGROUND_SECRET", pepper)
        overrides = {"HOME": str(tmp_path)}
    else:
        monkeypatch.delenv("PAYGROUND_SECRET", raising=False)
        overrides = {"HOME": str(tmp_path), "SECRET": pepper}
    with pytest.raises(ValueError) as excinfo:
        load_config(overrides)
    assert str(excinfo.value) == ("PAYGROUND_PASSWORD_COST: 3 is not a power of two from 2 "
                                  "to 32768 (scrypt's N; the default is 16384)")
    import payground.config

    def payground_frames(info):  # this test's own frame holds the pepper, of course
        return info.traceback.filter(lambda e: str(e.path) == payground.config.__file__)

    shown = str(excinfo.getrepr(showlocals=True, funcargs=True, style="long",
                                tbfilter=payground_frames, truncate_locals=False,
                                truncate_args=False))
    assert "def load_config(" in shown
    [frame] = [entry for entry in excinfo.traceback if entry.name == "load_config"]
    assert frame.locals["config"]["SECRET"] == pepper  # there, but hidden
    assert "'SECRET': Pepper('<hidden>')" in shown
    assert "environ = None" in shown
    if given_in == "environment":  # the user's own mapping (overrides) shows what they gave
        assert pepper not in shown


def test_a_new_home_is_readable_by_its_owner_only(tmp_path):
    # It holds the database (SQLite makes it 0644) next to the pepper and the CLI session.
    home = tmp_path / "parent" / "home"
    load_config({"HOME": str(home)}, environ={})
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700


def test_an_existing_home_keeps_its_permissions(tmp_path):
    os.chmod(tmp_path, 0o755)
    load_config({"HOME": str(tmp_path)}, environ={})
    assert stat.S_IMODE(os.stat(tmp_path).st_mode) == 0o755


def test_the_database_folder_is_made_private_too(tmp_path):
    from payground.app import create_app
    from payground.config import sqlite_url

    folder = tmp_path / "data"
    create_app({"HOME": str(tmp_path / "home"), "SECRET": "s",
                "DATABASE_URL": sqlite_url(folder / "payground.db")})
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert not (tmp_path / "home").exists()  # nothing needed it: the pepper was given


def test_home_expands_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config({"HOME": "~/pg", "SECRET": "s"}, environ={})
    assert config["HOME"] == str(tmp_path / "pg")


def test_rate_limits_parse():
    assert parse_rate_limits("test=25,live=100") == {False: Rate(25, 1), True: Rate(100, 1)}
    assert parse_rate_limits("live=7") == {False: Rate(25, 1), True: Rate(7, 1)}
    assert parse_rate_limits("off") is None
    with pytest.raises(ValueError):
        parse_rate_limits("prod=1")


@pytest.mark.parametrize(("text", "expected"), [
    ("test=25/10s,live=100", {False: Rate(25, 10), True: Rate(100, 1)}),
    ("test=25/10", {False: Rate(25, 10), True: Rate(100, 1)}),
    (" live = 5/m ", {False: Rate(25, 1), True: Rate(5, 60)}),
    ("test=3/1h,live=4/2m", {False: Rate(3, 3600), True: Rate(4, 120)}),
])
def test_rate_limits_may_name_their_window(text, expected):
    assert parse_rate_limits(text) == expected


@pytest.mark.parametrize("text", ["test=", "test=x", "test=0", "test=-1", "test=5/0s",
                                  "test=5/xs", "test=5/10y", "test=25;live=100"])
def test_unreadable_rate_limits_name_the_setting(text):
    with pytest.raises(ValueError, match="^PAYGROUND_RATE_LIMITS: cannot read"):
        parse_rate_limits(text)


def test_auth_failure_limit_parse(tmp_path):
    assert load_config({"HOME": str(tmp_path)}, environ={})["AUTH_FAILURE_LIMIT"] == "10/1m"
    assert parse_auth_failure_limit("10/1m") == Rate(10, 60)
    assert parse_auth_failure_limit("3") == Rate(3, 1)
    assert parse_auth_failure_limit("off") is None
    with pytest.raises(ValueError, match="^PAYGROUND_AUTH_FAILURE_LIMIT: cannot read 'ten'"):
        parse_auth_failure_limit("ten")


def test_trusted_proxies_are_normalised():
    config = load_config({"TRUSTED_PROXIES": " 10.0.0.1, 172.16.0.0/12 ,::1", "SECRET": "s"},
                         environ={})
    assert config["TRUSTED_PROXIES"] == "10.0.0.1/32,172.16.0.0/12,::1/128"
    assert load_config({"TRUSTED_PROXIES": ["192.168.1.0/24"], "SECRET": "s"},
                       environ={})["TRUSTED_PROXIES"] == "192.168.1.0/24"


@pytest.mark.parametrize("value", ["10.0.0.300", "proxy.internal", "10.0.0.0/40"])
def test_a_malformed_trusted_proxy_stops_start_up(value):
    # Found at start-up, rather than as a 500 on every /v1 request.
    with pytest.raises(ValueError) as caught:
        load_config({"SECRET": "s"}, environ={"PAYGROUND_TRUSTED_PROXIES": f"10.0.0.1,{value}"})
    assert str(caught.value) == (f"PAYGROUND_TRUSTED_PROXIES: cannot read {value!r} (use "
                                 "addresses or CIDR ranges, e.g. 10.0.0.0/8,::1)")


def test_login_failure_limit_is_read_at_start_up():
    assert load_config({"SECRET": "s"}, environ={})["LOGIN_FAILURE_LIMIT"] == "5/1m"
    with pytest.raises(ValueError, match="^PAYGROUND_LOGIN_FAILURE_LIMIT: cannot read 'lots'"):
        load_config({"SECRET": "s"}, environ={"PAYGROUND_LOGIN_FAILURE_LIMIT": "lots"})


def test_login_email_failure_limit_is_read_at_start_up():
    from payground.config import Rate, parse_login_email_failure_limit

    assert load_config({"SECRET": "s"}, environ={})["LOGIN_EMAIL_FAILURE_LIMIT"] == "10/10m"
    assert parse_login_email_failure_limit("10/10m") == Rate(10, 600)
    assert parse_login_email_failure_limit("off") is None
    with pytest.raises(ValueError, match="^PAYGROUND_LOGIN_EMAIL_FAILURE_LIMIT: cannot read "
                                         "'lots'"):
        load_config({"SECRET": "s"}, environ={"PAYGROUND_LOGIN_EMAIL_FAILURE_LIMIT": "lots"})


@pytest.mark.parametrize("value", ["1000", "1", "0", "65536"])
def test_a_password_cost_scrypt_cannot_use_stops_start_up(value):
    # Not a power of two (or past what scrypt may use here): every sign-up was a 500.
    with pytest.raises(ValueError) as caught:
        load_config({"SECRET": "s"}, environ={"PAYGROUND_PASSWORD_COST": value})
    assert str(caught.value) == (f"PAYGROUND_PASSWORD_COST: {value} is not a power of two "
                                 "from 2 to 32768 (scrypt's N; the default is 16384)")


def test_every_password_cost_start_up_accepts_hashes():
    from payground.core.passwords import MAX_N, check_password, hash_password

    for cost in (2, 2**10, MAX_N):
        assert load_config({"SECRET": "s"},
                           environ={"PAYGROUND_PASSWORD_COST": str(cost)})["PASSWORD_COST"] == cost
    assert check_password(hash_password("pw", MAX_N), "pw")


def _sqlalchemy_escapes_database_paths() -> bool:
    import sqlalchemy

    return tuple(int(part) for part in sqlalchemy.__version__.split(".")[:2]) >= (2, 1)


@pytest.mark.skipif(not _sqlalchemy_escapes_database_paths(), reason="SQLAlchemy 2.1+")
@pytest.mark.parametrize("name", ["ci?job=1", "feature%2Fbranch", "build#12", "a b", "100%"])
def test_the_sqlite_url_keeps_every_character_of_home(tmp_path, name):
    from sqlalchemy.engine import make_url

    home = tmp_path / name
    config = load_config({"HOME": str(home), "SECRET": "s"}, environ={})
    assert make_url(config["DATABASE_URL"]).database == str(home / "payground.db")


def test_a_path_this_sqlalchemy_cannot_write_in_a_url_is_refused(tmp_path, monkeypatch):
    from sqlalchemy.engine import URL

    from payground.config import sqlite_url

    # What SQLAlchemy 2.0 does: the database part goes into the URL unescaped.
    monkeypatch.setattr(URL, "render_as_string",
                        lambda self, hide_password=True: f"sqlite:///{self.database}")
    path = tmp_path / "ci?job=1" / "payground.db"
    with pytest.raises(ValueError) as raised:
        sqlite_url(path)
    assert str(raised.value).endswith(
        f"cannot name the database file {str(path)!r} in a URL (a '?' there starts the URL's "
        "options): use a folder without '?', or SQLAlchemy 2.1 or later")
    assert str(raised.value).startswith("PAYGROUND_HOME: SQLAlchemy ")
