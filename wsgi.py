"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

import gc

from app import create_app
from app.core.memory import limit_malloc_arenas

# Before the server starts its threads (app/core/memory.py).
limit_malloc_arenas()

app = create_app()

# What start-up built (modules, the application, its configuration) lives as long as the process:
# the garbage collector leaves it out of its full collections, which otherwise walk it all again
# (177 ms once in 15 pages in bench/RESULTS.md, finding 10; 25 ms with it left out).
gc.freeze()
