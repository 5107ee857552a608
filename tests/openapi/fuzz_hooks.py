"""Schemathesis hooks for the OpenAPI fuzz run (loaded through SCHEMATHESIS_HOOKS).

Every request is signed in as the test's user with a bearer token (CHIRP_FUZZ_TOKEN), except
`DELETE /api/sessions`: signing out ends the token it is sent with, so that operation signs
in afresh each time and ends only its own session, never the one the rest of the run uses.
"""

import os

import requests
import schemathesis

BASE = os.environ["CHIRP_FUZZ_BASE"]
USERNAME = os.environ["CHIRP_FUZZ_USERNAME"]
PASSWORD = os.environ["CHIRP_FUZZ_PASSWORD"]
TOKEN = os.environ["CHIRP_FUZZ_TOKEN"]


def _bearer(case, token):
    if case.headers is None:
        case.headers = {}
    case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.auth(refresh_interval=None).skip_for(method="DELETE", path="/api/sessions")
class SharedSession:
    """The run's one long-lived session."""

    def get(self, case, ctx):
        return TOKEN

    def set(self, case, data, ctx):
        _bearer(case, data)


@schemathesis.auth(refresh_interval=None).apply_to(method="DELETE", path="/api/sessions")
class ThrowawaySession:
    """A new session for each sign-out."""

    def get(self, case, ctx):
        r = requests.post(f"{BASE}/api/sessions", json={"username": USERNAME, "password": PASSWORD}, timeout=30)
        r.raise_for_status()
        return r.json()["token"]

    def set(self, case, data, ctx):
        _bearer(case, data)
