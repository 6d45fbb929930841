"""3-D Secure: which of Stripe's test cards ask the cardholder to authenticate, and when.

Each card class here (a ``core.cards`` outcome class) charges as another class does once the
payment may go ahead, and follows one of Stripe's rules for when its issuer asks for
authentication (Stripe's "Regulatory (SCA) cards" and "3D Secure" test cards):

- ``always``: every payment, on or off session (``4000002760003184``, ``...3220``, ``...3063``,
  ``4000008400001629``);
- ``unless_set_up``: every on-session payment, and an off-session one unless the card was set
  up for off-session payments by an earlier payment or setup (``setup_future_usage`` or
  ``usage`` ``off_session``: ``on_session`` ones do not) (``4000002500003155``);
- ``on_session``: on-session payments only; off session it charges as if set up already
  (``4000003800000446``, and ``4000008260003178``, whose payments are then declined
  ``insufficient_funds`` whatever happens, though a setup succeeds: ``cards.decide_setup``);
- ``optional``: only when the payment asks for it (``request_three_d_secure`` ``any`` or
  ``challenge``), on session (``4000000000003055``).

An on-session payment that needs authentication waits for the customer (``CHALLENGE``); one that
cannot have it (off session, or the Charges API, which has no way to authenticate) is declined
``authentication_required`` (``DECLINE``). Live mode's simulated issuer never asks.
"""

from __future__ import annotations

CHALLENGE = "challenge"  # the customer must authenticate first: requires_action
DECLINE = "decline"  # nobody can authenticate this payment: declined authentication_required

# class -> (the outcome class its payments take once they may go ahead, the rule).
AUTH_CARDS: dict[str, tuple[str, str]] = {
    "auth_always": ("success", "always"),
    "auth_unless_set_up": ("success", "unless_set_up"),
    "auth_set_up": ("success", "on_session"),
    "auth_insufficient_funds": ("insufficient_funds", "on_session"),
    "three_ds_required": ("success", "always"),
    "three_ds_declined": ("generic_decline", "always"),
    "three_ds_optional": ("success", "optional"),
}
# ``payment_method_options[card][request_three_d_secure]`` values that ask for it.
REQUESTED = ("any", "challenge")


def charges_as(card_class: str) -> str:
    """The outcome class a payment by a card of ``card_class`` takes once it may go ahead."""
    entry = AUTH_CARDS.get(card_class)
    return entry[0] if entry else card_class


def requirement(card_class: str, *, livemode: bool, off_session: bool, set_up: bool = False,
                requested: str | None = None) -> str | None:
    """What the issuer asks of this payment: ``CHALLENGE``, ``DECLINE`` or None (nothing).

    :param off_session: the customer is not there to authenticate (``off_session``, or a
        charge made with the Charges API).
    :param set_up: the payment method was set up for off-session payments by an earlier
        payment or setup (``PaymentMethod.set_up``).
    :param requested: the payment's ``request_three_d_secure``.
    """
    entry = AUTH_CARDS.get(card_class)
    if livemode or entry is None:
        return None
    rule = entry[1]
    if rule == "optional":
        return CHALLENGE if requested in REQUESTED and not off_session else None
    if not off_session:
        return CHALLENGE
    if rule == "always" or (rule == "unless_set_up" and not set_up):
        return DECLINE
    return None
