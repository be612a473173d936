"""The app served by real gunicorn processes, for tests that need more than one worker or process."""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"gunicorn stopped:\n{log.read_text()}"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
            return
        except OSError:  # not listening yet, or a first request slower than the timeout on a busy machine
            time.sleep(0.2)
        finally:
            connection.close()  # a timed-out attempt keeps its socket open otherwise (a ResourceWarning)
    raise AssertionError(f"gunicorn did not answer on port {port}:\n{log.read_text()}")


@contextmanager
def gunicorn(database_url: str, log: Path, *, workers: int = 2, **environment: str):
    """Serve ``app:create_app()`` on a free port with the given database; yields the port."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        SECRET_KEY="served-test-secret-key-0123456789abcdef",
        MAIL_SEND_ON_COMMIT="false",
        BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONFAULTHANDLER="1",
        **environment,
    )
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    command += ["--no-control-socket", "app:create_app()"]
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, server, log)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def browser(port: int):
    """A urllib opener with its own cookie jar, like one browser talking to the server."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.jar = jar
    opener.base = f"http://127.0.0.1:{port}"
    return opener


def csrf_token(opener, path: str) -> str:
    page = opener.open(opener.base + path).read().decode()
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def post_form(opener, path: str, fields: dict[str, str], *, token_from: str | None = None) -> int:
    """POST a form the way a browser does (with the CSRF token of the page it came from); the status."""
    fields = dict(fields, csrf_token=csrf_token(opener, token_from or path))
    try:
        with opener.open(opener.base + path, data=urllib.parse.urlencode(fields).encode()) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def session_cookie(port: int, email: str, password: str) -> str:
    opener = browser(port)
    post_form(opener, "/login", {"email": email, "password": password})
    return "session=" + next(cookie.value for cookie in opener.jar if cookie.name == "session")
