import re

from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

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

# Every project page is under p/<project>/, one list per section; names stay flat (jobs-detail).
jobs_urls = [
    path("", jobs.list_, name="jobs-list"),
    path("export.<fmt:fmt>", jobs.export, name="jobs-export"),
    path("<seg:job_id>/", jobs.detail, name="jobs-detail"),
    path("<seg:job_id>/poll", jobs.detail_poll, name="jobs-detail-poll"),
    path("<seg:job_id>/note/", jobs.note, name="jobs-note"),
    path("<seg:job_id>/notify/", notify.subscription, name="jobs-notify"),
]

backups_urls = [
    path("", backups.list_, name="backups-list"),
    path("<seg:backup_id>/", backups.detail, name="backups-detail"),
    path("<seg:backup_id>/restore/", backups.restore, name="backups-restore"),
    path("<seg:backup_id>/delete/", backups.delete, name="backups-delete"),
]

# Under an index: indexes/<index_name>/...
schedules_urls = [
    path("schedule/", schedules.create, name="schedules-create"),
    path("schedules/<seg:schedule_id>/", schedules.detail, name="schedules-detail"),
    path("schedules/<seg:schedule_id>/edit/", schedules.edit, name="schedules-edit"),
    path("schedules/<seg:schedule_id>/enabled/", schedules.toggle, name="schedules-toggle"),
    path("schedules/<seg:schedule_id>/delete/", schedules.delete, name="schedules-delete"),
]

indexes_urls = [
    path("", indexes.list_, name="indexes-list"),
    path("<seg:index_name>/", indexes.detail, name="indexes-detail"),
    path("<seg:index_name>/backup/", indexes.backup, name="indexes-backup"),
    path("<seg:index_name>/restore-to-before/", indexes.restore_before, name="indexes-restore-before"),
    path("<seg:index_name>/", include(schedules_urls)),
]

project_urls = [
    path("", coverage.overview, name="project"),
    path("jobs/", include(jobs_urls)),
    path("backups/", include(backups_urls)),
    path("indexes/", include(indexes_urls)),
    path("search/", search.results, name="search"),
]

urlpatterns = [
    path("", home.index, name="home"),
    path("login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("prefs/timezone/", home.prefs_timezone, name="prefs-timezone"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("audit/", audit.log, name="audit"),
    path("p/<slug:project_name>/", include(project_urls)),
]
