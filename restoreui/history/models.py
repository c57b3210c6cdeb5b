from django.db import models


class RestoreRecord(models.Model):
    """A restore job as restoreui last saw it: Pinecone drops jobs whose target index is deleted.

    Upstream text is clipped to the column sizes; ids longer than ID_LENGTH are not recorded.
    """

    ID_LENGTH = 255
    # The columns that say what Pinecone last said of the job itself (besides its id).
    JOB_FIELDS = (
        "backup_id",
        "target_index_name",
        "target_index_id",
        "status",
        "percent_complete",
        "created_at",
        "completed_at",
    )

    project = models.CharField(max_length=40)
    restore_job_id = models.CharField(max_length=ID_LENGTH)
    backup_id = models.CharField(max_length=ID_LENGTH, blank=True)
    # The backup as last seen while it existed: it may be deleted later.
    backup_name = models.CharField(max_length=255, blank=True)
    backup_size_bytes = models.BigIntegerField(null=True, blank=True)
    backup_record_count = models.BigIntegerField(null=True, blank=True)
    source_index_name = models.CharField(max_length=255, blank=True)
    target_index_name = models.CharField(max_length=255, blank=True)
    target_index_id = models.CharField(max_length=ID_LENGTH, blank=True)
    status = models.CharField(max_length=64)
    percent_complete = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField()
    # Kept to within record.SEEN_RESOLUTION, so that an unchanged list costs no write.
    last_seen = models.DateTimeField(db_index=True)
    last_listed = models.DateTimeField(null=True, blank=True)
    # False once a complete list from Pinecone left the job out.
    listed = models.BooleanField(default=True)
    # Set when the restore was started from this dashboard.
    started_by = models.CharField(max_length=150, blank=True)
    audit_entry = models.ForeignKey(
        "restoreui.AuditEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_tags = models.JSONField(null=True, blank=True)
    requested_deletion_protection = models.CharField(max_length=16, blank=True)
    # The status the watcher last looked at for notifications ("" before it has);
    # differing from status means a transition not yet acted on.
    watched_status = models.CharField(max_length=64, blank=True)

    class Meta:
        app_label = "restoreui"
        constraints = [
            models.UniqueConstraint(fields=["project", "restore_job_id"], name="restorerecord_one_per_job"),
        ]

    def __str__(self):
        return f"{self.project}/{self.restore_job_id}: {self.status}"


class JobNote(models.Model):
    """An incident reference or note an operator attached to a restore job; one per job."""

    MAX_LENGTH = 500

    project = models.CharField(max_length=40)
    restore_job_id = models.CharField(max_length=RestoreRecord.ID_LENGTH)
    text = models.CharField(max_length=MAX_LENGTH)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "restoreui"
        constraints = [
            models.UniqueConstraint(fields=["project", "restore_job_id"], name="jobnote_one_per_job"),
        ]

    def __str__(self):
        return f"{self.project}/{self.restore_job_id}: {self.text}"
