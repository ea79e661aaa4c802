"""``flask create-admin``."""

import click
from flask import Flask


def register(app: Flask) -> None:
    pass
