"""``protoscan serve``: screen a draft in the browser (FastAPI app, Jinja2 page)."""

from protoscan.web.app import DEFAULT_MAX_BYTES, create_app

__all__ = ["DEFAULT_MAX_BYTES", "create_app"]
