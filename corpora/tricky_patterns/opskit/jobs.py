"""Background jobs on Celery with a Redis broker."""

from celery import Celery

app = Celery("opskit", broker="redis://localhost:6379/0")


@app.task
def compress(path):
    codec = lambda: __import__("lz4.frame")  # noqa: E731 - imported lazily by the worker
    return codec().frame.compress(open(path, "rb").read())
