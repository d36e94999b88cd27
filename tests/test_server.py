"""The server's byte-level front: raw UTF-8 request targets (what curl sends), request framing across
reads and pipelined requests, and the deadline for a complete request head. Raw sockets on a real
uvicorn: these are properties of the bytes on the wire, not of the app."""
import random
import select
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from core.settings import Settings
from service.server import RequestLineRewriter, quote_raw_targets

HEADER_TIMEOUT = 1.5


def test_quote_raw_targets_only_touches_non_ascii_in_request_targets():
    raw = "GET /answer?q=开餐馆 HTTP/1.1\r\nHost: x\r\nX-Note: 开\r\n\r\n".encode()
    out = quote_raw_targets(raw)
    assert out.startswith(b"GET /answer?q=%E5%BC%80%E9%A4%90%E9%A6%86 HTTP/1.1\r\n")
    assert out.endswith("X-Note: 开\r\n\r\n".encode())  # headers are not request lines
    plain = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    assert quote_raw_targets(plain) == plain


def _stream() -> tuple[bytes, bytes]:
    """Three pipelined requests (a body with request-line-like lines, a chunked body, a GET) and what the
    parser must receive: only the two real request lines with raw UTF-8 rewritten."""
    trap = "GET /x?q=中 HTTP/1.1\r\nHost: y\r\n\r\n".encode()
    chunk_trap = "POST /中 HTTP/1.1\r\n".encode()
    raw = (b"POST /search?q=%E4 HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(trap)).encode() + b"\r\n\r\n"
           + trap
           + "PUT /a?q=开 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
           + b"%x;ext=1\r\n" % len(chunk_trap) + chunk_trap + "\r\n0\r\nX-Trailer: 中\r\n\r\n".encode()
           + "\r\nGET /search?q=食品 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    want = raw.replace("/a?q=开 ".encode(), b"/a?q=%E5%BC%80 ").replace("/search?q=食品 ".encode(),
                                                                       b"/search?q=%E9%A3%9F%E5%93%81 ")
    return raw, want


def test_rewriter_touches_request_lines_only_never_bodies():
    raw, want = _stream()
    assert RequestLineRewriter().feed(raw) == want


@pytest.mark.parametrize("seed", range(30))
def test_rewriter_gives_the_same_bytes_however_the_stream_is_split(seed):
    raw, want = _stream()
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(raw)), rng.randint(1, 12)))
    pieces = [raw[a:b] for a, b in zip([0] + cuts, cuts + [len(raw)])]
    rw = RequestLineRewriter()
    assert b"".join(rw.feed(p) for p in pieces) == want


def test_rewriter_gives_up_on_framing_it_cannot_follow():
    # a Content-Length it cannot read: the parser will refuse the request; nothing after it is rewritten
    rw = RequestLineRewriter()
    raw = "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nGET /中 HTTP/1.1\r\n".encode()
    assert rw.feed(raw) == raw and rw.lost


# -- on a real server


@pytest.fixture(scope="module")
def base(tmp_path_factory, live_server, make_test_build):
    build = make_test_build(tmp_path_factory.mktemp("server_build"))
    with live_server(Settings(build=str(build), header_timeout=HEADER_TIMEOUT)) as url:
        yield url


def _connect(base: str) -> socket.socket:
    u = urlsplit(base)
    return socket.create_connection((u.hostname, u.port), timeout=10)


def _read_response(s: socket.socket, buf: bytearray) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 response from ``s`` (``buf`` keeps what was read beyond it)."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {bytes(buf)[:200]!r}")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    del buf[:]
    buf += rest

    def need(n):
        while len(buf) < n:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed inside a response body")
            buf.extend(chunk)

    body = b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            while b"\r\n" not in buf:
                need(len(buf) + 1)
            line, _, _ = bytes(buf).partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            need(len(line) + 2 + size + 2)
            body += bytes(buf[len(line) + 2:len(line) + 2 + size])
            del buf[:len(line) + 2 + size + 2]
            if size == 0:
                break
    elif "content-length" not in headers:  # until the server closes
        while chunk := s.recv(65536):
            buf.extend(chunk)
        body = bytes(buf)
        del buf[:]
    else:
        n = int(headers["content-length"])
        need(n)
        body = bytes(buf[:n])
        del buf[:n]
    return status, headers, body


def _raw_get(base: str, target: bytes) -> tuple[int, bytes]:
    with _connect(base) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status, _, body = _read_response(s, bytearray())
    return status, body


def test_raw_utf8_query_like_curl_sends_it(base):
    status, body = _raw_get(base, "/search?q=食品经营许可&k=2".encode())
    assert status == 200, body[:200]
    assert "食品经营许可".encode() in body
    status, _ = _raw_get(base, b"/search?q=%E9%A3%9F%E5%93%81&k=2")
    assert status == 200


@pytest.mark.parametrize("cut", ["GET /search?q=食", "GET /search?q=食品经营许可&k=2 HT", "GET /sea"])
def test_request_line_arriving_in_two_reads(base, cut):
    line = "GET /search?q=食品经营许可&k=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    first = cut.encode()
    if cut == "GET /search?q=食":
        first = first[:-1]  # in the middle of a character's three bytes
    with _connect(base) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(first)
        time.sleep(0.3)  # two reads on the server, well inside the header timeout
        s.sendall(line[len(first):])
        status, _, body = _read_response(s, bytearray())
    assert status == 200, body[:300]
    assert "食品经营许可".encode() in body


def test_post_body_with_a_request_line_inside_does_not_desync_the_next_request(base):
    body = "line one\r\nGET /x?q=中 HTTP/1.1\r\nHost: z\r\n\r\n".encode()
    with _connect(base) as s:
        s.sendall(b"POST /search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                  + "GET /search?q=食品经营许可&k=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        buf = bytearray()
        first = _read_response(s, buf)
        second = _read_response(s, buf)
    assert first[0] == 405, first
    assert second[0] == 200, second
    assert "食品经营许可".encode() in second[2]


def test_chunked_body_then_a_pipelined_request(base):
    data = "GET /中 HTTP/1.1\r\n".encode()
    with _connect(base) as s:
        s.sendall(b"POST /search?q=x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n"
                  + "GET /search?q=营业执照 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode())
        buf = bytearray()
        assert _read_response(s, buf)[0] == 405
        status, _, body = _read_response(s, buf)
    assert status == 200 and "营业执照".encode() in body


def _closed(s: socket.socket) -> bytes | None:
    """What the server sent before closing ``s`` (b"" if nothing), or None while it is still open."""
    got = b""
    while select.select([s], [], [], 0)[0]:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return got
        if not chunk:
            return got
        got += chunk
    return None


def test_trickling_request_heads_are_cut_off_while_others_are_served(base):
    n = 60
    socks = [_connect(base) for _ in range(n)]
    idle = [_connect(base) for _ in range(5)]  # connect and send nothing at all
    t0 = time.monotonic()
    for s in socks:
        s.sendall(b"GET /sea")
    closed: dict[int, tuple[float, bytes]] = {}
    served = []
    with httpx.Client(base_url=base, timeout=10) as client:
        while len(closed) < n + len(idle) and time.monotonic() - t0 < HEADER_TIMEOUT + 6:
            for i, s in enumerate(socks + idle):
                if i in closed:
                    continue
                got = _closed(s)
                if got is None and i < n:
                    try:
                        s.sendall(b"r")  # one more byte: the head is still arriving
                    except (BrokenPipeError, ConnectionResetError):
                        got = b""
                if got is not None:
                    closed[i] = (time.monotonic() - t0, got)
            t = time.perf_counter()
            r = client.get("/search", params={"q": "营业执照", "k": 3})
            served.append((r.status_code, time.perf_counter() - t))
            time.sleep(0.2)
    for s in socks + idle:
        s.close()
    assert len(closed) == n + len(idle), f"{n + len(idle) - len(closed)} trickling sockets still open"
    times = sorted(t for t, _ in closed.values())
    assert times[0] >= HEADER_TIMEOUT - 0.3 and times[-1] <= HEADER_TIMEOUT + 4, times
    assert all(got == b"" or got.startswith(b"HTTP/1.1 408 ") for _, got in closed.values())
    assert served and all(code == 200 for code, _ in served)
    assert max(took for _, took in served) < 2.0, served


def test_a_head_that_completes_in_time_is_served_and_the_connection_kept(base):
    with _connect(base) as s:
        buf = bytearray()
        for _ in range(3):  # keep-alive: each request gets its own deadline
            req = b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
            for i in range(0, len(req), 8):
                s.sendall(req[i:i + 8])
                time.sleep(HEADER_TIMEOUT / 8)
            assert _read_response(s, buf)[0] == 200
