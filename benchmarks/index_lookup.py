"""Load the shipped import index and map 200 imports: how long does it take?

    python benchmarks/index_lookup.py [--rounds 20]

Each round builds a fresh ``ShippedIndex`` (so the file is read and split
again) and maps 200 dotted imports: known ones, deep submodules, namespace
packages and unknown names. The OS file cache is warm after the first round;
"warm" is the median of the later rounds, the target is < 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

from poncho.index_cache import Mapper, ShippedIndex

KNOWN = """yaml PIL.Image sklearn.linear_model cv2 google.cloud.storage.blob google.protobuf.message
azure.storage.blob jwt Crypto.Cipher.AES OpenSSL.crypto zmq magic docx dateutil.parser attr bs4 slugify
socketio rest_framework.views skimage.io nacl.signing numpy pandas scipy.stats matplotlib.pyplot torch.nn
tensorflow.keras boto3 botocore.exceptions jinja2 markupsafe requests.adapters urllib3 certifi idna
charset_normalizer typing_extensions setuptools pkg_resources six pydantic pygments click cffi grpc anyio
s3transfer h11 pytest annotated_types fsspec httpx httpcore s3fs platformdirs dotenv pathspec rich jmespath
markdown_it aiohttp filelock importlib_metadata yarl starlette multidict jsonschema zipp uvicorn wheel
google.auth.transport.requests googleapiclient.discovery azure.identity sqlalchemy.orm psycopg2.extras
pymysql redis pymongo celery flask django.db.models fastapi werkzeug.utils lxml.etree openpyxl
ruamel.yaml tqdm colorama psutil paramiko websocket serial kafka nltk transformers huggingface_hub
xgboost seaborn plotly networkx sympy pyarrow.parquet polars dask.dataframe joblib IPython tornado.web
gevent pytz babel arrow marshmallow mypy black coverage hypothesis faker docker kubernetes.client
github git sentry_sdk prometheus_client opentelemetry.sdk.trace structlog loguru typer tenacity
cachetools asyncpg aiofiles httplib2 oauthlib rsa Cryptodome.Cipher wrapt decorator more_itertools
toolz sortedcontainers pexpect xmltodict defusedxml pyparsing virtualenv Cython shap optuna mlflow
onnxruntime torchvision.transforms openai anthropic langchain_core selenium.webdriver scrapy
fitz pypdf reportlab snowflake.connector pyspark.sql sqlparse alembic elasticsearch duckdb pyodbc
oracledb hydra omegaconf""".split()
UNKNOWN = [f"first_party_{i}.sub" for i in range(200)]


def one_round(modules: list[str]) -> float:
    t0 = time.perf_counter()
    mapper = Mapper([ShippedIndex()])
    for m in modules:
        mapper.map(m)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    modules = (KNOWN + UNKNOWN)[:200]
    index = ShippedIndex()
    t0 = time.perf_counter()
    rows = len(index)
    load = (time.perf_counter() - t0) * 1000
    resolved = sum(Mapper([index]).map(m).resolved for m in modules)
    times = [one_round(modules) for _ in range(args.rounds)]
    print(f"shipped index: {rows} rows, {index.path.stat().st_size / 1e6:.2f} MB ({index.path})")
    print(f"first load: {load:.1f} ms; {resolved}/{len(modules)} imports resolved")
    print(f"load + map {len(modules)} imports: first round {times[0]:.1f} ms, "
          f"warm median {statistics.median(times[1:]):.1f} ms, min {min(times):.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
