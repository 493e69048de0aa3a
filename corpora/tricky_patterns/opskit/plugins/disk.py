from ..storage import paths


def store(key, data):
    paths.ensure(key).write_bytes(data)
