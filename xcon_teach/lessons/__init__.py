"""Lesson helpers: small, pure functions that the notebooks call so their cells stay short."""
