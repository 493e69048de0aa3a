from pathlib import Path

from ..config import Settings  # noqa: F401  (re-exported for callers)
from . import palette


def radar_thumbnail(source, out_dir, size=(256, 256)):
    from PIL import Image, ImageOps

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as img:
        thumb = ImageOps.contain(img.convert("RGB"), size)
        thumb = palette.apply(thumb)
        target = out_dir / (Path(source).stem + ".png")
        thumb.save(target)
    return target
