"""Operations toolkit: reports, storage sync, background jobs."""

from .compat import json, tomllib  # noqa: F401
from .report import weekly_report  # noqa: F401

__all__ = ["weekly_report"]
