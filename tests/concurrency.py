"""Requests released at the same moment, each on its own thread and database connection."""

from __future__ import annotations

import threading


def at_the_same_moment(requests) -> list[int]:
    """Run each zero-argument request function in its own thread, released together; the status codes."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int | BaseException] = [0] * len(requests)

    def run(index, request):
        barrier.wait()
        try:
            statuses[index] = request().status_code
        except BaseException as error:  # surfaced below: a thread's exception must fail the test
            statuses[index] = error

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    errors = [s for s in statuses if isinstance(s, BaseException)]
    assert not errors, errors
    return statuses
