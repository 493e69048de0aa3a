"""Type-only imports: needed by the type checker, never at run time."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from mypy_boto3_s3 import S3Client


def describe(frame: "pd.DataFrame", client: "S3Client | None" = None) -> str:
    return f"{len(frame)} rows" + (" (remote)" if client else "")
