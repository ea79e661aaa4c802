"""``flask seed-demo``: a small believable world for newcomers."""

from flask import Flask


def register(app: Flask) -> None:
    pass
