"""What the routes of PaymentIntents and SetupIntents share: a publishable key sees only
Stripe's public fields of an intent (``shown``, ``for_the_key``), and an error names the
intent and payment method it is about, rendered as objects (``objects_in_errors``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection

from ..errors import StripeError
from ..http.context import public_base_url, scope
from ..http.intent_schemas import PaymentMethodOut
from ..models.payment_method import PaymentMethod


def publishable() -> bool:
    """Whether the request's key is a publishable one."""
    return scope().api_key.type == "publishable"


def page_url() -> str:
    """Where this server serves the 3-D Secure page, as a browser reaches it."""
    from ..three_d_secure import bp as page  # a blueprint of its own, not /v1's

    return f"{public_base_url()}{page.url_prefix}"


class IntentViews:
    """The decorators of one kind of intent.

    :param name: the intent's key in an error's body (``payment_intent``, ``setup_intent``).
    :param model: its model class; :param schema: its output schema class.
    :param public_fields: what a publishable key may see of it.
    """

    def __init__(self, name: str, model: type, schema: type,
                 public_fields: Collection[str]) -> None:
        self.name, self.model, self.schema = name, model, schema
        self.public_fields = frozenset(public_fields)

    def shown(self, data: dict) -> dict:
        """What the caller's key may see of a dumped intent."""
        if not publishable():
            return data
        return {name: value for name, value in data.items() if name in self.public_fields}

    def objects_in_errors(self, view: Callable) -> Callable:
        """Render the intent (and payment method) a service put in an error, as Stripe does."""

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except StripeError as error:
                intent = error.extra.get(self.name)
                if isinstance(intent, self.model):
                    error.extra[self.name] = self.shown(self.schema().dump(intent))
                method = error.extra.get("payment_method")
                if isinstance(method, PaymentMethod):
                    error.extra["payment_method"] = PaymentMethodOut().dump(method)
                raise

        return wrapper

    def for_the_key(self, view: Callable) -> Callable:
        """Trim a dumped intent to what a publishable key may see."""

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            data, status = view(*args, **kwargs)
            return self.shown(data), status

        return wrapper
