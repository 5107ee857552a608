"""Starts a real `chirp serve` for the Python client tests.

One server per test module, on 127.0.0.1 with a port the OS picks and a fresh SQLite file.
The binary is $CHIRP_BIN, or target/debug/chirp (the test command builds it first).
Its output is kept for failure messages and echoed to stderr when TEST_LOG is set.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CHIRP_BIN = os.environ.get("CHIRP_BIN") or str(ROOT / "target" / "debug" / "chirp")
PASSWORD = "correct horse battery"


class Chirp:
    """A running server: its base `url`, its `logs()`, and a tiny JSON API client."""

    def __init__(self, tmp_path):
        self.output = []
        self._listening = threading.Event()
        self.url = None
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info"), "NO_COLOR": "1",
               "CHIRP_MEDIA_URL": f"file://{tmp_path / 'media'}"}
        # Rate limits off: the tests sign up and post far faster than a person.
        self.proc = subprocess.Popen(
            [CHIRP_BIN, "serve", "--addr", "127.0.0.1:0", "--database-url", f"sqlite://{tmp_path / 'chirp.db'}",
             "--rate-limits", "off"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._listening.wait(30) or self.url is None:
            try:
                code = self.proc.wait(1)
            except subprocess.TimeoutExpired:
                code = None
            self.stop()
            how = f"exited with {code}" if code is not None else "did not start in 30 s"
            raise RuntimeError(f"chirp {how}:\n" + self.logs())

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)
            if os.environ.get("TEST_LOG"):
                sys.stderr.write(line)
            if self.url is None:
                m = re.search(r"listening on (http://[0-9.:]+)", line)
                if m:
                    self.url = m.group(1)
                    self._listening.set()
        self._listening.set()  # exited before listening: stop waiting

    def logs(self):
        return "".join(self.output)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def sign_up(self, prefix):
        """Creates a user with a fresh name and signs in: returns {"token", "user"}."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        r = requests.post(f"{self.url}/api/users", json={"username": name, "password": PASSWORD}, timeout=30)
        assert r.status_code == 201, r.text
        r = requests.post(f"{self.url}/api/sessions", json={"username": name, "password": PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def post_tweet(self, token, text):
        r = requests.post(
            f"{self.url}/api/tweets", json={"text": text}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture(scope="module")
def chirp(tmp_path_factory):
    if not os.access(CHIRP_BIN, os.X_OK):
        pytest.fail(f"no chirp binary at {CHIRP_BIN}: run `cargo build` first")
    server = Chirp(tmp_path_factory.mktemp("chirp"))
    yield server
    server.stop()

