from django.contrib.auth.views import LoginView
from django.urls import include, path

from bench.bare import views

urlpatterns = [
    # Django's own login and authentication backend, in place of the dashboard's.
    path("login/", LoginView.as_view()),
    # The dashboard's own paths, so every link and URL the pages print is the same.
    path("p/<slug:project_name>/jobs/", views.jobs_list),
    path("p/<slug:project_name>/jobs/<str:job_id>/", views.jobs_detail),
    # The dashboard's URL names, so its templates can link as they do there.
    path("", include("restoreui.urls")),
]
