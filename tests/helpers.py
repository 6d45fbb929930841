"""Re-exported test helpers (``from tests.helpers import assert_error``)."""

from tests.conftest import AccountHandle, assert_error  # noqa: F401
