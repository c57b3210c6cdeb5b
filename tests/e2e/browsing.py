"""Helpers for the browser tests: logging in, and finding real ids to visit in the emulator's data."""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import reverse
from playwright.sync_api import Page

from restoreui.lib.pointintime import canonical
from restoreui.pinecone import service
from restoreui.projects import Project

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def log_in(page: Page, username: str, password: str) -> None:
    """Fill and send the login form the page shows (going to it first if needed)."""
    if "/login/" not in page.url:
        page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert "/login/" not in page.url, f"Login as {username} failed: still on {page.url}"


def path_of(url: str) -> str:
    return urlsplit(url).path


def job_path(project: Project, job_id: str) -> str:
    return reverse("jobs-detail", args=[project.name, job_id])


def running_job(project: Project):
    """A seeded running job; when progress is reported, the one furthest from done, so it keeps rising the longest."""
    jobs = [j for j in service.list_restore_jobs(project).value.items if j.state in ("pending", "running")]
    assert jobs, "The emulator's seed data should have a running job"
    return min(jobs, key=lambda j: 101 if j.percent_complete is None else j.percent_complete)


def waiting_job(project: Project):
    """A running job without a percentage, as real Pinecone reports every running restore."""
    jobs = [j for j in service.list_restore_jobs(project).value.items if not j.finished and j.percent_complete is None]
    assert jobs, "The emulator's seed data should have a Pending job without a percentage"
    return jobs[0]


def failed_job(project: Project):
    """A seeded Failed job whose backup still exists: its page offers a retry."""
    backups = {b.id for b in service.list_backups(project).value.items}
    jobs = [j for j in service.list_restore_jobs(project).value.items if j.state == "failed" and j.backup_id in backups]
    assert jobs, "The emulator's seed data should have a Failed job of a backup that still exists"
    return jobs[0]


def ready_backup(project: Project):
    """The smallest Ready backup that counted its records: the quickest to restore."""
    backups = [b for b in service.list_backups(project).value.items if b.state == "ready" and b.record_count]
    assert backups, "The emulator's seed data should have a Ready backup"
    return min(backups, key=lambda b: b.size_bytes)


def scheduled_index(project: Project):
    """An index with an enabled backup schedule, and that schedule."""
    for index in service.list_indexes(project).value.items:
        for schedule in service.index_schedules(project, index.name):
            if schedule.enabled:
                return index.name, schedule
    raise AssertionError("The emulator's seed data should have a scheduled index")


def main_pages(project: Project) -> dict[str, str]:
    """Every screen a logged-in operator reaches, by name -> path, with real ids from the emulator."""
    job = running_job(project)
    backup = ready_backup(project)
    index = service.list_indexes(project).value.items[0].name
    # Part of an index name, so search lists matches instead of jumping to one.
    fragment = re.sub(r"-.*", "", index)[:5]
    name = project.name
    scheduled, schedule = scheduled_index(project)
    return {
        "coverage": reverse("project", args=[name]),
        "schedule-detail": reverse("schedules-detail", args=[name, scheduled, schedule.id]),
        "job-table": reverse("jobs-list", args=[name]),
        "job-detail": job_path(project, job.id),
        "job-pending": job_path(project, waiting_job(project).id),
        "job-failed": job_path(project, failed_job(project).id),
        "backup-list": reverse("backups-list", args=[name]),
        "backup-detail": reverse("backups-detail", args=[name, backup.id]),
        "restore-form": reverse("backups-restore", args=[name, backup.id]),
        "delete-form": reverse("backups-delete", args=[name, backup.id]),
        "index-list": reverse("indexes-list", args=[name]),
        "index-detail": reverse("indexes-detail", args=[name, index]),
        "restore-before": reverse("indexes-restore-before", args=[name, backup.source_index_name])
        + f"?before={canonical(backup.created_at + timedelta(minutes=1))}",
        "search-results": reverse("search", args=[name]) + f"?q={fragment}",
        "audit": reverse("audit"),
        "job-not-found": job_path(project, "no-such-job"),
    }
