"""A fault-injecting HTTP proxy between the code under test and moto_server.

Point ``endpoint_url`` (or ``AWS_ENDPOINT_URL``) at :attr:`AwsProxy.url`. Every
request is counted by service (from the SigV4 credential scope of the
``Authorization`` header) and action (``Action=`` of the query-protocol form
body, or ``X-Amz-Target``), then either forwarded to the upstream moto_server
or answered with an injected fault::

    with AwsProxy(moto.url, seed=7) as proxy:
        proxy.configure(faults=[
            Fault("throttle", service="iam", rate=0.3),           # 30 % of IAM calls
            Fault("service_failure", action="CreateAccessKey", calls=[2]),  # the 2nd one
            Fault("drop", action="UpdateAccessKey"),              # every one
            Fault("invalid_token", service="sts"),                # no key is ever accepted
            Fault("latency", delay=0.05, rate=0.5),
        ])
        ...
        proxy.counts()   # {"iam": {"CreateAccessKey": 3, ...}, "sts": {...}}
        proxy.injected() # {"throttle": {"iam:CreateAccessKey": 1}, ...}
        proxy.calls()    # [{"service", "action", "outcome", "signed_by", "tag_keys",
                         #   "UserName", "AccessKeyId", "Status"}, ...]

Admin endpoints for other processes: ``GET /_proxy/counts``, ``GET|POST
/_proxy/config`` (JSON, same fields as :meth:`AwsProxy.configure`), ``POST
/_proxy/reset``. The proxy binds 127.0.0.1 only, forwards only to a loopback
upstream, caps bodies, latency and threads, and draws every random decision
from one seeded generator so a run can be replayed.
"""

import http.client
import http.server
import ipaddress
import json
import random
import re
import socket
import struct
import threading
import time
import urllib.parse
import uuid
from dataclasses import asdict, dataclass, field

MAX_BODY = 16 * 1024 * 1024
MAX_DELAY = 10.0
MAX_THREADS = 128
ADMIN_PREFIX = "/_proxy/"

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}

# kind -> (HTTP status, error code, message, error type); None for non-HTTP faults.
_ERRORS = {
    "throttle": (400, "Throttling", "Rate exceeded", "Sender"),
    "service_failure": (500, "ServiceFailure", "Injected service failure", "Receiver"),
    "unavailable": (503, "ServiceUnavailable", "Injected: service unavailable", "Receiver"),
    "invalid_token": (403, "InvalidClientTokenId", "The security token included in the request is invalid.", "Sender"),
}
KINDS = tuple(_ERRORS) + ("drop", "drop_response", "latency")


@dataclass
class Fault:
    """One fault rule.

    ``kind``: throttle (400 Throttling), service_failure (500 ServiceFailure),
    unavailable (503 ServiceUnavailable), invalid_token (403
    InvalidClientTokenId: a key not yet, or no longer, accepted), drop (reset the connection before
    forwarding), drop_response (forward, then reset instead of answering: the
    call happened but the client never learns it), latency (sleep ``delay``
    seconds, then go on).
    ``service``/``action``: match only these (None = any).
    ``calls``: 1-based numbers of the matching calls to hit (counted per
    service+action, faulted attempts included) — "the 2nd CreateAccessKey".
    ``rate``: probability per matching call (seeded). Neither calls nor rate:
    every matching call. ``limit``: stop after injecting this many.
    """

    kind: str
    service: str = None
    action: str = None
    rate: float = None
    calls: list = None
    delay: float = 0.0
    limit: int = None
    hits: int = field(default=0, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Failed to create fault: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")
        if self.rate is not None and not 0.0 <= float(self.rate) <= 1.0:
            raise ValueError(f"Failed to create fault: rate {self.rate!r} is not within 0..1")
        self.delay = min(max(float(self.delay or 0.0), 0.0), MAX_DELAY)
        self.calls = sorted(set(int(n) for n in self.calls)) if self.calls else None

    def matches(self, service, action):
        return (self.service in (None, service)) and (self.action in (None, action))

    def fires(self, call_number, rng):
        if self.limit is not None and self.hits >= self.limit:
            return False
        if self.calls is not None:
            return call_number in self.calls
        if self.rate is not None:
            return rng.random() < self.rate
        return True


class AwsProxy:
    """Thread-based proxy on 127.0.0.1; a context manager; safe to reconfigure while running."""

    def __init__(self, upstream, seed=0, faults=(), port=0):
        parsed = urllib.parse.urlsplit(upstream)
        if not _is_loopback(parsed.hostname):
            raise ValueError(f"Failed to create proxy: upstream {upstream!r} is not a loopback address")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self._port = port
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_THREADS)
        self._server = None
        self._thread = None
        self.seed = seed
        self._rng = random.Random(seed)
        self._faults = []
        self._counts = {}
        self._injected = {}
        self._log = []
        self._calls = []
        self.configure(faults=faults, seed=seed)

    # ---- lifecycle -------------------------------------------------------
    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self, base=None):
        """``base`` (e.g. ``moto.env()``) with the endpoint pointed at this proxy."""
        env = dict(base or {})
        env["AWS_ENDPOINT_URL"] = self.url
        env["AWS_URL"] = self.url
        return env

    def start(self):
        handler = type("BoundHandler", (_Handler,), {"proxy": self})
        self._server = _Server(("127.0.0.1", self._port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="aws-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- configuration ---------------------------------------------------
    def configure(self, faults=None, seed=None):
        """Replace the fault rules (list of Fault or dicts); re-seed if ``seed`` is given."""
        with self._lock:
            if seed is not None:
                self.seed = seed
                self._rng = random.Random(seed)
            if faults is not None:
                self._faults = [f if isinstance(f, Fault) else Fault(**f) for f in faults]
        return self

    def add_fault(self, fault=None, **kwargs):
        with self._lock:
            self._faults.append(fault if fault is not None else Fault(**kwargs))
        return self

    def config(self):
        with self._lock:
            return {"seed": self.seed, "faults": [asdict(f) for f in self._faults]}

    def reset(self):
        """Zero the counters and the log (rules and seed stay)."""
        with self._lock:
            self._counts = {}
            self._injected = {}
            self._log = []
            self._calls = []
            for fault in self._faults:
                fault.hits = 0

    # ---- counters --------------------------------------------------------
    def counts(self):
        """Requests received: {service: {action: n}} (retried attempts each count)."""
        with self._lock:
            return {svc: dict(actions) for svc, actions in self._counts.items()}

    def count(self, service=None, action=None):
        with self._lock:
            return sum(
                n
                for svc, actions in self._counts.items()
                if service in (None, svc)
                for act, n in actions.items()
                if action in (None, act)
            )

    def injected(self):
        """Faults injected: {kind: {"service:Action": n}}."""
        with self._lock:
            return {kind: dict(where) for kind, where in self._injected.items()}

    def injected_total(self, kind=None):
        with self._lock:
            return sum(n for k, where in self._injected.items() if kind in (None, k) for n in where.values())

    def log(self):
        """Every request in order: (service, action, outcome) with outcome "forwarded" or a fault kind."""
        with self._lock:
            return list(self._log)

    def calls(self):
        """Every request in order with the IAM parameters that say what it acted on (when it had them)."""
        with self._lock:
            return [dict(call) for call in self._calls]

    def snapshot(self):
        return {"counts": self.counts(), "injected": self.injected(), "config": self.config()}

    # ---- decisions (called by the handler) -------------------------------
    def _decide(self, service, action, params=None):
        """Count the call; return (delay, fault kind or None)."""
        with self._lock:
            per_service = self._counts.setdefault(service, {})
            number = per_service[action] = per_service.get(action, 0) + 1
            delay, kind = 0.0, None
            for fault in self._faults:
                if not fault.matches(service, action) or not fault.fires(number, self._rng):
                    continue
                if fault.kind == "latency":
                    delay += fault.delay
                elif kind is None:
                    kind = fault.kind
                else:
                    continue
                fault.hits += 1
                where = self._injected.setdefault(fault.kind, {})
                where[f"{service}:{action}"] = where.get(f"{service}:{action}", 0) + 1
            self._log.append((service, action, kind or "forwarded"))
            self._calls.append(dict(params or {}, service=service, action=action, outcome=kind or "forwarded"))
            return min(delay, MAX_DELAY), kind


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy = None  # bound per server
    timeout = 60

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: counters are the record."""

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def _handle(self):
        if not self.proxy._slots.acquire(timeout=30):  # pylint: disable=protected-access
            self._reply(503, b"proxy busy", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                self._reply(413, b"body too large", "text/plain")
                return
            body = self.rfile.read(length) if length else b""
            if self.path.startswith(ADMIN_PREFIX):
                self._admin(body)
                return
            service, action, params = _identify(self.headers, self.path, body)
            delay, kind = self.proxy._decide(service, action, params)  # pylint: disable=protected-access
            if delay:
                time.sleep(delay)
            if kind == "drop":
                self._reset_connection()
            elif kind in _ERRORS:
                self._error(kind, service)
            else:
                status, headers, payload = self._forward(body)
                if kind == "drop_response":
                    self._reset_connection()
                else:
                    self._reply(status, payload, headers=headers)
        finally:
            self.proxy._slots.release()  # pylint: disable=protected-access

    def _forward(self, body):
        conn = http.client.HTTPConnection(self.proxy.upstream_host, self.proxy.upstream_port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            keep = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length", "server", "date")
            ]
            return response.status, keep, payload
        finally:
            conn.close()

    def _error(self, kind, service):
        status, code, message, error_type = _ERRORS[kind]
        request_id = str(uuid.uuid4())
        namespace = _NAMESPACES.get(service, _NAMESPACES["iam"])
        payload = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>{error_type}</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        self._reply(status, payload, "text/xml", headers=[("x-amzn-RequestId", request_id)])

    def _admin(self, body):
        route = self.path[len(ADMIN_PREFIX):].split("?", 1)[0].strip("/")
        try:
            if route == "counts" and self.command == "GET":
                data = {"counts": self.proxy.counts(), "injected": self.proxy.injected()}
            elif route == "config" and self.command == "GET":
                data = self.proxy.config()
            elif route == "config" and self.command == "POST":
                wanted = json.loads(body or b"{}")
                self.proxy.configure(faults=wanted.get("faults"), seed=wanted.get("seed"))
                data = self.proxy.config()
            elif route == "reset" and self.command == "POST":
                self.proxy.reset()
                data = {"reset": True}
            else:
                self._reply(404, b'{"error": "unknown admin path"}', "application/json")
                return
        except (ValueError, TypeError) as exc:
            self._reply(400, json.dumps({"error": str(exc)}).encode(), "application/json")
            return
        self._reply(200, json.dumps(data).encode(), "application/json")

    def _reply(self, status, payload, content_type=None, headers=()):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _reset_connection(self):
        """Close with RST so the client sees a dropped connection, not a clean EOF."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass


_LOGGED_PARAMS = ("UserName", "AccessKeyId", "Status")
_TAG_KEY_PARAM = re.compile(r"^(Tags\.member\.\d+\.Key|TagKeys\.member\.\d+)$")


def _identify(headers, path, body):
    """(service, action, params) of a request, "unknown" where the request does not say.

    ``params`` holds ``signed_by`` (the access key ID that signed the request, None if unsigned), ``tag_keys``
    (the user tag keys a TagUser/UntagUser writes or removes, sorted) and the _LOGGED_PARAMS of a query-protocol
    request: what an IAM call acts on, never a secret.
    """
    match = _SCOPE.search(headers.get("Authorization", ""))
    service = match.group(3) if match else "unknown"
    action, params = None, {"signed_by": match.group(1) if match else None, "tag_keys": []}
    target = headers.get("X-Amz-Target")
    if target:
        action = target.rsplit(".", 1)[-1]
    query = urllib.parse.urlsplit(path).query
    for source in (body, query.encode()):
        try:
            values = urllib.parse.parse_qs(source.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            continue
        if values.get("Action"):
            action = action or values["Action"][0]
            params.update((name, values[name][0]) for name in _LOGGED_PARAMS if values.get(name))
            params["tag_keys"] = sorted(values[name][0] for name in values if _TAG_KEY_PARAM.match(name))
            break
    return service, action or "unknown", params


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
