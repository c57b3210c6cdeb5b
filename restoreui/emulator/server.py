"""The HTTP side of the emulator: routing, auth, versions, faults and counters."""

import json
import random
import re
import secrets
import socket
import struct
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from restoreui.emulator.store import VERSIONS, ApiError, Behaviour, Store, not_found

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5081
DEFAULT_API_KEY = "local-emulator-key"
DEFAULT_SEED = 42

ROUTES = (
    ("GET", "/indexes", "list_indexes"),
    ("GET", "/indexes/{index_name}", "describe_index"),
    ("DELETE", "/indexes/{index_name}", "delete_index"),
    ("GET", "/indexes/{index_name}/backups", "list_index_backups"),
    ("POST", "/indexes/{index_name}/backups", "create_backup"),
    ("GET", "/backups", "list_backups"),
    ("GET", "/backups/{backup_id}", "describe_backup"),
    ("DELETE", "/backups/{backup_id}", "delete_backup"),
    ("POST", "/backups/{backup_id}/create-index", "create_index_from_backup"),
    ("GET", "/restore-jobs", "list_restore_jobs"),
    ("GET", "/restore-jobs/{job_id}", "describe_restore_job"),
    ("GET", "/indexes/{index_name}/backup-schedules", "list_backup_schedules"),
    ("POST", "/indexes/{index_name}/backup-schedules", "create_backup_schedule"),
    ("GET", "/backup-schedules/{schedule_id}", "describe_backup_schedule"),
    ("PATCH", "/backup-schedules/{schedule_id}", "update_backup_schedule"),
    ("DELETE", "/backup-schedules/{schedule_id}", "delete_backup_schedule"),
    ("GET", "/backup-schedules/{schedule_id}/history", "list_backup_schedule_history"),
)
# Endpoints that only API 2026-07 has.
SCHEDULE_HANDLERS = frozenset(name for _, template, name in ROUTES if "backup-schedules" in template)
# The permission each backup and restore endpoint needs: a limited API key has none of them.
PERMISSIONS = {
    "list_index_backups": "control::backups::list",
    "list_backups": "control::backups::list",
    "describe_backup": "control::backups::describe",
    "create_backup": "control::backups::create",
    "delete_backup": "control::backups::delete",
    "create_index_from_backup": "control::backups::restore",
    "list_restore_jobs": "control::restore_jobs::list",
    "describe_restore_job": "control::restore_jobs::describe",
    "list_backup_schedules": "control::backup_schedules::list",
    "create_backup_schedule": "control::backup_schedules::create",
    "describe_backup_schedule": "control::backup_schedules::describe",
    "update_backup_schedule": "control::backup_schedules::update",
    "delete_backup_schedule": "control::backup_schedules::delete",
    "list_backup_schedule_history": "control::backup_schedules::list",
}
PLAN_GATED = "Backups are not available on the Starter plan. Upgrade your plan to use backups."
COMPILED = tuple(
    (method, template, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"), name)
    for method, template, name in ROUTES
)


@dataclass
class Faults:
    """What goes wrong, per request. Rates are shares of requests, 0.0 to 1.0."""

    latency_ms: float = 0.0
    error_rate: float = 0.0  # 500 or 503
    rate_limit_rate: float = 0.0  # 429 with Retry-After
    retry_after: float = 1.0  # seconds, sent in Retry-After
    malformed_rate: float = 0.0  # a body cut short, so it is not JSON
    reset_rate: float = 0.0  # the connection closed without an answer
    slow_body_rate: float = 0.0  # headers at once, the body trickled out
    slow_body_seconds: float = 2.0  # how long a slow body takes
    transient_404_rate: float = 0.0  # describe restore job answers 404 for a job that exists

    RATES = ("error_rate", "rate_limit_rate", "malformed_rate", "reset_rate", "slow_body_rate", "transient_404_rate")

    def updated(self, **changes) -> "Faults":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        values = asdict(self)
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if value < 0 or (name in self.RATES and value > 1):
                raise ValueError(f"{name} must be {'between 0 and 1' if name in self.RATES else 'at least 0'}")
            values[name] = float(value)
        return Faults(**values)


class Emulator:
    """A local Pinecone control plane: seeded data, real restores, switchable faults."""

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        api_key: str = DEFAULT_API_KEY,
        seed: int = DEFAULT_SEED,
        speed: float = 1.0,
        jobs: int | None = None,
        max_backups: int | None = None,
        max_indexes: int | None = None,
        limited_api_key: str | None = None,
        report_progress: bool = False,
        send_metric: bool = False,
        plan_gate: bool = False,
        extra_indexes: int = 0,
        **faults,
    ):
        self.host = host
        self.port = port
        self.api_key = api_key
        if limited_api_key == api_key:
            raise ValueError("the limited API key must differ from the API key")
        self.limited_api_key = limited_api_key
        self.seed = seed
        limits = {k: v for k, v in (("max_backups", max_backups), ("max_indexes", max_indexes)) if v is not None}
        self._start_behaviour = Behaviour().updated(
            report_progress=report_progress, send_metric=send_metric, plan_gate=plan_gate
        )
        self.store = Store(
            seed, speed=speed, jobs=jobs, behaviour=self._start_behaviour, extra_indexes=extra_indexes, **limits
        )
        self._lock = threading.Lock()
        self._faults = Faults().updated(**faults)
        self._fault_rng = random.Random(seed)
        self._calls: Counter = Counter()
        self._faulted: Counter = Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> "Emulator":
        self._server = Server((self.host, self.port), Handler)
        self._server.emulator = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"pinecone-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def reset(self) -> None:
        """Back to the seed data and the start-up behaviour, with faults off and counters at zero."""
        with self.store.lock:
            self.store.behaviour = self._start_behaviour
            self.store.reset()
        with self._lock:
            self._faults = Faults()
            self._fault_rng = random.Random(self.seed)
            self._calls.clear()
            self._faulted.clear()

    # -- faults and counters ----------------------------------------------------

    def set_faults(self, **changes) -> dict:
        """Change the named fault settings (others keep their value); reseeds the fault dice."""
        with self._lock:
            self._faults = self._faults.updated(**changes)
            self._fault_rng = random.Random(self.seed)
            return asdict(self._faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = Faults()

    def set_behaviour(self, **changes) -> dict:
        """Change the named behaviour settings (others keep their value)."""
        with self.store.lock:
            self.store.behaviour = self.store.behaviour.updated(**changes)
            return asdict(self.store.behaviour)

    def advance_clock(self, seconds: float) -> dict:
        """Move the emulator's clock on: schedules run and retention deletes as if that time had passed."""
        self.store.advance_clock(seconds)
        return self.store.summary()

    @property
    def behaviour(self) -> dict:
        with self.store.lock:
            return asdict(self.store.behaviour)

    @property
    def faults(self) -> dict:
        with self._lock:
            return asdict(self._faults)

    @property
    def calls(self) -> dict[str, int]:
        """Upstream calls per endpoint, e.g. {"GET /restore-jobs/{job_id}": 3}."""
        with self._lock:
            return dict(self._calls)

    def stats(self) -> dict:
        with self._lock:
            return {"total": sum(self._calls.values()), "calls": dict(self._calls), "faulted": dict(self._faulted)}

    def _roll(self, endpoint: str) -> tuple[Faults, list[float]]:
        """Count the call and draw its dice; every request draws the same number of them."""
        with self._lock:
            self._calls[endpoint] += 1
            return self._faults, [self._fault_rng.random() for _ in range(6)]

    def _count_fault(self, kind: str) -> None:
        with self._lock:
            self._faulted[kind] += 1


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The benchmark opens many connections at once.
    request_queue_size = 128
    emulator: Emulator

    def handle_error(self, request, client_address):
        """A client that hangs up mid-answer (a timeout on a slow body) is not news."""
        if not isinstance(sys.exception(), ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; Nagle would hold the body back ~40 ms.
    disable_nagle_algorithm = True
    server: Server

    def log_message(self, format, *args):
        """Quiet: the benchmark sends thousands of requests."""

    def do_GET(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def do_DELETE(self):
        self.handle_request()

    def do_PUT(self):
        self.handle_request()

    def do_PATCH(self):
        self.handle_request()

    def handle_request(self):
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path.startswith("/_emulator/"):
            self.answer(*self.control(emulator, path, body))
            return

        route, handler, params = self.match(path)
        faults, dice = emulator._roll(f"{self.command} {route}")
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if dice[0] < faults.reset_rate:
            emulator._count_fault("reset")
            self.reset_connection()
            return
        if dice[1] < faults.rate_limit_rate:
            emulator._count_fault("rate_limit")
            error = ApiError(429, "RESOURCE_EXHAUSTED", "Too many requests. Please retry shortly.")
            self.answer(429, error.envelope(), {"Retry-After": f"{faults.retry_after:g}"})
            return
        if dice[2] < faults.error_rate:
            emulator._count_fault("server_error")
            # The lower half of the error share answers 503, the rest 500.
            if dice[2] < faults.error_rate / 2:
                error = ApiError(503, "UNAVAILABLE", "Service unavailable. Please retry shortly.")
            else:
                error = ApiError(500, "UNKNOWN", "Internal server error")
            self.answer(error.status, error.envelope())
            return

        try:
            if handler is None:
                raise params
            limited = self.check_key(emulator)
            version = self.check_version()
            if handler in SCHEDULE_HANDLERS and version != "2026-07":
                # Versions before 2026-07 have no such routes: the router's answer for any unknown
                # path, not a 403 or 501 that would suggest the feature exists but is refused.
                raise ApiError(404, "NOT_FOUND", f"No such endpoint: {self.command} {path}")
            self.check_access(emulator, handler, limited)
            emulator.store.run_schedules()
            if handler == "describe_restore_job" and dice[5] < faults.transient_404_rate:
                emulator._count_fault("transient_404")
                raise not_found(f"Restore job {params['job_id']}")
            status, payload = getattr(emulator.store, handler)(version, query, body, **params)
        except ApiError as error:
            status, payload = error.status, error.envelope()
        data = b"" if payload is None else json.dumps(payload).encode()
        if dice[3] < faults.malformed_rate:
            emulator._count_fault("malformed")
            data = data[: len(data) // 2] if len(data) > 1 else b"{"
        slow = 0.0
        if dice[4] < faults.slow_body_rate:
            emulator._count_fault("slow_body")
            slow = faults.slow_body_seconds
        self.answer_bytes(status, data, {}, slow)

    def match(self, path: str):
        """(route template, store method, path params), or an ApiError in place of params."""
        known = None
        for method, template, pattern, name in COMPILED:
            found = pattern.match(path)
            if found:
                known = template
                if method == self.command:
                    return template, name, {k: unquote(v) for k, v in found.groupdict().items()}
        if known:
            return known, None, ApiError(405, "UNIMPLEMENTED", f"{self.command} is not supported on {path}.")
        return "(unknown)", None, ApiError(404, "NOT_FOUND", f"No such endpoint: {self.command} {path}")

    def check_key(self, emulator: Emulator) -> bool:
        """Whether the request carries the limited API key; 401 for no key or an unknown one."""
        key = self.headers.get("Api-Key")
        if not key:
            raise ApiError(401, "UNAUTHENTICATED", "No API key provided. Send it in the Api-Key header.")
        if secrets.compare_digest(key.encode(), emulator.api_key.encode()):
            return False
        if emulator.limited_api_key and secrets.compare_digest(key.encode(), emulator.limited_api_key.encode()):
            return True
        raise ApiError(401, "UNAUTHENTICATED", "Invalid API key.")

    def check_access(self, emulator: Emulator, handler: str, limited: bool) -> None:
        permission = PERMISSIONS.get(handler)
        if permission is None:
            return
        if limited:
            raise ApiError(403, "PERMISSION_DENIED", f"Access denied: Permission {permission} is required")
        if emulator.store.behaviour.plan_gate:
            raise ApiError(403, "FORBIDDEN", PLAN_GATED)

    def check_version(self) -> str:
        """The version asked for; none is served as the oldest supported one, as the service does."""
        version = self.headers.get("X-Pinecone-Api-Version")
        if not version:
            return VERSIONS[0]
        if version not in VERSIONS:
            raise ApiError(
                400,
                "INVALID_ARGUMENT",
                f"Unsupported API version {version!r}; supported versions: {', '.join(VERSIONS)}.",
            )
        return version

    def control(self, emulator: Emulator, path: str, body: bytes) -> tuple[int, dict]:
        try:
            changes = json.loads(body or b"{}")
        except ValueError:
            return 400, {"error": "the body must be a JSON object"}
        if path == "/_emulator/faults" and self.command == "GET":
            return 200, emulator.faults
        if path == "/_emulator/faults" and self.command == "POST":
            if not isinstance(changes, dict):
                return 400, {"error": "the body must be a JSON object"}
            try:
                return 200, emulator.set_faults(**changes)
            except ValueError as e:
                return 400, {"error": str(e)}
        if path == "/_emulator/faults" and self.command == "DELETE":
            emulator.clear_faults()
            return 200, emulator.faults
        if path == "/_emulator/behaviour" and self.command == "GET":
            return 200, emulator.behaviour
        if path == "/_emulator/behaviour" and self.command == "POST":
            if not isinstance(changes, dict):
                return 400, {"error": "the body must be a JSON object"}
            try:
                return 200, emulator.set_behaviour(**changes)
            except ValueError as e:
                return 400, {"error": str(e)}
        if path == "/_emulator/stats" and self.command == "GET":
            return 200, emulator.stats()
        if path == "/_emulator/reset" and self.command == "POST":
            emulator.reset()
            return 200, emulator.store.summary()
        if path == "/_emulator/clock" and self.command == "POST":
            seconds = changes.get("advance") if isinstance(changes, dict) else None
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                return 400, {"error": 'the body must be {"advance": seconds}, 0 or more'}
            emulator.store.advance_clock(float(seconds))
            return 200, emulator.store.summary()
        if path == "/_emulator/state" and self.command == "GET":
            return 200, emulator.store.summary()
        return 404, {"error": f"no control endpoint {self.command} {path}"}

    def answer(self, status: int, payload, headers: dict | None = None) -> None:
        self.answer_bytes(status, json.dumps(payload).encode(), headers or {}, 0.0)

    def answer_bytes(self, status: int, data: bytes, headers: dict, slow_seconds: float) -> None:
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-pinecone-request-id", secrets.token_hex(16))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not slow_seconds or not data:
            self.wfile.write(data)
            return
        self.wfile.flush()
        pieces = min(len(data), 20)
        step = -(-len(data) // pieces)
        for start in range(0, len(data), step):
            time.sleep(slow_seconds / pieces)
            self.wfile.write(data[start : start + step])
            self.wfile.flush()

    def reset_connection(self) -> None:
        # Linger 0 makes close() send RST: the client sees a reset, not a clean end.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()
