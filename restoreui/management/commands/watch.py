"""`manage.py watch`: load every project's lists on a fixed interval, as a viewer would.

Loading through the service module fills the cache and the restore history
exactly as a page view does. Each round reloads every list whose copy would
expire before the next round (cache.refreshing_ahead), so viewers always find
a copy to be answered from at once. The notifications outbox then finds the
status changes in that history and delivers what is due. This loop has no logic of
its own besides the lease that keeps it to one running copy per cluster.
"""

import logging
import os
import signal
import socket
import threading
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from restoreui import coverage, lease, metrics
from restoreui.history import record
from restoreui.notifications import outbox
from restoreui.pinecone import PineconeError, cache, service

log = logging.getLogger("restoreui.watch")

LEASE = "watch"
LISTS = (
    ("backups", service.list_backups),
    ("restore jobs", service.list_restore_jobs),
    ("indexes", service.list_indexes),
)


class Command(BaseCommand):
    help = "Load every project's restore jobs, backups and indexes every RESTOREUI_WATCH_INTERVAL seconds."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and exit (for cron and tests).")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between rounds (default RESTOREUI_WATCH_INTERVAL).",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=None,
            help="Port of the watcher's /metrics (default RESTOREUI_WATCH_METRICS_PORT; 0: none).",
        )

    def handle(self, *args, once, interval, metrics_port, **options):
        self.interval = max(1.0, interval or settings.RESTOREUI_WATCH_INTERVAL)
        port = settings.RESTOREUI_WATCH_METRICS_PORT if metrics_port is None else metrics_port
        server = None
        if port and settings.RESTOREUI_METRICS_TOKEN:
            server = metrics.serve_watch_metrics(
                settings.RESTOREUI_WATCH_METRICS_HOST, port, settings.RESTOREUI_METRICS_TOKEN
            )
            log.info("watch: gauges at http://%s:%d/metrics", settings.RESTOREUI_WATCH_METRICS_HOST, port)
        # Long enough to outlast a round against a slow Pinecone; renewed between projects.
        self.lease_seconds = max(300.0, 3 * self.interval)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: self.stopping.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        log.info("watch: started as %s, every %g s", self.holder, self.interval)
        number = 0
        try:
            while not self.stopping.is_set():
                number += 1
                started = time.monotonic()
                close_old_connections()
                # Each list is loaded before its lifetime ends, so viewers never wait on a walk.
                with cache.refreshing_ahead(self.interval):
                    line = self.round()
                log.info("watch round %d: %s", number, line)
                if once:
                    break
                self.stopping.wait(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            try:
                lease.release(LEASE, self.holder)
            except DatabaseError as e:
                log.warning("watch: the lease could not be released (%s); it expires by itself", e)
            if server:
                server.shutdown()
                server.server_close()
        log.info("watch: stopped")

    def hold(self) -> str | None:
        """Take or renew the lease: None while this watcher holds it, else why it stands by."""
        try:
            if lease.acquire(LEASE, self.holder, self.lease_seconds):
                return None
        except DatabaseError as e:
            return f"the database failed ({e}); trying again next round"
        return "another watcher holds the lease; standing by"

    def round(self) -> str:
        """One pass over every project; returns the line to log."""
        started = time.monotonic()
        if standing_by := self.hold():
            return standing_by
        counts = {name: 0 for name, _ in LISTS}
        failures = []
        queued = 0
        for project in settings.RESTOREUI_PROJECTS.values():
            if standing_by := self.hold():
                return standing_by
            for name, load in LISTS:
                if self.stopping.is_set():
                    return "stopped before the round ended"
                try:
                    fetched = load(project)
                except PineconeError as error:
                    failures.append(f"{project.name} {name}: {error.explain()}")
                    continue
                counts[name] += len(fetched.value.items)
                if fetched.stale and fetched.error:
                    failures.append(f"{project.name} {name}: {fetched.error.explain()} (showing the last copy)")
            if not any(f.startswith(f"{project.name} ") for f in failures):
                try:
                    self.export(project)
                except PineconeError as error:
                    failures.append(f"{project.name} gauges: {error.explain()}")
                except DatabaseError as e:
                    failures.append(f"{project.name} scheduled backup notifications: {e}")
            try:
                queued += outbox.detect(project)
            except DatabaseError as e:
                failures.append(f"{project.name} notifications: {e}")
        if standing_by := self.hold():
            return standing_by
        try:
            delivered = outbox.deliver_due(self.holder)
        except DatabaseError as e:
            delivered = outbox.Delivered()
            failures.append(f"delivering notifications: {e}")
        try:
            pruned = record.prune()
            outbox.prune()
        except DatabaseError as e:
            pruned = 0
            failures.append(f"pruning history: {e}")
        projects = len(settings.RESTOREUI_PROJECTS)
        listed = ", ".join(f"{n} {name}" for name, n in counts.items())
        failed = f"{len(failures)} failure{'s' if len(failures) != 1 else ''}" + (
            f" ({'; '.join(failures)})" if failures else ""
        )
        return (
            f"{projects} project{'s' if projects != 1 else ''}: {listed}; {failed}; "
            f"{queued} notifications queued, {delivered.sent} sent, {delivered.failed} not sent; "
            f"{pruned} old history rows pruned; {time.monotonic() - started:.2f} s"
        )

    def export(self, project) -> None:
        """Set the coverage gauges from the lists just loaded and each index's schedules,
        and queue a notification for each schedule whose last run failed (once per backup).

        Schedules come through the cache, so they are asked again only every
        RESTOREUI_CACHE_TTL_SCHEDULES seconds, whatever the round interval.
        """
        indexes = service.list_indexes(project).value.items
        backups = service.list_backups(project).value.items
        jobs = service.list_restore_jobs(project).value.items
        schedules = {}
        if not service.schedules_unavailable(project):
            schedules = service.schedules_by_index(project, [i.name for i in indexes if not i.pod])
        found = coverage.rows(indexes, backups, schedules, datetime.now(UTC))
        metrics.COVERAGE.update(project.name, **coverage.gauges(found, backups, schedules, jobs))
        for _, schedule, run in coverage.last_runs(backups, schedules):
            if run is not None and run.state == "failed":
                outbox.scheduled_backup_failed(
                    project,
                    outbox.BackupFailure(
                        backup_id=run.id,
                        backup_name=run.name or "",
                        schedule_name=schedule.display_name,
                        status=run.status,
                    ),
                )
