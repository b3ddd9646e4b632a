"""The load test's client side (`make loadtest` -> `python -m bench.loadtest`).

Each virtual user is a thread with its own HTTP session bound to its own loopback source address
(127.0.0.N: fifty people come from fifty addresses, so the sign-in rate limit per address stays
on). It signs in through the real allauth form (CSRF token from the page, TOTP where the role
needs it), then loops over its pages until the time or the request budget runs out. Every response
is timed and its body scanned for another tenant's or another partner's names and codes; a 5xx,
an unexpected status or a leak fails the run. Nothing here imports Django: the plan (who signs in,
which pages, which markers) comes from ``bench.loadtest.plan``.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

REQUEST_TIMEOUT = 30.0
# Sign-in is not measured: at most this many users sign in at once (each check of a password costs
# the server a PBKDF2 hash), and all of them within SIGN_IN_TIMEOUT before the clock starts.
SIGN_IN_CONCURRENCY = 4
SIGN_IN_TIMEOUT = 600.0
# The CSP nonce and the CSRF tokens are random per response: never let them match a marker.
_RANDOM_VALUES = re.compile(r'(?:nonce|value|content)="[A-Za-z0-9+/=_-]{16,}"')
_CSRF_INPUT = re.compile(
    r'name="csrfmiddlewaretoken"\s+value="([^"]+)"|value="([^"]+)"\s+name="csrfmiddlewaretoken"'
)


def _csrf_token(page: str) -> str | None:
    match = _CSRF_INPUT.search(page)
    return (match.group(1) or match.group(2)) if match else None


@dataclass(frozen=True)
class Account:
    """One virtual user: who signs in where, what it opens, what must never appear on its pages."""

    email: str
    password: str
    host: str  # the tenant's host name (<slug>.<base domain>), sent as the Host header
    role: str
    pages: tuple[tuple[str, str], ...]  # (label, path)
    markers: tuple[str, ...]  # other tenants' / partners' names, codes, e-mails
    totp_secret: str | None = None
    tenant: str = ""
    partner: str = ""


@dataclass
class Sample:
    page: str
    path: str
    status: int
    seconds: float


@dataclass
class Failure:
    email: str
    page: str
    url: str
    status: int
    reason: str


@dataclass
class RunResult:
    seconds: float = 0.0
    users: int = 0
    signed_in: int = 0
    samples: list[Sample] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    stopped_by: str = "time"
    # Per page, the time gunicorn spent on each request (ms, from its access log): the latency
    # above less the wait in the listen queue, when all workers are busy.
    server_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures and self.signed_in == self.users and bool(self.samples)

    def table(self) -> list[dict[str, Any]]:
        """Per page: requests, requests per second, p50 and p95 (ms), errors; then the totals."""
        pages: dict[str, list[Sample]] = {}
        for sample in self.samples:
            pages.setdefault(sample.page, []).append(sample)
        errors: dict[str, int] = {}
        for failure in self.failures:
            errors[failure.page] = errors.get(failure.page, 0) + 1
        rows = [
            _row(page, samples, errors.get(page, 0), self.seconds, self.server_ms.get(page, []))
            for page, samples in pages.items()
        ]
        rows.sort(key=lambda row: row["page"])
        every = [ms for times in self.server_ms.values() for ms in times]
        rows.append(_row("TOTAL", self.samples, len(self.failures), self.seconds, every))
        return rows


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def _row(
    page: str, samples: list[Sample], errors: int, seconds: float, server: list[float]
) -> dict[str, Any]:
    times = sorted(s.seconds * 1000 for s in samples)
    server = sorted(server)
    return {
        "page": page,
        "requests": len(samples),
        "rps": round(len(samples) / seconds, 2) if seconds else 0.0,
        "p50_ms": round(_percentile(times, 0.50), 1),
        "p95_ms": round(_percentile(times, 0.95), 1),
        "server_p50_ms": round(_percentile(server, 0.50), 1),
        "server_p95_ms": round(_percentile(server, 0.95), 1),
        "errors": errors,
    }


def format_table(result: RunResult) -> str:
    header = (
        f"{'page':<18} {'requests':>9} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} "
        f"{'server p50':>11} {'server p95':>11} {'errors':>7}"
    )
    lines = [header, "-" * len(header)]
    for row in result.table():
        if row["page"] == "TOTAL":
            lines.append("-" * len(header))
        lines.append(
            f"{row['page']:<18} {row['requests']:>9} {row['rps']:>8.2f} {row['p50_ms']:>9.1f} "
            f"{row['p95_ms']:>9.1f} {row['server_p50_ms']:>11.1f} {row['server_p95_ms']:>11.1f} "
            f"{row['errors']:>7}"
        )
    return "\n".join(lines)


# The access log line `make loadtest` asks gunicorn for (--access-logformat).
ACCESS_LOG_FORMAT = 'loadtest %(s)s %(M)s "%(r)s"'
_ACCESS_LINE = re.compile(r'^loadtest (\d{3}) (\d+) "GET (\S+) HTTP/[\d.]+"$')


def server_times(log_lines: list[str], accounts: list[Account]) -> dict[str, list[float]]:
    """Per page label, gunicorn's time (ms) for each GET of one of the accounts' pages."""
    labels = {path: label for account in accounts for label, path in account.pages}
    times: dict[str, list[float]] = {}
    for line in log_lines:
        match = _ACCESS_LINE.match(line.strip())
        if match and (label := labels.get(match.group(3))):
            times.setdefault(label, []).append(float(match.group(2)))
    return times


class LeakScanner:
    """Finds any of ``markers`` in a page, as whole words, after HTML entities are decoded."""

    def __init__(self, markers: tuple[str, ...] | list[str]) -> None:
        words = sorted({m for m in markers if m.strip()}, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<![\w@.-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w@-])")
            if words
            else None
        )

    def find(self, body: str) -> list[str]:
        if self.pattern is None:
            return []
        text = html.unescape(_RANDOM_VALUES.sub("", body))
        return sorted(set(self.pattern.findall(text)))


class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source: str) -> None:
        self._source = source
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self._source, 0)
        super().init_poolmanager(*args, **kwargs)


def require_loopback(base_url: str) -> None:
    """The load test never leaves the machine."""
    host = urlsplit(base_url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the load test targets loopback addresses only, not {base_url!r}")


def totp_now(secret: str) -> str:
    """The current TOTP code, computed as allauth checks it (RFC 6238, SHA-1, 6 digits, 30 s)."""
    import base64
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


class Budget:
    """The shared stop condition: the deadline or the request budget, whichever comes first."""

    def __init__(self, seconds: float, max_requests: int) -> None:
        self.seconds = seconds
        self.max_requests = max_requests
        self.deadline = 0.0
        self._issued = 0
        self._lock = threading.Lock()
        self.stopped_by = "time"
        self.started = threading.Event()

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.started.set()

    def take(self) -> bool:
        if time.monotonic() >= self.deadline:
            return False
        with self._lock:
            if self._issued >= self.max_requests:
                self.stopped_by = "requests"
                return False
            self._issued += 1
            return True


class VirtualUser:
    def __init__(self, index: int, account: Account, base_url: str, *, https_proxy: bool) -> None:
        self.index = index
        self.account = account
        self.base_url = base_url.rstrip("/")
        self.scanner = LeakScanner(account.markers)
        self.samples: list[Sample] = []
        self.failures: list[Failure] = []
        self.signed_in = False
        self.https_proxy = https_proxy
        scheme = "https" if https_proxy else "http"
        # What the browser sends as Origin / Referer: the tenant host, as the Host header names it.
        self.origin = f"{scheme}://{account.host}"
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies from the environment: straight to loopback
        source = f"127.0.0.{2 + index % 250}" if urlsplit(base_url).hostname == "127.0.0.1" else None
        if source:
            adapter = _SourceAddressAdapter(source)
            self.session.mount("http://", adapter)
        self.session.headers.update(
            {"Host": account.host, "User-Agent": "prm-loadtest/1", "Accept-Language": "en"}
        )
        if https_proxy:
            self.session.headers["X-Forwarded-Proto"] = "https"

    # --- HTTP ----------------------------------------------------------------------------------

    def _request(self, method: str, path: str, data: dict[str, str] | None = None) -> requests.Response:
        headers = {"Referer": self.origin + path}
        if cookies := self._cookie_header():
            headers["Cookie"] = cookies
        if method == "POST":
            headers["Origin"] = self.origin
        return self.session.request(
            method,
            self.base_url + path,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )

    def _cookie_header(self) -> str:
        """The cookies this session was given, sent back to its tenant host. The session talks to
        one host through 127.0.0.1 with a Host header (requests' cookie jar would match cookies
        against the address), and TLS ends at the proxy in front of gunicorn (X-Forwarded-Proto:
        https from 127.0.0.0/8), so the Secure cookies go back as a browser's would."""
        return "; ".join(f"{c.name}={c.value}" for c in self.session.cookies if not c.is_expired())

    def _local_path(self, response: requests.Response) -> str:
        """Where a redirect points, on this tenant's host only (never follow one elsewhere)."""
        location = response.headers.get("Location", "")
        parts = urlsplit(location)
        if parts.netloc and parts.hostname != self.account.host:
            raise RuntimeError(f"redirect off the tenant's host: {location}")
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def _form_token(self, path: str) -> str:
        response = self._request("GET", path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        token = _csrf_token(response.text)
        if not token:
            raise RuntimeError(f"no CSRF token in the form at {path}")
        return token

    def sign_in(self) -> None:
        """The real sign-in form, then the TOTP form where the role must use MFA."""
        login = "/accounts/login/"
        token = self._form_token(login)
        response = self._request(
            "POST",
            login,
            {"csrfmiddlewaretoken": token, "login": self.account.email, "password": self.account.password},
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in answered {response.status_code}, not a redirect")
        target = self._local_path(response)
        if "/2fa/" in target:
            if not self.account.totp_secret:
                raise RuntimeError("asked for a TOTP code but the account has no secret")
            token = self._form_token(target)
            # As a person would: a code about to expire is not typed in, and a code the server
            # saw after its 30 s step had passed (a slow answer under load) is retried once with
            # the next code. The server accepts each code once (replay protection).
            for attempt in range(2):
                if attempt or 30 - time.time() % 30 < 5:
                    time.sleep(30 - time.time() % 30 + 0.5)
                response = self._request(
                    "POST", target, {"csrfmiddlewaretoken": token, "code": totp_now(self.account.totp_secret)}
                )
                if response.status_code != 200:
                    break
                token = _csrf_token(response.text) or token
            if response.status_code != 302:
                raise RuntimeError(f"the TOTP step answered {response.status_code}, not a redirect")
            target = self._local_path(response)
        if target.startswith("/accounts/"):
            raise RuntimeError(f"sign-in ended at {target}")
        self.signed_in = True

    # --- the loop ------------------------------------------------------------------------------

    def fetch(self, label: str, path: str) -> None:
        started = time.perf_counter()
        try:
            response = self._request("GET", path)
            body = response.text
        except requests.RequestException as exc:
            self._fail(label, path, 0, f"no response: {exc.__class__.__name__}")
            return
        elapsed = time.perf_counter() - started
        self.samples.append(Sample(label, path, response.status_code, elapsed))
        if response.status_code >= 500:
            self._fail(label, path, response.status_code, "server error")
        elif response.status_code != 200:
            self._fail(label, path, response.status_code, "unexpected status")
        leaks = self.scanner.find(body)
        if leaks:
            self._fail(label, path, response.status_code, "shows " + ", ".join(repr(m) for m in leaks[:5]))

    def _fail(self, label: str, path: str, status: int, reason: str) -> None:
        self.failures.append(Failure(self.account.email, label, self.origin + path, status, reason))

    def run(self, budget: Budget, ready: threading.Barrier, sign_in_slots: threading.Semaphore) -> None:
        try:
            with sign_in_slots:
                self.sign_in()
        except Exception as exc:  # any failure to sign in is reported, and the thread still meets the others
            self._fail("sign-in", "/accounts/login/", 0, f"{exc.__class__.__name__}: {exc}")
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait(timeout=SIGN_IN_TIMEOUT)
        budget.started.wait()
        if not self.signed_in or not self.account.pages:
            return
        # Each page once per round; a page with several addresses (partner 360, deal detail)
        # takes the next one each round. Users start at different pages.
        rotation: dict[str, list[str]] = {}
        for label, path in self.account.pages:
            rotation.setdefault(label, []).append(path)
        labels = list(rotation)
        step = self.index
        while budget.take():
            label = labels[step % len(labels)]
            paths = rotation[label]
            self.fetch(label, paths[(step // len(labels)) % len(paths)])
            step += 1


def run(
    base_url: str,
    accounts: list[Account],
    *,
    seconds: float,
    max_requests: int,
    https_proxy: bool = True,
) -> RunResult:
    """Sign every account in, then hammer the pages for ``seconds`` (or ``max_requests``)."""
    require_loopback(base_url)
    users = [VirtualUser(i, a, base_url, https_proxy=https_proxy) for i, a in enumerate(accounts)]
    budget = Budget(seconds, max_requests)
    ready = threading.Barrier(len(users) + 1)
    sign_in_slots = threading.Semaphore(SIGN_IN_CONCURRENCY)
    threads = [
        threading.Thread(target=u.run, args=(budget, ready, sign_in_slots), name=f"vu-{i}", daemon=True)
        for i, u in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait(timeout=SIGN_IN_TIMEOUT)
    started = time.monotonic()
    budget.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT * 2)
    result = RunResult(
        seconds=round(time.monotonic() - started, 3),
        users=len(users),
        signed_in=sum(u.signed_in for u in users),
        stopped_by=budget.stopped_by,
    )
    for user in users:
        result.samples.extend(user.samples)
        result.failures.extend(user.failures)
    return result
