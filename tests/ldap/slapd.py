"""A throw-away OpenLDAP ``slapd`` for tests and benchmarks.

``Slapd`` writes a ``slapd.conf`` into a temporary directory (checked with ``slaptest`` and
used with ``-f``; no ``cn=config`` conversion is needed for a throw-away server), bulk-loads
LDIF with ``slapadd`` (fast, before the server starts), starts ``slapd`` on 127.0.0.1 on a
free port, and kills it on ``stop()``. Entries that must go through overlays (``memberOf``)
are added over the protocol once it runs. It never touches the system's slapd service or
``/etc/ldap``; Debian's ``slapd`` and ``ldap-utils`` packages are installed with apt-get when
they are missing.

LDIF helpers read the real directories in ``../shared/data/ldap/`` as they are (folded lines,
base64 values, children listed before their parents) without copying them.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(
    os.environ.get("DESKGRAPH_LDAP_DATA", Path(__file__).resolve().parents[3] / "shared/data/ldap")
)
ADMIN_PASSWORD = "slapd-admin-secret"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

# The AD-like bits the shared LDIFs use, after docker-test-openldap's config/msad.ldif
# (groupType, Group) and django-auth-ldap's AD-like user, plus the AD attributes Deskgraph's
# Active Directory preset reads (sAMAccountName, userAccountControl, uSNChanged).
AD_LIKE_SCHEMA = """
attributetype ( 1.2.840.113556.1.4.750 NAME 'groupType'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.120 NAME 'uSNChanged'
  EQUALITY integerMatch ORDERING integerOrderingMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.1 NAME 'instanceType'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.2.840.113556.1.2.281 NAME 'nTSecurityDescriptor'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.2.840.113556.1.4.782 NAME 'objectCategory'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.2.840.113556.1.2.141 NAME 'department'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( 1.2.840.113556.1.5.8 NAME 'Group' DESC 'a group of users'
  SUP top STRUCTURAL MUST ( groupType $ cn ) MAY ( member $ description $ uSNChanged ) )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP organizationalPerson STRUCTURAL
  MAY ( sAMAccountName $ userAccountControl $ userPrincipalName $ uSNChanged $
        instanceType $ nTSecurityDescriptor $ objectCategory $ department $ uid $
        givenName $ displayName $ mail $ manager $ employeeType ) )
"""


@dataclass(frozen=True)
class Database:
    """One mdb database; ``memberof_group_class`` turns the memberOf overlay on for it.
    ``access`` lists extra ``access to`` rules, checked before the default "everybody reads"
    (the rootdn may always write)."""

    suffix: str
    ldif: tuple[Path | str, ...] = ()
    memberof_group_class: str | None = None
    access: tuple[str, ...] = ()


def ensure_installed() -> None:
    """Install Debian's slapd and ldap-utils when missing (needs root; the service is not
    started: Debian's policy-rc.d in containers forbids it, and we never use it)."""
    if all(shutil.which(tool, path="/usr/sbin:/usr/bin") for tool in ("slapd", "slapadd")):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", "slapd", "ldap-utils"]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(command, env=env, capture_output=True, check=True)


def make_ca(directory: Path, name: str) -> Path:
    """A self-signed CA certificate ``name.pem`` (key ``name.key``) in ``directory``."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN=Deskgraph test CA {name}", "-keyout", str(directory / f"{name}.key"),
         "-out", str(directory / f"{name}.pem")],
        capture_output=True, check=True,
    )  # fmt: skip
    return directory / f"{name}.pem"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# LDIF, read leniently -------------------------------------------------------------------------


def read_ldif_text(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8")


def parse_ldif(text: str) -> list[list[tuple[str, str | bytes]]]:
    """Records of ``(attribute, value)`` pairs (first pair: ``dn``); base64 values come back
    as bytes unless they decode as UTF-8 text. Comments and folded lines are handled."""
    records: list[list[tuple[str, str | bytes]]] = []
    lines: list[str] = []
    for line in text.splitlines() + [""]:
        if line.startswith(" ") and lines:
            lines[-1] += line[1:]
            continue
        if line.startswith("#"):
            continue
        if line.strip():
            lines.append(line)
            continue
        if lines:
            record = []
            for entry in lines:
                attr, _, value = entry.partition(":")
                if value.startswith(":"):
                    raw = base64.b64decode(value[1:].strip())
                    try:
                        decoded: str | bytes = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        decoded = raw
                    record.append((attr.strip(), decoded))
                else:
                    record.append((attr.strip(), value.strip()))
            if record[0][0].lower() == "dn" and not any(
                a.lower() == "changetype" for a, _ in record
            ):
                records.append(record)
            lines = []
    return records


def _depth(dn: str) -> int:
    from ldap3.utils.dn import parse_dn

    return sum(1 for *_x, sep in parse_dn(dn, strip=True) if sep == ",") + 1


def write_ldif(records: Iterable[list[tuple[str, str | bytes]]]) -> str:
    out = []
    for record in records:
        for attr, value in record:
            if isinstance(value, bytes) or (value and (value[0] in " :<" or not value.isascii())):
                raw = value if isinstance(value, bytes) else value.encode()
                out.append(f"{attr}:: {base64.b64encode(raw).decode()}")
            else:
                out.append(f"{attr}: {value}")
        out.append("")
    return "\n".join(out) + "\n"


def ordered(records: list[list[tuple[str, str | bytes]]]) -> list[list[tuple[str, str | bytes]]]:
    """Parents before children, first occurrence of a DN only (slapadd needs both)."""
    seen: set[str] = set()
    unique = []
    for record in records:
        key = str(record[0][1]).replace(" ", "").lower()
        if key not in seen:
            seen.add(key)
            unique.append(record)
    return sorted(unique, key=lambda r: _depth(str(r[0][1])))


# The server ----------------------------------------------------------------------------------


class Slapd:
    """A private slapd. ``start()`` returns once it answers; ``stop()`` kills it."""

    def __init__(
        self, databases: Iterable[Database], workdir: Path | None = None, *, tls: bool = False
    ) -> None:
        self.databases = list(databases)
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="deskgraph-slapd-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "tls" / "ca.pem"

    def _make_certificates(self) -> None:
        """A private CA and a server certificate for 127.0.0.1 (openssl)."""
        tls = self.workdir / "tls"
        tls.mkdir(exist_ok=True)
        make_ca(tls, "ca")
        (tls / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        self._run(
            "openssl",
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(tls / "server.key"),
            "-out",
            str(tls / "server.csr"),
        )
        self._run(
            "openssl",
            "x509",
            "-req",
            "-in",
            str(tls / "server.csr"),
            "-days",
            "2",
            "-CA",
            str(tls / "ca.pem"),
            "-CAkey",
            str(tls / "ca.key"),
            "-CAcreateserial",
            "-extfile",
            str(tls / "server.ext"),
            "-out",
            str(tls / "server.pem"),
        )

    def admin_dn(self, suffix: str) -> str:
        return f"cn=admin,{suffix}"

    def _conf(self) -> str:
        schemas = ("core", "cosine", "inetorgperson", "nis", "openldap")
        lines = [f"include {SCHEMA_DIR / f'{name}.schema'}" for name in schemas]
        lines.append(f"include {self.workdir / 'ad-like.schema'}")
        lines += [
            f"pidfile {self.workdir / 'slapd.pid'}",
            f"modulepath {MODULE_DIR}",
            "moduleload back_mdb",
            "moduleload memberof",
            "sizelimit unlimited",
            "loglevel none",
        ]
        if self.tls:
            tls = self.workdir / "tls"
            lines += [
                f"TLSCACertificateFile {tls / 'ca.pem'}",
                f"TLSCertificateFile {tls / 'server.pem'}",
                f"TLSCertificateKeyFile {tls / 'server.key'}",
            ]
        for number, db in enumerate(self.databases):
            directory = self.workdir / f"db{number}"
            directory.mkdir(parents=True, exist_ok=True)
            lines += [
                "database mdb",
                "maxsize 2147483648",
                f'suffix "{db.suffix}"',
                f'rootdn "{self.admin_dn(db.suffix)}"',
                f"rootpw {ADMIN_PASSWORD}",
                f"directory {directory}",
                "index objectClass,uid,cn,member,uniqueMember,modifyTimestamp eq",
                "limits * size=unlimited time=unlimited",
                "access to attrs=userPassword by anonymous auth by * none",
                *db.access,
                "access to * by * read",
            ]
            if db.memberof_group_class:
                lines += [
                    "overlay memberof",
                    f"memberof-group-oc {db.memberof_group_class}",
                    "memberof-member-ad member",
                    "memberof-memberof-ad memberOf",
                    "memberof-refint true",
                ]
        return "\n".join(lines) + "\n"

    def _run(self, *command: str) -> None:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}{done.stdout}")

    def start(self, bulk: dict[str, str] | None = None) -> Slapd:
        """Configure, bulk-load ``bulk`` (suffix → LDIF text) and the databases' files, start.

        Databases with the memberOf overlay get their files over the protocol instead, so the
        overlay maintains ``memberOf``."""
        ensure_installed()
        (self.workdir / "ad-like.schema").write_text(AD_LIKE_SCHEMA)
        if self.tls:
            self._make_certificates()
        (self.workdir / "slapd.conf").write_text(self._conf())
        conf = str(self.workdir / "slapd.conf")
        self._run("slaptest", "-u", "-f", conf)
        bulk = dict(bulk or {})
        online: dict[str, str] = {}
        for number, db in enumerate(self.databases, start=1):
            records = [r for item in db.ldif for r in parse_ldif(_text(item))]
            records += parse_ldif(bulk.pop(db.suffix, ""))
            records.insert(0, root_entry(db.suffix))  # ignored when the LDIF has its own
            text = write_ldif(ordered(records))
            if db.memberof_group_class:
                online[db.suffix] = text
                continue
            path = self.workdir / f"load-{abs(hash(db.suffix))}.ldif"
            path.write_text(text)
            self._run("slapadd", "-q", "-f", conf, "-n", str(number), "-l", str(path))
        listen = self.url + "/" + (f" {self.ldaps_url}/" if self.tls else "")
        with open(self.workdir / "slapd.log", "wb") as log:
            self.process = subprocess.Popen(
                ["slapd", "-f", conf, "-h", listen, "-d", "0"],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self._wait_until_up()
        for suffix, text in online.items():
            self.add_ldif(suffix, text)
        return self

    def _wait_until_up(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                stderr = (self.workdir / "slapd.log").read_text(errors="replace")
                raise RuntimeError(f"slapd exited with {self.process.returncode}: {stderr}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not start in time")

    @contextlib.contextmanager
    def admin(self, suffix: str) -> Iterator[Any]:
        """An ldap3 connection bound as the database's rootdn, unbound afterwards."""
        import ldap3

        connection = ldap3.Connection(
            self.url, self.admin_dn(suffix), ADMIN_PASSWORD, auto_bind=True, raise_exceptions=True
        )
        try:
            yield connection
        finally:
            connection.unbind()

    def add_ldif(self, suffix: str, text: str) -> None:
        """Add entries over the protocol (overlays see them)."""
        with self.admin(suffix) as connection:
            for record in ordered(parse_ldif(text)):
                dn = str(record[0][1])
                attributes: dict[str, list[str | bytes]] = {}
                for attr, value in record[1:]:
                    if value == "":
                        continue
                    attributes.setdefault(attr, []).append(value)
                connection.add(dn, attributes=attributes)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Slapd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def root_entry(suffix: str) -> list[tuple[str, str | bytes]]:
    """The suffix entry itself (the planetexpress LDIF relies on the image to create it)."""
    attr, _, value = suffix.split(",")[0].partition("=")
    if attr.lower() == "dc":
        classes = [("objectClass", "dcObject"), ("objectClass", "organization")]
        return [("dn", suffix), *classes, ("dc", value), ("o", value)]
    return [("dn", suffix), ("objectClass", "organization"), ("o", value)]


def _text(item: Path | str) -> str:
    return read_ldif_text(item) if isinstance(item, Path) else item


# Generated directories ------------------------------------------------------------------------


def people_ldif(
    suffix: str,
    count: int,
    *,
    groups: int = 0,
    ou: str = "people",
    group_ou: str = "groups",
    prefix: str = "user",
    fanout: int = 10,
) -> str:
    """A generated organisation: ``count`` people in a management tree (person ``i`` reports
    to person ``(i - 1) // fanout``, so every manager DN exists), ``groups`` groupOfNames each
    holding a slice of the people, with a nested group and a non-ASCII name among them."""
    people = f"ou={ou},{suffix}"
    out = [
        f"dn: {people}\nobjectClass: organizationalUnit\nou: {ou}\n",
    ]
    if groups:
        out.append(f"dn: ou={group_ou},{suffix}\nobjectClass: organizationalUnit\nou: {group_ou}\n")
    for i in range(count):
        uid = f"{prefix}{i:05d}"
        lines = [
            f"dn: uid={uid},{people}",
            "objectClass: inetOrgPerson",
            f"uid: {uid}",
            f"cn: Person {i}",
            f"sn: {i}",
            f"mail: {uid}@example.test",
            f"ou: Department {i % 17}",
            f"title: Title {i % 5}",
            f"userPassword: pw-{uid}",
        ]
        if i:
            lines.append(f"manager: uid={prefix}{(i - 1) // fanout:05d},{people}")
        out.append("\n".join(lines) + "\n")
    for g in range(groups):
        members = [f"uid={prefix}{i:05d},{people}" for i in range(g, count, max(groups, 1))]
        if g == 1:
            members.append(f"cn=group00000,ou={group_ou},{suffix}")  # nested
        lines = [
            f"dn: cn=group{g:05d},ou={group_ou},{suffix}",
            "objectClass: groupOfNames",
            f"cn: group{g:05d}",
        ]
        lines += [f"member: {m}" for m in members or [people]]
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)
