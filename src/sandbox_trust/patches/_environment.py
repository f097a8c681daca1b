"""What in-process readers of the exported variables see: the variables as they were before export.

The variables are exported for child processes; in this process each library must do what it would
do without sandbox-trust, except that the CA is trusted too (docs/design.md, "Isolation"). The patch
of each reader asks ``visible(name)`` instead of reading ``os.environ``: a value sandbox-trust
introduced reads as unset, a value the user set (which export extended with the CA) as it is.
Both read ``os.environ`` itself, as the library does: code may swap it for a plain dict
(``mock.patch("os.environ", ...)``, as requests' own tests do), and then that dict is the truth.
"""

import os

import _sandbox_trust_boot as boot


def introduced(name):
    """True when ``name`` holds a value sandbox-trust exported (here or in a parent) where there was none."""
    return os.environ.get(name) is not None and boot.original(name, os.environ.get) is None


def visible(name):
    """``os.environ.get(name)``, or ``None`` when that value is one sandbox-trust introduced."""
    return None if introduced(name) else os.environ.get(name)


def add_ca(context):
    """Add the CA to ``context``: for a reader whose own rules chose roots the funnel does not know."""
    from sandbox_trust import _ca  # only when such a reader runs

    # cadata alone, through the class's (patched) method: no other roots are touched.
    _ca.load_into(context, type(context).load_verify_locations)


def cert_dir_context():
    """What httpx-style readers choose once an introduced ``SSL_CERT_FILE`` reads as unset: a
    context over the user's ``SSL_CERT_DIR`` (that directory only, as theirs is), plus the CA; or
    ``None`` when the user set no ``SSL_CERT_DIR`` and the reader's own default comes next."""
    import ssl

    capath = visible("SSL_CERT_DIR")
    if not capath:
        return None
    context = ssl.create_default_context(capath=capath)
    add_ca(context)
    return context


def requests_session_patch(module_name):
    """The ``Patch`` of ``Session.merge_environment_settings`` in the requests module ``module_name``
    (requests' own, or pip's vendored copy): one rule for both."""
    import sys

    from sandbox_trust.patches import Patch

    sessions = sys.modules[module_name]  # patched right after that sessions.py ran
    replacement = requests_merge_environment_settings(sessions, sessions.Session.merge_environment_settings)
    what = "%s.Session.merge_environment_settings" % module_name.rpartition(".")[0]
    return Patch(what, [(sessions.Session, "merge_environment_settings", replacement)])


def requests_merge_environment_settings(sessions, original):
    """``Session.merge_environment_settings`` of the requests module ``sessions``, isolated.

    requests reads ``REQUESTS_CA_BUNDLE``, then ``CURL_CA_BUNDLE``, for a request that passes no
    ``verify=`` of its own, and that beats the session's ``verify`` (known trap 4). When one of them
    holds a value sandbox-trust introduced, the result is computed with the visible values instead;
    the certifi patch and the funnel add the CA to requests' own default.
    """

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        merged = original(self, url, proxies, stream, verify, cert)
        try:
            if self.trust_env and (verify is True or verify is None):
                if introduced("REQUESTS_CA_BUNDLE") or introduced("CURL_CA_BUNDLE"):
                    chosen = visible("REQUESTS_CA_BUNDLE") or visible("CURL_CA_BUNDLE") or verify
                    merged["verify"] = sessions.merge_setting(chosen, self.verify)
        except Exception:
            boot.internal_error("requests.Session.merge_environment_settings")
        return merged

    return merge_environment_settings


def bound_everywhere(package, name, replacement):
    """``(module, name, replacement)`` for ``package`` and each of its modules that bound the original.

    A library that re-exports or imports a function by name (``from ._ssl import f``) keeps its own
    reference: each must be replaced for the patch to reach every caller.
    """
    import sys

    original = getattr(sys.modules[package], name)
    prefix = package + "."
    return [
        (module, name, replacement)
        for dotted, module in sorted(sys.modules.items())
        if (dotted == package or dotted.startswith(prefix)) and getattr(module, name, None) is original
    ]


def create_ssl_context_without_introduced_file(what, original):
    """A ``create_ssl_context(verify, cert, trust_env)`` of httpx's shape that ignores an
    ``SSL_CERT_FILE`` sandbox-trust introduced; ``original()`` returns the function it wraps.

    httpx (and httpx2 before 2.15) reads ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else uses its
    own default (certifi; truststore for httpx2). The exported file extends another default (the
    system bundle) and would hide a user's ``SSL_CERT_DIR`` (known trap 7). With it hidden, the
    library follows its own rule: the user's directory plus the CA, else its default plus the CA
    (the funnel adds it). A value the user set is left to the library.
    """

    def create_ssl_context(verify=True, cert=None, trust_env=True):
        if verify is True and trust_env:
            try:
                if introduced("SSL_CERT_FILE"):
                    context = cert_dir_context()  # the library's next choice: the user's SSL_CERT_DIR
                    if context is not None:
                        verify = context
                    else:
                        trust_env = False  # the rest of the library's rule: its own default
            except Exception:
                boot.internal_error(what)
        return original()(verify, cert, trust_env)

    return create_ssl_context
