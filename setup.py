"""Map the repository's top-level folders onto the ``privsplit.*`` import namespace.

``edge/`` is ``privsplit.edge``, ``cloud/`` is ``privsplit.cloud`` and so on; ``privsplit``
itself is an implicit namespace package. Packages are discovered, so a new sub-package
needs no edit here. Works for ``pip install .`` and ``pip install -e .``.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
TOP_LEVEL = ("shared", "edge", "cloud", "client", "cli")


def _discover() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for top in TOP_LEVEL:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT)
            name = "privsplit." + ".".join(rel.parts)
            packages.append(name)
            package_dir[name] = rel.as_posix()
    return packages, package_dir


packages, package_dir = _discover()
setup(packages=packages, package_dir=package_dir)
