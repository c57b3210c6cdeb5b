"""Load generators: threads with keep-alive connections to 127.0.0.1, bounded in time."""

import http.client
import itertools
import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Result:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    # Connections that broke mid-request (a recycled worker, a full backlog): not an HTTP answer.
    transport_errors: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def merge(self, other: "Result") -> "Result":
        return Result(
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.statuses + other.statuses,
            self.transport_errors + other.transport_errors,
        )


class Client:
    """One keep-alive connection; reconnects when the server closed it between requests."""

    def __init__(self, port: int, headers: dict[str, str], timeout: float = 30.0):
        self.port = port
        self.headers = headers
        self.timeout = timeout
        self.connection = None

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.connection.request("GET", path, headers={**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, body, dict(response.getheaders())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server had already closed; one fresh try.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def closed_loop(
    port: int,
    requests: list[tuple[str, dict]],
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    max_requests: int = 1_000_000,
) -> Result:
    """`connections` clients each sending the next request as soon as the last one is answered."""
    deadline = time.monotonic() + seconds
    results = [Result() for _ in range(connections)]
    budget = itertools.count()

    def worker(n: int) -> None:
        client, result = Client(port, headers or {}), results[n]
        order = itertools.cycle(requests[n % len(requests) :] + requests[: n % len(requests)])
        while time.monotonic() < deadline and next(budget) < max_requests:
            path, extra = next(order)
            started = time.perf_counter()
            try:
                status, _, _ = client.get(path, extra)
            except OSError:
                result.transport_errors += 1
                client.close()
                continue
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1
        client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return _total(results, time.monotonic() - started)


def viewers(
    port: int,
    count: int,
    seconds: float,
    schedule: list[tuple[str, dict, float]],
    headers: dict[str, str] | None = None,
    first: list[tuple[str, dict]] = (),
) -> Result:
    """`count` people with a page open: each loads `first` once, then sends each (path, headers,
    every) of `schedule` every `every` seconds, starting at a random moment of the first period."""
    deadline = time.monotonic() + seconds
    results = [Result() for _ in range(count)]
    rng = random.Random(7)
    offsets = [[rng.uniform(0, every) for _, _, every in schedule] for _ in range(count)]

    def viewer(n: int) -> None:
        client, result = Client(port, headers or {}), results[n]
        start = time.monotonic()
        due = [start + offset for offset in offsets[n]]

        def send(path, extra):
            began = time.perf_counter()
            try:
                status, _, _ = client.get(path, extra)
            except OSError:
                result.transport_errors += 1
                client.close()
                return
            result.latencies.append(time.perf_counter() - began)
            result.statuses[status] += 1

        for path, extra in first:
            send(path, extra)
        while True:
            i = min(range(len(due)), key=due.__getitem__)
            if due[i] >= deadline:
                break
            time.sleep(max(0.0, due[i] - time.monotonic()))
            send(schedule[i][0], schedule[i][1])
            due[i] += schedule[i][2]
        client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=viewer, args=(n,), daemon=True) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return _total(results, time.monotonic() - started)


def _total(results: list[Result], seconds: float) -> Result:
    total = Result(seconds=seconds)
    for r in results:
        total = total.merge(Result(0.0, r.latencies, r.statuses, r.transport_errors))
    return total


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
