"""One HTTP POST to a checked webhook target, pinned to the address the guard checked.

The connection goes to that address while the request names the host (Host header, TLS server
name and certificate check), so a second DNS answer cannot redirect it (rebinding). Redirects are
not followed (http.client never does). Connecting and each read wait at most ``timeout`` seconds
and the whole exchange at most ``2 x timeout``: a receiver that trickles bytes is cut off. Only the
beginning of the answer is read and kept.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from prm.webhooks.guard import Target

USER_AGENT = "PRM-Webhooks/1.0"
RESPONSE_BODY_KEPT = 1000  # characters of the receiver's answer in the attempt log
RESPONSE_BYTES_READ = 4096


@dataclass(frozen=True)
class Answer:
    """What the receiver said: a status code (None when no answer came) or the error."""

    status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def ssl_context() -> ssl.SSLContext:
    """The system's trust store, certificate and host name checked (tests stand in their CA)."""
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _cut_off(connection: http.client.HTTPConnection, fired: threading.Event) -> None:
    """Past the overall deadline: shut the socket so that a blocked read returns at once."""
    fired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


MAX_ADDRESSES_TRIED = 3


def _connect(target: Target, timeout: float) -> tuple[http.client.HTTPConnection | None, str]:
    """A connection to the first of the target's checked addresses that accepts one (e.g. IPv4
    after an unreachable IPv6 address), or the last error."""
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    error = ""
    for address in target.addresses[:MAX_ADDRESSES_TRIED]:
        connection = cls(target.host, target.port, address=address, timeout=timeout)
        try:
            connection.connect()
        except ssl.SSLCertVerificationError as exc:
            connection.close()
            return None, f"TLS certificate not accepted: {exc.verify_message or exc}"
        except TimeoutError:
            error = f"No connection within {timeout:g} s"
        except OSError as exc:
            error = _describe(exc)
        else:
            return connection, ""
        connection.close()
    return None, error


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to ``target`` through one of its checked addresses."""
    started = time.monotonic()
    connection, error = _connect(target, timeout)
    status: int | None = None
    text = ""
    if connection is not None:
        # Past the overall deadline the socket is shut, so a trickling receiver cannot hold on.
        fired = threading.Event()
        remaining = max(2 * timeout - (time.monotonic() - started), 0.1)
        deadline = threading.Timer(remaining, _cut_off, args=(connection, fired))
        deadline.daemon = True
        deadline.start()
        try:
            connection.request(
                "POST",
                target.path,
                body=body,
                headers={
                    **headers,
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    "Connection": "close",
                },
            )
            response = connection.getresponse()
            status = response.status
            text = _beginning(response)
        except TimeoutError:
            error = f"No answer within {timeout:g} s"
        except (OSError, http.client.HTTPException) as exc:
            error = "Cut off: no complete answer in time" if fired.is_set() else _describe(exc)
        finally:
            deadline.cancel()
            connection.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    return Answer(status=status, body=text, error=error[:300], duration_ms=duration_ms)


def _beginning(response: http.client.HTTPResponse) -> str:
    """The first characters of the answer; the status already counts, so a body that does not
    arrive in time is not an error."""
    try:
        return response.read(RESPONSE_BYTES_READ).decode("utf-8", errors="replace")[:RESPONSE_BODY_KEPT]
    except (OSError, http.client.HTTPException):
        return ""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused"
    if isinstance(exc, ConnectionResetError):
        return "Connection reset by the receiver"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "The receiver closed the connection without answering"
    return f"{type(exc).__name__}: {exc}"
