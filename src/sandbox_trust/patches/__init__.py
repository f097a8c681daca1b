"""One module per patched library, all of one shape.

A patch module is imported only when its target has been imported (see
``_sandbox_trust_boot.PATCH_TARGETS``), so it may import its target freely. Each builds one ``Patch``
at import, which saves the originals right then (the target module body has just run, so nothing
else has replaced them yet), as ``PATCH`` (``PATCH.apply()``, ``revert()``, ``is_applied()``), and
names what its replacements call ``_original`` (``PATCH.original``: a dict, name -> original).
"""

import sys

import _sandbox_trust_boot as boot

_MISSING = object()


class Patch:
    """Attributes to replace, ``(owner, name, replacement)``; reversible, idempotent both ways.

    ``original[name]`` is what the replacement calls: the attribute as ``getattr`` saw it before
    any apply (inherited or not), kept after ``revert()`` for calls still in flight.
    """

    def __init__(self, what, replacements):
        self.what = what  # for the debug line: "ssl.SSLContext (set_default_verify_paths, ...)"
        self.replacements = tuple(replacements)
        self.original = {}
        self._saved = {}  # (owner, name) -> owner.__dict__ entry before apply, or _MISSING
        for owner, name, _ in self.replacements:
            self._saved[(owner, name)] = owner.__dict__.get(name, _MISSING)
            self.original.setdefault(name, getattr(owner, name))

    def is_applied(self):
        return all(owner.__dict__.get(name) is new for owner, name, new in self.replacements)

    def apply(self):
        if self.is_applied():
            return
        for owner, name, new in self.replacements:
            setattr(owner, name, new)
        boot.debug("patched %s" % self.what)

    def revert(self):
        for owner, name, _new in self.replacements:
            saved = self._saved[(owner, name)]
            if saved is _MISSING:
                if name in owner.__dict__:
                    delattr(owner, name)  # it was inherited: inherit it again
            else:
                setattr(owner, name, saved)


def openssl_user_paths():
    """``(SSL_CERT_FILE, SSL_CERT_DIR)`` as the user had them (None: unset), or None when the
    process environment holds no export of ours there.

    OpenSSL reads both at every ``set_default_verify_paths``, from the process environment (not a
    swapped ``os.environ``), where SSL_CERT_FILE holds the merged bundle exported for children: a
    snapshot of its base when it was built, and for pyOpenSSL a bundle that would give a server the
    CA. The ssl and pyOpenSSL patches load what stock would load from these values instead, at each
    call, so a bundle rewritten since is seen as stock sees it (docs/design.md, "Isolation").

    Here, beside ``Patch``, not in ``_environment``: every patch imports this module anyway, and a
    module of its own would cost ~550k instructions at every ``import ssl`` (callgrind, 3.11).
    """
    cafile, capath = boot.original("SSL_CERT_FILE"), boot.original("SSL_CERT_DIR")
    if cafile == boot.getenv("SSL_CERT_FILE") and capath == boot.getenv("SSL_CERT_DIR"):
        return None
    return cafile, capath


def target_spec(fullname, path, target):
    """The spec the finders behind sandbox-trust's give ``fullname`` (a ``PATCH_TARGETS`` module),
    its loader's ``exec_module`` wrapped so that the patch runs right after the module body.

    Every finder is asked but sandbox-trust's (any copy's: its flag); ``boot._finding``
    keeps this lookup from answering for itself when one of them imports the same name. A class used
    as loader (builtin, frozen) is shared by many modules and never wrapped.
    """
    boot._finding.add(fullname)
    try:
        spec = None
        for finder in sys.meta_path:
            if not getattr(finder, "is_sandbox_trust_finder", False) and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
    finally:
        boot._finding.discard(fullname)
    loader = getattr(spec, "loader", None)
    exec_module = getattr(loader, "exec_module", None)
    if exec_module is None or isinstance(loader, type):
        return spec

    def exec_module_then_patch(module):
        exec_module(module)
        boot.apply_patch(fullname)

    try:
        loader.exec_module = exec_module_then_patch
    except AttributeError:
        pass
    return spec


def _module(name):
    module = "sandbox_trust.patches." + name
    __import__(module)  # not importlib.import_module: importlib/__init__ is not loaded at start
    return sys.modules[module]


def apply(name):
    _module(name).PATCH.apply()


def revert(name):
    _module(name).PATCH.revert()
