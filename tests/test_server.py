"""`curl '127.0.0.1:8000/answer?q=开餐馆需要什么材料'` sends raw UTF-8 in the request line."""
import socket
from urllib.parse import urlsplit

import pytest

from core.settings import Settings
from service.server import quote_raw_targets


def test_quote_raw_targets_only_touches_non_ascii_in_request_targets():
    raw = "GET /answer?q=开餐馆 HTTP/1.1\r\nHost: x\r\nX-Note: 开\r\n\r\n".encode()
    out = quote_raw_targets(raw)
    assert out.startswith(b"GET /answer?q=%E5%BC%80%E9%A4%90%E9%A6%86 HTTP/1.1\r\n")
    assert out.endswith("X-Note: 开\r\n\r\n".encode())  # headers are not request lines
    plain = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    assert quote_raw_targets(plain) is plain


@pytest.fixture(scope="module")
def base(tmp_path_factory, live_server, make_test_build):
    build = make_test_build(tmp_path_factory.mktemp("server_build"))
    with live_server(Settings(build=str(build))) as url:
        yield url


def _raw_get(base: str, target: bytes) -> tuple[int, bytes]:
    u = urlsplit(base)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_raw_utf8_query_like_curl_sends_it(base):
    status, body = _raw_get(base, "/search?q=食品经营许可&k=2".encode())
    assert status == 200, body[:200]
    # chunked or plain, the JSON names the decoded query
    assert "食品经营许可".encode() in body
    status, _ = _raw_get(base, b"/search?q=%E9%A3%9F%E5%93%81&k=2")
    assert status == 200
