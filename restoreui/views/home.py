from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from restoreui.projects import all_projects
from restoreui.views.common import project_or_404

ONE_YEAR = 365 * 24 * 3600


@require_GET
def home(request):
    projects = all_projects()
    if len(projects) == 1:
        return redirect("jobs-list", next(iter(projects)))
    return render(request, "home.html", {"projects": projects.values()})


@require_GET
def project_home(request, project_name):
    return redirect("jobs-list", project_or_404(project_name).name)


@require_POST
def prefs_timezone(request):
    """UTC or the browser's local time; UTC is the default so times match incident timelines."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    tz = "local" if request.POST.get("tz") == "local" else "utc"
    response.set_cookie("tz", tz, max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure(), httponly=True)
    return response
