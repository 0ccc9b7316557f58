"""The one Jinja2 environment behind every HTML page protoscan writes or serves.

Templates live in ``protoscan/render/templates``; autoescaping is on for all of them, so
text from a document is escaped wherever it lands. ``screen --html``, the web app's page and
``report --html`` all render through ``render_page``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["CONTENT_SECURITY_POLICY", "environment", "render_page"]

#: Pages are self-contained: inline styles and scripts, images as data URLs, and requests
#: only to the page's own origin (the web app's API). Sent as a header by the web app and
#: repeated in each page's ``<meta>``.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'"
)


@cache
def environment() -> Environment:
    """The shared environment (built once): autoescape, strict undefined, trimmed blocks."""
    env = Environment(
        loader=PackageLoader("protoscan.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # ``tojson`` keeps the report's own key order and its Swedish letters.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    return env


def render_page(template: str, **context: Any) -> str:
    """Render one of the package's templates with ``context``."""
    return environment().get_template(template).render(**context)
