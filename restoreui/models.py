from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One attempted write against Pinecone, whatever came of it.

    The user is kept as a username string, not a foreign key, so the trail
    survives the deletion of the account that left it.
    """

    class Action(models.TextChoices):
        RESTORE = "restore", "restore"
        CREATE_BACKUP = "create_backup", "create backup"
        DELETE_BACKUP = "delete_backup", "delete backup"
        CREATE_SCHEDULE = "create_schedule", "create backup schedule"
        UPDATE_SCHEDULE = "update_schedule", "change backup schedule"
        DELETE_SCHEDULE = "delete_schedule", "delete backup schedule"
        SUBSCRIBE = "subscribe", "subscribe"
        UNSUBSCRIBE = "unsubscribe", "unsubscribe"
        NOTIFY = "notify", "notify"
        JOB_NOTE = "job_note", "job note"

    class Outcome(models.TextChoices):
        OK = "ok", "ok"
        REFUSED = "refused", "refused"
        FAILED = "failed", "failed"
        # Sent, but no clear answer came back; reconciled once the job list tells.
        UNKNOWN = "unknown", "unknown"

    when = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=150, blank=True, db_index=True)
    project = models.CharField(max_length=40, db_index=True)
    action = models.CharField(max_length=32, choices=Action)
    target = models.CharField(max_length=255)
    outcome = models.CharField(max_length=16, choices=Outcome)
    detail = models.TextField(blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    upstream_code = models.CharField(max_length=64, blank=True)
    upstream_message = models.TextField(blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-when", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return (
            f"{self.when:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.project}/{self.target}: {self.outcome}"
        )

    def as_log(self) -> dict:
        return {
            "when": self.when.isoformat(),
            "user": self.username,
            "project": self.project,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "detail": self.detail,
            "method": self.method,
            "path": self.path,
            "ip": self.ip,
            "request_id": self.request_id,
            "upstream_status": self.upstream_status,
            "upstream_code": self.upstream_code,
            "upstream_message": self.upstream_message,
            "extra": self.extra,
        }


class Preference(models.Model):
    """A user's display choices, kept across sessions and devices."""

    class TimeZone(models.TextChoices):
        UTC = "utc", "UTC"
        LOCAL = "local", "local time"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    time_zone = models.CharField(max_length=8, choices=TimeZone.choices, default=TimeZone.UTC)

    def __str__(self):
        return f"{self.user}: times in {self.get_time_zone_display()}"


class LoginFailures(models.Model):
    """Failed logins counted for the throttle when there is no shared cache (see restoreui.login)."""

    key = models.CharField(max_length=80, unique=True)
    count = models.PositiveIntegerField(default=0)
    started = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "login failures"

    def __str__(self):
        return f"{self.key}: {self.count} since {self.started:%Y-%m-%d %H:%M:%S}"


class Lease(models.Model):
    """A named duty that one process in the cluster performs at a time, until `expires`."""

    name = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=200, blank=True)
    expires = models.DateTimeField()

    def __str__(self):
        return f"{self.name}: {self.holder or 'free'} until {self.expires:%Y-%m-%d %H:%M:%S}"


# Django finds an app's models in its models module.
from restoreui.history.models import JobNote, RestoreRecord  # noqa: E402, F401
from restoreui.notifications.models import Notification, Subscription  # noqa: E402, F401
