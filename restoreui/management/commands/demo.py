"""`make run`: the local emulator on :5081, the dashboard on :8000 and the watcher, stopped together."""

import secrets
import socket
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the dashboard against the embedded Pinecone emulator, with a fresh login."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--emulator-port", type=int, default=5081)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, addr, emulator_port, seed, **options):
        if not settings.DEMO:
            raise CommandError("A Pinecone API key is configured: run the app with gunicorn, not the demo.")
        project = next(iter(settings.RESTOREUI_PROJECTS.values()))
        host, _, port = addr.rpartition(":")
        # runserver leaves with os._exit when its port is taken, which would orphan the
        # emulator and the watcher: find out before starting them.
        for where in ((host or "127.0.0.1", int(port)), ("127.0.0.1", emulator_port)):
            _check_free(*where)
        emulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "restoreui.emulator",
                "--port",
                str(emulator_port),
                "--api-key",
                project.api_key,
                "--seed",
                str(seed),
            ],
        )
        watcher = None
        try:
            self._wait_for(f"http://127.0.0.1:{emulator_port}/_emulator/state", emulator)
            call_command("migrate", verbosity=0, interactive=False)
            # Beside the server, as in production: it keeps the restore history filled.
            watcher = subprocess.Popen([sys.executable, str(settings.BASE_DIR / "manage.py"), "watch"])
            password = secrets.token_urlsafe(12)
            user, _ = get_user_model().objects.get_or_create(username="operator")
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            self.stdout.write(
                f"\n  restoreui (demo): http://{addr}/\n"
                f"  log in as  operator / {password}   (a new password each run)\n"
                f"  upstream:  local emulator at {project.host}, seed {seed}\n"
                f"  watcher:   manage.py watch, every {settings.RESTOREUI_WATCH_INTERVAL:g} s\n"
                "  Ctrl-C stops all three.\n\n"
            )
            call_command("runserver", addr, use_reloader=False, use_threading=True)
        except KeyboardInterrupt:
            pass
        finally:
            for process in filter(None, (watcher, emulator)):
                process.terminate()
                process.wait(timeout=10)

    def _wait_for(self, url, process, seconds=10.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"The emulator exited (code {process.returncode}); is port 5081 taken?")
            try:
                urllib.request.urlopen(url, timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise CommandError(f"The emulator did not answer at {url} within {seconds:.0f} s")


def _check_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as e:
            raise CommandError(f"Cannot listen on {host}:{port} ({e.strerror}): is another make run going?") from e
