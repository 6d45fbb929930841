"""The web dashboard at ``/dashboard``: server-rendered pages over the same services as the API.

Every page needs a signed-in session (a ``sess_...`` token in an HttpOnly cookie) except
sign-up, log-in and the static files; every POST needs the form's CSRF token. Views call the
services in ``payground.services`` exactly as ``payground.sandbox`` does, and hold no rules
of their own.
"""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
               static_folder="static")

# Modules register their routes (and `session` the hooks guarding them all) when imported.
from . import (account, auth, connect, drills, keys, logs, oauth, payments,  # noqa: E402,F401
               session, switch, webhooks)
