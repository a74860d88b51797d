"""Real directory servers on loopback, started by the tests: OpenLDAP's slapd (Debian packages
``slapd`` and ``ldap-utils``) and the small OIDC provider in ``oidc_provider.py``."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SUFFIX = "dc=ipplan,dc=test"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "ldap-admin-secret"
HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ensure_slapd() -> None:
    """Install slapd and ldap-utils when missing and possible (root with apt-get), else skip."""
    if os.path.exists(SLAPD) and os.path.exists(SLAPADD):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "slapd", "ldap-utils"],
            env=env,
            check=False,
            capture_output=True,
        )
    if not (os.path.exists(SLAPD) and os.path.exists(SLAPADD)):
        if os.environ.get("IPPLAN_REQUIRE_SLAPD") == "1":
            pytest.fail("IPPLAN_REQUIRE_SLAPD=1 but slapd is missing (apt-get install slapd ldap-utils)")
        pytest.skip(
            "OpenLDAP slapd is not installed and cannot be installed here (apt-get install slapd ldap-utils)"
        )


def _ldif(entries: list[dict[str, list[str] | str]]) -> str:
    blocks = []
    for entry in entries:
        lines = []
        for name, value in entry.items():
            for v in value if isinstance(value, list) else [value]:
                lines.append(f"{name}: {v}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def person(uid: str, password: str, name: str) -> dict[str, list[str] | str]:
    return {
        "dn": f"uid={uid},ou=people,{SUFFIX}",
        "objectClass": ["inetOrgPerson"],
        "uid": uid,
        "cn": name,
        "sn": name[:1],
        "displayName": name,
        "mail": f"{uid}@ipplan.test",
        "userPassword": password,
    }


def group(cn: str, members: list[str]) -> dict[str, list[str] | str]:
    return {
        "dn": f"cn={cn},ou=groups,{SUFFIX}",
        "objectClass": ["groupOfNames"],
        "cn": cn,
        "member": [f"uid={m},ou=people,{SUFFIX}" for m in members],
    }


#: Who is in the test directory, and their groups.
LDAP_ENTRIES = [
    {"dn": SUFFIX, "objectClass": ["dcObject", "organization"], "dc": "ipplan", "o": "ipplan test"},
    {"dn": f"ou=people,{SUFFIX}", "objectClass": ["organizationalUnit"], "ou": "people"},
    {"dn": f"ou=groups,{SUFFIX}", "objectClass": ["organizationalUnit"], "ou": "groups"},
    person("zhangsan", "zhangsan-pass", "张三"),
    person("lisi", "lisi-pass", "李四"),
    person("wangwu", "wangwu-pass", "王五"),
    person("staff", "staff-directory-pass", "同名的人"),
    group("kjj-staff", ["zhangsan", "wangwu", "staff"]),
    group("kjj-heads", ["wangwu"]),
    group("canteen", ["lisi"]),
]


@dataclass
class Slapd:
    uri: str
    port: int
    workdir: Path

    def group_dn(self, cn: str) -> str:
        return f"cn={cn},ou=groups,{SUFFIX}"


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    ensure_slapd()
    work = tmp_path_factory.mktemp("slapd")
    (work / "db").mkdir()
    conf = work / "slapd.conf"
    conf.write_text(
        "\n".join(
            [
                *(f"include /etc/ldap/schema/{s}.schema" for s in ("core", "cosine", "inetorgperson", "nis")),
                f"pidfile {work}/slapd.pid",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "database mdb",
                "maxsize 10485760",
                f'suffix "{SUFFIX}"',
                f'rootdn "{ADMIN_DN}"',
                f"rootpw {ADMIN_PASSWORD}",
                f"directory {work}/db",
                "access to attrs=userPassword by anonymous auth by * none",
                "access to * by * read",
                "",
            ]
        )
    )
    data = work / "data.ldif"
    data.write_text(_ldif(LDAP_ENTRIES), encoding="utf-8")
    subprocess.run([SLAPADD, "-f", str(conf), "-l", str(data)], check=True, capture_output=True)
    port = free_port()
    uri = f"ldap://127.0.0.1:{port}"
    process = subprocess.Popen(
        [SLAPD, "-f", str(conf), "-h", f"{uri}/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield Slapd(uri=uri, port=port, workdir=work)
    finally:
        _stop(process)


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


OIDC_REDIRECT_URI = "http://testserver/directory/oidc/callback/"
OIDC_USERS = {
    "zhaoliu": {
        "sub": "u-1001",
        "username": "zhaoliu",
        "password": "zhaoliu-pass",
        "name": "赵六",
        "email": "zhaoliu@ipplan.test",
        "groups": ["ipplan-kjj", "all-staff"],
    },
    "sunqi": {
        "sub": "u-1002",
        "username": "sunqi",
        "password": "sunqi-pass",
        "name": "孙七",
        "groups": ["all-staff"],
    },
}


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    port = free_port()
    provider = Provider(issuer=f"http://127.0.0.1:{port}", client_id="ipplan", client_secret="s3cret-client")
    config = tmp_path_factory.mktemp("oidc") / "config.json"
    config.write_text(
        json.dumps(
            {
                "issuer": provider.issuer,
                "client_id": provider.client_id,
                "client_secret": provider.client_secret,
                "redirect_uri": OIDC_REDIRECT_URI,
                "users": OIDC_USERS,
            }
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, str(HERE / "oidc_provider.py"), "--port", str(port), "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        assert requests.get(provider.discovery_url, timeout=5).ok
        yield provider
    finally:
        _stop(process)
