from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from restoreui.models import Preference
from restoreui.projects import all_projects


@require_GET
def home(request):
    projects = all_projects()
    if len(projects) == 1:
        return redirect("jobs-list", next(iter(projects)))
    return render(request, "home.html", {"projects": projects.values()})


@require_POST
def prefs_timezone(request):
    """UTC or the browser's local time; UTC is the default so times match incident timelines."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    choice = Preference.TimeZone.LOCAL if request.POST.get("tz") == "local" else Preference.TimeZone.UTC
    Preference.objects.update_or_create(user=request.user, defaults={"time_zone": choice})
    request.session["tz"] = choice.value
    return HttpResponseRedirect(target)


def remember_preferences(sender, request, user, **kwargs):
    """On login, copy the stored choices into the session so pages need no query for them."""
    preference = Preference.objects.filter(user=user).first()
    request.session["tz"] = preference.time_zone if preference else Preference.TimeZone.UTC.value
