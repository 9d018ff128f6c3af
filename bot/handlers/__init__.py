"""Thin handlers, one module per role; each exposes register(app)."""
