"""Image handlers: resize uploads into thumbnails; report an image's size and format."""

from __future__ import annotations

import io
import urllib.parse

from PIL import Image, ImageOps

from .common import aws_client, env, json_response, logger, request_body

SIZES = {"thumb": (128, 128), "small": (480, 480), "medium": (1024, 1024)}


def _resized(data: bytes, size: tuple[int, int]) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        im = ImageOps.exif_transpose(im)
        im.thumbnail(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        im.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
        return out.getvalue()


def resize_image(event, context):
    """S3 put event -> one resized copy per configured size in the output bucket."""
    s3 = aws_client("s3")
    target = env("OUTPUT_BUCKET")
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        for label, size in SIZES.items():
            s3.put_object(Bucket=target, Key=f"{label}/{key}", Body=_resized(original, size),
                          ContentType="image/jpeg")
        logger.info("resized s3://%s/%s into %d sizes", bucket, key, len(SIZES))
    return {"resized": len(event["Records"])}


def image_info(event, context):
    """API Gateway: POST an image, get its format, mode and size back."""
    with Image.open(io.BytesIO(request_body(event))) as im:
        return json_response(200, {"format": im.format, "mode": im.mode, "width": im.width, "height": im.height})
