"""History in a SQL database (SQLite by default) through SQLAlchemy Core."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine, insert

from .collector import Sample

metadata = MetaData()
samples = Table(
    "samples",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("host", String(255), nullable=False),
    Column("at", Float, nullable=False, index=True),
    Column("metric", String(64), nullable=False),
    Column("value", Float, nullable=False),
)


class History:
    def __init__(self, url: str):
        self.engine = create_engine(url, future=True)
        metadata.create_all(self.engine)

    def store(self, sample: Sample) -> int:
        rows = [{"host": sample.host, "at": sample.at, "metric": k, "value": v} for k, v in sample.values.items()]
        with self.engine.begin() as conn:
            conn.execute(insert(samples), rows)
        return len(rows)
