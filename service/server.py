"""Run the app under uvicorn, accepting request lines with raw UTF-8 in the target.

``curl '127.0.0.1:8000/answer?q=开餐馆需要什么材料'`` sends the Chinese query as raw UTF-8 bytes
instead of percent-encoding it (browsers and HTTP libraries encode it). Both of uvicorn's
HTTP parsers (httptools, h11) reject such a request line with "400 Invalid HTTP request".
:class:`Utf8TargetHttpToolsProtocol` percent-encodes the non-ASCII bytes of a request
target before the parser sees it — exactly what curl would have sent with ``--data-urlencode``
— and changes nothing else.
"""
from __future__ import annotations

import re

_REQUEST_LINE = re.compile(rb"(?m)^([A-Z]{3,7} )([^ \r\n]*[\x80-\xff][^ \r\n]*)( HTTP/1\.[01]\r?$)")
_HIGH = re.compile(rb"[\x80-\xff]")


def quote_raw_targets(data: bytes) -> bytes:
    """Percent-encode bytes >= 0x80 in the targets of request lines found in ``data``."""
    if not _HIGH.search(data):
        return data
    return _REQUEST_LINE.sub(
        lambda m: m[1] + _HIGH.sub(lambda b: b"%%%02X" % b[0][0], m[2]) + m[3], data)


def _protocol_class():
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # httptools missing: uvicorn's pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base

    class Utf8TargetProtocol(Base):
        def data_received(self, data: bytes) -> None:
            super().data_received(quote_raw_targets(data))

    return Utf8TargetProtocol


def uvicorn_config(app, **kwargs):
    """uvicorn's Config for ``app`` with the UTF-8-tolerant protocol (used by ``serve`` and the tests)."""
    import uvicorn

    return uvicorn.Config(app, http=_protocol_class(), **kwargs)


def serve(app, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.Server(uvicorn_config(app, host=host, port=port, workers=1)).run()
