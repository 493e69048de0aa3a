"""Bucket sync: three levels of relative imports and a star import."""

from ...opskit.compat import json  # noqa: F401 - resolves above the package: reported, not fatal
from ..yaml import load_file
from .paths import *  # noqa: F401,F403


def sync_bucket(url, config="sync.yaml"):
    import boto3.s3.transfer as transfer

    options = load_file(config)
    client = boto3_client()
    return transfer.S3Transfer(client).upload_file(options["source"], url.split("/")[2], "daily")


def boto3_client():
    import boto3

    return boto3.client("s3")
