from django.urls import include, path

from bench.bare import views

urlpatterns = [
    path("bare/jobs/", views.jobs_list),
    path("bare/jobs/<str:job_id>/", views.jobs_detail),
    # The dashboard's URL names, so its templates can link as they do there.
    path("", include("restoreui.urls")),
]
