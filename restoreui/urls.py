from django.contrib.auth import views as auth_views
from django.urls import path

from restoreui.login import ThrottledAuthenticationForm
from restoreui.views import audit, health

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("audit/", audit.audit, name="audit"),
]
