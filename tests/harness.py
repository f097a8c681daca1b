"""What tests and benchmarks share: paths, scrubbed environments, the wheel, venvs, the boot module.

Both drive the built wheel in fresh venvs with explicit, minimal environments (this machine exports
SSL_CERT_FILE, REQUESTS_CA_BUNDLE, ... globally). The pytest side (fixtures) is ``tests/conftest.py``;
the benchmarks' switchable venvs are ``benchmarks/lab.py``. Stdlib only: benchmarks import it too.
"""

import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
TESTS = os.path.join(ROOT, "tests")
SCRIPTS = os.path.join(TESTS, "scripts")
PROBES = os.path.join(TESTS, "probes.py")
PTH_FILE = os.path.join(SRC, "sandbox_trust.pth")
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"  # Debian's: the base start-up extends on this machine


def script(name):
    """The path of ``tests/scripts/NAME.py``: code run in a test venv's interpreter, by path."""
    return os.path.join(SCRIPTS, name + ".py")


# What every process under test gets on top of scrubbed_env: pip reads no config, asks nothing.
PIP_QUIET = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def scrubbed_env(home, **extra):
    """A minimal environment: nothing of this machine's CA variables or Python settings.

    ``extra`` adds variables; a ``None`` value leaves the variable out (or at its default here).
    """
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update({key: value for key, value in extra.items() if value is not None})
    return env


def install_env():
    """Installs (not under test) use this machine's own settings: its registry access needs them."""
    return dict(os.environ)


def last_json(stdout):
    """The last line of ``stdout`` that is a JSON object (what a probe or a child reports), or None."""
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def build_wheel(out):
    """sandbox-trust built from this checkout into an emptied ``out``: the wheel's path."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT],
        check=True,
        env=install_env(),
        stdout=subprocess.DEVNULL,
    )
    (path,) = glob.glob(os.path.join(out, "sandbox_trust-*.whl"))
    return path


def pip(python, *args):
    """``python -m pip ARGS`` with this machine's settings; raises on failure."""
    return subprocess.run(
        [python, "-m", "pip", *args], check=True, capture_output=True, text=True, env=install_env()
    )


def new_venv(path, python, *pip_options):
    """A fresh venv at ``path`` (whatever was there is removed) with an up-to-date pip.

    ``pip_options``: for that pip install (the tests' ``-c constraints.txt``)."""
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([python, "-m", "venv", path], check=True)
    venv_python = os.path.join(path, "bin", "python")
    # pip-system-certs 5 needs pip >= 24.2
    pip(venv_python, "install", "-q", *pip_options, "--upgrade", "pip")
    return venv_python


def site_packages(python):
    """The purelib directory of ``python`` (a venv's site-packages)."""
    return subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        env=scrubbed_env(os.path.dirname(os.path.dirname(python))),
    ).stdout.strip()


def find_python(spec):
    """``3.13`` -> the newest CPython 3.13.Z of pyenv, else ``python3.13`` on PATH, else None.

    The one interpreter lookup (the noxfile, the suite, the benchmarks and peers/compare.py ask it).
    Patch levels compare as numbers (3.10.14 is newer than 3.10.9); only plain ``X.Y.Z`` directories
    count (not ``3.13.0t`` or ``3.14-dev``); an exact ``3.13.0`` is that one. pyenv's shims refuse a
    version that is not the selected one: the binary itself is returned. A path is kept as it is.
    """
    if os.sep in spec:
        return spec
    pattern = re.compile(re.escape(spec) + (r"" if spec.count(".") >= 2 else r"\.(\d+)"))
    for root in _pyenv_roots():
        base = os.path.join(root, "versions")
        try:
            names = os.listdir(base)
        except OSError:
            continue
        matches = [(match.groups(), name) for name in names if (match := pattern.fullmatch(name))]
        if matches:
            _, newest = max(matches, key=lambda item: tuple(int(part) for part in item[0]))
            return os.path.join(base, newest, "bin", "python")
    return shutil.which("python" + spec)


def _pyenv_roots():
    """Where pyenv may keep its versions: $PYENV_ROOT, ~/.pyenv, root's, then what ``pyenv root`` says."""
    yield from filter(None, (os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv"), "/root/.pyenv"))
    try:
        said = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if said:
        yield said


def load_source(name, relative):
    """A module of ``src`` loaded by file path under ``name``: never an installed copy."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(SRC, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_boot():
    """The boot module of this checkout (its constants and ``read_settings``), loaded by file path."""
    return load_source("sandbox_trust_checkout_boot", "_sandbox_trust_boot.py")


def pth_line():
    """The one line of ``src/sandbox_trust.pth``."""
    with open(PTH_FILE) as f:
        return f.read().strip()


def fingerprints(path):
    """SHA-256 of the DER of every PEM certificate in the file ``path``."""
    import hashlib
    import ssl

    with open(path) as f:
        text = f.read()
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    return {
        hashlib.sha256(ssl.PEM_cert_to_DER_cert(begin + block.split(begin, 1)[1] + end)).hexdigest()
        for block in text.split(end)[:-1]
        if begin in block
    }
