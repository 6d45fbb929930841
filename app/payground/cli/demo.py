"""`payground demo`: a demo account filled with Faker-made customers and charges."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from . import ENV_FILE, _home, check_home, main, url_option
from .client import ServerError, _Client, _mask
from .envfile import (_read_env, _save_env_with_gitignore, _write_private, check_env_file,
                      write_or_show)


# --- demo ----------------------------------------------------------------------------------

# Most demo charges succeed; a few use Stripe's decline tokens so the data has failures too.
DEMO_DECLINES = ("tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds")
DEMO_DECLINE_RATE = 0.15


@main.command()
@url_option
@click.option("--customers", "n_customers", default=10, show_default=True,
              type=click.IntRange(0, 1000), help="How many customers to create.")
@click.option("--charges", "n_charges", default=20, show_default=True,
              type=click.IntRange(0, 1000),
              help="How many charges to create (skipped if the server has no /v1/charges).")
@click.option("--seed", type=int, default=None,
              help="Make names, amounts and outcomes repeatable (the account is always new).")
@click.option("--write-env", is_flag=True,
              help="Also write the demo account's keys to ./.env, like `payground init`.")
@click.pass_obj
def demo(obj: dict[str, Any], url: str, n_customers: int, n_charges: int, seed: int | None,
         write_env: bool) -> None:
    """Fill a running server with a new demo account, fake customers and charges.

    Signs up demo-<random>@example.com, creates customers with Faker-made names, emails and
    phone numbers, and (when the server has /v1/charges) charges paid with test tokens:
    mostly tok_visa, some declined. Prints a summary.

    The account's keys, email and password are written to PAYGROUND_HOME/demo.env
    (mode 0600, replaced on each run); with --write-env the keys also go to ./.env (and
    .env into ./.gitignore), replacing the STRIPE_* lines there.

    \b
    Example:
      payground demo --customers 5 --charges 10 --seed 42

    \f
    .. versionadded:: 0.1
    """
    import random
    import secrets

    # Where the account's keys and password go, checked before the account exists.
    check_home(obj)
    if write_env:
        check_env_file(Path(ENV_FILE), elsewhere="leave out --write-env (the keys still go "
                                                  "to $PAYGROUND_HOME/demo.env)")
    from faker import Faker  # slow to import: only here

    fake = Faker("en_US")
    rng = random.Random(seed)
    if seed is not None:
        fake.seed_instance(seed)
    email = f"demo-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(12)

    with _Client(url) as api:
        api.check_server()
        body = api.call("POST", "/sandbox/signup", json={"email": email, "password": password})
        account = body["account"]
        secret, publishable = body["keys"]["secret"], body["keys"]["publishable"]

        for number in range(1, n_customers + 1):
            api.call("POST", "/v1/customers", key=secret, data={
                "name": fake.name(), "email": fake.email(), "phone": fake.phone_number(),
                "description": f"Demo customer {number}", "metadata[source]": "payground demo",
            })

        charges_supported = n_charges > 0 and _has_route(api, "/v1/charges", secret)
        succeeded, captured, declines = 0, 0, {}
        if charges_supported:
            for _ in range(n_charges):
                declined = rng.random() < DEMO_DECLINE_RATE
                token = rng.choice(DEMO_DECLINES) if declined else "tok_visa"
                amount = rng.randint(5, 500) * 100 + rng.choice((0, 0, 50, 99))
                try:
                    api.call("POST", "/v1/charges", key=secret, data={
                        "amount": amount, "currency": "usd", "source": token,
                        "description": f"{fake.catch_phrase()} (demo order)",
                    })
                except ServerError as exc:
                    if exc.status != 402:  # a decline is expected; anything else is not
                        raise
                    reason = exc.error.get("decline_code") or exc.code or "declined"
                    declines[reason] = declines.get(reason, 0) + 1
                else:
                    succeeded += 1
                    captured += amount

    home_env = _home(obj) / "demo.env"
    saved = {"PAYGROUND_DEMO_EMAIL": email, "PAYGROUND_DEMO_PASSWORD": password,
             "STRIPE_SECRET_KEY": secret}
    write_or_show(lambda: _write_private(home_env, "\n".join([
        f"# Payground demo account, made by `payground demo` against {url}",
        *(f"{name}={value}" for name, value in saved.items()),
        f"STRIPE_PUBLISHABLE_KEY={publishable}",
        f"STRIPE_API_BASE={url}",
    ]) + "\n"), saved)

    click.echo(f"Demo account {email} ({account['id']}) on {url}:")
    click.echo(f"  {_plural(n_customers, 'customer')} created")
    if not n_charges:
        click.echo("  no charges asked for")
    elif not charges_supported:
        click.echo("  no charges: this server has no /v1/charges yet")
    else:
        failed = sum(declines.values())
        detail = ", ".join(f"{reason} {count}" for reason, count in sorted(declines.items()))
        click.echo(f"  {_plural(n_charges, 'charge')}: {succeeded} succeeded "
                   f"(${captured // 100:,}.{captured % 100:02d}), {failed} declined"
                   + (f" ({detail})" if detail else ""))
    click.echo(f"Keys, email and password written to {home_env} (mode 0600); "
               f"secret key {_mask(secret)}.")
    if write_env:
        try:
            existing = _read_env(Path(ENV_FILE)).get("STRIPE_SECRET_KEY")
            # The key `init` wrote there may be the only copy of one: kept, as a comment.
            added = _save_env_with_gitignore({"STRIPE_SECRET_KEY": secret,
                                              "STRIPE_PUBLISHABLE_KEY": publishable,
                                              "STRIPE_API_BASE": url},
                                             keep=frozenset({"STRIPE_SECRET_KEY"}))
        except OSError as error:  # checked above; the disk may still fill up
            raise click.ClickException(f"could not write {ENV_FILE} ({error.strerror or error});"
                                       f" the keys are in {home_env}.") from None
        click.echo(f"Keys also written to {ENV_FILE} (mode 0600)"
                   + "".join(f"; added {path.name} to {os.path.relpath(gitignore)}"
                             for path, gitignore in added) + ".")
        if existing and existing != secret:
            click.echo(f"  It replaces {_mask(existing)}, kept in {ENV_FILE} as a comment.")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _has_route(api: _Client, path: str, key: str) -> bool:
    try:
        api.call("GET", path, key=key, params={"limit": 1})
    except ServerError as exc:
        if exc.status == 404:
            return False
        raise
    return True
