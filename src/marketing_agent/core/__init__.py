"""Shared foundations: settings, database, clock, errors, logging, auth primitives, crypto.

`core` imports no business module; every module may import `core`.
"""
