import re

from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from restoreui.login import ThrottledAuthenticationForm
from restoreui.views import audit, backups, coverage, health, home, indexes, jobs, notify, schedules, search


class SegmentConverter:
    """Any single path segment: Pinecone ids and names are opaque to us.

    A "/" in a value Pinecone sent would split the segment (and make reverse()
    fail, a 500), so links carry it as %2F, and "%" as %25 to keep that reversible.
    A value of "." or ".." would be a dot segment that browsers resolve to
    another page, so its dots are carried as %2E.
    """

    regex = "[^/]+"
    ESCAPES = {"%": "%25", "/": "%2F", ".": "%2E"}
    UNESCAPES = {v: k for k, v in ESCAPES.items()}

    def to_python(self, value):
        return re.sub("%25|%2F|%2E", lambda m: self.UNESCAPES[m[0]], value)

    def to_url(self, value):
        if value in (".", ".."):
            return value.replace(".", self.ESCAPES["."])
        return re.sub("[%/]", lambda m: self.ESCAPES[m[0]], value)


class ExportFormatConverter:
    regex = "csv|json"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(SegmentConverter, "seg")
register_converter(ExportFormatConverter, "fmt")

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("prefs/timezone/", home.prefs_timezone, name="prefs-timezone"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("audit/", audit.audit, name="audit"),
    path("p/<slug:project_name>/", coverage.coverage_overview, name="project"),
    path("p/<slug:project_name>/jobs/", jobs.jobs_list, name="jobs-list"),
    path("p/<slug:project_name>/jobs/export.<fmt:fmt>", jobs.jobs_export, name="jobs-export"),
    path("p/<slug:project_name>/jobs/<seg:job_id>/", jobs.jobs_detail, name="jobs-detail"),
    path("p/<slug:project_name>/jobs/<seg:job_id>/poll", jobs.jobs_detail_poll, name="jobs-detail-poll"),
    path("p/<slug:project_name>/jobs/<seg:job_id>/note/", jobs.jobs_note, name="jobs-note"),
    path("p/<slug:project_name>/jobs/<seg:job_id>/notify/", notify.jobs_notify, name="jobs-notify"),
    path("p/<slug:project_name>/backups/", backups.backups_list, name="backups-list"),
    path("p/<slug:project_name>/backups/<seg:backup_id>/", backups.backups_detail, name="backups-detail"),
    path("p/<slug:project_name>/backups/<seg:backup_id>/restore/", backups.backups_restore, name="backups-restore"),
    path("p/<slug:project_name>/backups/<seg:backup_id>/delete/", backups.backups_delete, name="backups-delete"),
    path("p/<slug:project_name>/indexes/", indexes.indexes_list, name="indexes-list"),
    path("p/<slug:project_name>/indexes/<seg:index_name>/", indexes.indexes_detail, name="indexes-detail"),
    path("p/<slug:project_name>/indexes/<seg:index_name>/backup/", indexes.indexes_backup, name="indexes-backup"),
    path(
        "p/<slug:project_name>/indexes/<seg:index_name>/restore-to-before/",
        indexes.indexes_restore_before,
        name="indexes-restore-before",
    ),
    path(
        "p/<slug:project_name>/indexes/<seg:index_name>/schedule/", schedules.schedules_create, name="schedules-create"
    ),
    path(
        "p/<slug:project_name>/indexes/<seg:index_name>/schedules/<seg:schedule_id>/",
        schedules.schedules_detail,
        name="schedules-detail",
    ),
    path(
        "p/<slug:project_name>/indexes/<seg:index_name>/schedules/<seg:schedule_id>/edit/",
        schedules.schedules_edit,
        name="schedules-edit",
    ),
    path(
        "p/<slug:project_name>/indexes/<seg:index_name>/schedules/<seg:schedule_id>/enabled/",
        schedules.schedules_toggle,
        name="schedules-toggle",
    ),
    path(
        "p/<slug:project_name>/indexes/<seg:index_name>/schedules/<seg:schedule_id>/delete/",
        schedules.schedules_delete,
        name="schedules-delete",
    ),
    path("p/<slug:project_name>/search/", search.search, name="search"),
]
