"""The application for RQ jobs run by a plain ``rq worker`` (one without an application
context): built from the environment, the settings the web application reads, once per
process. ``flask ... worker`` commands run jobs inside their own application instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, has_app_context

T = TypeVar("T")

_apps: list[Flask] = []


def worker_app() -> Flask:
    if not _apps:
        from app.factory import create_app

        _apps.append(create_app())
    return _apps[0]


def in_app_context(function: Callable[[], T]) -> T:
    """``function()`` in the current application context, or in the worker's application."""
    if has_app_context():
        return function()
    with worker_app().app_context():
        return function()
