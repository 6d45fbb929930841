"""/v1/payment_intents: create, retrieve, update, confirm, capture, cancel, list.

A publishable key may retrieve and confirm one intent when it shows the intent's
``client_secret``; it then sees only what Stripe shows a publishable key.
"""

from __future__ import annotations

from flask import request

from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, returns
from ..http.intent_schemas import (PUBLIC_INTENT_FIELDS, PaymentIntentCancel,
                                   PaymentIntentCapture, PaymentIntentConfirm,
                                   PaymentIntentCreate, PaymentIntentListParams,
                                   PaymentIntentOut, PaymentIntentRetrieve, PaymentIntentUpdate)
from ..http.schemas import list_schema
from ..models.payment_intent import PaymentIntent
from ..services import events, payment_intents
from . import bp
from .intent_views import IntentViews, page_url, publishable

events.register_schema("payment_intent", PaymentIntentOut)

_views = IntentViews("payment_intent", PaymentIntent, PaymentIntentOut, PUBLIC_INTENT_FIELDS)
_objects_in_errors, _for_the_key = _views.objects_in_errors, _views.for_the_key


@bp.post("/payment_intents")
@requires("payment_intent_write")
@accepts(PaymentIntentCreate)
@_objects_in_errors
@returns(PaymentIntentOut)
def create_payment_intent(params):
    """Create a PaymentIntent (and confirm it, with ``confirm=true``)."""
    s = scope()
    return payment_intents.create_payment_intent(s.account, s.livemode, s.clock, params,
                                                 pepper=state().pepper, page_url=page_url())


@bp.get("/payment_intents/<intent_id>")
@requires("payment_intent_read", publishable=True)
@accepts(PaymentIntentRetrieve)
@_for_the_key
@returns(PaymentIntentOut)
def retrieve_payment_intent(intent_id, params):
    """Retrieve a PaymentIntent (a publishable key needs its client_secret)."""
    s = scope()
    return payment_intents.get_payment_intent(s.account, s.livemode, s.clock, intent_id,
                                              client_secret=params.get("client_secret"),
                                              publishable=publishable())


@bp.post("/payment_intents/<intent_id>")
@requires("payment_intent_write")
@accepts(PaymentIntentUpdate)
@_objects_in_errors
@returns(PaymentIntentOut)
def update_payment_intent(intent_id, params):
    """Update a PaymentIntent."""
    s = scope()
    return payment_intents.update_payment_intent(s.account, s.livemode, s.clock, intent_id,
                                                 params, pepper=state().pepper)


@bp.post("/payment_intents/<intent_id>/confirm")
@requires("payment_intent_write", publishable=True)
@accepts(PaymentIntentConfirm)
@_objects_in_errors
@_for_the_key
@returns(PaymentIntentOut)
def confirm_payment_intent(intent_id, params):
    """Confirm a PaymentIntent: charge its payment method (or ask for 3-D Secure first)."""
    s = scope()
    return payment_intents.confirm_payment_intent(s.account, s.livemode, s.clock, intent_id,
                                                  params, pepper=state().pepper,
                                                  publishable=publishable(),
                                                  page_url=page_url())


@bp.post("/payment_intents/<intent_id>/capture")
@requires("payment_intent_write")
@accepts(PaymentIntentCapture)
@_objects_in_errors
@returns(PaymentIntentOut)
def capture_payment_intent(intent_id, params):
    """Capture a PaymentIntent's authorised amount (or part of it)."""
    s = scope()
    return payment_intents.capture_payment_intent(s.account, s.livemode, s.clock, intent_id,
                                                  params)


@bp.post("/payment_intents/<intent_id>/cancel")
@requires("payment_intent_write")
@accepts(PaymentIntentCancel)
@_objects_in_errors
@returns(PaymentIntentOut)
def cancel_payment_intent(intent_id, params):
    """Cancel a PaymentIntent."""
    s = scope()
    return payment_intents.cancel_payment_intent(s.account, s.livemode, s.clock, intent_id,
                                                 params)


@bp.get("/payment_intents")
@requires("payment_intent_read")
@accepts(PaymentIntentListParams)
@returns(list_schema(PaymentIntentOut))
def list_payment_intents(params):
    """List PaymentIntents, newest first."""
    s = scope()
    return payment_intents.list_payment_intents(s.account, s.livemode, s.clock, params,
                                                request.path)
