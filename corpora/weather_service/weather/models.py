import datetime as dt

import attr
from dateutil import tz


@attr.s(frozen=True, slots=True)
class Reading:
    station = attr.ib(type=str)
    observed_at = attr.ib(type=dt.datetime)
    temperature_c = attr.ib(type=float)
    pressure_hpa = attr.ib(type=float, default=None)

    def local_time(self, zone="UTC"):
        return self.observed_at.astimezone(tz.gettz(zone))
