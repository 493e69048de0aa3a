"""The shipped index against what a person expects: real import paths -> distributions.

Checked against the committed ``index_cache/data/import-index.tsv`` alone
(no overrides, no environment, no network). At least 98% must be right, and
every miss is printed, so a rebuilt index that regresses shows exactly where.
"""

from __future__ import annotations

import pytest
from packaging.utils import canonicalize_name

from poncho.index_cache import Mapper, ShippedIndex

EXPECTED = """
yaml PyYAML
PIL.Image Pillow
sklearn.linear_model scikit-learn
cv2 opencv-python
google.cloud.storage google-cloud-storage
google.protobuf.message protobuf
azure.storage.blob azure-storage-blob
jwt PyJWT
Crypto.Cipher.AES pycryptodome
OpenSSL.SSL pyOpenSSL
zmq pyzmq
magic python-magic
docx python-docx
dateutil.parser python-dateutil
attr attrs
attrs attrs
bs4 beautifulsoup4
slugify python-slugify
socketio python-socketio
engineio python-engineio
rest_framework.views djangorestframework
skimage.io scikit-image
nacl.signing PyNaCl
numpy numpy
pandas pandas
scipy.stats scipy
matplotlib.pyplot matplotlib
mpl_toolkits.mplot3d matplotlib
torch.nn torch
tensorflow tensorflow
boto3 boto3
botocore.exceptions botocore
jinja2 Jinja2
markupsafe MarkupSafe
requests requests
urllib3 urllib3
certifi certifi
idna idna
charset_normalizer charset-normalizer
typing_extensions typing-extensions
setuptools setuptools
pkg_resources setuptools
six six
pydantic pydantic
pydantic_core pydantic-core
pygments.lexers Pygments
click click
cffi cffi
_cffi_backend cffi
pycparser pycparser
grpc grpcio
anyio anyio
s3transfer s3transfer
h11 h11
pytest pytest
_pytest.fixtures pytest
annotated_types annotated-types
fsspec fsspec
httpx httpx
httpcore httpcore
platformdirs platformdirs
dotenv python-dotenv
pathspec pathspec
rich.console rich
jmespath jmespath
markdown_it markdown-it-py
aiohttp aiohttp
filelock filelock
importlib_metadata importlib-metadata
yarl yarl
starlette starlette
multidict multidict
jsonschema jsonschema
zipp zipp
uvicorn uvicorn
wheel wheel
google.auth.transport.requests google-auth
google.oauth2.service_account google-auth
google.api_core.exceptions google-api-core
googleapiclient.discovery google-api-python-client
google.cloud.bigquery google-cloud-bigquery
google.cloud.pubsub google-cloud-pubsub
google.cloud.secretmanager google-cloud-secret-manager
google.cloud.firestore google-cloud-firestore
google.api.annotations_pb2 googleapis-common-protos
google_auth_oauthlib google-auth-oauthlib
azure.core.exceptions azure-core
azure.identity azure-identity
azure.keyvault.secrets azure-keyvault-secrets
azure.cosmos azure-cosmos
azure.servicebus azure-servicebus
azure.mgmt.compute azure-mgmt-compute
azure.functions azure-functions
sqlalchemy.orm SQLAlchemy
psycopg psycopg
pymysql PyMySQL
MySQLdb mysqlclient
redis redis
pymongo pymongo
celery celery
kombu kombu
flask Flask
django.db.models Django
fastapi fastapi
werkzeug.utils Werkzeug
itsdangerous itsdangerous
gunicorn gunicorn
lxml.etree lxml
openpyxl openpyxl
xlrd xlrd
xlsxwriter XlsxWriter
docutils docutils
sphinx Sphinx
markdown Markdown
toml toml
tomli tomli
tomlkit tomlkit
ruamel.yaml ruamel.yaml
simplejson simplejson
ujson ujson
orjson orjson
msgpack msgpack
regex regex
tqdm tqdm
colorama colorama
termcolor termcolor
tabulate tabulate
psutil psutil
paramiko paramiko
websocket websocket-client
websockets websockets
serial pyserial
usb pyusb
jose python-jose
passlib passlib
bcrypt bcrypt
argon2 argon2-cffi
cryptography.fernet cryptography
ldap3 ldap3
confluent_kafka confluent-kafka
pika pika
nltk nltk
spacy spacy
gensim gensim
transformers transformers
tokenizers tokenizers
datasets datasets
huggingface_hub huggingface-hub
safetensors safetensors
accelerate accelerate
keras keras
tensorboard tensorboard
xgboost xgboost
lightgbm lightgbm
catboost catboost
statsmodels.api statsmodels
seaborn seaborn
plotly.express plotly
bokeh bokeh
dash dash
streamlit streamlit
gradio gradio
networkx networkx
sympy sympy
numba numba
llvmlite llvmlite
pyarrow.parquet pyarrow
polars polars
dask.dataframe dask
distributed distributed
joblib joblib
threadpoolctl threadpoolctl
cloudpickle cloudpickle
PyQt5.QtWidgets PyQt5
gi PyGObject
cairo pycairo
pygame pygame
shapely.geometry shapely
pyproj pyproj
geopandas geopandas
rasterio rasterio
netCDF4 netCDF4
h5py h5py
Bio biopython
astropy astropy
IPython IPython
ipykernel ipykernel
jupyter_core jupyter-core
nbformat nbformat
traitlets traitlets
tornado.web tornado
twisted Twisted
gevent gevent
greenlet greenlet
grpc_tools grpcio-tools
pytz pytz
tzdata tzdata
tzlocal tzlocal
babel Babel
dateparser dateparser
arrow arrow
pendulum pendulum
humanize humanize
emoji emoji
unidecode Unidecode
chardet chardet
ftfy ftfy
html5lib html5lib
bleach bleach
mistune mistune
jsonpointer jsonpointer
jsonpatch jsonpatch
marshmallow marshmallow
cattrs cattrs
mypy_extensions mypy-extensions
mypy mypy
black black
isort isort
flake8 flake8
pylint pylint
pycodestyle pycodestyle
pyflakes pyflakes
coverage coverage
pytest_cov pytest-cov
pytest_mock pytest-mock
xdist pytest-xdist
hypothesis hypothesis
mock mock
faker Faker
factory factory-boy
responses responses
requests_mock requests-mock
vcr vcrpy
freezegun freezegun
moto moto
docker docker
kubernetes.client kubernetes
gitlab python-gitlab
github PyGithub
git GitPython
hvac hvac
sentry_sdk sentry-sdk
ddtrace ddtrace
prometheus_client prometheus-client
opentelemetry.sdk.trace opentelemetry-sdk
opentelemetry.trace opentelemetry-api
opentelemetry.exporter.otlp.proto.grpc opentelemetry-exporter-otlp-proto-grpc
structlog structlog
loguru loguru
typer typer
fire fire
docopt docopt
tenacity tenacity
backoff backoff
cachetools cachetools
diskcache diskcache
asyncpg asyncpg
aiofiles aiofiles
httplib2 httplib2
oauthlib oauthlib
requests_oauthlib requests-oauthlib
rsa rsa
pyasn1 pyasn1
ecdsa ecdsa
Cryptodome.Cipher pycryptodomex
jwcrypto jwcrypto
email_validator email-validator
phonenumbers phonenumbers
pycountry pycountry
isodate isodate
deprecated Deprecated
wrapt wrapt
decorator decorator
more_itertools more-itertools
toolz toolz
sortedcontainers sortedcontainers
frozenlist frozenlist
aiosignal aiosignal
async_timeout async-timeout
sniffio sniffio
exceptiongroup exceptiongroup
trio trio
pexpect pexpect
ptyprocess ptyprocess
sh sh
invoke invoke
xmltodict xmltodict
defusedxml defusedxml
jsonpath_ng jsonpath-ng
pyparsing pyparsing
antlr4 antlr4-python3-runtime
packaging.version packaging
distlib distlib
virtualenv virtualenv
tox tox
pre_commit pre-commit
identify identify
nodeenv nodeenv
setuptools_scm setuptools-scm
Cython Cython
pybind11 pybind11
imblearn imbalanced-learn
umap umap-learn
shap shap
optuna optuna
mlflow mlflow
wandb wandb
onnx onnx
onnxruntime onnxruntime
torchvision.transforms torchvision
torchaudio torchaudio
timm timm
einops einops
sentencepiece sentencepiece
tiktoken tiktoken
openai openai
anthropic anthropic
langchain langchain
langchain_core langchain-core
llama_index.core llama-index-core
chromadb chromadb
faiss faiss-cpu
selenium.webdriver selenium
playwright.sync_api playwright
scrapy Scrapy
pyautogui PyAutoGUI
win32api pywin32
win32com.client pywin32
pythoncom pywin32
pywintypes pywin32
serial.tools.list_ports pyserial
kafka.consumer kafka-python
psycopg2.extras psycopg2
bson.objectid pymongo
gi.repository PyGObject
databricks.sql databricks-sql-connector
telegram.ext python-telegram-bot
discord discord.py
pynput pynput
reportlab reportlab
fitz PyMuPDF
pdfminer pdfminer.six
PyPDF2 PyPDF2
pypdf pypdf
pytesseract pytesseract
qrcode qrcode
pyperclip pyperclip
keyring keyring
secretstorage SecretStorage
jeepney jeepney
smart_open smart-open
fastavro fastavro
snowflake.connector snowflake-connector-python
databricks.sdk databricks-sdk
pyspark.sql pyspark
py4j py4j
sqlparse sqlparse
alembic alembic
peewee peewee
mongoengine mongoengine
elasticsearch elasticsearch
opensearchpy opensearch-py
cassandra cassandra-driver
neo4j neo4j
influxdb_client influxdb-client
clickhouse_connect clickhouse-connect
duckdb duckdb
pyodbc pyodbc
oracledb oracledb
pymssql pymssql
ldap python-ldap
fastjsonschema fastjsonschema
cerberus Cerberus
voluptuous voluptuous
decouple python-decouple
dynaconf dynaconf
hydra hydra-core
omegaconf omegaconf
"""

TABLE = [tuple(line.split()) for line in EXPECTED.strip().splitlines()]
THRESHOLD = 0.98


def test_table_is_big_enough():
    assert len(TABLE) >= 150
    assert len({m for m, _ in TABLE}) == len(TABLE)


def test_accuracy_against_the_shipped_index():
    mapper = Mapper([ShippedIndex()])
    misses = []
    for module, expected in TABLE:
        got = mapper.map(module)
        if got.distribution is None or canonicalize_name(got.distribution) != canonicalize_name(expected):
            misses.append(f"{module}: expected {expected}, got {got.distribution} ({got.reason})")
    right = len(TABLE) - len(misses)
    report = f"{right}/{len(TABLE)} right ({right / len(TABLE):.1%}); misses:\n  " + "\n  ".join(misses)
    print(report)  # shown with -rA; the misses are also in the failure message
    assert right / len(TABLE) >= THRESHOLD, report


@pytest.mark.parametrize("module, expected, alternatives", [
    ("cv2", "opencv-python", {"opencv-python-headless", "opencv-contrib-python"}),
])
def test_ambiguous_names_explain_the_alternatives(module, expected, alternatives):
    m = ShippedIndex().lookup(module)
    assert m.distribution == expected
    assert alternatives <= set(m.alternatives)
    assert f"--map {module}=DIST" in m.reason
