"""The WSGI entry point for other servers (``gunicorn payground.wsgi:app``,
``granian --interface wsgi payground.wsgi:app``).

This is the only module that builds an app at import time; ``payground serve`` does not
import it (it builds the app itself, once, before forking workers).
"""

from .app import create_app

app = create_app()
# Each worker's first request sends the webhook retries that came due while no server ran.
app.extensions["payground"].webhooks.sweep_on_first_request = True
