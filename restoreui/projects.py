"""Which Pinecone projects this dashboard serves: short name -> key, host, API version.

Three ways to configure, first match wins:
1. RESTOREUI_PROJECTS_FILE names a TOML file with one [projects.NAME] table each.
2. PINECONE_API_KEY (and optionally PINECONE_CONTROLLER_HOST, PINECONE_API_VERSION,
   RESTOREUI_PROJECT_NAME) configures one project.
3. Neither: demo mode, one project named "local" served by the embedded emulator.
"""

import os
import re
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from restoreui import env
from restoreui.notifications.targets import Target, parse_targets

DEFAULT_HOST = "https://api.pinecone.io"
DEFAULT_API_VERSION = "2026-07"
API_VERSIONS = ("2025-04", "2025-10", "2026-04", "2026-07")
EMULATOR_API_KEY = "local-emulator-key"
EMULATOR_URL = "http://127.0.0.1:5081"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
HOST_RE = re.compile(r"^https?://[^\s/?#]+(:\d+)?/?$")
ENVIRONMENT_RE = re.compile(r"^[a-z]{1,20}$")
PRODUCTION = "production"


@dataclass(frozen=True)
class Project:
    name: str
    api_key: str = field(repr=False)
    host: str = DEFAULT_HOST
    api_version: str = DEFAULT_API_VERSION
    # Who may write: "user:NAME" and "group:NAME" entries (a bare NAME, the old
    # form, matches a user or a group of that name); empty means the "operators" group.
    operators: frozenset[str] = frozenset()
    read_only: bool = False
    emulated: bool = False
    # The longest retention a backup schedule may have (the project's max_backup_retention_days).
    max_retention_days: int = 365
    # Webhooks told when restore jobs end: see restoreui.notifications.
    notify: tuple[Target, ...] = ()
    # A short word such as production, staging or dev; write buttons name it, production gets a banner.
    environment: str = ""

    def __post_init__(self):
        where = f"project {self.name!r}"
        if not NAME_RE.match(self.name):
            raise ImproperlyConfigured(f"{where}: names are 1-40 lowercase letters, digits, '-' or '_'")
        if not self.api_key:
            raise ImproperlyConfigured(f"{where}: no API key configured")
        if not HOST_RE.match(self.host):
            raise ImproperlyConfigured(f"{where}: host {self.host!r} must look like https://api.pinecone.io")
        if self.api_version not in API_VERSIONS:
            raise ImproperlyConfigured(
                f"{where}: API version {self.api_version!r} is not one of {', '.join(API_VERSIONS)}"
            )
        if self.environment and not ENVIRONMENT_RE.match(self.environment):
            raise ImproperlyConfigured(
                f"{where}: environment {self.environment!r} must be one short lowercase word, "
                "such as production, staging or dev"
            )
        object.__setattr__(self, "host", self.host.rstrip("/"))

    @property
    def reports_deleted_sources(self) -> bool:
        """Backups say when their source index was deleted (source_index_deleted_at) from 2026-07 on."""
        return self.api_version >= "2026-07"

    @property
    def production(self) -> bool:
        return self.environment == PRODUCTION


def _from_table(name: str, table: dict) -> Project:
    known = {
        "api_key",
        "api_key_env",
        "api_key_file",
        "host",
        "api_version",
        "operators",
        "read_only",
        "notify",
        "max_retention_days",
        "environment",
    }
    unknown = set(table) - known
    if unknown:
        raise ImproperlyConfigured(f"project {name!r}: unknown keys {', '.join(sorted(unknown))}")
    if "api_key_env" in table:
        api_key = os.environ.get(table["api_key_env"], "")
        if not api_key:
            raise ImproperlyConfigured(f"project {name!r}: environment variable {table['api_key_env']} is empty")
    elif "api_key_file" in table:
        try:
            api_key = Path(table["api_key_file"]).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"project {name!r}: api_key_file: {e.strerror}") from e
    else:
        api_key = table.get("api_key", "")
    operators = table.get("operators", [])
    read_only = table.get("read_only", False)
    if not isinstance(operators, list) or not all(isinstance(o, str) for o in operators):
        raise ImproperlyConfigured(f"project {name!r}: operators must be a list of names")
    for entry in operators:
        kind, sep, who = entry.partition(":")
        if not sep:
            warnings.warn(
                f"project {name!r}: operators entry {entry!r} matches a user or a group of that name; "
                f"write 'user:{entry}' or 'group:{entry}' (bare names will stop being accepted)",
                FutureWarning,
                stacklevel=2,
            )
        elif kind not in ("user", "group") or not who:
            raise ImproperlyConfigured(
                f"project {name!r}: operators entry {entry!r} must be 'user:NAME' or 'group:NAME'"
            )
    if not isinstance(read_only, bool):
        raise ImproperlyConfigured(f"project {name!r}: read_only must be true or false")
    max_retention = table.get("max_retention_days", 365)
    if type(max_retention) is not int or max_retention < 1:
        raise ImproperlyConfigured(f"project {name!r}: max_retention_days must be a whole number of days, 1 or more")
    environment = table.get("environment", "")
    if not isinstance(environment, str):
        raise ImproperlyConfigured(f'project {name!r}: environment must be a word in quotes, such as "production"')
    return Project(
        name=name,
        api_key=api_key,
        host=table.get("host", DEFAULT_HOST),
        api_version=table.get("api_version", DEFAULT_API_VERSION),
        operators=frozenset(operators),
        read_only=read_only,
        max_retention_days=max_retention,
        notify=parse_targets(name, table.get("notify", {})),
        environment=environment,
    )


def load_from_environment() -> tuple[dict[str, Project], bool]:
    """Return (projects by name, demo mode). Called once from settings."""
    path = os.environ.get("RESTOREUI_PROJECTS_FILE")
    if path:
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as e:
            raise ImproperlyConfigured(f"RESTOREUI_PROJECTS_FILE={path!r}: {e.strerror}") from e
        except tomllib.TOMLDecodeError as e:
            raise ImproperlyConfigured(f"RESTOREUI_PROJECTS_FILE={path!r} is not valid TOML: {e}") from e
        tables = data.get("projects")
        if not isinstance(tables, dict) or not tables:
            raise ImproperlyConfigured(f"RESTOREUI_PROJECTS_FILE={path!r} has no [projects.NAME] tables")
        return {name: _from_table(name, t) for name, t in tables.items()}, False

    api_key = env.get("PINECONE_API_KEY")
    if api_key:
        project = Project(
            name=os.environ.get("RESTOREUI_PROJECT_NAME", "default"),
            api_key=api_key,
            host=os.environ.get("PINECONE_CONTROLLER_HOST", DEFAULT_HOST),
            api_version=os.environ.get("PINECONE_API_VERSION", DEFAULT_API_VERSION),
        )
        return {project.name: project}, False

    project = Project(
        name="local",
        api_key=os.environ.get("RESTOREUI_EMULATOR_KEY", EMULATOR_API_KEY),
        host=os.environ.get("RESTOREUI_EMULATOR_URL", EMULATOR_URL),
        api_version=os.environ.get("PINECONE_API_VERSION", DEFAULT_API_VERSION),
        emulated=True,
    )
    return {project.name: project}, True


def all_projects() -> dict[str, Project]:
    return settings.RESTOREUI_PROJECTS


def get_project(name: str) -> Project | None:
    return settings.RESTOREUI_PROJECTS.get(name)
