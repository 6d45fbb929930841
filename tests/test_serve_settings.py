"""`payground serve` refuses to start on a setting it cannot read, naming it (no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys


def serve(tmp_path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAYGROUND_")}
    return subprocess.run(
        [sys.executable, "-m", "payground", "--home", str(tmp_path / "home"), "serve",
         "--port", "0"],
        env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_a_malformed_trusted_proxy_stops_the_server(tmp_path):
    result = serve(tmp_path, {"PAYGROUND_TRUSTED_PROXIES": "10.0.0.1,proxy.internal"})

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == ("Error: PAYGROUND_TRUSTED_PROXIES: cannot read 'proxy.internal' "
                             "(use addresses or CIDR ranges, e.g. 10.0.0.0/8,::1)\n")
