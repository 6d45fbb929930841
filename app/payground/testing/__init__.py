"""Run Payground inside tests: a real server on a loopback port, and signed-up accounts.

Outside pytest::

    from payground.testing import Server

    with Server() as server:
        account = server.signup()
        stripe.api_key, stripe.api_base = account.secret_key, server.url
        ...

Inside pytest, the ``payground_*`` fixtures (``payground.pytest_plugin``) wrap the same
classes.

.. versionadded:: 0.1
"""

from .server import Account, Server

__all__ = ["Account", "Server"]
