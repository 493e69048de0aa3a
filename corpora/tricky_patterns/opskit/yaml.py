"""Helpers around PyYAML. This module's name does not hide the real `yaml`:
inside a package, `import yaml` is absolute and finds the distribution."""

import yaml


def load_file(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)
