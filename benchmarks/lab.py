"""The bench: the built wheel, venvs under /tmp, per-distribution on/off switches, CA and servers.

Every measurement compares states of the *same* venv: a distribution is switched off by moving the
files its RECORD lists (sandbox-trust, pip-system-certs, certifi-linux) into a stash beside the venv
and back, so the interpreter, site-packages and every other package stay byte-identical.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

# Benchmarks run as scripts (``python3 benchmarks/run.py``): the checkout root makes the tests'
# harness importable, shared with the suite rather than copied.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests import harness, servers  # noqa: E402, F401 - servers: run.py's origins

CLIENTS = os.path.join(ROOT, "benchmarks", "clients.py")
PTH_LINE = harness.pth_line()
with open(os.path.join(harness.SRC, "_sandbox_trust_gate.py")) as _f:
    GATE_SOURCE = _f.read()  # the module both startup files name (see src/_sandbox_trust_gate.py)
DEFAULT_CA_PATH = harness.load_boot().DEFAULT_CA_PATH
last_json = harness.last_json

# What every bench venv holds; the alternatives (other packages) are switched on one at a time.
PACKAGES = ("requests", "httpx", "certifi", "truststore", "wrapt", "aiohttp")
ALTERNATIVES = {"pip-system-certs": "pip-system-certs==5.3", "certifi-linux": "certifi-linux==1.1"}
SWITCHABLE = ("sandbox-trust",) + tuple(ALTERNATIVES)
SYSTEM_BUNDLE = harness.SYSTEM_BUNDLE


def log(message):
    sys.stderr.write("[bench] %s\n" % message)
    sys.stderr.flush()


def scrubbed_env(home, **extra):
    """What every measured process gets: nothing of this machine's CA or Python settings.

    Bytecode is compiled once at set-up, never by a measured run; hash seeds are fixed.
    """
    return harness.scrubbed_env(home, **dict({"PYTHONHASHSEED": "0"}, **extra))


build_wheel = harness.build_wheel


def resolve_python(spec):
    """``3.13`` -> a pyenv or PATH interpreter of that version; a path is taken as it is."""
    found = harness.find_python(spec)
    if found is None:
        raise SystemExit("no interpreter found for --python %s" % spec)
    return found


class Venv:
    """A bench venv; ``switch(on=..., extra_pth=...)`` sets which distributions are installed."""

    def __init__(self, path, python, wheel):
        self.path = path
        self.python = os.path.join(path, "bin", "python")
        self.stash = path + ".stash"
        self._create(python, wheel)
        self.site_packages = harness.site_packages(self.python)
        self.items = {dist: self._record_items(dist) for dist in SWITCHABLE}
        self._on = set(SWITCHABLE)
        self._extra = []
        self.switch(on=())
        self.version = self.run_text(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])

    def _pip(self, *args):
        harness.pip(self.python, "-q", *args)

    def _create(self, python, wheel):
        with open(wheel, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        key = repr((python, PACKAGES, sorted(ALTERNATIVES.values())))
        marker = os.path.join(self.path, ".bench-ready")
        self._restore_stash()
        if not os.path.exists(marker) or open(marker).read() != key:
            log("creating %s (%s)" % (self.path, python))
            harness.new_venv(self.path, python)
            self._pip("install", *PACKAGES)
            self._pip("install", *ALTERNATIVES.values())
            with open(marker, "w") as f:
                f.write(key)
        wheel_marker = os.path.join(self.path, ".bench-wheel")
        if not os.path.exists(wheel_marker) or open(wheel_marker).read() != digest:
            self._pip("install", "--force-reinstall", "--no-deps", wheel)
            with open(wheel_marker, "w") as f:
                f.write(digest)

    def _restore_stash(self):
        """Put back whatever an interrupted run left switched off."""
        if not os.path.isdir(self.stash):
            return
        for dist in os.listdir(self.stash):
            src_root = os.path.join(self.stash, dist)
            for rel in _stashed_items(src_root):
                target = os.path.join(self._site_packages_guess(), rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.rename(os.path.join(src_root, rel), target)
        shutil.rmtree(self.stash)

    def _site_packages_guess(self):
        lib = os.path.join(self.path, "lib")
        (name,) = [n for n in os.listdir(lib) if n.startswith("python")]
        return os.path.join(lib, name, "site-packages")

    def _record_items(self, dist):
        """Top-level names (and single bytecode files) a distribution put into site-packages."""
        prefix = dist.replace("-", "_") + "-"
        (info,) = [
            n for n in os.listdir(self.site_packages) if n.startswith(prefix) and n.endswith(".dist-info")
        ]
        items = []
        with open(os.path.join(self.site_packages, info, "RECORD")) as f:
            for line in f:
                rel = line.rsplit(",", 2)[0]
                if not rel or rel.startswith(".."):
                    continue
                parts = rel.split("/")
                item = rel if parts[0] == "__pycache__" or len(parts) == 1 else parts[0]
                if item not in items and os.path.exists(os.path.join(self.site_packages, item)):
                    items.append(item)
        return items

    def switch(self, on=(), extra_pth=None):
        """Exactly the distributions ``on`` installed, plus ``extra_pth`` {file name: text}."""
        for name in self._extra:
            os.unlink(os.path.join(self.site_packages, name))
            if name.endswith(".py"):  # and its bytecode (any package's own is stashed while extras exist)
                cache = os.path.join(self.site_packages, "__pycache__")
                for pyc in os.listdir(cache):
                    if pyc.startswith(name[:-3] + ".") and pyc.endswith(".pyc"):
                        os.unlink(os.path.join(cache, pyc))
        self._extra = []
        for dist in SWITCHABLE:
            want = dist in on
            if want == (dist in self._on):
                continue
            for item in self.items[dist]:
                inside = os.path.join(self.site_packages, item)
                outside = os.path.join(self.stash, dist, item)
                source, target = (outside, inside) if want else (inside, outside)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.rename(source, target)
            (self._on.add if want else self._on.discard)(dist)
        for name, text in (extra_pth or {}).items():
            path = os.path.join(self.site_packages, name)
            with open(path, "w") as f:
                f.write(text)
            self._extra.append(name)
            if name.endswith(".py"):  # a helper module of a .pth variant: compiled now, never when measured
                subprocess.run(
                    [self.python, "-m", "py_compile", path], check=True, env=scrubbed_env(self.path)
                )

    def close(self):
        self.switch(on=SWITCHABLE)
        if os.path.isdir(self.stash):
            shutil.rmtree(self.stash)

    def run_text(self, args, **env):
        return subprocess.run(
            [self.python, *args],
            check=True,
            capture_output=True,
            text=True,
            env=scrubbed_env(self.path, **env),
        ).stdout.strip()

    def dist_versions(self):
        names = ("requests", "httpx", "urllib3", "certifi", "truststore", "wrapt", "pip", "setuptools")
        return self.run_text([CLIENTS, "versions", *names])


def _stashed_items(root):
    items = []
    for name in os.listdir(root):
        if name == "__pycache__":
            items.extend(os.path.join(name, f) for f in os.listdir(os.path.join(root, name)))
        else:
            items.append(name)
    return items


class Certificates:
    """The interception CA (as the runtime would inject it), and a system bundle that includes it."""

    def __init__(self, directory, ca_path):
        self.ca_path = ca_path
        with open(ca_path, "rb") as f:
            self.ca_pem = f.read()
        # The baseline's CA variables and the alternatives' system store: system roots + the CA.
        self.merged_path = os.path.join(directory, "merged.pem")
        with open(SYSTEM_BUNDLE, "rb") as f:
            base = f.read()
        with open(self.merged_path, "wb") as f:
            f.write(base.rstrip(b"\n") + b"\n" + self.ca_pem)


def can_bind_mount():
    """The alternatives trust the system store only: emulated with a private mount namespace, if we may."""
    if not shutil.which("unshare") or not os.path.exists(SYSTEM_BUNDLE):
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /dev/null %s" % SYSTEM_BUNDLE],
        capture_output=True,
    )
    return probe.returncode == 0


def with_system_bundle(argv, bundle):
    """``argv`` run where the system bundle *is* ``bundle`` (a private mount namespace)."""
    script = 'mount --bind "$0" %s && exec "$@"' % SYSTEM_BUNDLE
    return ["unshare", "-m", "sh", "-c", script, bundle, *argv]


def private_dir(parent, prefix):
    os.makedirs(parent, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=parent)  # mode 0700
