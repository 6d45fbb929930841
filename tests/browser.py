"""What the browser tests share: Debian's Chromium driven by Playwright.

``apt-get install -y chromium`` and ``pip install playwright`` (no ``playwright install``:
the system Chromium is used). A module calls :func:`sync_api_or_skip` at import time, so
without either it is skipped with the reason, and the terminal summary says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]
#: Test modules that drive the browser, for the terminal summary (tests/conftest.py).
BROWSER_MODULES = ("tests/dashboard/test_browser.py", "tests/test_tutorials_page.py")


def sync_api_or_skip():
    """Playwright's sync API, or skip the calling module (call it at module level)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)",
                    allow_module_level=True)
    return pytest.importorskip(
        "playwright.sync_api",
        reason="the playwright package is not installed (pip install playwright)")


def launch(playwright):
    """A headless Chromium: the system's, not a downloaded one."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
