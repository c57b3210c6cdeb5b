from django.conf import settings

from restoreui.permissions import is_operator
from restoreui.projects import all_projects


def restoreui(request):
    projects = all_projects()
    return {
        "demo_mode": settings.DEMO,
        "projects": projects.values(),
        # Pages outside a project (audit, errors) link to the first one.
        "default_project": next(iter(projects.values()), None),
        # Called by the template only when it renders the link: one query, not one per page.
        "show_audit": lambda: request.user.is_authenticated and is_operator(request.user),
    }
