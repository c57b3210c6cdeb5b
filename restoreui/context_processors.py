from django.conf import settings

from restoreui.projects import all_projects


def restoreui(request):
    return {"demo_mode": settings.DEMO, "projects": all_projects().values()}
