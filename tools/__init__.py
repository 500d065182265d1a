"""Maintainer tools run from the repository root (``make student``, ``make notebooks``); not installed."""
