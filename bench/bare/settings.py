"""Django's project-template defaults with the dashboard's templates: no cache, no service calls.

Only what rendering the same pages needs is added to the defaults: the template
settings, the apps that own template tags, one project to name, the CSP nonce, and the
dashboard's static files and database, whose session and user Django's own middleware reads.
"""

import os

from restoreui import settings as dashboard
from restoreui.projects import Project

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
DEMO = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "restoreui",
]
# The middleware `django-admin startproject` writes.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Not a default, but the pages carry its nonce on their scripts.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]
SECURE_CSP = dashboard.SECURE_CSP
ROOT_URLCONF = "bench.bare.urls"
TEMPLATES = dashboard.TEMPLATES
# The dashboard's database settings (its persistent connections too): both read the same session and user.
DATABASES = dashboard.DATABASES
USE_TZ = True
TIME_ZONE = "UTC"
# The dashboard's collected files and their hashed names.
STATIC_URL = dashboard.STATIC_URL
STATIC_ROOT = dashboard.STATIC_ROOT
STORAGES = dashboard.STORAGES
RESTOREUI_PROJECTS = {"bench": Project(name="bench", api_key="unused", host="http://127.0.0.1:9")}
# Read by the write buttons' check, which the pages share.
RESTOREUI_READ_ONLY = False
