_STORE = {}


def store(key, data):
    _STORE[key] = data
