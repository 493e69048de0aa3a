"""Entry script: `python service.py config.yaml` runs one ingestion cycle."""

import argparse
import logging
import sys

from weather.config import load_settings
from weather.fetch import StationClient
from weather.store.db import ReadingStore
from weather.report.thumbs import radar_thumbnail


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    settings = load_settings(args.config)
    client = StationClient(settings)
    store = ReadingStore(settings.database)
    for station in settings.stations:
        for reading in client.readings(station):
            store.add(reading)
    if settings.radar_image:
        radar_thumbnail(settings.radar_image, settings.thumbnail_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
