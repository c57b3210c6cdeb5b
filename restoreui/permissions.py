"""Who may change things in a project. Every logged-in user may read.

Writers are superusers and the operators a project names ("user:NAME" and
"group:NAME" entries; a bare NAME, the deprecated form, matches either); a
project that names none is written by the group "operators". The
switch RESTOREUI_READ_ONLY=1 and a project's own read_only flag refuse every
write, even a superuser's, so an incident freeze holds for everyone.
"""

from django.conf import settings

from restoreui.projects import Project, all_projects

OPERATORS_GROUP = "operators"


def _group_names(user) -> frozenset[str]:
    # Pages check several buttons per request; ask the database once.
    if not hasattr(user, "_restoreui_groups"):
        user._restoreui_groups = frozenset(user.groups.values_list("name", flat=True))
    return user._restoreui_groups


def _is_operator_of(user, project: Project) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if project.operators:
        groups = _group_names(user)
        return any(_names(entry, user.username, groups) for entry in project.operators)
    return OPERATORS_GROUP in _group_names(user)


def _names(entry: str, username: str, groups: frozenset[str]) -> bool:
    kind, sep, name = entry.partition(":")
    if not sep:
        return entry == username or entry in groups
    return name == username if kind == "user" else name in groups


def write_refusal_reason(user, project: Project) -> str | None:
    """The sentence to show instead of a write button, or None when USER may write."""
    if settings.RESTOREUI_READ_ONLY:
        return "restoreui is in read-only mode"
    if project.read_only:
        return f"Project '{project.name}' is read-only"
    if not _is_operator_of(user, project):
        return f"You need the operator role for project '{project.name}'"
    return None


def operated_projects(user) -> list[str]:
    """Names of the projects USER operates (read-only switches aside): whose audit entries they read."""
    return [name for name, project in all_projects().items() if _is_operator_of(user, project)]


def is_operator(user) -> bool:
    """Operator of at least one project: may read the audit log (of those projects)."""
    return bool(operated_projects(user))
