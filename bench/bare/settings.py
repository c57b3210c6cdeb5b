"""Django's project-template defaults with the dashboard's templates: no auth, no cache, no service calls.

Only what rendering the same templates needs is added to the defaults: the
template settings, the apps that own template tags, and one project to name.
"""

import os

import dj_database_url

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
]
ROOT_URLCONF = "bench.bare.urls"
TEMPLATES = dashboard.TEMPLATES
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
RESTOREUI_PROJECTS = {"bench": Project(name="bench", api_key="unused", host="http://127.0.0.1:9")}
