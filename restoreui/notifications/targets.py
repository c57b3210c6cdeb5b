"""Notification targets from the projects file: [projects.NAME.notify.TARGET].

A webhook URL lets anyone who has it post to the channel, so it is a secret: it
is read from an environment variable or a file only, never from the projects
file itself (often a ConfigMap or checked in), and no message names it.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KINDS = ("slack", "webhook")
EVENTS = ("restore_failed", "scheduled_backup_failed")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
URL_RE = re.compile(r"^https?://[^\s/?#]+")


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    url: str = field(repr=False)
    # Project-wide events this target hears, besides the jobs it is subscribed to.
    events: frozenset[str] = frozenset()


def parse_targets(project_name: str, tables) -> tuple[Target, ...]:
    """The [projects.PROJECT.notify.*] tables as targets; a bad one stops the start."""
    if not isinstance(tables, dict):
        raise ImproperlyConfigured(f"project {project_name!r}: notify must be a table of [notify.NAME] tables")
    return tuple(_target(f"project {project_name!r}: notify target {name!r}", name, t) for name, t in tables.items())


def _target(where: str, name: str, table) -> Target:
    if not NAME_RE.match(name):
        raise ImproperlyConfigured(f"{where}: names are 1-40 lowercase letters, digits, '-' or '_'")
    if not isinstance(table, dict):
        raise ImproperlyConfigured(f"{where}: must be a table with kind and url_env or url_file")
    unknown = set(table) - {"kind", "url_env", "url_file", "events"}
    if "url" in unknown:
        raise ImproperlyConfigured(
            f"{where}: a webhook URL is a secret and is not accepted in the projects file; "
            "put it in an environment variable named by url_env, or a file named by url_file"
        )
    if unknown:
        raise ImproperlyConfigured(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    kind = table.get("kind")
    if kind not in KINDS:
        raise ImproperlyConfigured(f"{where}: kind must be one of {', '.join(KINDS)}")
    events = table.get("events", [])
    if not isinstance(events, list) or not set(events) <= set(EVENTS) or not all(isinstance(e, str) for e in events):
        raise ImproperlyConfigured(f"{where}: events must be a list of {', '.join(EVENTS)}")
    return Target(name=name, kind=kind, url=_url(where, table), events=frozenset(events))


def _url(where: str, table: dict) -> str:
    if ("url_env" in table) == ("url_file" in table):
        raise ImproperlyConfigured(f"{where}: give exactly one of url_env and url_file")
    if "url_env" in table:
        source = f"environment variable {table['url_env']}"
        url = os.environ.get(str(table["url_env"]), "").strip()
    else:
        source = f"url_file {table['url_file']!r}"
        try:
            url = Path(str(table["url_file"])).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{where}: {source} cannot be read: {e.strerror}") from e
    if not url:
        raise ImproperlyConfigured(f"{where}: {source} is empty")
    if not URL_RE.match(url) or any(c.isspace() for c in url):
        # The value is a secret: say where it came from, never what it is.
        raise ImproperlyConfigured(f"{where}: {source} does not hold an http:// or https:// URL")
    return url


def find(project, name: str) -> Target | None:
    return next((t for t in project.notify if t.name == name), None)
