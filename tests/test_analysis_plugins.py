"""Plugin hints: every rule in analysis/data/plugin_rules.toml has a case here."""

from __future__ import annotations

import textwrap

import pytest

from poncho.analysis import Kind, analyze_source
from poncho.analysis.rules import load_rules, parse_rules


def plugins(src: str) -> set[tuple[str, str | None]]:
    found, _ = analyze_source(textwrap.dedent(src), "settings.py")
    return {(s.module, s.distribution) for s in found if s.kind is Kind.PLUGIN}


CASES = {
    "sqlalchemy-engine-url": [
        # a bare dialect: one alternative per SQLAlchemy range (index_cache.conditions keeps one)
        ('import sqlalchemy\nsqlalchemy.create_engine("postgresql://u@h/db")', {("psycopg", None), ("psycopg2", None)}),
        ('import sqlalchemy as sa\nsa.create_engine("oracle://h")', {("oracledb", None), ("cx_Oracle", None)}),
        ('import os, sqlalchemy as sa\nsa.create_engine(os.getenv("X", "mysql+pymysql://h/db"))', {("pymysql", "PyMySQL")}),
        ('import os, sqlalchemy as sa\nsa.create_engine(os.environ.get("X", default="postgresql+psycopg2://h"))', {("psycopg2", None)}),
        ('from sqlalchemy import create_engine\ncreate_engine("postgresql+psycopg://h/db")', {("psycopg", None)}),
        ('import sqlalchemy as sa\nsa.create_engine("mysql+pymysql://h/db")', {("pymysql", "PyMySQL")}),
        ('import sqlalchemy as sa\nsa.create_engine("mysql://h/db")', {("MySQLdb", "mysqlclient")}),
        ('import sqlalchemy as sa\nsa.create_engine(url="mssql+pyodbc://dsn")', {("pyodbc", None)}),
        ('from sqlalchemy.ext.asyncio import create_async_engine\ncreate_async_engine("postgresql+asyncpg://h/db")', {("asyncpg", None)}),
        ('import sqlalchemy as sa\nDB = "oracle+oracledb"\nsa.create_engine(f"{DB}://{user}@h")', {("oracledb", None)}),
        ('import sqlalchemy as sa\nsa.create_engine("sqlite:///x.db")', set()),
    ],
    "sqlalchemy-config-url": [
        ('app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+pg8000://h/db"', {("pg8000", None)}),
        ('import os\nSQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "mysql+pymysql://h")', {("pymysql", "PyMySQL")}),
        ('app.config.update(SQLALCHEMY_DATABASE_URI="postgresql+asyncpg://h")', {("asyncpg", None)}),
        ('CONFIG = {"SQLALCHEMY_DATABASE_URI": "postgresql+pg8000://h"}', {("pg8000", None)}),
    ],
    "sqlalchemy-database-url": [
        ('import os, sqlalchemy\nDATABASE_URL = os.getenv("DATABASE_URL", "postgresql+psycopg://h/db")', {("psycopg", None)}),
        ('import os\nDATABASE_URL = os.getenv("DATABASE_URL", "postgresql+psycopg://h/db")', set()),  # no SQLAlchemy
    ],
    "pandas-parquet": [
        ('import pandas as pd\npd.read_parquet("x.parquet")', {("pyarrow", None)}),
        ('import pandas as pd\ndf.to_parquet("x.parquet")', {("pyarrow", None)}),
        ('import pandas as pd\npd.read_parquet("x", engine="fastparquet")', {("fastparquet", None)}),
    ],
    "pandas-feather-orc": [('import pandas as pd\npd.read_feather("x.feather")', {("pyarrow", None)})],
    "pandas-hdf": [('import pandas as pd\npd.read_hdf("x.h5")\ndf.to_hdf("y.h5", key="k")', {("tables", None)})],
    "pandas-html-xml": [('import pandas as pd\npd.read_html(page)', {("lxml", None)})],
    "pandas-markdown": [('import pandas as pd\ndf.to_markdown()', {("tabulate", None)})],
    "pandas-spss": [('import pandas as pd\npd.read_spss("x.sav")', {("pyreadstat", None)})],
    "pandas-gbq": [('import pandas as pd\npd.read_gbq("select 1")', {("pandas_gbq", "pandas-gbq")})],
    "pandas-excel-file": [
        ('import pandas as pd\npd.read_excel("book.xlsx")', {("openpyxl", None)}),
        ('import pandas as pd\npd.read_excel("old.xls")', {("xlrd", None)}),
        ('import pandas as pd\npd.read_excel(path)', {("openpyxl", None)}),
        ('import pandas as pd\ndf.to_excel("sheet.ods")', {("odf", "odfpy")}),
    ],
    "pandas-engine": [
        ('import pandas as pd\nwith pd.ExcelWriter("o.xlsx", engine="xlsxwriter") as w: pass', {("xlsxwriter", None)}),
        ('import pandas as pd\npd.read_csv("x.csv", engine="pyarrow")', {("pyarrow", None)}),
        ('import pandas as pd\npd.read_csv("x.csv", engine="c")', set()),
    ],
    "pandas-dtype-backend": [('import pandas as pd\npd.read_json("x.json", dtype_backend="pyarrow")', {("pyarrow", None)})],
    "pandas-sql-url": [('import pandas as pd\npd.read_sql("select 1", "postgresql+psycopg2://h/db")', {("psycopg2", None), ("sqlalchemy", None)})],
    "pandas-sql-url-sqlalchemy": [('import pandas as pd\npd.read_sql_table("t", con="sqlite:///x.db")', {("sqlalchemy", None)})],
    "pandas-remote-path": [
        ('import pandas as pd\npd.read_csv("s3://bucket/x.csv")', {("s3fs", None)}),
        ('import pandas as pd\ndf.to_parquet("gs://b/x.parquet")', {("gcsfs", None), ("pyarrow", None)}),
    ],
    "django-dotted-settings": [
        ('INSTALLED_APPS = ["django.contrib.admin", "rest_framework", "myapp.apps.MyAppConfig"]',
         {("django.contrib.admin", None), ("rest_framework", None), ("myapp.apps", None)}),
        ('BASE = ["corsheaders"]\nINSTALLED_APPS = BASE + ["debug_toolbar"]', {("corsheaders", None), ("debug_toolbar", None)}),
        ('MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]', {("whitenoise.middleware", None)}),
        # settings built by mutation
        ('MIDDLEWARE = []\nMIDDLEWARE.append("whitenoise.middleware.WhiteNoiseMiddleware")', {("whitenoise.middleware", None)}),
        ('INSTALLED_APPS = []\nINSTALLED_APPS += ["corsheaders", "django_extensions"]', {("corsheaders", None), ("django_extensions", None)}),
        ('MIDDLEWARE.insert(0, "corsheaders.middleware.CorsMiddleware")', {("corsheaders.middleware", None)}),
        ('settings.INSTALLED_APPS.extend(["rest_framework", "debug_toolbar"])', {("rest_framework", None), ("debug_toolbar", None)}),
        ('def f():\n    INSTALLED_APPS.append("silk")', {("silk", None)}),
        ('DEFAULT_FILE_STORAGE = "storages.backends.s3boto3.S3Boto3Storage"', {("storages.backends.s3boto3", "django-storages[s3]")}),
    ],
    "django-backends": [
        ('DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "db"}}', {("psycopg", None), ("psycopg2", None)}),
        ('DATABASES = {"default": {"ENGINE": "django.db.backends.mysql"}}', {("MySQLdb", "mysqlclient")}),
        ('CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://x"}}', {("django_redis.cache", None)}),
        ('DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql_psycopg2"}}', {("psycopg2", None)}),
        ('import os\nDATABASES = {"default": {"ENGINE": os.environ.get("DB_ENGINE", "django.db.backends.mysql")}}', {("MySQLdb", "mysqlclient")}),
        # written by subscript, an extras case
        ('STORAGES["default"]["BACKEND"] = "storages.backends.s3boto3.S3Storage"', {("storages.backends.s3boto3", "django-storages[s3]")}),
        ('STORAGES["staticfiles"] = {"BACKEND": "storages.backends.gcloud.GoogleCloudStorage"}', {("storages.backends.gcloud", "django-storages[google]")}),
        ('STORAGES = {"default": {"BACKEND": "storages.backends.s3.S3Storage"}}', {("storages.backends.s3", "django-storages[s3]")}),
        ('CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"', {("redis", None)}),
    ],
    "django-engine-setting": [('EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"', {("anymail.backends.mailgun", None)})],
    "django-database-url": [
        ('import dj_database_url\nDATABASES = {"default": dj_database_url.config(default="mysql://u@h/db")}', {("MySQLdb", "mysqlclient")}),
        ('import dj_database_url\ndj_database_url.parse("postgres://h/db")', {("psycopg", None), ("psycopg2", None)}),
    ],
    "django-database-url-setting": [
        ('import os, django\nDATABASE_URL = os.environ.get("DATABASE_URL", "oracle://h")', {("oracledb", None)}),
    ],
    "pandas-latex": [('import pandas as pd\ndf.to_latex()', {("jinja2", None)})],
    "pandas-to-xarray": [('import pandas as pd\ndf.to_xarray()', {("xarray", None)})],
    "dask-sql": [('import dask.dataframe as dd\ndd.read_sql_table("t", "sqlite:///x.db", index_col="i")', {("sqlalchemy", None)})],
    "dask-orc": [('import dask.dataframe as dd\ndd.read_orc("x.orc")', {("pyarrow", None)})],
    "dask-bag-avro": [('import dask.bag as db\ndb.read_avro("x.avro")', {("fastavro", None)})],
    "dask-array-zarr": [('import dask.array as da\nda.to_zarr(x, "o.zarr")\nda.from_zarr("i.zarr")', {("zarr", None)})],
    "dask-array-hdf5": [('import dask.array as da\nda.to_hdf5("o.h5", "/x", x)', {("h5py", None)})],
    "xarray-zarr": [
        ('import xarray as xr\nds.to_zarr("out.zarr")', {("zarr", None)}),
        ('import xarray as xr\nxr.open_zarr("in.zarr")', {("zarr", None)}),
    ],
    "xarray-mfdataset": [('import xarray as xr\nxr.open_mfdataset("d/*.nc", engine="h5netcdf")', {("dask", None), ("h5netcdf", None)})],
    "xarray-engine": [
        ('import xarray as xr\nxr.open_dataset("x", engine="netcdf4")', {("netCDF4", "netCDF4")}),
        ('import xarray as xr\nds.to_netcdf("o.nc", engine="h5netcdf")', {("h5netcdf", None)}),
        ('import xarray as xr\nxr.open_dataset("x", engine="cfgrib")', {("cfgrib", None)}),
        ('import xarray as xr\nxr.open_dataset("x", engine="rasterio")', {("rioxarray", None)}),
    ],
    "xarray-open-file": [
        ('import xarray as xr\nxr.open_dataset("data/t2m.nc")', {("netCDF4", "netCDF4")}),
        ('import xarray as xr\nxr.load_dataset("era5.grib")', {("cfgrib", None)}),
    ],
    "xarray-to-netcdf": [
        ('import xarray as xr\nds.to_netcdf("out.nc")', {("netCDF4", "netCDF4")}),
        ('import xarray as xr\nds.to_netcdf()', set()),  # no path: bytes, written by scipy
        ('ds.to_netcdf("out.nc")', set()),  # no xarray imported
    ],
    "pytest-plugins": [
        ('pytest_plugins = ["pytest_asyncio", "tests.fixtures"]', {("pytest_asyncio", None), ("tests.fixtures", None)}),
        ('pytest_plugins = "pytest_mock"', {("pytest_mock", None)}),
    ],
    "matplotlib-backend": [
        ('import matplotlib\nmatplotlib.use("QtAgg")', {("PyQt6", None)}),
        ('import matplotlib as mpl\nmpl.use("Qt5Agg")', {("PyQt5", None)}),
        ('import matplotlib\nmatplotlib.use("GTK3Cairo")', {("gi", "PyGObject"), ("cairo", "pycairo")}),
        ('import matplotlib\nmatplotlib.use("module://mplcairo.qt")', {("mplcairo.qt", None)}),
        ('import matplotlib.pyplot as plt\nplt.switch_backend("WebAgg")', {("tornado", None)}),
        ('import matplotlib\nmatplotlib.use("Agg")', set()),
    ],
    "matplotlib-rc-backend": [('import matplotlib\nmatplotlib.rcParams["backend"] = "ipympl"', {("ipympl", None)})],
    "celery-app-urls": [
        ('from celery import Celery\napp = Celery("t", broker="redis://localhost:6379/0")', {("redis", None)}),
        ('from celery import Celery\napp = Celery("t", broker="amqp://guest@localhost//")', {("amqp", None)}),
    ],
    "celery-backend-url": [('import celery\napp = celery.Celery("t", backend="db+postgresql+psycopg2://h/db")', {("sqlalchemy", None), ("psycopg2", None)})],
    "kombu-connection-url": [('from kombu import Connection\nConnection("mongodb://h/db")', {("pymongo", None)})],
    "celery-conf-update": [('import celery\napp.conf.update(broker_url="rediss://h")', {("redis", None)})],
    "celery-conf-update-backend": [('import celery\napp.conf.update(result_backend="elasticsearch://h")', {("elasticsearch", None)})],
    "celery-broker-setting": [
        ('broker_url = "sqs://"', {("boto3", None), ("pycurl", None), ("urllib3", None)}),
        ('CELERY_BROKER_URL = "redis://h"', {("redis", None)}),
        ('app.conf.broker_url = "zookeeper://h"', {("kazoo", None)}),
    ],
    "celery-backend-setting": [('result_backend = "mongodb://h"', {("pymongo", None)})],
}


def test_every_rule_has_a_case():
    assert {r.id for r in load_rules().rules} == set(CASES)


@pytest.mark.parametrize("rule, src, expected", [(r, s, e) for r, cases in CASES.items() for s, e in cases],
                         ids=lambda v: v if isinstance(v, str) and "\n" not in v and len(v) < 40 else None)
def test_rule(rule, src, expected):
    assert plugins(src) == expected


def test_plugin_sites_name_their_rule_and_marker():
    found, _ = analyze_source('broker_url = "sqs://"\n', "celeryconfig.py")
    curl = next(s for s in found if s.module == "pycurl")
    assert curl.rule == "celery-broker-setting" and "win32" in curl.marker and "sqs://" in curl.note


def test_method_rules_need_the_library_imported():
    assert plugins('df.to_parquet("x.parquet")') == set()  # no pandas/dask/modin/geopandas anywhere


def test_url_falls_back_to_dialect_when_driver_unknown():
    assert plugins('import sqlalchemy as sa\nsa.create_engine("mysql+unknowndrv://h")') == {("MySQLdb", "mysqlclient")}


def test_rules_parse_strings_and_tables():
    rs = parse_rules('version = 2\n[[call]]\nid = "x"\nfunctions = ["lib.f"]\nneeds = ["a", { module = "b", distribution = "B" }]\n')
    assert rs.version.startswith("2-") and [n.module for n in rs.rules[0].needs] == ["a", "b"]
