"""Query-string filters for the job and backup tables.

Pinecone's list endpoints filter nothing, so the service module hands over the
whole (cached) list and the narrowing, sorting and paging happen here. Every
state lives in the query string so a filtered view can be shared.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import NoneType
from typing import Any, cast

from django import forms
from django.core.paginator import Paginator
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.utils.safestring import SafeString

from restoreui.pinecone import clock

JOB_STATES = [
    ("pending", "Pending"),
    ("running", "Running"),
    ("completed", "Completed"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
    ("unknown", "Other"),
]
BACKUP_STATES = [
    ("ready", "Ready"),
    ("initializing", "Initializing"),
    ("failed", "Failed"),
    ("unknown", "Other"),
]
SINCE = [("", "Any time"), ("1d", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days")]
PAGE_SIZES = [(25, "25"), (50, "50"), (100, "100")]
EPOCH = datetime.min.replace(tzinfo=UTC)


class WidgetsRemembered(DjangoTemplates):
    """Django's form renderer, remembering the HTML of each widget it has drawn, by all that the widget shows.

    A table page draws its filter form each time, mostly with the same few values, and drawing the form's ten
    widgets from Django's templates took a fifth of a warm table page.
    """

    def render(self, template_name, context, request=None):
        if request is None and template_name.startswith("django/forms/widgets/"):
            try:
                return _remembered(self, template_name, _key(context))
            except _Unkeyable:
                pass
        return super().render(template_name, context, request)


class _Unkeyable(Exception):
    pass


@lru_cache(maxsize=1024)
def _remembered(renderer: WidgetsRemembered, template_name: str, key) -> str:
    return DjangoTemplates.render(renderer, template_name, _unkeyed(key))


_PLAIN = (str, SafeString, int, float, bool, NoneType)


def _key(value):
    """VALUE as a hashable key that tells apart every two values a template could show differently: their types
    too (a SafeString is not escaped, a str is); _Unkeyable for anything but plain values, lists and dicts."""
    kind = type(value)
    if kind in _PLAIN:
        return (kind, value)
    if kind is list or kind is tuple:
        return (kind, tuple(map(_key, value)))
    if kind is dict:
        return (kind, tuple((name, _key(item)) for name, item in value.items()))
    raise _Unkeyable


def _unkeyed(key):
    kind, value = key
    if kind is list or kind is tuple:
        return kind(map(_unkeyed, value))
    if kind is dict:
        return {name: _unkeyed(item) for name, item in value}
    return value


class ListForm(forms.Form):
    """What every table shares: free text, created-since, sort, page size and page."""

    default_renderer = WidgetsRemembered()

    q = forms.CharField(required=False, max_length=200, label="Search")
    since = forms.ChoiceField(choices=SINCE, required=False, label="Created")
    before = forms.DateTimeField(
        required=False,
        label="Created before (UTC)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="e.g. the time an incident began",
    )
    size = forms.TypedChoiceField(choices=PAGE_SIZES, coerce=int, required=False, label="Per page")
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False)

    defaults = {"sort": "-created", "size": 25, "page": 1, "status": [], "since": "", "q": ""}
    # Each table's form names its filters and the sort key of each sortable column.
    FILTERS: tuple[str, ...] = ()
    SORT_KEYS: dict[str, Callable[..., Any]] = {}

    def value(self, name):
        """The cleaned value, or the default when it was missing or bad (the form shows why)."""
        self.is_valid()
        value = self.cleaned_data.get(name)
        return self.defaults.get(name) if value in (None, "", []) else value

    def filters_set(self) -> int:
        """How many filters narrow the table (sort and paging are not filters): the phone toggle shows it."""
        return sum(1 for name in self.FILTERS if self.value(name) not in (None, "", []))

    def paginate(self, items):
        page_number = self.value("page")
        paginator = Paginator(items, self.value("size"))
        page = paginator.get_page(page_number)
        page.numbers = list(  # type: ignore[attr-defined]  # the pager template reads it
            paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        )
        return page

    def canonical_query(self) -> str:
        """The query string without empty or default values: the URL to share."""
        query = cast(QueryDict, self.data).copy()
        for name in list(query):
            values = [v for v in query.getlist(name) if v != "" and v != str(self.defaults.get(name, ""))]
            if values:
                query.setlist(name, values)
            else:
                del query[name]
        return query.urlencode()

    def sort_headers(self) -> dict:
        """Per sortable column: the sort a click asks for and the aria-sort it has now."""
        current = self.value("sort")
        headers: dict[str, dict[str, str | None]] = {}
        for name in self.SORT_KEYS:
            first = name if name in ("name", "status") else f"-{name}"
            flipped = first[1:] if first.startswith("-") else f"-{first}"
            if current.lstrip("-") == name:
                aria = "descending" if current.startswith("-") else "ascending"
                headers[name] = {"link": flipped if current == first else first, "aria": aria}
            else:
                headers[name] = {"link": first, "aria": None}
        return headers

    def _by_creation(self, items):
        days = {"1d": 1, "7d": 7, "30d": 30}.get(self.value("since"))
        if days:
            # The clock the cached tables are kept by (see views.jobs._filter_key).
            cutoff = datetime.fromtimestamp(clock.now(), UTC) - timedelta(days=days)
            items = [i for i in items if i.created_at and i.created_at >= cutoff]
        before = self.value("before")
        if before:
            # The field is labelled UTC, whatever the server's own time zone.
            before = before.replace(tzinfo=UTC)
            items = [i for i in items if i.created_at and i.created_at < before]
        return items


class JobFilterForm(ListForm):
    FILTERS = ("status", "since", "before", "index", "source", "backup", "q")
    status = forms.MultipleChoiceField(choices=JOB_STATES, required=False, widget=forms.CheckboxSelectMultiple)
    index = forms.CharField(required=False, max_length=100, label="Target index")
    source = forms.CharField(required=False, max_length=100, label="Source index")
    backup = forms.CharField(required=False, max_length=100, label="Backup id")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("-created", "Newest first"),
            ("created", "Oldest first"),
            ("-completed", "Recently completed"),
            ("completed", "Completed longest ago"),
            ("-duration", "Longest first"),
            ("duration", "Shortest first"),
            ("status", "Status A–Z"),
            ("-status", "Status Z–A"),
        ],
    )
    SORT_KEYS = {
        "created": lambda j: j.created_at,
        "completed": lambda j: j.completed_at,
        "duration": lambda j: j.duration,
        "status": lambda j: (j.state, j.status),
    }

    def apply(self, jobs, backup_names: dict[str, str], source_indexes: dict[str, str]):
        states = set(self.value("status"))
        index = _part(self.value("index"))
        source = _part(self.value("source"))
        backup = self.value("backup")
        text = (self.value("q") or "").strip().lower()
        jobs = [
            j
            for j in self._by_creation(jobs)
            if (not states or j.state in states)
            and index(j.target_index_name)
            and source(source_indexes.get(j.backup_id, ""))
            and (not backup or j.backup_id == backup)
            and (
                not text
                or text in j.id.lower()
                or text in j.backup_id.lower()
                or text in j.target_index_name.lower()
                or text in j.target_index_id.lower()
                or text in backup_names.get(j.backup_id, "").lower()
            )
        ]
        return sort_items(jobs, self.value("sort"), self.SORT_KEYS)


class BackupFilterForm(ListForm):
    FILTERS = ("status", "index", "since", "before", "expires", "q")
    status = forms.MultipleChoiceField(choices=BACKUP_STATES, required=False, widget=forms.CheckboxSelectMultiple)
    index = forms.CharField(required=False, max_length=100, label="Source index")
    expires = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Expires within (days)",
        help_text="scheduled backups that retention deletes within this many days",
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("-created", "Newest first"),
            ("created", "Oldest first"),
            ("name", "Name A–Z"),
            ("-name", "Name Z–A"),
            ("-size", "Largest first"),
            ("size", "Smallest first"),
            ("-records", "Most records"),
            ("records", "Fewest records"),
            ("status", "Status A–Z"),
            ("-status", "Status Z–A"),
        ],
    )
    SORT_KEYS = {
        "created": lambda b: b.created_at,
        "name": lambda b: b.display_name.lower(),
        "size": lambda b: b.size_bytes,
        "records": lambda b: b.record_count,
        "status": lambda b: (b.state, b.status),
    }

    def apply(self, backups, expiries: dict | None = None):
        """EXPIRIES (backup id -> (schedule, expiry)) is needed only when `expires` is asked for."""
        days = self.value("expires")
        if days and expiries is not None:
            cutoff = datetime.now(UTC) + timedelta(days=days)
            backups = [b for b in backups if b.id in expiries and expiries[b.id][1] and expiries[b.id][1] <= cutoff]
        states = set(self.value("status"))
        index = self.value("index")
        text = (self.value("q") or "").strip().lower()
        backups = [
            b
            for b in self._by_creation(backups)
            if (not states or b.state in states)
            and (not index or b.source_index_name == index)
            and (
                not text
                or text in b.id.lower()
                or text in (b.name or "").lower()
                or text in (b.description or "").lower()
                or text in b.source_index_name.lower()
            )
        ]
        return sort_items(backups, self.value("sort"), self.SORT_KEYS)


def _part(wanted: str):
    """An index filter matches part of a name, so `products` finds `products-restore-1125`."""
    wanted = (wanted or "").strip().lower()
    return lambda name: wanted in name.lower()


def sort_items(items, sort: str, keys: dict):
    """Sort by the named key, items without a value last; ties keep the newest first."""
    descending = sort.startswith("-")
    key = keys[sort.lstrip("-")]
    items = sorted(items, key=lambda i: keys["created"](i) or EPOCH, reverse=True)
    known = [i for i in items if key(i) is not None]
    return sorted(known, key=key, reverse=descending) + [i for i in items if key(i) is None]
