"""`acme-telemetry run`: sample, export and store until interrupted."""

from __future__ import annotations

import time
from pathlib import Path

import click

from acme.telemetry import collect
from acme.telemetry.config import load_settings
from acme.telemetry.exporter import publish, serve
from acme.telemetry.storage import History


@click.group()
def main() -> None:
    """Host telemetry for the acme fleet."""


@main.command()
@click.option("--config", type=click.Path(path_type=Path), default=None)
@click.option("--once", is_flag=True, help="take one sample and exit")
def run(config: Path | None, once: bool) -> None:
    settings = load_settings(config)
    history = History(settings.database)
    serve(settings.port)
    while True:
        sample = collect(settings.collectors)
        publish(sample)
        history.store(sample)
        click.echo(f"{sample.host}: {len(sample.values)} metrics")
        if once:
            return
        time.sleep(settings.interval)
