"""sandbox-trust: make every Python process trust the sandbox's HTTPS-interception CA.

Importing this package does nothing; ``sandbox_trust.pth`` and ``_sandbox_trust_boot`` do the
work at interpreter start. See ``python -m sandbox_trust --help``.

The functions below are the one door from the start-time module into the package:
``_sandbox_trust_boot`` is the base layer, the package's modules import it, and it calls into the
package only through these (docs/architecture.md, "Map"; ``tests/test_layers.py`` allows exactly
that one arrow). Each loads what it needs when called, and each is a moment start-up left its fast
case (a patch target was imported, the cache missed, ``SANDBOX_TRUST_DEBUG=1``, a Java trust store
to keep). Here and not in a module of their own: every call imports this package anyway, and
another module would cost ~610k instructions more at each of those moments (callgrind, 3.11).
"""

__version__ = "0.1.0"


def _quiet_in_cli():
    """In the sandbox-trust command's own process (console script or -m), the one stderr line stays
    a debug line: each command reports what it finds itself (status as problems, wait and env in
    their one line), so a second copy would only repeat it. Called where start-up may warn (the
    door's CA and cache calls) and by the CLI itself."""
    import sys

    import _sandbox_trust_boot as boot

    argv = sys.orig_argv
    if argv[1:2] and argv[1].rpartition("/")[2] == "sandbox-trust" or argv[1:3] == ["-m", "sandbox_trust"]:
        boot._warned = True


def _report_internal_error(exc, where):
    """Report an error of sandbox-trust's, or True for one the app raised (``_waits.report``)."""
    from sandbox_trust import _waits

    return _waits.report(exc, where)


def _restore_inherited():
    """Put back what the variables held before any ancestor exported them (this process opted out)."""
    import os

    import _sandbox_trust_boot as boot

    for name in tuple(boot.export_record):
        value = boot.original(name)
        del boot.export_record[name]
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    os.environ.pop(boot.RECORD_VARIABLE, None)


def _target_spec(fullname, path, target):
    """The spec of a patch target being imported, its loader wrapped to patch it (``patches``)."""
    from sandbox_trust import patches

    return patches.target_spec(fullname, path, target)


def _apply_patch(patch_module):
    """Apply ``sandbox_trust.patches.<patch_module>``: its target module has just been imported."""
    from sandbox_trust import patches

    patches.apply(patch_module)


def _open_cache_candidate(path):
    """The full walk of one cache candidate (``_cache.open_candidate``): its fd, None or -1."""
    _quiet_in_cli()
    from sandbox_trust import _cache

    return _cache.open_candidate(path)


def _directories_signature(base):
    """The identity of a bundle and CA directories (a user's SSL_CERT_DIR), every entry included."""
    from sandbox_trust import _cache

    return _cache.directories_signature(base)


def _checked_certificates():
    """The CA, parsed and checked (``_ca.checked_certificates``), or None."""
    _quiet_in_cli()
    from sandbox_trust import _ca

    return _ca.checked_certificates()


def _build_bundle(base, certificates, index):
    """Build and index the merged bundle of ``base`` and the CA (``_bundles.build_and_index``)."""
    from sandbox_trust import _bundles

    return _bundles.build_and_index(base, certificates, index)


def _export_java(cache_fd, cache_dir, ca_signature, certificates, changed):
    """The Java exports (``_java_start.export``), when the cache holds a Java trust store."""
    from sandbox_trust import _java_start

    return _java_start.export(cache_fd, cache_dir, ca_signature, certificates, changed)


def _debug_start(present):
    from sandbox_trust import _start_report

    _start_report.debug_start(present)


def _debug_exports(changed):
    from sandbox_trust import _start_report

    _start_report.debug_exports(changed)


def _install_child_hook():
    """A child started before a declared CA lands waits for it (``_children.install``)."""
    from sandbox_trust import _children

    _children.install()
