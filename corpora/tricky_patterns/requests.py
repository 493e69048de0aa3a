"""A local stand-in for the HTTP client (vendored to avoid a dependency).

Because this file sits at the top of the source root, `import requests`
anywhere in this program means *this* module, as Python would resolve it.
"""

import json
import urllib.request


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode())
