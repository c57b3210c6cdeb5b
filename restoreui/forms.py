"""Forms for the write actions, checked against Pinecone's own rules before sending."""

import re

from django import forms
from django.utils import timezone

from restoreui.filters import WidgetsRemembered
from restoreui.lib.pointintime import MAX_OFFSET_MINUTES, BadMoment, parse_moment
from restoreui.pinecone import service

_WRITTEN_ZONE = re.compile(r"(Z|UTC|[+-]\d{2}:?\d{2})\s*$", re.IGNORECASE)


def parse_tags(text: str) -> dict[str, str]:
    """One `key=value` per line; blank lines are skipped."""
    tags = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise forms.ValidationError(f"Line {number}: write each tag as key=value.")
        key = key.strip()
        if key in tags:
            raise forms.ValidationError(f"Line {number}: the tag “{key}” is given twice.")
        tags[key] = value.strip()
    return tags


class RestoreForm(forms.Form):
    name = forms.CharField(
        label="New index name",
        max_length=45,
        help_text=(
            "1–45 lowercase letters, digits and '-', starting and ending with a letter or digit. Must not exist yet."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One key=value per line. Leave empty to copy the backup's tags.",
    )
    deletion_protection = forms.ChoiceField(
        label="Deletion protection",
        choices=[("disabled", "Disabled"), ("enabled", "Enabled")],
        initial="disabled",
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        problems = service.validate_index_name(name)
        if problems:
            raise forms.ValidationError(problems)
        return name

    def clean_tags(self):
        text = self.cleaned_data["tags"]
        if not text.strip():
            return None
        tags = parse_tags(text)
        problems = service.validate_tags(tags)
        if problems:
            raise forms.ValidationError(problems)
        return tags


class JobNoteForm(forms.Form):
    # Drawn on every view of a job page, mostly empty or with the same note.
    default_renderer = WidgetsRemembered()
    text = forms.CharField(
        label="Incident reference or note",
        max_length=500,
        required=False,
        help_text="Shown on this page and carried in the Markdown line. Leave empty to remove it.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": "INC-1234: restoring after the bad deploy"}
        ),
    )

    def clean_text(self):
        # One line: it sits in the Markdown line and the Details card.
        return " ".join(self.cleaned_data["text"].split())


class CreateBackupForm(forms.Form):
    name = forms.CharField(label="Backup name", max_length=100, required=False)
    description = forms.CharField(
        label="Description",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeleteBackupForm(forms.Form):
    # Not stripped nor capped: a name with edge spaces or of any length must be typable as it is.
    confirm = forms.CharField(label="Type the backup's name (or its id) to confirm", strip=False)
    what = "backup"

    def __init__(self, *args, expected: str, backup_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected
        self.backup_id = backup_id

    def clean_confirm(self):
        if self.cleaned_data["confirm"] not in (self.expected, self.backup_id):
            raise forms.ValidationError(
                f"Type “{self.expected}” exactly, or the {self.what} id {self.backup_id}, to delete this {self.what}."
            )
        return self.cleaned_data["confirm"]


class RestoreBeforeForm(forms.Form):
    """A point in time to restore an index to, read on the server so the page works without JavaScript."""

    before = forms.CharField(
        label="Time",
        max_length=40,
        widget=forms.TextInput(
            attrs={"placeholder": "2026-11-25 14:30", "autocomplete": "off", "spellcheck": "false", "size": 18}
        ),
    )
    tz = forms.ChoiceField(label="in", choices=[("utc", "UTC"), ("local", "my local time")], required=False)
    # Minutes east of UTC at that time, sent by the page's script when local time is chosen.
    offset = forms.IntegerField(
        required=False, min_value=-MAX_OFFSET_MINUTES, max_value=MAX_OFFSET_MINUTES, widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean() or {}
        if "before" not in data:
            return data
        local = data.get("tz") == "local"
        if local and data.get("offset") is None and not _WRITTEN_ZONE.search(data["before"]):
            raise forms.ValidationError(
                "Your browser did not send its time zone (is JavaScript off?). "
                "Enter the time in UTC, or add its offset, e.g. 2026-11-25 14:30+01:00."
            )
        try:
            data["moment"] = parse_moment(data["before"], data.get("offset") if local else None, timezone.now())
        except BadMoment as problem:
            self.add_error("before", str(problem))
        return data


class DeleteScheduleForm(DeleteBackupForm):
    confirm = forms.CharField(label="Type the schedule's name (or its id) to confirm", strip=False)
    what = "schedule"

    def __init__(self, *args, expected: str, schedule_id: str, **kwargs):
        super().__init__(*args, expected=expected, backup_id=schedule_id, **kwargs)


class ScheduleForm(forms.Form):
    """Create (with a name) or change (frequency and retention) a backup schedule."""

    name = forms.CharField(
        label="Schedule name",
        max_length=100,
        help_text="1–45 lowercase letters, digits and '-'. Its backups are named “name-20261125T020000Z”.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    frequency = forms.ChoiceField(
        label="Frequency",
        choices=[("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")],
        error_messages={"invalid_choice": "A schedule runs daily, weekly or monthly, not “%(value)s”."},
        help_text="Pinecone picks the time of day; there is no cron expression.",
    )
    retention_days = forms.IntegerField(
        label="Keep each backup for (days)",
        error_messages={"invalid": "Enter the number of days as a whole number."},
    )

    def __init__(self, *args, project, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["retention_days"].help_text = (
            f"1 to {project.max_retention_days} days. Pinecone deletes each backup this schedule makes "
            "when its retention runs out."
        )
        if not creating:
            del self.fields["name"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        problems = service.validate_schedule(self.project, name=name)
        if problems:
            raise forms.ValidationError(problems)
        return name

    def clean_retention_days(self):
        days = self.cleaned_data["retention_days"]
        problems = service.validate_schedule(self.project, retention_days=days)
        if problems:
            raise forms.ValidationError(problems)
        return days
