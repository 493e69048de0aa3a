import logging
import re

import requests
from bs4 import BeautifulSoup
from dateutil.parser import parse as parse_time
from requests.adapters import HTTPAdapter

from .auth import sign_request
from .models import Reading

log = logging.getLogger(__name__)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class StationClient:
    def __init__(self, settings):
        self.settings = settings
        self.session = requests.Session()
        self.session.mount("https://", HTTPAdapter(max_retries=3))

    def page(self, station):
        url = f"{self.settings.base_url}/stations/{station}"
        headers = {"Authorization": sign_request(self.settings.token_secret, station)}
        resp = self.session.get(url, headers=headers, timeout=self.settings.timeout)
        resp.raise_for_status()
        return resp.text

    def readings(self, station):
        soup = BeautifulSoup(self.page(station), "html.parser")
        for row in soup.select("table.observations tr[data-time]"):
            cells = [c.get_text(strip=True) for c in row.find_all("td")]
            if len(cells) < 2:
                continue
            temp = NUMBER.search(cells[0])
            if temp is None:
                log.warning("station %s: unparsable row %r", station, cells)
                continue
            yield Reading(station, parse_time(row["data-time"]), float(temp.group()))
