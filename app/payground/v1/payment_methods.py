"""/v1/payment_methods: create (publishable keys too), retrieve, update, attach, detach,
list; and /v1/customers/{id}/payment_methods: a customer's list, and one of them."""

from __future__ import annotations

from flask import request

from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, returns
from ..http.intent_schemas import (CustomerPaymentMethodListParams, PaymentMethodAttach,
                                   PaymentMethodCreate, PaymentMethodListParams,
                                   PaymentMethodOut, PaymentMethodRetrieve,
                                   PaymentMethodUpdate)
from ..http.schemas import list_schema
from ..services import events, payment_methods
from . import bp

events.register_schema("payment_method", PaymentMethodOut)


@bp.post("/payment_methods")
@requires("payment_method_write", publishable=True)
@accepts(PaymentMethodCreate)
@returns(PaymentMethodOut)
def create_payment_method(params):
    """Create a card payment method (from card details or a token)."""
    s = scope()
    return payment_methods.create_payment_method(s.account, s.livemode, s.clock, params,
                                                 pepper=state().pepper)


@bp.get("/payment_methods/<method_id>")
@requires("payment_method_read")
@accepts(PaymentMethodRetrieve)
@returns(PaymentMethodOut)
def retrieve_payment_method(method_id, params):
    """Retrieve a payment method."""
    s = scope()
    return payment_methods.get_payment_method(s.account, s.livemode, method_id)


@bp.post("/payment_methods/<method_id>")
@requires("payment_method_write")
@accepts(PaymentMethodUpdate)
@returns(PaymentMethodOut)
def update_payment_method(method_id, params):
    """Update a payment method attached to a customer."""
    s = scope()
    return payment_methods.update_payment_method(s.account, s.livemode, s.clock, method_id,
                                                 params)


@bp.post("/payment_methods/<method_id>/attach")
@requires("payment_method_write")
@accepts(PaymentMethodAttach)
@returns(PaymentMethodOut)
def attach_payment_method(method_id, params):
    """Attach a payment method to a customer."""
    s = scope()
    return payment_methods.attach_payment_method(s.account, s.livemode, s.clock, method_id,
                                                 params, pepper=state().pepper)


@bp.post("/payment_methods/<method_id>/detach")
@requires("payment_method_write")
@accepts(PaymentMethodRetrieve)
@returns(PaymentMethodOut)
def detach_payment_method(method_id, params):
    """Detach a payment method from its customer."""
    s = scope()
    return payment_methods.detach_payment_method(s.account, s.livemode, s.clock, method_id)


@bp.get("/payment_methods")
@requires("payment_method_read")
@accepts(PaymentMethodListParams)
@returns(list_schema(PaymentMethodOut))
def list_payment_methods(params):
    """List payment methods, newest first."""
    s = scope()
    return payment_methods.list_payment_methods(s.account, s.livemode, params, request.path)


@bp.get("/customers/<customer_id>/payment_methods")
@requires("payment_method_read")
@accepts(CustomerPaymentMethodListParams)
@returns(list_schema(PaymentMethodOut))
def list_customer_payment_methods(customer_id, params):
    """List a customer's payment methods, newest first."""
    s = scope()
    return payment_methods.list_payment_methods(s.account, s.livemode,
                                                {**params, "customer": customer_id}, request.path)


@bp.get("/customers/<customer_id>/payment_methods/<method_id>")
@requires("payment_method_read")
@accepts(PaymentMethodRetrieve)
@returns(PaymentMethodOut)
def retrieve_customer_payment_method(customer_id, method_id, params):
    """Retrieve one of a customer's payment methods."""
    s = scope()
    return payment_methods.get_customer_payment_method(s.account, s.livemode, customer_id,
                                                       method_id)
