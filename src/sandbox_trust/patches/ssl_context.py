"""Every client ``ssl.SSLContext`` that loads the default public roots also loads the CA.

Whatever a library does, its trust ends in one of two ``SSLContext`` methods: the system roots
through ``set_default_verify_paths`` (``create_default_context``, ``load_default_certs``, urllib,
http.client, urllib3, aiohttp, websockets, tornado, truststore on Linux, pip) or a bundle file
through ``load_verify_locations`` (certifi in requests, httpx, botocore, pip's vendored copy).
Patching those two methods on the class reaches every instance and every module that bound the
class by name, without replacing the class (docs/design.md, known traps 1 and 2).

Never weaker: the CA is only *added*, and only to contexts that verify servers; a context made
for the server side (PROTOCOL_TLS_SERVER, or default certs for Purpose.CLIENT_AUTH) never gets it,
not even through a merged bundle exported in SSL_CERT_FILE: it is loaded without the CA. A
role-less context (PROTOCOL_TLS) is loaded as a server's until its first client-side wrap.
A ``load_verify_locations`` of any other file (an app's own pinned CA) is left exactly as asked.

Lazy roots: where a client context would parse a default-roots bundle, it gets the same
certificates from a hashed directory that OpenSSL reads one issuer at a time (``_hashed_dirs``;
docs/design.md, "Lazy roots"). The CA itself is always loaded eagerly.
"""

import _ssl
import os
import ssl
import sys

import _sandbox_trust_boot as boot
from sandbox_trust.patches import Patch, openssl_user_paths

_CERTIFI_BUNDLE_SUFFIX = os.sep + os.path.join("certifi", "cacert.pem")


# OpenSSL's compiled-in defaults and the variables that override them, read at each call as it does.
_CAFILE_ENV, _OPENSSL_CAFILE, _CAPATH_ENV, _OPENSSL_CAPATH = _ssl.get_default_verify_paths()
# Files and directories that hold the default public roots on this machine.
_DEFAULT_ROOT_LOCATIONS = frozenset(
    boot.SYSTEM_BUNDLE_CANDIDATES + ("/etc/ssl/certs", "/etc/pki/tls/certs", _OPENSSL_CAFILE, _OPENSSL_CAPATH)
)


def loads_default_roots(cafile, capath):
    """True when a ``load_verify_locations`` call loads the public roots (system or certifi)."""
    for location in (cafile, capath):
        if location is None:
            continue
        location = os.fsdecode(location)
        if location in _DEFAULT_ROOT_LOCATIONS or location.endswith(_CERTIFI_BUNDLE_SUFFIX):
            return True
    return False


# A role-less context (PROTOCOL_TLS, SSLContext(): urllib3 1.x builds its clients so, and servers
# are built so too) loads its roots as a server context does, without the CA, and gets the CA at its
# first client-side wrap; after a server-side one, never (docs/design.md, "Never weaker").
_ROLE = "_sandbox_trust_role"  # on a role-less context that loaded default roots: one of these
_PENDING = "pending"  # the CA is added at the first wrap_socket/wrap_bio with server_side=False
_CLIENT = "client"  # it made a client connection: a client from now on, with the CA
_SERVER = "server"  # it served first: never the CA


def _names_default_roots(cafile, capath, cadata):
    """True when these locations are default roots, or a bundle of ours (path or text), for a role-less context."""
    if loads_default_roots(cafile, capath):
        return True
    if isinstance(cafile, (str, bytes, os.PathLike)) and _is_lazy_base(os.fsdecode(cafile)):
        return True
    if isinstance(cadata, str):
        from sandbox_trust import _bundles

        return _bundles.is_marked(cadata)
    return False


def _verifies_servers(context):
    protocol = context.protocol
    if protocol == ssl.PROTOCOL_TLS_CLIENT:
        return True
    return protocol != ssl.PROTOCOL_TLS_SERVER and getattr(context, _ROLE, None) == _CLIENT


def _defer_ca(context):
    """A role-less context loaded default roots (without the CA): the CA waits for its first client wrap.

    Its ``wrap_socket`` and ``wrap_bio`` are shadowed on the instance until that first wrap (then
    removed): a client context, and every connection after the first, pays nothing for this.
    """
    if context.protocol == ssl.PROTOCOL_TLS_SERVER or getattr(context, _ROLE, None) is not None:
        return
    try:
        setattr(context, _ROLE, _PENDING)
    except AttributeError:  # a subclass with __slots__: never the CA, as a server context
        return

    def wrap_socket(sock, server_side=False, *args, **kwargs):
        _takes_role(context, server_side)
        return type(context).wrap_socket(context, sock, server_side, *args, **kwargs)

    def wrap_bio(incoming, outgoing, server_side=False, *args, **kwargs):  # asyncio's connections
        _takes_role(context, server_side)
        return type(context).wrap_bio(context, incoming, outgoing, server_side, *args, **kwargs)

    context.wrap_socket, context.wrap_bio = wrap_socket, wrap_bio


def _takes_role(context, server_side):
    """The first wrap of a role-less context that loaded default roots decides what it is."""
    role = getattr(context, _ROLE, None)
    if role == _CLIENT and not server_side:  # a first client wrap racing another: the CA before it too
        _add_ca(context)  # loading it twice adds nothing twice (OpenSSL skips a certificate it holds)
    if role != _PENDING:
        return
    for name in ("wrap_socket", "wrap_bio"):  # the class's again (and no cycle through the closures)
        context.__dict__.pop(name, None)
    if server_side:
        setattr(context, _ROLE, _SERVER)
        return
    setattr(context, _ROLE, _CLIENT)
    _add_ca(context)


_lazy_bases = {}  # path -> True when it is a base whose roots may come from a hashed directory
_system_bundles = []  # their real paths, resolved at the first lookup: not at `import ssl`
# What a context loaded through these methods, in order: our hashed directories, _DIRECTORY (one
# not ours: OpenSSL's default, a user's) and _OTHER (anything else: a file, cadata), each once.
_STATE = "_sandbox_trust_roots"
_DIRECTORY = "directory"
_OTHER = "other"


def _is_lazy_base(path):
    """The system bundle (by any name), a certifi copy, or a bundle sandbox-trust merged."""
    known = _lazy_bases.get(path)
    if known is None:
        from sandbox_trust import _hashed_dirs

        if not _system_bundles:
            _system_bundles.extend(os.path.realpath(p) for p in boot.SYSTEM_BUNDLE_CANDIDATES)
        known = (
            os.path.realpath(path) in _system_bundles
            or path.endswith(_CERTIFI_BUNDLE_SUFFIX)
            or _hashed_dirs.is_merged_bundle(path)
        )
        _lazy_bases[path] = known
    return known


def _lazy_roots(context, path, default_file=False):
    """``(hashed directory, DER to load with it)`` instead of the bundle ``path``, or None: eagerly.

    OpenSSL asks a directory for a subject only when no certificate of that subject is in the
    store, and asks its directories in the order they were added, stopping at the first that has
    one: a certificate or a foreign directory loaded before would shadow the roots. So only into a
    context that holds nothing else, and after another hashed directory only with the certificates
    of the subjects both hold (where they differ) loaded eagerly (docs/design.md, "Lazy roots").
    """
    # ``default_file``: the file set_default_verify_paths reads is default roots by definition.
    if not boot.settings.lazy_roots or not path or not (default_file or _is_lazy_base(path)):
        return None
    try:
        from sandbox_trust import _ca, _hashed_dirs

        certificates = _ca.certificates()
        roots = _hashed_dirs.roots_for(path, certificates) if certificates is not None else None
        if roots is None:
            return None
        state = getattr(context, _STATE, None)
        if state is None:
            stats = context.cert_store_stats()
            if stats["x509"] or stats["crl"]:
                return None
            state = ()
        if roots.capath in state:
            return roots.capath, roots.cadata
        if _DIRECTORY in state or _OTHER in state:
            return None
        shadowed = _hashed_dirs.shadowed(state, roots.capath)
        if shadowed is None:
            return None
        try:
            setattr(context, _STATE, state + (roots.capath,))
        except AttributeError:  # a subclass with __slots__: loaded eagerly
            return None
        return roots.capath, roots.cadata + shadowed
    except Exception:
        boot.internal_error("finding lazy roots")
        return None


def _load_lazily(context, lazy):
    capath, cadata = lazy
    load = _original["load_verify_locations"]
    load(context, capath=capath)
    if cadata:
        load(context, cadata=cadata)


def _loaded(context, marker, cafile=None, cadata=None):
    """Record that ``context`` loaded something else; keep our directories' roots reachable.

    A certificate loaded after a hashed directory shadows the directory's certificates of its
    subject (OpenSSL asks the store first), so those are loaded eagerly with it.
    """
    state = getattr(context, _STATE, ())
    try:
        if marker not in state:
            setattr(context, _STATE, state + (marker,))
    except AttributeError:  # a subclass with __slots__: nothing lazy is ever loaded into it then
        return
    directories = tuple(entry for entry in state if entry not in (_DIRECTORY, _OTHER))
    if marker != _OTHER or not directories:
        return
    try:
        from sandbox_trust import _hashed_dirs

        digests = set()
        for found in (
            _hashed_dirs.file_digests(os.fsdecode(cafile)) if cafile is not None else set(),
            _hashed_dirs.cadata_digests(cadata) if cadata is not None else set(),
        ):
            if found is None:
                digests = None  # a subject not known for certain: every root of ours, eagerly
                break
            digests.update(found)
        der = _hashed_dirs.held_by(directories, digests)
        if der:
            _original["load_verify_locations"](context, cadata=der)
    except Exception:
        boot.internal_error("keeping lazy roots reachable")


def _current_bundle(cafile):
    """``cafile``, or for a merged bundle of ours whose base changed since, the bundle of the base now.

    A merged bundle is a copy of its base (the system bundle, certifi's) made when it was built;
    its path lives on in an exported SSL_CERT_FILE or in a ``certifi.where()`` that requests bound
    at import. Without sandbox-trust OpenSSL would read the base itself again for this new context,
    so it gets what the base holds now (``_bundles.current``: a stat of the base and of the CA).
    """
    try:
        path = os.fsdecode(cafile)
    except TypeError:
        return cafile  # OpenSSL's own error for it, as without us
    name = os.path.basename(path)
    if not (name.startswith("bundle-") and name.endswith(".pem")):  # not one of ours: as it is
        return cafile
    try:
        from sandbox_trust import _bundles, _ca

        certificates = _ca.certificates(wait=False)  # no CA yet: nothing merged to follow
        return cafile if certificates is None else _bundles.current(path, certificates)
    except Exception:
        boot.internal_error("looking up the current bundle for %s" % path)
        return cafile


def _add_ca(context):
    try:
        # Here, not at import: asyncio and many programs import ssl and never verify a server.
        from sandbox_trust import _ca

        _ca.load_into(context, _original["load_verify_locations"])
    except Exception:
        boot.internal_error("adding the CA to an SSLContext")


def _server_cadata(path):
    """PEM text of ``path`` without the certificates sandbox-trust merged in, if it is one of its bundles.

    Server contexts load a bundle of ours when SSL_CERT_FILE was exported (by this process or a
    parent) or when they pass ``certifi.where()``; they must see only what the base held. None
    for any other file, which is then loaded exactly as asked.
    """
    from sandbox_trust import _bundles  # server contexts only: client paths never need it

    try:
        data = _bundles.read_file(path)  # never blocks on a FIFO or a device: regular files only
    except OSError:
        return None
    if not _bundles.is_marked(data):
        return None
    return _ascii_lines(_bundles.unmerge(data))


def _ascii_lines(data):
    """PEM bytes as the ASCII text ``cadata=`` takes: lines that are not ASCII (comments) dropped."""
    return "\n".join(line for line in data.decode("latin-1").splitlines() if line.isascii())


def _load_pem_text(context, text):
    """Load the certificates of PEM ``text``; one OpenSSL cannot parse is skipped, never raised."""
    load = _original["load_verify_locations"]
    if "-----BEGIN" not in text:
        return
    try:
        load(context, cadata=text)
    except ssl.SSLError:  # one bad block fails the whole text: load the blocks one by one
        for block in text.split("-----END CERTIFICATE-----")[:-1]:
            try:
                load(context, cadata=block + "-----END CERTIFICATE-----\n")
            except ssl.SSLError:
                pass


def _load_for_server(context, cafile=None, capath=None, cadata=None):
    """``load_verify_locations`` for a server context: our bundles and our ``cadata`` lose the CA.

    Every route a merged bundle can take: a path to one of our bundles (SSL_CERT_FILE,
    ``certifi.where()``), or its text as ``cadata`` (``certifi.contents()``, the file read by the
    app). Anything without the marker is loaded exactly as asked.
    """
    from sandbox_trust import _bundles

    ours = []
    if cafile is not None:
        cafile = _current_bundle(cafile)
        stripped = _server_cadata(os.fsdecode(cafile))
        if stripped is not None:
            ours.append(stripped)
            cafile = None
    if isinstance(cadata, str) and _bundles.is_marked(cadata):
        ours.append(_ascii_lines(_bundles.unmerge(cadata.encode("utf-8", "surrogateescape"))))
        cadata = None
    if not ours:
        return _original["load_verify_locations"](context, cafile, capath, cadata)
    for text in ours:
        _load_pem_text(context, text)
    if cafile is not None or capath is not None or cadata is not None:
        _original["load_verify_locations"](context, cafile, capath, cadata)


def user_default_paths():
    """``(cafile, capath)`` that stock ``set_default_verify_paths`` reads now: the user's values,
    else OpenSSL's compiled-in defaults; None when no export of ours is in the way (see
    ``patches.openssl_user_paths``)."""
    user = openssl_user_paths()
    if user is None:
        return None
    cafile, capath = user
    return (_OPENSSL_CAFILE if cafile is None else cafile, _OPENSSL_CAPATH if capath is None else capath)


def _load_default_file(context, cafile, load):
    """``load(context, cafile=...)`` with OpenSSL's rule for its default file: one that is missing,
    empty or unreadable as PEM is skipped silently (``X509_STORE_set_default_paths`` clears the
    error), so the same certificates are loaded as by ``set_default_verify_paths``."""
    if not cafile:
        return False
    try:
        load(context, cafile=cafile)
    except (OSError, ValueError):  # ssl.SSLError is an OSError
        return False
    return True


def _set_server_default_paths(context):
    """OpenSSL's default paths for a server context, minus an exported bundle's CA."""
    user = user_default_paths()
    if user is not None:  # the user's own values, never the CA: what stock loads
        cafile, capath = user
        _load_default_file(context, cafile, _load_for_server)
        if capath:  # OpenSSL adds a missing directory too (looked up, finds nothing); "" adds none
            _original["load_verify_locations"](context, capath=capath)
        return None
    cafile = os.environ.get("SSL_CERT_FILE")
    if not cafile or _server_cadata(cafile) is None:
        return _original["set_default_verify_paths"](context)
    capath = os.environ.get("SSL_CERT_DIR") or ssl.get_default_verify_paths().openssl_capath
    _load_for_server(context, cafile=cafile)
    if capath and os.path.isdir(capath):  # OpenSSL skips a missing default directory too
        _original["load_verify_locations"](context, capath=capath)


def set_default_verify_paths(self):
    if not _verifies_servers(self):
        _set_server_default_paths(self)
        _defer_ca(self)
        return None
    user = user_default_paths()
    if user is None:
        cafile, capath = os.environ.get(_CAFILE_ENV, _OPENSSL_CAFILE), os.environ.get(_CAPATH_ENV, _OPENSSL_CAPATH)
    else:
        cafile, capath = user  # what stock reads at this call, not the snapshot exported for children
    current = _current_bundle(cafile) if cafile else cafile
    lazy = _lazy_roots(self, current, default_file=True)
    if lazy is None and (user is not None or current != cafile):
        # OpenSSL's default paths by hand: the user's values, or a bundle of ours whose base changed
        # (the current bundle); a file that cannot be loaded is skipped, as OpenSSL skips it.
        _load_default_file(self, current, _original["load_verify_locations"])
        _loaded(self, _OTHER, cafile=current or None)
        if capath:
            _original["load_verify_locations"](self, capath=capath)
            _loaded(self, _DIRECTORY)
    elif lazy is None:
        _original["set_default_verify_paths"](self)
        _loaded(self, _OTHER, cafile=cafile or None)
    else:
        # OpenSSL's default file, from the directory; its default directory lookup as it was, after
        # ours: for a subject in both, the bundle's certificates shadowed the directory's before too.
        _load_lazily(self, lazy)
        if capath:
            _original["load_verify_locations"](self, capath=capath)
            _loaded(self, _DIRECTORY)
    _add_ca(self)


def load_default_certs(self, purpose=ssl.Purpose.SERVER_AUTH):
    if purpose == ssl.Purpose.SERVER_AUTH:
        return _original["load_default_certs"](self, purpose)
    # Roots that verify *clients* (server side): the stdlib body, with the unpatched path loader.
    if not isinstance(purpose, ssl._ASN1Object):
        raise TypeError(purpose)
    if sys.platform == "win32":
        for storename in self._windows_cert_stores:
            self._load_windows_store_certs(storename, purpose)
    _set_server_default_paths(self)


def load_verify_locations(self, cafile=None, capath=None, cadata=None):
    if not _verifies_servers(self):
        _load_for_server(self, cafile, capath, cadata)
        if _names_default_roots(cafile, capath, cadata):
            _defer_ca(self)
        return None
    lazy = None
    if cafile is not None:
        cafile = _current_bundle(cafile)
    if cafile is not None and capath is None and cadata is None:
        lazy = _lazy_roots(self, os.fsdecode(cafile))
    if lazy is None:
        _original["load_verify_locations"](self, cafile, capath, cadata)
        if cafile is not None or cadata is not None:
            _loaded(self, _OTHER, cafile=cafile, cadata=cadata)
        if capath is not None:  # after ours: OpenSSL asks it only for subjects ours does not hold
            _loaded(self, _DIRECTORY)
    else:
        _load_lazily(self, lazy)
    if lazy is not None or loads_default_roots(cafile, capath):
        _add_ca(self)


PATCH = Patch(
    "ssl.SSLContext (set_default_verify_paths, load_default_certs, load_verify_locations)",
    (
        (ssl.SSLContext, "set_default_verify_paths", set_default_verify_paths),
        (ssl.SSLContext, "load_default_certs", load_default_certs),
        (ssl.SSLContext, "load_verify_locations", load_verify_locations),
    ),
)
_original = PATCH.original
