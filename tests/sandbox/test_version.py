"""/sandbox/version: which Payground answers here, asked by the CLI before anything else."""

import payground


def test_version_answers_without_a_session(client):
    r = client.get("/sandbox/version")

    assert r.status_code == 200
    assert r.get_json() == {"object": "payground", "version": payground.__version__}
    assert r.headers["Cache-Control"] == "no-cache, no-store"
    assert r.headers["Request-Id"].startswith("req_")
