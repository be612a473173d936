"""Getting a calendar from a free/busy address the expert gives (Outlook's and Google's published
calendars, a CalDAV free/busy URL): fetched by the server, so it is guarded as any server-side fetch.

- https only, to a public address: a name that resolves to a private, loopback, link-local or reserved
  address is refused (the server must not become a way into its own network), and the connection goes
  to the address that was checked, not to a second lookup. Tests serve a calendar on 127.0.0.1 over
  plain http: ``allow_loopback`` admits that, and nothing else.
- Redirects are followed (a few) only when the new address passes the same checks.
- One deadline for the whole fetch (``timeout`` seconds, slow drips included) and at most
  ``max_bytes``; anything else is a FetchError with a message for the person who gave the address.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from core.uploads import UploadError

TIMEOUT_SECONDS = 5.0
MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(UploadError):
    """The address cannot be used or did not give a calendar; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    #: The checked IP address the connection goes to.
    address: str


def check_url(url: str, *, allow_loopback: bool = False) -> Target:
    """The address to connect to for ``url``, or FetchError: not https, no host, or not public."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchError("That is not a web address. Copy the whole address, starting with https://.") from error
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise FetchError("The address must be a web address starting with https://.")
    if scheme == "http" and not (allow_loopback and _loopback_name(parts.hostname)):
        raise FetchError("The address must start with https:// (a calendar fetched over plain http could be altered).")
    if parts.username or parts.password:
        raise FetchError("Give the address without a user name or password in it.")
    port = port or (443 if scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise FetchError(f"No server called {parts.hostname} could be found. Check the address.") from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    for address in addresses:
        if address.is_global or (allow_loopback and address.is_loopback):
            continue
        raise FetchError("The address points to a private or local network, which this site does not fetch from.")
    if scheme == "http" and not all(address.is_loopback for address in addresses):
        raise FetchError("The address must start with https:// (a calendar fetched over plain http could be altered).")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname, port, path, str(addresses[0]))


def _loopback_name(host: str) -> bool:
    """``localhost`` or a loopback address written out: the only hosts plain http may reach (tests)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Pinned:
    """Connects to the checked address; TLS still checks the certificate against the host name."""

    def connect(self):
        sock = socket.create_connection((self.checked_address, self.port), self.timeout)
        if isinstance(self, http.client.HTTPSConnection):
            sock = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


class _PinnedHTTP(_Pinned, http.client.HTTPConnection):
    pass


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    pass


def _get(target: Target, deadline: float, max_bytes: int) -> tuple[int, str | None, bytes]:
    remaining = max(deadline - time.monotonic(), 0.01)
    if target.scheme == "https":
        connection = _PinnedHTTPS(target.host, target.port, timeout=remaining, context=ssl.create_default_context())
    else:
        connection = _PinnedHTTP(target.host, target.port, timeout=remaining)
    connection.checked_address = target.address
    response = None
    try:
        connection.request(
            "GET", target.path, headers={"Accept": "text/calendar", "User-Agent": "policy-fellowship-freebusy"}
        )
        sock = connection.sock  # a response that closes the connection takes the socket over
        response = connection.getresponse()
        if response.status in REDIRECTS:
            return response.status, response.getheader("Location"), b""
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise FetchError(f"The calendar at that address is larger than {max_bytes // 1024} KB.")
        body = bytearray()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = response.read1(64 * 1024)
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(f"The calendar at that address is larger than {max_bytes // 1024} KB.")
        return response.status, None, bytes(body)
    finally:
        if response is not None:
            response.close()
        connection.close()


def fetch_calendar(
    url: str,
    *,
    allow_loopback: bool = False,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> bytes:
    """The body at a free/busy ``url`` (not yet read as a calendar); FetchError says why there is none."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        target = check_url(url, allow_loopback=allow_loopback)
        try:
            status, location, body = _get(target, deadline, max_bytes)
        except TimeoutError as error:  # socket.timeout included
            raise FetchError(f"The address did not answer within {timeout:g} seconds. Try again later.") from error
        except ssl.SSLError as error:
            raise FetchError("A secure connection to that address could not be made (its certificate).") from error
        except (OSError, http.client.HTTPException) as error:
            raise FetchError("That address could not be reached. Check it, or upload an .ics file instead.") from error
        if status in REDIRECTS:
            if not location:
                raise FetchError("The address sent us elsewhere without saying where.")
            url = urljoin(url, location)
            continue
        if status != 200:
            raise FetchError(f"The address answered with an error (HTTP {status}). Check that it is published.")
        return body
    raise FetchError("The address sent us elsewhere too many times.")
