import sqlite3
from contextlib import closing

from ..models import Reading

SCHEMA = """
create table if not exists readings (
    station text not null,
    observed_at text not null,
    temperature_c real not null,
    pressure_hpa real,
    primary key (station, observed_at)
)
"""


class ReadingStore:
    def __init__(self, path):
        self.conn = sqlite3.connect(str(path))
        with closing(self.conn.cursor()) as cur:
            cur.execute(SCHEMA)

    def add(self, reading: Reading):
        with self.conn:
            self.conn.execute(
                "insert or replace into readings values (?, ?, ?, ?)",
                (reading.station, reading.observed_at.isoformat(), reading.temperature_c, reading.pressure_hpa),
            )

    def daily_means(self, station):
        from .stats import daily_means

        rows = self.conn.execute(
            "select observed_at, temperature_c from readings where station = ?", (station,)
        ).fetchall()
        return daily_means(rows)
