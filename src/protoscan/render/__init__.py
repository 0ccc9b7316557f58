"""Presentation only: terminal tables and self-contained HTML pages built from library results."""
