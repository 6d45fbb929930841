"""Payground: a Stripe-compatible payments sandbox for learning to handle API keys."""

__version__ = "0.1.0"
__all__ = ["__version__", "create_app"]


def __getattr__(name):
    # `create_app` pulls in Flask and SQLAlchemy; importing it lazily keeps
    # `import payground` (and so the pytest plugin every pytest run loads) light.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'payground' has no attribute {name!r}")
