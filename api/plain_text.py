"""Text no database stores: NUL characters and unpaired UTF-16 surrogates.

PostgreSQL refuses NUL in text and neither database nor a JSON answer can encode a lone surrogate, so a
request carrying either would fail deep inside (a 5xx) instead of being refused as input. JSON writes
them as escapes (\\u0000, \\ud800), which a scan of the raw bytes finds before anything is parsed.
"""

from __future__ import annotations

import re

_ESCAPED = rb'(?<!\\)(?:\\\\)*\\u'  # a \u escape (not an escaped backslash followed by "u")
_UNSTORABLE = re.compile(
    _ESCAPED
    + rb'(?:0000|[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2}))'  # NUL, or a lone high half
    + rb'|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})'
    + _ESCAPED
    + rb'[dD][c-fC-F][0-9a-fA-F]{2}'  # a lone low half
    + rb'|\xed[\xa0-\xbf][\x80-\xbf]'  # a surrogate written as raw UTF-8 bytes
)
_NUL_IN_URL = re.compile(rb'%00|\x00')


def unstorable_body(body: bytes) -> bool:
    # Every match holds a \u escape or the byte 0xED: a body with neither (nearly all) is not scanned by the
    # pattern, whose lookbehinds at every position cost about 1 ms per 250 KB batch, on the event loop.
    if b'\\u' not in body and b'\xed' not in body:
        return False
    return _UNSTORABLE.search(body) is not None


def unstorable_url(scope: dict) -> bool:
    raw_path = scope.get('raw_path') or scope.get('path', '').encode()
    return _NUL_IN_URL.search(raw_path) is not None or _NUL_IN_URL.search(scope.get('query_string', b'')) is not None
