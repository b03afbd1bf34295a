"""WSGI entry point: ``gunicorn wsgi:app`` in production, ``flask --app wsgi ...`` for the CLI.

This is the only module that builds the application at import time.
"""

from app import create_app

app = create_app()
