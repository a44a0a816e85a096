"""The scan of request bodies for text no database stores (api/plain_text.py): its quick exit for bodies without
a \\u escape or a 0xED byte gives the pattern's answer on every body."""

import json

from hypothesis import given
from hypothesis import strategies as st

from api.plain_text import _UNSTORABLE, unstorable_body

PIECES = [b'\\u0000', b'\\ud800', b'\\udc00', b'\\ud83d\\ude00', b'\\\\u0000', b'\\\\', b'\\', b'u', b'0000',
          b'\xed\xa0\x80', b'\xed\x9f\xbf', b'\xed', b'"a"', b'{', b'}', b',', b'x']  # fmt: skip


@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_the_quick_exit_agrees_with_the_pattern(pieces):
    body = b''.join(pieces)
    assert unstorable_body(body) == (_UNSTORABLE.search(body) is not None)


def test_what_is_refused_and_what_passes():
    assert unstorable_body(json.dumps({'name': 'a\x00b'}).encode())
    assert unstorable_body(json.dumps({'name': '\ud800'}).encode())
    assert unstorable_body('{"name": "\ud800"}'.encode('utf-8', 'surrogatepass'))  # raw surrogate bytes
    assert not unstorable_body(json.dumps({'name': '😀 é'}).encode())  # a pair, escaped
    assert not unstorable_body(json.dumps({'name': '😀 é'}, ensure_ascii=False).encode())
    assert not unstorable_body(b'{"path": "C:\\\\u0000"}')  # an escaped backslash, then text
    big = json.dumps({'generations': [{'model': 'openai/gpt-4o-mini', 'external_id': f'x{i}'} for i in range(500)]})
    assert not unstorable_body(big.encode())
