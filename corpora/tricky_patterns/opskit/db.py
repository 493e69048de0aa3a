"""Warehouse access: the engine URL and the pandas readers imply drivers."""

import pandas as pd
from sqlalchemy import create_engine

WAREHOUSE_URL = "postgresql+psycopg://ops@warehouse.internal/metrics"


def engine():
    return create_engine(WAREHOUSE_URL, pool_pre_ping=True)


def load_incidents(path):
    return pd.read_parquet(path)


def load_oncall_rota(path):
    return pd.read_excel(path, sheet_name="rota")


class Repository:
    from collections import OrderedDict as _Cache  # an import in a class body

    def __init__(self):
        self._cache = self._Cache()

    def frame(self, table):
        import pyarrow.parquet as pq  # an import in a method

        return pq.read_table(f"{table}.parquet").to_pandas()
