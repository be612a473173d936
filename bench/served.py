"""The app and the ceiling served by gunicorn (2 sync workers each), loaded with wrk (or bench.loadclient),
page by page beside the ceiling at the same byte size; and the workers' peak memory."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.inprocess import SECRET_KEY, csrf_token
from bench.loadclient import USER_AGENT
from bench.pages import Page

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return sorted(pids)

    def memory(self) -> list[tuple[int, int, int]]:
        """(pid, VmHWM kB, VmRSS kB) of each worker: the peak and the current resident memory."""
        result = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.MULTILINE))
            result.append((pid, int(fields.get("VmHWM", 0)), int(fields.get("VmRSS", 0))))
        return result

    def crashes(self) -> int:
        text = self.log.read_text(errors="replace")
        return text.count("SIGSEGV") + text.count("WORKER TIMEOUT") + text.count("was sent SIGKILL")


@contextmanager
def gunicorn(target: str, log: Path, **environment: str):
    """Serve the WSGI ``target`` with 2 sync workers on a free port; yields the Server."""
    port = free_port()
    env = dict(os.environ, PYTHONFAULTHANDLER="1", **environment)
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"]
    command += ["--no-control-socket", target]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    server = Server(port, process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def app_server(database_uri: str, log: Path):
    """The app as deployed: ``app:create_app()`` on the scaled database, mail left in the outbox."""
    return gunicorn(
        "app:create_app()",
        log,
        DATABASE_URL=database_uri,
        SECRET_KEY=SECRET_KEY,
        MAIL_SEND_ON_COMMIT="false",
        BASE_URL="http://127.0.0.1:5000",
        # With REDIS_URL set (inherited), the shared and page caches are on: a prefix of this run's own.
        CACHE_KEY_PREFIX=f"bench-{uuid.uuid4().hex[:12]}:",
        # The bench searches far faster than a person: counted as a deployment counts, never refused.
        COSTLY_RATE_LIMIT="1000000 per minute",
    )


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{server.log.read_text()}")
        try:
            get(server, "/")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {server.port}")


def get(server: Server, path: str, cookie: str = "", headers: dict | None = None) -> tuple[int, bytes, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        cookies = {"Cookie": cookie} if cookie else {}
        connection.request("GET", path, headers={"User-Agent": USER_AGENT, **cookies, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def browser():
    """A urllib opener that keeps cookies, as a browser does."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    opener.jar = jar
    return opener


def sign_in(server: Server, email: str, password: str, opener=None):
    """Sign in through the form (GET for the CSRF token, then POST); returns the opener holding the session.
    A refused sign-in answers 400 (urllib raises); one that lands back on the sign-in page fails too."""
    opener = opener or browser()
    page = opener.open(server.base + "/login", timeout=120).read().decode()
    data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": csrf_token(page)}).encode()
    response = opener.open(server.base + "/login", data=data, timeout=120)
    response.read()
    if urllib.parse.urlsplit(response.geturl()).path == "/login":
        raise RuntimeError(f"signing in as {email} did not leave the sign-in page")
    return opener


def session_cookie(opener) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in opener.jar)


@dataclass
class Load:
    requests: int
    seconds: float
    median_ms: float
    p95_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load_tool() -> str:
    return "wrk" if shutil.which("wrk") else "bench.loadclient (Python)"


def load(server: Server, path: str, seconds: float, cookie: str = "") -> Load:
    """``seconds`` of load with two connections (one per worker) on ``path``."""
    url = server.base + path
    if shutil.which("wrk"):
        command = ["wrk", "-t1", f"-c{WORKERS}", f"-d{max(1, round(seconds))}s", "--timeout", "60s"]
        command += ["-s", str(WRK_SCRIPT), "-H", f"User-Agent: {USER_AGENT}"]
        command += (["-H", f"Cookie: {cookie}"] if cookie else []) + [url]
    else:
        command = [sys.executable, "-m", "bench.loadclient", url, str(seconds), str(WORKERS), cookie]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 180, cwd=ROOT).stdout  # noqa: S603
    line = next((x for x in output.splitlines() if x.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"no report from {command[0]}:\n{output}")
    data = json.loads(line[5:])
    return Load(
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p95_us"] / 1000,
        data["errors"] + data["status_errors"],
    )


def _combined(loads: list[Load]) -> Load:
    """Rounds of load as one: requests and seconds added; the median of the rounds' medians and p95s."""
    return Load(
        sum(x.requests for x in loads),
        sum(x.seconds for x in loads),
        statistics.median(x.median_ms for x in loads),
        statistics.median(x.p95_ms for x in loads),
        sum(x.errors for x in loads),
    )


@dataclass
class Throughput:
    page: Page
    status: int
    size: int
    app: Load
    ceiling: Load

    @property
    def ratio(self) -> float:
        return self.app.rate / self.ceiling.rate if self.ceiling.rate else 0.0

    @property
    def goal(self) -> float:
        return 0.25 if self.page.signed_in else 0.5


def throughput(server: Server, ceiling: Server, pages: list[Page], cookies: dict, seconds: float) -> list[Throughput]:
    """Each page, then the ceiling at the page's byte size, one after the other (interleaved, so that
    what else the machine does affects both alike)."""
    results = []
    for page in pages:
        cookie = cookies[page.who]
        started = time.perf_counter()
        status, body, _ = get(server, page.path, cookie)
        once = time.perf_counter() - started
        # A second of each in turn, so that a burst of other work on the machine hits both alike; a slow page
        # gets one window long enough for several requests instead (wrk counts only those that complete).
        rounds = max(1, round(seconds)) if once < 0.2 else 1
        window = max(seconds / rounds, min(60.0, 5 * once))
        app_loads, ceiling_loads = [], []
        for _ in range(rounds):
            app_loads.append(load(server, page.path, window, cookie))
            ceiling_loads.append(load(ceiling, f"/{len(body)}", window))
        app_load, ceiling_load = _combined(app_loads), _combined(ceiling_loads)
        results.append(Throughput(page, status, len(body), app_load, ceiling_load))
        print(
            f"  {page.name:<36} {app_load.rate:8.1f} req/s  ceiling {ceiling_load.rate:8.1f}  "
            f"ratio {results[-1].ratio:.3f}  ({len(body):,} B, status {status})",
            flush=True,
        )
    return results
