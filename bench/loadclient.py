"""A bounded load client for when wrk is not installed: ``python -m bench.loadclient URL SECONDS
CONNECTIONS [COOKIE]`` keeps CONNECTIONS requests in flight (keep-alive where the server allows it) for
SECONDS and prints one JSON line like wrk's report (bench/wrk_report.lua). It runs in its own process so
that its work does not share an interpreter with the bench."""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
import urllib.parse

#: Every request of the bench says the same, as a browser does: Flask-Login ties a session to its user agent
#: (a signed-in session seen from another one is marked not fresh and its cookie rewritten on every answer).
USER_AGENT = "make-bench/1"


def run(url: str, seconds: float, connections: int, cookie: str = "") -> dict:
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    latencies: list[float] = []
    totals = {"bytes": 0, "errors": 0, "status_errors": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                connection.close()
                with lock:
                    totals["errors"] += 1
                continue
            with lock:
                latencies.append(time.perf_counter() - started)
                totals["bytes"] += len(body)
                totals["status_errors"] += response.status >= 400
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    latencies.sort()

    def percentile(share: float) -> int:
        return int(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1e6) if latencies else 0

    return {
        "requests": len(latencies),
        "duration_us": int(duration * 1e6),
        "bytes": totals["bytes"],
        "p50_us": percentile(0.5),
        "p95_us": percentile(0.95),
        "errors": totals["errors"],
        "status_errors": totals["status_errors"],
    }


if __name__ == "__main__":
    url, seconds, connections = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    print("JSON " + json.dumps(run(url, seconds, connections, sys.argv[4] if len(sys.argv) > 4 else "")))
