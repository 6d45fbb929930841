"""Turning HTML form fields into the parameters the sandbox schemas and services take.

The dashboard validates with the same schemas as ``/sandbox`` (so the same messages come
back); this module only reshapes what a form sends: a permission matrix into a permission
list, an allow-list textarea into a list, a duration into seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marshmallow import ValidationError

from ..errors import ParameterInvalid, StripeError
from ..http.validation import error_from_validation
from ..services.keys import PERMISSIONS

# What "Expire the old key" offers when rolling (seconds; 0 = at once).
ROLL_CHOICES = ((0, "Now"), (3600, "In 1 hour"), (86400, "In 24 hours"),
                (3 * 86400, "In 3 days"), (7 * 86400, "In 7 days"))
LEVELS = ("none", "read", "write")
# Values a form may echo back in an error must never include these fields' contents.
_PRIVATE_PARAMS = {"password": "Passwords must be between 8 and 1024 characters long.",
                   "account_number": "Enter a bank account number of at most 34 characters."}


# Rows whose name does not read as a plural noun (Stripe's own permission name, kept whole).
_LABELS = {"accounts_kyc_basic": "Account details"}


@dataclass(frozen=True)
class Resource:
    """A row of the permission matrix: ``charge`` with levels ``("read", "write")``."""

    name: str
    levels: tuple[str, ...]

    @property
    def label(self) -> str:
        return _LABELS.get(self.name) or self.name.replace("_", " ").capitalize() + "s"

    @property
    def field(self) -> str:
        return f"perm_{self.name}"


def _resources() -> tuple[Resource, ...]:
    levels: dict[str, list[str]] = {}
    for permission in PERMISSIONS:
        name, _, level = permission.rpartition("_")
        levels.setdefault(name, []).append(level)
    return tuple(Resource(name, tuple(found)) for name, found in levels.items())


RESOURCES = _resources()


def permissions_from_form(form) -> list[str]:
    """The matrix's choices as permission names (``write`` is enough: it implies read).

    :raises ParameterInvalid: a level the resource does not have (``balance``: write).
    """
    chosen = []
    for resource in RESOURCES:
        level = form.get(resource.field, "none")
        if level == "none":
            continue
        if level not in resource.levels:
            raise ParameterInvalid(f"{resource.label} can be given only "
                                   f"{' or '.join(resource.levels)} access.",
                                   param=resource.field, code="parameter_invalid")
        chosen.append(f"{resource.name}_{level}")
    return chosen


def split_list(text: str) -> list[str]:
    """An allow-list typed one per line or comma-separated."""
    return [part for part in re.split(r"[\s,]+", text or "") if part]


def error_text(error: Exception) -> tuple[str, str | None]:
    """What to tell the person about a refused form: the API's message and the field."""
    if isinstance(error, ValidationError):
        error = error_from_validation(error)
    if not isinstance(error, StripeError):
        raise error
    # The form field: "permissions[1]" -> permissions, "bank_account[account_number]" ->
    # account_number.
    names = [n for n in re.split(r"[\[\]]+", error.param or "") if n and not n.isdigit()]
    param = names[-1] if names else None
    if param in _PRIVATE_PARAMS and (error.code or "").startswith("parameter_invalid"):
        return _PRIVATE_PARAMS[param], param
    return error.message, param
