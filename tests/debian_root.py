"""A Debian root filesystem built by debootstrap, cached, and commands run chrooted in it (needs root).

The one owner of "a Debian root": ``tests/test_images.py`` (bookworm's system Python, the README's
container recipes) and ``tests/in_debian.py`` (the suite on Debian sid's python3.14 and python3.15)
both ask it. A root is built from the Debian mirror this machine's apt uses and cached in
``/var/cache/sandbox-trust`` as a tarball keyed by suite and package list (``SANDBOX_TRUST_IMAGE_CACHE``
moves it); nothing is installed on the host. Stdlib only: the nox sessions run it before any test venv.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile

CACHE = os.environ.get("SANDBOX_TRUST_IMAGE_CACHE", "/var/cache/sandbox-trust")
IMAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")
IN_ROOT = os.path.join(IMAGES, "in-root")
IN_OVERLAY = os.path.join(IMAGES, "in-overlay")
HOSTS = "127.0.0.1 localhost\n::1 localhost\n"  # minbase has none; the test origins are `localhost`


def debian_mirror(sources="/etc/apt/sources.list.d/debian.sources", fallback="http://deb.debian.org/debian"):
    """The first non-security Debian mirror of this machine's apt sources (deb822 or one-line form)."""
    for path in (sources, "/etc/apt/sources.list"):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        for uri in re.findall(r"^(?:URIs:|deb)\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.M):
            if "security" not in uri and uri.startswith("http"):
                return uri
    return fallback


def _name(suite, packages):
    key = hashlib.sha256(repr((suite, tuple(packages))).encode()).hexdigest()[:10]
    return "debootstrap-%s-%s" % (suite, key)


def tarball(suite, packages):
    """Path of the cached root filesystem tarball of ``suite`` with ``packages``, built on first use.

    Fails (CalledProcessError, with debootstrap's output) when the suite or a package cannot be had:
    a version that cannot be provided fails the run, it is never skipped.
    """
    path = os.path.join(CACHE, _name(suite, packages) + ".tar")
    if os.path.exists(path):
        return path
    _ensure_debootstrap()
    os.makedirs(CACHE, exist_ok=True)
    target = tempfile.mkdtemp(prefix="debootstrap-", dir=CACHE)
    try:
        # In a private mount namespace: the /proc and /sys debootstrap mounts go when it ends, even
        # if it fails half-way.
        process = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "--", "debootstrap", "--variant=minbase"]
            + ["--include=" + ",".join(packages), suite, target, debian_mirror()],
            capture_output=True,
            text=True,
        )
        if process.returncode != 0:
            raise subprocess.CalledProcessError(
                process.returncode, process.args, process.stdout[-4000:], process.stderr[-4000:]
            )
        with open(os.path.join(target, "etc", "hosts"), "w") as f:
            f.write(HOSTS)
        partial = path + ".partial"
        subprocess.run(["tar", "-C", target, "-cf", partial, "."], check=True)
        os.rename(partial, path)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return path


def tree(suite, packages):
    """The cached root unpacked once beside its tarball: a read-only lower layer for ``in-overlay``."""
    archive = tarball(suite, packages)
    path = archive[: -len(".tar")] + ".d"
    if os.path.isdir(path):
        return path
    partial = tempfile.mkdtemp(prefix="unpack-", dir=CACHE)
    try:
        subprocess.run(["tar", "-C", partial, "-xf", archive], check=True)
        try:
            os.rename(partial, path)
        except OSError:
            if not os.path.isdir(path):  # else another run unpacked it first: use theirs
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return path


def unpack(suite, packages, path):
    """A fresh copy of the cached root at ``path`` (an existing, empty directory)."""
    subprocess.run(["tar", "-C", path, "-xf", tarball(suite, packages)], check=True)
    with open(os.path.join(path, "etc", "hosts"), "w") as f:
        f.write(HOSTS)
    return path


def _ensure_debootstrap():
    if shutil.which("debootstrap"):
        return
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], check=True)


class Chroot:
    """A root filesystem at ``path``; ``run`` executes a command chrooted in it with ``env`` exactly."""

    def __init__(self, path):
        self.path = path

    def run(self, args, env, timeout=300):
        return subprocess.run(
            [IN_ROOT, self.path, *args], capture_output=True, text=True, timeout=timeout, env=env
        )

    def copy_in(self, source, inside):
        destination = os.path.join(self.path, inside.lstrip("/"))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, destination)
        return inside
