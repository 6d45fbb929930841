"""/v1/setup_intents: create, retrieve, update, confirm, cancel, list.

A publishable key may retrieve and confirm one intent when it shows the intent's
``client_secret`` (as Stripe.js's ``confirmCardSetup`` does); it then sees only what Stripe
shows a publishable key.
"""

from __future__ import annotations

from flask import request

from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, returns
from ..http.schemas import list_schema
from ..http.setup_intent_schemas import (PUBLIC_SETUP_FIELDS, SetupIntentCancel,
                                         SetupIntentConfirm, SetupIntentCreate,
                                         SetupIntentListParams, SetupIntentOut,
                                         SetupIntentRetrieve, SetupIntentUpdate)
from ..models.setup_intent import SetupIntent
from ..services import events, setup_intents
from . import bp
from .intent_views import IntentViews, page_url, publishable

events.register_schema("setup_intent", SetupIntentOut)

_views = IntentViews("setup_intent", SetupIntent, SetupIntentOut, PUBLIC_SETUP_FIELDS)
_objects_in_errors, _for_the_key = _views.objects_in_errors, _views.for_the_key


@bp.post("/setup_intents")
@requires("setup_intent_write")
@accepts(SetupIntentCreate)
@_objects_in_errors
@returns(SetupIntentOut)
def create_setup_intent(params):
    """Create a SetupIntent (and confirm it, with ``confirm=true``)."""
    s = scope()
    return setup_intents.create_setup_intent(s.account, s.livemode, s.clock, params,
                                             pepper=state().pepper, page_url=page_url())


@bp.get("/setup_intents/<setup_intent_id>")
@requires("setup_intent_read", publishable=True)
@accepts(SetupIntentRetrieve)
@_for_the_key
@returns(SetupIntentOut)
def retrieve_setup_intent(setup_intent_id, params):
    """Retrieve a SetupIntent (a publishable key needs its client_secret)."""
    s = scope()
    return setup_intents.get_setup_intent(s.account, s.livemode, setup_intent_id,
                                          client_secret=params.get("client_secret"),
                                          publishable=publishable())


@bp.post("/setup_intents/<setup_intent_id>")
@requires("setup_intent_write")
@accepts(SetupIntentUpdate)
@_objects_in_errors
@returns(SetupIntentOut)
def update_setup_intent(setup_intent_id, params):
    """Update a SetupIntent."""
    s = scope()
    return setup_intents.update_setup_intent(s.account, s.livemode, s.clock,
                                             setup_intent_id, params, pepper=state().pepper)


@bp.post("/setup_intents/<setup_intent_id>/confirm")
@requires("setup_intent_write", publishable=True)
@accepts(SetupIntentConfirm)
@_objects_in_errors
@_for_the_key
@returns(SetupIntentOut)
def confirm_setup_intent(setup_intent_id, params):
    """Confirm a SetupIntent: verify its card and save it (or ask for 3-D Secure first)."""
    s = scope()
    return setup_intents.confirm_setup_intent(s.account, s.livemode, s.clock,
                                              setup_intent_id, params, pepper=state().pepper,
                                              publishable=publishable(),
                                              page_url=page_url())


@bp.post("/setup_intents/<setup_intent_id>/cancel")
@requires("setup_intent_write")
@accepts(SetupIntentCancel)
@_objects_in_errors
@returns(SetupIntentOut)
def cancel_setup_intent(setup_intent_id, params):
    """Cancel a SetupIntent."""
    s = scope()
    return setup_intents.cancel_setup_intent(s.account, s.livemode, s.clock, setup_intent_id,
                                             params)


@bp.get("/setup_intents")
@requires("setup_intent_read")
@accepts(SetupIntentListParams)
@returns(list_schema(SetupIntentOut))
def list_setup_intents(params):
    """List SetupIntents, newest first."""
    s = scope()
    return setup_intents.list_setup_intents(s.account, s.livemode, params, request.path)
