"""Property tests of the pure parts: the CA file parser, the settings read from the environment, the .pth line.

These run in-process on the modules in ``src`` (loaded by file path, so an installed copy of
sandbox-trust in the test interpreter cannot stand in for them): they are pure functions.
Example counts stay modest: CI has two cores.
"""

import ast
import base64
import math
import os
import re
import ssl
import sys
import types

import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import SRC, load_source

# _cafile imports sandbox_trust._der: this checkout's, never an installed copy (the runner has none).
sys.path.insert(0, SRC)
pem = load_source("sandbox_trust_fuzz_cafile", os.path.join("sandbox_trust", "_cafile.py"))
boot = load_source("sandbox_trust_fuzz_boot", "_sandbox_trust_boot.py")

# No example database: it would leave a .hypothesis directory in the checkout.
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _pool():
    """DER certificates of different shapes (EC and RSA roots, an intermediate, leaves) and keys."""
    ec_root = trustme.CA()
    rsa_root = trustme.CA(key_type=trustme.KeyType.RSA)
    intermediate = ec_root.create_child_ca()
    leaves = [ca.issue_cert("localhost", "127.0.0.1") for ca in (ec_root, rsa_root, intermediate)]
    pems = [ca.cert_pem.bytes() for ca in (ec_root, rsa_root, intermediate)]
    pems += [leaf.cert_chain_pems[0].bytes() for leaf in leaves]
    der = [base64.b64decode(b"".join(p.splitlines()[1:-1])) for p in pems]
    keys = [ca.private_key_pem.bytes().decode() for ca in (ec_root, rsa_root)]  # EC and PKCS#8/RSA
    keys.append(leaves[0].private_key_pem.bytes().decode())
    return der, keys


CERTIFICATES, PRIVATE_KEYS = _pool()
BLOCK = re.compile(re.escape(pem.BEGIN) + "(.*?)" + re.escape(pem.END), re.DOTALL)


def reference_blocks(data):
    """An independent reading of ``data``: the DER of each certificate block, None if undecodable."""
    text = data.decode("latin-1")
    blocks = []
    for body in BLOCK.findall(text):
        body = body.split(pem.BEGIN)[-1]  # a BEGIN without its END: the block after it stands
        try:
            blocks.append(base64.b64decode("".join(body.split()), validate=True))
        except ValueError:
            blocks.append(None)
    return blocks


def unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def openssl_loads(der):
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=der)
    except ssl.SSLError:
        return False
    return True


def is_subsequence(items, sequence):
    remaining = iter(sequence)
    return all(any(item == candidate for candidate in remaining) for item in items)


def check_parse(data):
    """The properties: only CAFileError escapes; results are blocks of the input OpenSSL loads."""
    try:
        found = pem.parse_pem(data, check=True)
    except pem.CAFileError as exc:
        assert str(exc)  # always one sentence for the user
        return None
    assert isinstance(found, pem.CACertificates)
    assert found.der, "a success always carries at least one certificate"
    # One bad block breaks nothing: the result is the blocks that decode, first occurrence first.
    assert is_subsequence(found.der, unique(block for block in reference_blocks(data) if block))
    assert all(openssl_loads(der) for der in found.der)
    assert found.cadata == b"".join(found.der)
    assert found.has_private_key == (b"PRIVATE KEY-----" in data)
    return found


# --- strategies -------------------------------------------------------------------------------

NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])
# Text outside blocks, as bundles have it (comments, "subject=" lines, blank lines): never a marker.
JUNK = st.text(alphabet="abcXYZ019 #:=./,\t", max_size=40)


@st.composite
def certificate_block(draw, der):
    body = base64.b64encode(der).decode()
    width = draw(st.sampled_from([64, 76, 16, 1, len(body)]))
    newline = draw(NEWLINES)
    pad = draw(st.sampled_from(["", " ", "\t", "  "]))  # trailing/leading whitespace inside the body
    lines = [pad + body[i : i + width] + pad for i in range(0, len(body), width)]
    return newline.join([pem.BEGIN, *lines, pem.END]) + newline


@st.composite
def valid_pem(draw):
    """``(bytes, expected DER list, holds a private key)``: a well-formed CA file, in many spellings."""
    chosen = draw(st.lists(st.sampled_from(CERTIFICATES), min_size=1, max_size=4))
    parts = []
    keys = False
    for der in chosen:
        parts.append(draw(JUNK) + draw(NEWLINES))
        if draw(st.booleans()) and draw(st.booleans()):
            key = draw(st.sampled_from(PRIVATE_KEYS))
            parts.append(key.replace("\n", draw(NEWLINES)))
            keys = True
        parts.append(draw(certificate_block(der)))
    parts.append(draw(JUNK))
    return "".join(parts).encode("ascii"), unique(chosen), keys


@st.composite
def mutated_pem(draw):
    data = bytearray(draw(valid_pem())[0])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "delete", "replace", "insert", "duplicate"]))
        at = draw(st.integers(0, len(data)))
        if kind == "truncate":
            del data[at:]
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 80))]
        elif kind == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
    return bytes(data)


# Structural soup: markers, base64-looking chunks and key markers in arbitrary order.
FRAGMENTS = st.sampled_from(
    [
        pem.BEGIN,
        pem.END,
        "\n",
        "\r\n",
        " ",
        "MIIB",
        "MA==",
        "MAA=",
        "MAMCAQE=",
        "====",
        "-----",
        "-----BEGIN PRIVATE KEY-----",
        "-----END PRIVATE KEY-----",
        "0",
        "\x00",
        "\xff",
    ]
    + [base64.b64encode(der).decode() for der in CERTIFICATES[:2]]
)
SOUP = st.lists(FRAGMENTS, max_size=12).map(lambda parts: "".join(parts).encode("latin-1"))


# --- pem.parse --------------------------------------------------------------------------------


@FUZZ
@given(valid_pem())
def test_parse_reads_every_spelling_of_valid_pem(case):
    data, expected, keys = case
    found = check_parse(data)
    assert found is not None, data
    assert list(found.der) == expected
    assert found.has_private_key == keys
    # Never a byte of a private key: the output is exactly the certificates' DER.
    assert all(der in CERTIFICATES for der in found.der)


@FUZZ
@given(mutated_pem())
def test_parse_mutated_pem(data):
    check_parse(data)


@FUZZ
@given(st.binary(max_size=2048))
def test_parse_random_bytes(data):
    check_parse(data)


@FUZZ
@given(SOUP)
def test_parse_marker_soup(data):
    check_parse(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b" \n\t",
        b"0",
        b"\x30\x82\x01\x00",
        pem.BEGIN.encode(),
        (pem.BEGIN + "\n" + pem.END).encode(),
        (pem.BEGIN + "\nMA==\n" + pem.END).encode(),
        b"\xff" * 10,
        PRIVATE_KEYS[0].encode(),
    ],
)
def test_parse_edge_cases(data):
    with pytest.raises(pem.CAFileError):
        pem.parse_pem(data)


# --- _sandbox_trust_boot.read_settings ----------------------------------------------------------

NAMES = [
    "SANDBOX_CA_CERT",
    "SANDBOX_INTERCEPT_HTTPS",
    "SANDBOX_TRUST_DISABLE",
    "SANDBOX_TRUST_TIMEOUT",
    "SANDBOX_TRUST_DEBUG",
    "SANDBOX_TRUST_EXPORT_ENV",
    "SANDBOX_TRUST_CACHE_DIR",
]
ODD_VALUES = [
    "",
    "0",
    "1",
    " 1",
    "1 ",
    "true",
    "-1",
    "-0",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "1e309",
    "1e-400",
    "0x10",
    "1_0",
    " 5 ",
    "\x00",
    "\u0661",
    "+.5",
    "5s",
    "\udcff",
    "1" * 400,
]
VALUES = st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=20))
ENVIRONS = st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=10)), VALUES, max_size=10)


@settings(max_examples=300, deadline=None, database=None)
@given(ENVIRONS)
def test_settings_never_raise(environ):
    s = boot.read_settings(environ)
    assert isinstance(s.timeout, float) and 0.0 <= s.timeout <= boot.MAX_TIMEOUT and not math.isnan(s.timeout)
    # Out of bounds (inf, nan, negatives, garbage): the default, and the one sentence to say.
    if s.timeout_problem is not None:
        assert s.timeout == boot.DEFAULT_TIMEOUT and "SANDBOX_TRUST_TIMEOUT" in s.timeout_problem
    else:
        value = environ.get("SANDBOX_TRUST_TIMEOUT")
        assert not value or s.timeout == float(value)
    assert isinstance(s.ca_path, str) and s.ca_path
    assert s.ca_path == (environ.get("SANDBOX_CA_CERT") or boot.DEFAULT_CA_PATH)
    # Switches are on for exactly "1" (export off for exactly "0"): the .pth line's own test.
    assert s.declared is (environ.get("SANDBOX_INTERCEPT_HTTPS") == "1")
    assert s.disabled is (environ.get("SANDBOX_TRUST_DISABLE") == "1")
    assert s.debug is (environ.get("SANDBOX_TRUST_DEBUG") == "1")
    assert s.export is (environ.get("SANDBOX_TRUST_EXPORT_ENV") != "0")
    assert s.cache_dir is None or (isinstance(s.cache_dir, str) and s.cache_dir)


def inherited_value(name):
    """``name`` as a child process sees it: what putenv wrote, not what os.environ holds."""
    import ctypes

    found = ctypes.CDLL(None).getenv
    found.restype = ctypes.c_char_p
    value = found(os.fsencode(name))
    return None if value is None else os.fsdecode(value)


SETTABLE_VALUES = [v for v in ODD_VALUES if "\x00" not in v and "\udcff" not in v]  # putenv refuses these
GETENV_NAMES = st.sampled_from(NAMES + ["SSL_CERT_FILE", "HOME", "SANDBOX_TRUST_FUZZ_\u00e9"])
ENV_CHANGES = st.lists(
    st.tuples(GETENV_NAMES, st.one_of(st.none(), st.sampled_from(SETTABLE_VALUES))), max_size=8
)


@settings(max_examples=150, deadline=None, database=None)
@given(ENV_CHANGES, st.lists(st.booleans(), min_size=8, max_size=8))
def test_getenv_agrees_with_os_environ(changes, through_boot):
    """getenv answers exactly what os.environ.get answers after any set (by os.environ or by
    boot.setenv) or unset, and a value boot.setenv wrote is what os.environ and the C level see."""
    saved = {name: os.environ.get(name) for name, _ in changes}
    try:
        for (name, value), by_boot in zip(changes, through_boot):
            if value is None:
                os.environ.pop(name, None)
            elif by_boot:
                boot.setenv({name: value})
                assert os.environ[name] == value
                assert inherited_value(name) == value
            else:
                os.environ[name] = value
            for probe in {name for name, _ in changes}:
                assert boot.getenv(probe) == os.environ.get(probe)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- the start-up gate and the boot module cannot drift ---------------------------------------

with open(os.path.join(SRC, "_sandbox_trust_gate.py")) as _f:
    GATE_SOURCE = _f.read()
# The switches the gate tests before importing the boot module, and the settings attribute of each.
GATE_SWITCHES = {
    "SANDBOX_TRUST_DISABLE": "disabled",
    "SANDBOX_INTERCEPT_HTTPS": "declared",
    "SANDBOX_CA_CERT": "ca_path",
    "SANDBOX_TRUST_EXPORTED": None,  # boot.RECORD_VARIABLE: opted out, a parent's exports are undone
}


def _gate_strings():
    """The gate's constants, its bytes (os.environ's own keys and values) as str."""
    found = {node.value for node in ast.walk(ast.parse(GATE_SOURCE)) if isinstance(node, ast.Constant)}
    return {os.fsdecode(value) if isinstance(value, bytes) else value for value in found}


def test_both_startup_files_name_the_gate():
    """The .pth's one line imports the gate; the .start's one entry point resolves to it (PEP 829)."""
    with open(os.path.join(SRC, "sandbox_trust.pth")) as f:
        assert f.read() == "import _sandbox_trust_gate\n"
    with open(os.path.join(SRC, "sandbox_trust.start")) as f:
        assert f.read() == "_sandbox_trust_gate:start\n"
    tree = ast.parse(GATE_SOURCE)
    assert [node.name for node in tree.body if isinstance(node, ast.FunctionDef)] == ["start"]


def test_gate_names_the_boot_modules_constants():
    strings = _gate_strings()
    assert boot.DEFAULT_CA_PATH in strings
    assert boot.RECORD_VARIABLE in strings
    assert {s for s in strings if s.startswith("SANDBOX_")} == set(GATE_SWITCHES)
    # Each name the gate reads is the one read_settings reads for that switch.
    assert boot.read_settings({"SANDBOX_TRUST_DISABLE": "1"}).disabled
    assert boot.read_settings({"SANDBOX_INTERCEPT_HTTPS": "1"}).declared
    assert boot.read_settings({"SANDBOX_CA_CERT": "/elsewhere.pem"}).ca_path == "/elsewhere.pem"


def run_gate(environ, present):
    """Execute the real gate against ``environ`` and a CA file that exists or not: ``(imported, paths looked at)``.

    ``import`` inside the gate is answered with stand-ins: an ``os`` reading ``environ`` and a boot
    module whose import is recorded (importing it is what starts sandbox-trust), so nothing of this
    process is touched. Its ``start`` (the PEP 829 entry point) is called too, as site does.
    """
    looked_at, imported = [], []

    def exists(path):
        looked_at.append(path)
        return present

    # The gate reads os.environ's bytes dict, as CPython's os keeps it on POSIX.
    data = {os.fsencode(name): os.fsencode(value) for name, value in environ.items()}
    fake_os = types.SimpleNamespace(
        environ=types.SimpleNamespace(_data=data), path=types.SimpleNamespace(exists=exists)
    )

    def fake_import(name, *args, **kwargs):
        if name == "_sandbox_trust_boot":
            imported.append(name)
            return types.SimpleNamespace()
        return {"os": fake_os}[name]

    namespace = {
        "__builtins__": {"__import__": fake_import, "getattr": getattr},
        "__name__": "_sandbox_trust_gate",
    }
    exec(GATE_SOURCE, namespace)
    assert namespace["start"]() is None and len(imported) <= 1
    return bool(imported), looked_at


def boot_has_work(s, present, environ):
    """What boot() decides from its settings: opted out, else interception declared or the CA there.

    Opted out, it still runs when a parent's record of exported variables is there: to restore them.
    """
    if s.disabled:
        return bool(environ.get(boot.RECORD_VARIABLE))
    return s.declared or present


# The fuzz environments, with the gate's own switches set often enough to reach every branch.
SWITCHES = st.dictionaries(
    st.sampled_from(sorted(GATE_SWITCHES)), st.one_of(st.sampled_from(["1", "0", "", " 1", "true"]), VALUES)
)


def _in_a_real_environment(environ):
    """What a process environment can hold: names and values that are bytes decoded by os (no other surrogates)."""
    try:
        for name, value in environ.items():
            os.fsencode(name), os.fsencode(value)
    except UnicodeEncodeError:
        return False
    return True


GATE_ENVIRONS = st.builds(lambda environ, switches: {**environ, **switches}, ENVIRONS, SWITCHES).filter(
    _in_a_real_environment
)


@FUZZ
@given(GATE_ENVIRONS, st.booleans())
def test_gate_and_settings_agree_on_whether_there_is_work(environ, present):
    imported, looked_at = run_gate(environ, present)
    s = boot.read_settings(environ)
    work = boot_has_work(s, present, environ)
    # Never work left undone, and the boot module is never imported for nothing.
    assert imported is work
    assert set(looked_at) <= {os.fsencode(s.ca_path)}  # the file it checks is the one boot() will read


@pytest.mark.parametrize(
    "environ, present, imported, work",
    [
        ({}, False, False, False),
        ({}, True, True, True),
        ({"SANDBOX_TRUST_DISABLE": "1"}, True, False, False),
        ({"SANDBOX_INTERCEPT_HTTPS": "1"}, False, True, True),
        ({"SANDBOX_INTERCEPT_HTTPS": "0"}, False, False, False),
        ({"SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_TRUST_DISABLE": "1"}, False, False, False),
        ({"SANDBOX_TRUST_DISABLE": "true"}, True, True, True),
        ({"SANDBOX_TRUST_DISABLE": "1", "SANDBOX_TRUST_EXPORTED": "x"}, False, True, True),
        ({"SANDBOX_TRUST_EXPORTED": "x"}, False, False, False),
    ],
)
def test_gate_cases(environ, present, imported, work):
    """The cases of the property above by name: each outcome is reachable, so the property can fail."""
    assert run_gate(environ, present)[0] is imported
    assert boot_has_work(boot.read_settings(environ), present, environ) is work
