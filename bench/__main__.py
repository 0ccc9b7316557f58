"""``python -m bench``."""

from bench.run import app

app()
