"""Django settings for the opskit dashboard."""

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "corsheaders",
    "opskit",
]

ROOT_URLCONF = "opskit.urls"

# Settings built by mutation, and back ends chosen through the environment with a default.
import os  # noqa: E402

MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
if os.environ.get("OPSKIT_STATIC") != "nginx":
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
INSTALLED_APPS += ["django_extensions"]

STORAGES = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}  # needs django-storages[s3]

DATABASES = {"default": {"ENGINE": os.environ.get("OPSKIT_DB_ENGINE", "django.db.backends.postgresql")}}
