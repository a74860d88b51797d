"""The outbound client connects to the address it checked while TLS still verifies the name:
SNI and the certificate check use the host name of the URL, the Host header carries it, and a
certificate for another name is refused (so pinning the address never weakens TLS)."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import certifi
import pytest

from ipplan import outbound

from ..support.http import QuietHandler, loopback_servers

NAME = "hooks.example.gov.cn"


@pytest.fixture
def tls_listener(tmp_path: Path) -> Iterator[tuple[int, Path, list[str], list[str]]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            f"/CN={NAME}",
            "-addext",
            f"subjectAltName=DNS:{NAME}",
        ],
        check=True,
        capture_output=True,
    )
    server_names: list[str] = []
    hosts: list[str] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hosts.append(self.headers.get("Host", ""))
            self.send_response(204)
            self.end_headers()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def remember_sni(sock: Any, name: str | None, ctx: Any) -> None:
        server_names.append(str(name))

    context.sni_callback = remember_sni
    with loopback_servers() as serve:
        yield serve(Handler, tls=context).server_address[1], cert, server_names, hosts


def test_tls_checks_the_name_while_connecting_to_the_checked_address(
    tls_listener: tuple[int, Path, list[str], list[str]], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert, server_names, hosts = tls_listener
    settings.IPPLAN_OUTBOUND_ALLOW_NETWORKS = "127.0.0.0/8"
    monkeypatch.setattr(certifi, "where", lambda: str(cert))
    real = socket.getaddrinfo

    def resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in (NAME, "other.example.gov.cn"):
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    reply = outbound.post(f"https://{NAME}:{port}/hook", b"{}", {}, timeout=5)
    assert reply.status == 204
    assert server_names == [NAME] and hosts == [f"{NAME}:{port}"]
    # the same address under a name the certificate does not carry: refused before any request
    with pytest.raises(outbound.OutboundError) as refused:
        outbound.post(f"https://other.example.gov.cn:{port}/hook", b"{}", {}, timeout=5)
    assert "certificate" in str(refused.value).lower() or "hostname" in str(refused.value).lower()
    assert hosts == [f"{NAME}:{port}"]
