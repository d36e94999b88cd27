"""Run the app under uvicorn: raw UTF-8 in request targets, and a deadline for every request head.

``curl '127.0.0.1:8000/answer?q=开餐馆需要什么材料'`` sends the Chinese query as raw UTF-8 bytes
instead of percent-encoding it (browsers and HTTP libraries encode it). Both of uvicorn's HTTP parsers
(httptools, h11) reject such a request line with "400 Invalid HTTP request". The connection's protocol
percent-encodes the non-ASCII bytes of each request *target* before the parser sees them — exactly what
curl would have sent with ``--data-urlencode`` — and changes nothing else.

To touch request lines only, :class:`RequestLineRewriter` follows the request framing of the
connection's byte stream across reads (request line, header lines, a ``Content-Length`` or chunked
body, trailers, the next request): bodies and headers pass through byte for byte, and a request line
split over two reads (even inside a character) is rewritten the same. Framing it cannot follow with
certainty (an unreadable ``Content-Length``, a transfer coding other than chunked, an upgrade) stops
all rewriting on that connection: the parser refuses such a request anyway.

No uvicorn setting bounds the time a client may take to send a request head, so 300 sockets that
trickle a byte a second hold the server. The protocol arms a deadline (``header_timeout``, setting
``GOVSEARCH_HEADER_TIMEOUT``) when a connection opens and when the first byte of a later request
arrives, and disarms it when the head is complete; when it passes, the client gets 408 and the
connection is closed (a response still being computed on that connection is finished first). Idle
keep-alive connections are closed by uvicorn's own ``timeout_keep_alive``.
"""
from __future__ import annotations

import logging

log = logging.getLogger("govsearch.service")

DEFAULT_HEADER_TIMEOUT = 10.0
MAX_LINE = 64 * 1024  # a request, header or chunk-size line longer than this: stop following the framing

_START, _LINE, _HEADERS, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _LOST = range(9)
_HEX = frozenset(b"0123456789abcdefABCDEF")

_TIMEOUT_BODY = b"the request head did not arrive in time; send the whole head at once"
REQUEST_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY))


class RequestLineRewriter:
    """Percent-encodes bytes >= 0x80 in the targets of a connection's request lines, and nothing else.

    ``feed(data) -> bytes`` is called with each read, in order; the concatenated output is what the
    parser sees. It never holds bytes back: each byte is passed on (or encoded) as soon as it arrives.
    ``head_started`` / ``head_complete`` count the request heads begun and finished; ``lost`` is True once
    the framing could not be followed (nothing is rewritten after that)."""

    def __init__(self) -> None:
        self.state = _START
        self.part = 0  # in a request line: 0 method, 1 target, 2 version
        self.line_len = 0
        self.line = bytearray()  # the header / chunk-size line being read (to find the framing)
        self.headers: list[bytes] = []
        self.remaining = 0
        self.head_started = 0
        self.head_complete = 0

    @property
    def lost(self) -> bool:
        return self.state == _LOST

    @property
    def in_head(self) -> bool:
        """Whether a request head has begun and not yet been completely received."""
        return self.state in (_LINE, _HEADERS)

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        i, n = 0, len(data)
        while i < n:
            st = self.state
            if st == _LOST:
                out += data[i:]
                break
            if st == _START:  # blank lines before a request are allowed (RFC 9112 2.2)
                b = data[i]
                if b in (0x0D, 0x0A):
                    out.append(b)
                    i += 1
                    continue
                self.state, self.part, self.line_len = _LINE, 0, 0
                self.head_started += 1
                continue
            if st == _LINE:
                i = self._request_line(data, i, out)
                continue
            if st == _BODY or st == _CHUNK_DATA:
                take = min(self.remaining, n - i)
                out += data[i:i + take]
                i += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = _START if st == _BODY else _CHUNK_END
                continue
            # a line whose content decides the framing: headers, chunk sizes, chunk ends, trailers
            j = data.find(b"\n", i)
            end = n if j < 0 else j + 1
            out += data[i:end]
            if len(self.line) + end - i > MAX_LINE:
                self.state = _LOST
                out += data[end:]
                break
            self.line += data[i:end]
            i = end
            if j >= 0:
                line, self.line = bytes(self.line), bytearray()
                self._line(line)
        return bytes(out)

    def _request_line(self, data: bytes, i: int, out: bytearray) -> int:
        n = len(data)
        while i < n:
            b = data[i]
            i += 1
            self.line_len += 1
            if b == 0x0A:
                self.state, self.headers = _HEADERS, []
                out.append(b)
                return i
            if b == 0x20 and self.part < 2:
                self.part += 1
            if b >= 0x80 and self.part == 1:
                out += b"%%%02X" % b
            else:
                out.append(b)
            if self.line_len > MAX_LINE:
                self.state = _LOST
                out += data[i:]
                return n
        return i

    def _line(self, line: bytes) -> None:
        st = self.state
        text = line.rstrip(b"\r\n")
        if st == _HEADERS:
            if text:
                if text[:1] in (b" ", b"\t"):  # obsolete line folding: the parser refuses it
                    self.state = _LOST
                else:
                    self.headers.append(text)
                return
            self.head_complete += 1
            self.state = self._after_head()
        elif st == _CHUNK_SIZE:
            size = text.split(b";", 1)[0].strip(b" \t")
            if not size or len(size) > 16 or not all(c in _HEX for c in size):
                self.state = _LOST
            elif int(size, 16) == 0:
                self.state = _TRAILERS
            else:
                self.state, self.remaining = _CHUNK_DATA, int(size, 16)
        elif st == _CHUNK_END:
            self.state = _CHUNK_SIZE if not text else _LOST
        elif st == _TRAILERS and not text:
            self.state = _START

    def _after_head(self) -> int:
        lengths, codings, upgrade = set(), [], False
        for h in self.headers:
            name, sep, value = h.partition(b":")
            if not sep:
                return _LOST
            name, value = name.strip().lower(), value.strip(b" \t")
            if name == b"content-length":
                lengths.update(v.strip() for v in value.split(b","))
            elif name == b"transfer-encoding":
                codings += [c.strip().lower() for c in value.split(b",")]
            elif name == b"upgrade":
                upgrade = True
        if upgrade:
            return _LOST
        if codings:
            return _CHUNK_SIZE if codings == [b"chunked"] and not lengths else _LOST
        if not lengths:
            return _START
        if len(lengths) != 1:
            return _LOST
        (length,) = lengths
        if not length.isdigit() or len(length) > 18:
            return _LOST
        self.remaining = int(length)
        return _BODY if self.remaining else _START


def quote_raw_targets(data: bytes) -> bytes:
    """``data`` (the start of one connection's stream) with raw UTF-8 in its request targets encoded."""
    return RequestLineRewriter().feed(data)


def _protocol_class(header_timeout: float = DEFAULT_HEADER_TIMEOUT):
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # httptools missing: uvicorn's pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base

    class GovsearchProtocol(Base):
        """uvicorn's HTTP/1.1 protocol with request targets made ASCII and a deadline per request head."""

        def connection_made(self, transport) -> None:
            self._rewriter = RequestLineRewriter()
            self._head_timer = None
            super().connection_made(transport)
            self._arm()  # the first head must arrive in time, even if no byte ever does

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            rw = self._rewriter
            done = rw.head_complete
            data = rw.feed(data)
            if rw.in_head:
                if self._head_timer is None or rw.head_complete != done:
                    self._disarm()
                    self._arm()  # a new head began: its own deadline
            elif rw.head_complete != done or rw.lost:
                self._disarm()
            super().data_received(data)

        def _arm(self) -> None:
            if header_timeout and header_timeout > 0:
                self._head_timer = self.loop.call_later(header_timeout, self._head_timed_out)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.transport is None or self.transport.is_closing():
                return
            log.debug("closing %s: no complete request head within %g s", self.client, header_timeout)
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete:
                cycle.keep_alive = False  # finish the response being computed, then close
                return
            self.transport.write(REQUEST_TIMEOUT_RESPONSE)
            self.transport.close()

    return GovsearchProtocol


def uvicorn_config(app, header_timeout: float | None = None, **kwargs):
    """uvicorn's Config for ``app`` with the protocol above (used by ``serve`` and the tests).
    ``header_timeout`` defaults to the app's settings (``GOVSEARCH_HEADER_TIMEOUT``)."""
    import uvicorn

    if header_timeout is None:
        settings = getattr(getattr(getattr(app, "state", None), "govsearch", None), "settings", None)
        header_timeout = getattr(settings, "header_timeout", DEFAULT_HEADER_TIMEOUT)
    return uvicorn.Config(app, http=_protocol_class(float(header_timeout)), **kwargs)


def serve(app, host: str = "127.0.0.1", port: int = 8000) -> None:
    import sys

    import uvicorn

    settings = getattr(getattr(getattr(app, "state", None), "govsearch", None), "settings", None)
    interval = getattr(settings, "switch_interval", None)
    if interval:
        sys.setswitchinterval(float(interval))

    uvicorn.Server(uvicorn_config(app, host=host, port=port, workers=1)).run()
