from django.db import models


class Subscription(models.Model):
    """A target told when one restore job ends, asked for on the job's page."""

    project = models.CharField(max_length=40)
    restore_job_id = models.CharField(max_length=255)
    target = models.CharField(max_length=40)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "restoreui"
        constraints = [
            models.UniqueConstraint(fields=["project", "restore_job_id", "target"], name="subscription_one_per_target"),
        ]

    def __str__(self):
        return f"{self.project}/{self.restore_job_id} -> {self.target}"


class Notification(models.Model):
    """One message to one target about one transition, written before it is sent.

    The unique constraint makes a second watcher, or a later round, find the row
    instead of sending again; the state moves PENDING -> SENDING (claimed by one
    atomic UPDATE) -> DELIVERED, back to PENDING for a retry, FAILED, or UNKNOWN
    when the sender cannot tell whether the target got it (never sent again).
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"
        UNKNOWN = "unknown", "outcome unknown"

    class Subject(models.TextChoices):
        RESTORE_JOB = "restore_job", "restore job"
        BACKUP = "backup", "backup"

    project = models.CharField(max_length=40)
    subject = models.CharField(max_length=16, choices=Subject)
    subject_id = models.CharField(max_length=255)
    target = models.CharField(max_length=40)
    # The transition: the status the subject reached, and the one it was seen in before ("" for none).
    status = models.CharField(max_length=64)
    previous_status = models.CharField(max_length=64, blank=True)
    # Why this target hears of it: "subscription", or the project-wide event.
    reason = models.CharField(max_length=32)
    # The body to post, fixed when the transition is seen so a retry sends the same message.
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "restoreui"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "subject", "subject_id", "target", "status"], name="notification_once_per_transition"
            ),
        ]

    def __str__(self):
        change = f"{self.previous_status or '?'} -> {self.status}"
        return f"{self.project}/{self.subject_id} {change} to {self.target}: {self.state}"
