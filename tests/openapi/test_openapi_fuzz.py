"""Fuzzes a live Chirp from its own OpenAPI document, on SQLite and on PostgreSQL.

Starts `chirp serve` on a fresh database, signs a user up and in, and runs schemathesis
against `GET /api/openapi.json` with that user's bearer token (see fuzz_hooks.py): every
phase (coverage, fuzzing, stateful), positive and negative data, a bounded number of
examples per operation. It fails on any 5xx and on any answer the document does not
describe (status, content type, headers, body schema).

Environment: CHIRP_BIN (default target/debug/chirp), CHIRP_TEST_POSTGRES_URL (an admin URL;
each run creates and drops its own database), CHIRP_FUZZ_EXAMPLES (examples per operation,
default 25), CHIRP_FUZZ_SEED (replay a run; a failure prints its seed), TEST_LOG=1 (echo the
server's log).
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHIRP_BIN = os.environ.get("CHIRP_BIN") or str(ROOT / "target" / "debug" / "chirp")
POSTGRES_ADMIN_URL = os.environ.get("CHIRP_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = os.environ.get("CHIRP_FUZZ_EXAMPLES", "25")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
PASSWORD = "correct horse battery"


class Chirp:
    """A running `chirp serve` on `database_url`: its base `url` and its `logs()`."""

    def __init__(self, database_url):
        self.output = []
        self.url = None
        self._listening = threading.Event()
        # No rate limits: the fuzzer signs in and posts far faster than a person. The
        # variable switches off every limit where the server has it; the flag, sign-ins.
        # Uploaded images go to a directory of this run's, removed with it.
        self._media = tempfile.TemporaryDirectory(prefix="chirp-fuzz-media-")
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info"), "NO_COLOR": "1", "CHIRP_RATE_LIMITS": "off",
               "CHIRP_MEDIA_URL": f"file://{self._media.name}"}
        self.proc = subprocess.Popen(
            [CHIRP_BIN, "serve", "--addr", "127.0.0.1:0", "--database-url", database_url, "--auth-rate-limit", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._listening.wait(30) or self.url is None:
            self.stop()
            raise RuntimeError("chirp did not start:\n" + self.logs())

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


def psql(url, sql):
    subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite://{tmp_path / 'chirp.db'}"


@pytest.fixture
def postgres_url():
    name = f"chirp_openapi_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        psql(POSTGRES_ADMIN_URL, f"CREATE DATABASE {name}")
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.fail(f"cannot create a PostgreSQL database at {POSTGRES_ADMIN_URL}: {e}")
    yield with_database(POSTGRES_ADMIN_URL, name)
    psql(POSTGRES_ADMIN_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def answered(metrics, method, route, status):
    """How many requests /metrics counted for this method, route pattern and status."""
    pattern = (
        r'^chirp_http_request_duration_seconds_count\{method="%s",route="%s",status="%d"\} (\d+)'
        % (method, re.escape(route), status)
    )
    m = re.search(pattern, metrics, re.MULTILINE)
    return int(m.group(1)) if m else 0


def fuzz(database_url, tmp_path):
    if not os.access(CHIRP_BIN, os.X_OK):
        pytest.fail(f"no chirp binary at {CHIRP_BIN}: run `cargo build` first")
    server = Chirp(database_url)
    try:
        username = f"fuzz_{uuid.uuid4().hex[:8]}"
        credentials = {"username": username, "password": PASSWORD}
        r = requests.post(f"{server.url}/api/users", json=credentials, timeout=30)
        assert r.status_code == 201, r.text
        r = requests.post(f"{server.url}/api/sessions", json=credentials, timeout=30)
        assert r.status_code == 200, r.text
        # An admin, so the moderation endpoints answer more than 403 (set as an operator
        # would: `chirp admin role`, while the server runs).
        role = subprocess.run(
            [CHIRP_BIN, "admin", "role", username, "admin", "--database-url", database_url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert role.returncode == 0, role.stderr
        # Something to like, read and delete from the start.
        token = r.json()["token"]
        r = requests.post(
            f"{server.url}/api/tweets", json={"text": "hello"}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert r.status_code == 201, r.text

        command = [
            str(SCHEMATHESIS),
            "run",
            f"{server.url}/api/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            EXAMPLES,
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path / "report"),
        ]
        if os.environ.get("CHIRP_FUZZ_SEED"):
            command += ["--seed", os.environ["CHIRP_FUZZ_SEED"]]
        env = {
            **os.environ,
            "PYTHONPATH": str(HERE),
            "SCHEMATHESIS_HOOKS": "fuzz_hooks",
            "CHIRP_FUZZ_BASE": server.url,
            "CHIRP_FUZZ_USERNAME": username,
            "CHIRP_FUZZ_PASSWORD": PASSWORD,
            "CHIRP_FUZZ_TOKEN": token,
            "NO_COLOR": "1",
            "COLUMNS": "120",
        }
        run = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        report = run.stdout + run.stderr
        print(report)
        assert run.returncode == 0, f"schemathesis found failures (exit {run.returncode}):\n{report}"
        assert not re.search(r"\b[1-9][0-9]* errored\b", report), report
        # A run whose every signed-in call was refused would pass without testing anything.
        metrics = requests.get(f"{server.url}/metrics", timeout=10).text
        for method, route, status in [
            ("GET", "/api/me", 200),
            ("POST", "/api/tweets", 201),
            ("GET", "/api/admin/reports", 200),
        ]:
            assert answered(metrics, method, route, status), f"no {status} for {method} {route}:\n{report}"
    finally:
        server.stop()
    assert " panicked" not in server.logs(), server.logs()


def test_the_api_matches_its_openapi_document_on_sqlite(sqlite_url, tmp_path):
    fuzz(sqlite_url, tmp_path)


def test_the_api_matches_its_openapi_document_on_postgres(postgres_url, tmp_path):
    fuzz(postgres_url, tmp_path)
