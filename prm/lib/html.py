"""Rich text that people type (registration guidelines, ...), cleaned to an allow-list with nh3
(the Rust ammonia sanitizer): formatting and links survive; scripts, styles (the CSP refuses inline
styles anyway), event handlers, iframes and ``javascript:`` links do not."""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "blockquote", "a"}
)
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize_html(text: str) -> str:
    """``text`` with only the allowed tags, attributes and link schemes; links get
    ``rel="noopener noreferrer nofollow"``. Idempotent: cleaning clean HTML changes nothing."""
    return nh3.clean(
        text or "",
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
