"""The processes a benchmark runs against: emulators and gunicorn clusters, all on 127.0.0.1.

Each process is started with production settings (gunicorn.conf.py, a secret
key, collected static files, a real database) and stopped by its own pid.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_KEY = "bench-emulator-key"
USERNAME = "bench"
PASSWORD = secrets.token_urlsafe(16)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(check, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {seconds:g} s")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


class Emulator:
    """`python -m restoreui.emulator` in its own process, so its work is not billed to the dashboard."""

    def __init__(
        self,
        workdir: Path,
        latency_ms: float,
        jobs: int | None = None,
        seed: int = 42,
        extra_indexes: int = 0,
        speed: float = 1.0,
    ):
        self.latency_ms = latency_ms
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "restoreui.emulator",
            "--port",
            str(self.port),
            "--api-key",
            EMULATOR_KEY,
            "--seed",
            str(seed),
            "--latency-ms",
            f"{latency_ms:g}",
            "--speed",
            f"{speed:g}",
        ]
        if jobs is not None:
            args += ["--jobs", str(jobs)]
        if extra_indexes:
            # Room for every seeded backup, so no scheduled run fails on the quota.
            args += ["--extra-indexes", str(extra_indexes), "--max-backups", "100000"]
        self.log = open(workdir / f"emulator-{self.port}.log", "wb")
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        _wait_until(lambda: _answers(f"{self.url}/_emulator/state"), f"the emulator on port {self.port}")

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def stats(self) -> dict:
        return self.control("GET", "stats")

    def set_faults(self, **faults) -> dict:
        return self.control("POST", "faults", faults)

    def reset(self) -> dict:
        """Seed data back and counters zeroed; the reset turns latency off, so it is put back."""
        summary = self.control("POST", "reset", {})
        self.set_faults(latency_ms=self.latency_ms)
        return summary

    def clear_faults(self) -> None:
        self.set_faults(error_rate=0.0, rate_limit_rate=0.0, malformed_rate=0.0, reset_rate=0.0, slow_body_rate=0.0)

    def api(self, path: str) -> dict:
        """A control-plane GET with the API key (counted by the emulator like any other call)."""
        headers = {"Api-Key": EMULATOR_KEY, "X-Pinecone-Api-Version": "2026-04"}
        return requests.get(self.url + path, headers=headers, timeout=30).json()

    def walk(self, endpoint: str) -> list[dict]:
        """Every entry of a list endpoint, page by page."""
        items, token = [], None
        while True:
            data = self.api(f"{endpoint}?" + (f"paginationToken={token}" if token else "limit=100"))
            items += data["data"]
            token = (data.get("pagination") or {}).get("next")
            if not token:
                return items

    def all_jobs(self) -> list[dict]:
        return self.walk("/restore-jobs")

    def all_backups(self) -> list[dict]:
        return self.walk("/backups")

    def stop(self) -> None:
        _stop(self.process)
        self.log.close()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_in(
    session: requests.Session, base: str, username: str, password: str, headers: dict[str, str] | None = None
) -> requests.Response:
    """Log in through the form at BASE, as a browser would; the answer is the POST's."""
    page = session.get(f"{base}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    return session.post(
        f"{base}/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1) if token else ""},
        headers={"Referer": f"{base}/login/", **(headers or {})},
        allow_redirects=False,
        timeout=30,
    )


class Site:
    """What every cluster shares: a database with one user, collected static files, a secret key."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "restoreui.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            # Plain HTTP on loopback: no TLS proxy in front, so no HTTPS redirect or secure cookies.
            "DJANGO_SECURE": "0",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(workdir / "static"),
            "DJANGO_LOG_LEVEL": "ERROR",
            "GUNICORN_BIND": "127.0.0.1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.env["RESTOREUI_PROJECTS_FILE"] = str(self.projects_file("setup", {"setup": "http://127.0.0.1:1"}))
        manage = [sys.executable, "manage.py"]
        for command in (
            ["migrate", "--noinput"],
            ["collectstatic", "--noinput"],
            ["createsuperuser", "--noinput", "--username", USERNAME, "--email", "bench@example.com"],
        ):
            subprocess.run(
                manage + command,
                cwd=ROOT,
                env={**self.env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
                check=True,
                stdout=subprocess.DEVNULL,
            )

    def projects_file(self, name: str, hosts: dict[str, str], api_version: str = "2026-04") -> Path:
        path = self.workdir / f"projects-{name}.toml"
        path.write_text(
            "".join(
                f'[projects.{project}]\napi_key = "{EMULATOR_KEY}"\nhost = "{host}"\napi_version = "{api_version}"\n\n'
                for project, host in hosts.items()
            )
        )
        return path


class Gunicorn:
    """gunicorn -c gunicorn.conf.py on a free port, with the environment given.

    Starting returns at once, so several clusters boot side by side; ready() waits for one.
    """

    def __init__(self, site: Site, name: str, env: dict[str, str]):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(site.workdir / f"gunicorn-{name}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env={**site.env, **env, "PORT": str(self.port)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def ready(self) -> "Gunicorn":
        _wait_until(self._up, f"gunicorn {self.name!r}", seconds=60)
        return self

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn {self.name!r} exited; see {self.log.name}")
        return _answers(f"{self.url}/healthz") and len(self.worker_pids()) > 0

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def cpu_seconds(self) -> float:
        """CPU time the workers have used so far (user and system, from /proc/PID/stat)."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> dict[int, float]:
        """Resident memory of each worker, from /proc/PID/status VmRSS."""
        sizes = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if found:
                sizes[pid] = int(found.group(1)) / 1024
        return sizes

    def login(self) -> dict[str, str]:
        """Session cookies of the bench user, for load generators that send raw headers."""
        s = requests.Session()
        answer = log_in(s, self.url, USERNAME, PASSWORD)
        if answer.status_code != 302:
            raise RuntimeError(f"logging in to {self.name} answered {answer.status_code}")
        return s.cookies.get_dict()

    def stop(self) -> None:
        _stop(self.process)
        self.log.close()


class Lab(ExitStack):
    """A temporary directory and every process started in it, all stopped on exit."""

    def __init__(self, latency_ms: float):
        super().__init__()
        self.latency_ms = latency_ms
        self.workdir = Path(tempfile.mkdtemp(prefix="restoreui-bench-"))
        self.callback(shutil.rmtree, self.workdir, ignore_errors=True)
        self._site = None

    def __exit__(self, kind, error, traceback):
        if error is not None:
            # The directory goes with the run; what the processes said is the best clue.
            for log in sorted(self.workdir.glob("*.log")):
                tail = log.read_bytes()[-3000:].decode(errors="replace")
                print(f"--- {log.name} (last lines)\n{tail}", file=sys.stderr)
        return super().__exit__(kind, error, traceback)

    @property
    def site(self) -> Site:
        if self._site is None:
            self._site = Site(self.workdir)
        return self._site

    def emulator(self, jobs: int | None = None, extra_indexes: int = 0, speed: float = 1.0) -> Emulator:
        emulator = Emulator(self.workdir, self.latency_ms, jobs=jobs, extra_indexes=extra_indexes, speed=speed)
        self.callback(emulator.stop)
        return emulator

    def app(
        self, name: str, hosts: dict[str, str], cache_url: str = "locmem://", api_version: str = "2026-04", **env
    ) -> Gunicorn:
        projects = self.site.projects_file(name, hosts, api_version)
        cluster = Gunicorn(self.site, name, {"RESTOREUI_PROJECTS_FILE": str(projects), "CACHE_URL": cache_url, **env})
        self.callback(cluster.stop)
        return cluster

    def watch_once(self, hosts: dict[str, str], api_version: str = "2026-07") -> None:
        """One round of `manage.py watch` against HOSTS, with its own local-memory cache (so: cold)."""
        env = {**self.site.env, "RESTOREUI_PROJECTS_FILE": str(self.site.projects_file("watch", hosts, api_version))}
        subprocess.run(
            [sys.executable, "manage.py", "watch", "--once", "--metrics-port", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def bare(self, rows_file: Path) -> Gunicorn:
        cluster = Gunicorn(
            self.site, "bare", {"DJANGO_SETTINGS_MODULE": "bench.bare.settings", "BENCH_ROWS_FILE": str(rows_file)}
        )
        self.callback(cluster.stop)
        return cluster
