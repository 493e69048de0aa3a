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
