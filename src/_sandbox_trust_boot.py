"""Interpreter start for sandbox-trust: decide, install the import hook, export variables.

``sandbox_trust.pth`` imports this module only when there may be something to do (the CA file
exists, interception is declared, or an opted-out child has a parent's exports to undo), and the
import itself starts sandbox-trust (see the end of this module). It runs inside ``site``, in every
Python process, so it is a single top-level module (each extra import is a measurable share of a
start: docs/design.md, "Startup") and imports nothing that ``site`` has not imported already:
``os`` and ``sys``. Everything heavier (PEM parsing, bundle building, the patches, the debug
lines) lives in ``sandbox_trust`` and is loaded only when its moment comes: this module is the
base layer. Its functions are explained in comments, not docstrings: a docstring is one more
constant loaded at every start.
"""

import os
import sys

DEFAULT_CA_PATH = "/etc/cloudflare/certs/cloudflare-containers-ca.crt"
DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 300.0  # SANDBOX_TRUST_TIMEOUT's bound: a wait longer than this is a hang to the user

# Variables that *replace* a tool's default roots: each must point at default roots + CA.
REPLACE_VARIABLES = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "CARGO_HTTP_CAINFO",
    "HTTPLIB2_CA_CERTS",
    "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
    "NIX_SSL_CERT_FILE",
)
# A tool reads these when its own variable is unset (curl: CURL_CA_BUNDLE, then SSL_CERT_FILE;
# requests: REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE): exporting its own variable over the user's
# fallback would drop the user's roots, so it extends that fallback instead of the default roots.
FALLBACK_VARIABLES = {
    "CURL_CA_BUNDLE": "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE": "CURL_CA_BUNDLE",
    "AWS_CA_BUNDLE": "REQUESTS_CA_BUNDLE",
}
# curl reads CURL_CA_BUNDLE, else SSL_CERT_DIR (beside its built-in bundle), else SSL_CERT_FILE.
# Once CURL_CA_BUNDLE is exported, a user's SSL_CERT_DIR no longer reaches curl, so the bundle
# exported there holds the certificates of those directories too.
DIRECTORY_VARIABLES = {"CURL_CA_BUNDLE": "SSL_CERT_DIR"}
# Replace-variables that change a tool's mode when set (pip --cert leaves truststore, npm cafile
# drops NODE_EXTRA_CA_CERTS): extended when the user set them, never introduced.
EXTEND_ONLY_VARIABLES = ("PIP_CERT", "NPM_CONFIG_CAFILE")
# Variables that *add* to a tool's default roots: they get the CA (plus what the user had).
# Deno reads every certificate of DENO_CERT beside its own roots (Mozilla's, or the system's).
ADD_VARIABLES = ("NODE_EXTRA_CA_CERTS", "DENO_CERT")

# Each "replace" variable extends the default roots of the tool that reads it (docs/design.md,
# "Isolation"): requests and botocore default to certifi, grpc's C core to the roots.pem in its wheel,
# everything else (OpenSSL, curl, git, ...) to the system bundle.
DEFAULT_BASES = {
    "REQUESTS_CA_BUNDLE": "certifi",
    "AWS_CA_BUNDLE": "certifi",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": "grpc",
}
# Where certifi and grpc keep their roots, below a sys.path entry (found there, never imported).
CERTIFI_ROOTS = "/certifi/cacert.pem"
GRPC_ROOTS = "/grpc/_cython/_credentials/roots.pem"
EXPORTED_VARIABLES = REPLACE_VARIABLES + EXTEND_ONLY_VARIABLES + ADD_VARIABLES
# What the record may name: the exports, and the Java store's option once install --java ran.
RECORDED_VARIABLES = EXPORTED_VARIABLES + ("JAVA_TOOL_OPTIONS",)
# What this process and its ancestors exported, for their children: see encode_record().
RECORD_VARIABLE = "SANDBOX_TRUST_EXPORTED"

# Where distributions keep the system bundle (the list truststore and Go use).
SYSTEM_BUNDLE_CANDIDATES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine with ca-certificates
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora, RHEL
    "/etc/pki/tls/certs/ca-bundle.crt",  # older Fedora, RHEL, CentOS
    "/etc/ssl/ca-bundle.pem",  # SUSE
    "/etc/ssl/cert.pem",  # Alpine, Arch, BSD, macOS
)


_FS_ENCODING = sys.getfilesystemencoding()  # fixed once the interpreter has started
# The bytes dict behind os.environ (CPython on POSIX); None elsewhere, where os.environ is used.
# It is the process's environment, what children inherit: code that later swaps os.environ for a
# plain dict (mock.patch) is not seen here, so the patches' in-process readers read os.environ.
_ENVIRON_BYTES = getattr(os.environ, "_data", None) if os.name == "posix" else None


# ``os.environ.get(name)``, read from the bytes dict as os.environ itself does (same key, same
# decoding) but without its Python-level calls: os.environ answers a miss by raising and catching
# a KeyError, and start-up asks about ~30 names, most of them unset (docs/design.md, "Startup").
# Names are this package's ASCII constants, the same bytes in every filesystem encoding: a plain
# ``encode()`` skips the codec lookup (values are decoded as os.environ decodes them).
def getenv(name):
    if _ENVIRON_BYTES is None:
        return os.environ.get(name)
    value = _ENVIRON_BYTES.get(name.encode())
    return None if value is None else value.decode(_FS_ENCODING, "surrogateescape")


# ``os.environ.update(values)`` with the same effect, through the same dict as ``getenv``: a start
# exports about a dozen variables, and os.environ encodes each key and value in Python.
def setenv(values):
    if _ENVIRON_BYTES is None:
        os.environ.update(values)
        return
    for name, value in values.items():
        key, data = name.encode(), value.encode(_FS_ENCODING, "surrogateescape")
        os.putenv(key, data)  # bytes: putenv encodes nothing again
        _ENVIRON_BYTES[key] = data


# types.SimpleNamespace, without importing types: creating a class at start costs more than the
# rest of a warm start's bookkeeping (docs/design.md, "Startup"), so this module defines none.
Namespace = type(sys.implementation)


# The environment variables of the README's configuration table, read once: a namespace.
#
# Switches are on only for exactly "1" (and SANDBOX_TRUST_EXPORT_ENV off only for "0"), the same
# test the .pth line makes before importing this module. Any other value acts as unset;
# ``sandbox_trust._start_report.ignored_settings`` names those values, for ``status`` and a debug line.
def read_settings(environ=None):
    get = getenv if environ is None else environ.get
    timeout, timeout_problem = parse_timeout(get("SANDBOX_TRUST_TIMEOUT"))
    return Namespace(
        ca_path=get("SANDBOX_CA_CERT") or DEFAULT_CA_PATH,
        declared=get("SANDBOX_INTERCEPT_HTTPS") == "1",
        disabled=get("SANDBOX_TRUST_DISABLE") == "1",
        debug=get("SANDBOX_TRUST_DEBUG") == "1",
        export=get("SANDBOX_TRUST_EXPORT_ENV") != "0",
        cache_dir=get("SANDBOX_TRUST_CACHE_DIR") or None,
        lazy_roots=get("SANDBOX_TRUST_LAZY_ROOTS") != "0",
        repair_ca=get("SANDBOX_TRUST_REPAIR_CA") != "0",
        timeout=timeout,
        timeout_problem=timeout_problem,
    )


# ``(seconds, None)``, or ``(DEFAULT_TIMEOUT, the sentence to say)`` for a value out of bounds.
def parse_timeout(value):
    if not value:
        return DEFAULT_TIMEOUT, None
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if 0.0 <= seconds <= MAX_TIMEOUT:  # False for nan and both infinities
        return seconds, None
    problem = "SANDBOX_TRUST_TIMEOUT=%r is not a number of seconds from 0 to %d; using %g"
    return DEFAULT_TIMEOUT, problem % (value[:40], MAX_TIMEOUT, DEFAULT_TIMEOUT)


settings = read_settings()
# Run-once flags of this process, one idiom: module globals set by the function they guard.
_booted = False  # boot() ran (a venv may process the same .pth twice)
_exported = False  # export_environment() ran: at start, or when a late CA landed
_warned = False  # the one stderr line of a process was said


def debug(message):
    if settings.debug:
        sys.stderr.write("sandbox-trust: debug: %s\n" % message)


# Say one line about a real problem: the first of a process; later ones only in debug.
def warn(message):
    global _warned
    if _warned:
        debug(message)
        return
    _warned = True
    sys.stderr.write("sandbox-trust: %s\n" % message)


# The app's own exception that a wait of ours let through (raised into it by a signal handler: a
# deadline, KeyboardInterrupt; see sandbox_trust._waits). Not ours to report: it passes.
passing = None


# Report the exception being handled; sandbox-trust never raises into its host (except to hand on
# ``passing`` or another exception of the app's own, unchanged). An error path: the report's code
# is in the package, unless the package is what cannot load.
def internal_error(where):
    exc = sys.exc_info()[1]
    if exc is passing:
        raise  # the exception our caller is handling
    try:
        import sandbox_trust
    except Exception:  # a damaged install: the package itself cannot load, so the line is said here
        warn("internal error in %s: %s: %s" % (where, type(exc).__name__, exc))
        return
    if sandbox_trust._report_internal_error(exc, where):  # the app's signal handler raised it
        raise


# --- what was exported, for readers in this process and for children ---------------------------


# ``{name: (before, exported)}`` as one value: per name, ``NAME=`` and two fields. The one record
# builder: export and ``sandbox-trust env`` note every name they export with what the user had
# (``original``); a name whose value already was the bundle (the user's own) is left out here.
#
# A field is ``-`` (unset) or ``<length>:<value>``: every character but NUL (which no environment
# value holds) survives, and a child parses it with ``partition`` and slices, without json.
def encode_record(record):
    fields = []
    for name, (before, after) in record.items():
        if before == after:
            continue
        if before is None:
            fields.append(f"{name}=-{len(after)}:{after}")
        else:
            fields.append(f"{name}={len(before)}:{before}{len(after)}:{after}")
    return "".join(fields)


# What a parent recorded, for the names that still hold exactly what it exported.
#
# Inherited environment is not trusted: anything ``encode_record`` could not have written raises
# ``ValueError``; an entry only ever maps a variable's current value back to the value it
# replaced, which whoever wrote the environment could have set directly, and only for a name in
# EXPORTED_VARIABLES (docs/design.md, "Isolation").
def decode_record(text, get=None):
    get = get or getenv
    record = {}
    while text:
        name, _, text = text.partition("=")
        fields = []
        for field in ("before", "after"):  # only "before" may be "-": unset before our export
            if field == "before" and text[:1] == "-":
                fields.append(None)
                text = text[1:]
                continue
            digits, _, text = text.partition(":")
            if not (digits.isascii() and digits.isdigit() and len(digits) < 7 and int(digits) <= len(text)):
                raise ValueError("bad length")
            fields.append(text[: int(digits)])
            text = text[int(digits) :]
        before, after = fields
        if name not in RECORDED_VARIABLES or name in record or not after:
            raise ValueError("bad name or value")
        if before != after and get(name) == after:  # else changed since: the user's own now
            record[name] = (before, after)
    return record


# variable -> (its value before any sandbox-trust export, the value exported), for this process and,
# inherited, its ancestors: a child re-exporting keeps the first "before", the user's own value.
export_record = {}
if getenv(RECORD_VARIABLE):  # module-level code, not a function: one fewer to load at every start
    try:
        export_record = decode_record(getenv(RECORD_VARIABLE))
    except ValueError as _exc:
        debug("ignoring a malformed %s (%s)" % (RECORD_VARIABLE, _exc))


# ``name`` as it would be without sandbox-trust in this process or its ancestors: the one
# definition of "what the user had before our exports", asked by every reader (the exports'
# planning, the ssl and pyOpenSSL patches, the isolated readers, status and env). The record maps a
# value sandbox-trust exported back to the value it replaced; a value changed since is the user's
# own. ``get`` reads another environment (``os.environ.get`` where it may have been swapped).
def original(name, get=None):
    value = (get or getenv)(name)
    entry = export_record.get(name)
    return entry[0] if entry is not None and value == entry[1] else value


# --- the post-import hook --------------------------------------------------------------------

# module -> patch module in sandbox_trust.patches, applied right after the module's body has run.
PATCH_TARGETS = {
    "ssl": "ssl_context",
    "certifi": "certifi_bundle",
    "requests.sessions": "requests_session",
    "pip._vendor.requests.sessions": "pip_requests_session",
    "httpx": "httpx_config",
    "httpx2": "httpx2_config",
    "httpcore2": "httpcore2_ssl",
    "botocore.endpoint": "botocore_endpoint",
    "pycurl": "pycurl_handle",
    "grpc": "grpc_credentials",
    "OpenSSL.SSL": "pyopenssl_context",
}


def apply_patch(module_name):
    try:
        import sandbox_trust  # the package's one door (its __init__), for every call into it

        sandbox_trust._apply_patch(PATCH_TARGETS[module_name])
    except Exception:
        internal_error("patching %s" % module_name)


_finding = set()  # target names being looked up by find_spec itself: its re-entrancy guard


# ``sys.meta_path`` protocol: patch the modules of ``PATCH_TARGETS`` once they load.
#
# It answers ``None`` at once for every other name, at every import of the process; for a target,
# ``sandbox_trust.patches.target_spec`` (loaded then, as its patch will be) asks the finders behind
# this one and wraps the loader so that the patch runs right after the module body.
def find_spec(fullname, path=None, target=None):
    if fullname not in PATCH_TARGETS or fullname in _finding:
        return None
    try:  # a package that cannot be loaded leaves the target unpatched, never unimportable
        import sandbox_trust

        return sandbox_trust._target_spec(fullname, path, target)
    except Exception:
        internal_error("patching %s" % fullname)
        return None


# The finder on sys.meta_path: a namespace holding find_spec (no class: see Namespace). The flag
# recognises it across copies of this module (a .pth seen twice, two installs).
FINDER = Namespace(find_spec=find_spec, is_sandbox_trust_finder=True)


def install_hook():
    for finder in sys.meta_path:  # a loop: a generator here costs ~10k instructions at every start
        if getattr(finder, "is_sandbox_trust_finder", False):
            debug("import hook already installed")
            return
    sys.meta_path.insert(0, FINDER)
    # A fork while another thread is inside find_spec must not leave the child's lookups skipped.
    os.register_at_fork(after_in_child=_finding.clear)
    if settings.debug:  # no formatting on an ordinary start
        debug("import hook installed for %s" % ", ".join(PATCH_TARGETS))
    for name in PATCH_TARGETS:
        if name in sys.modules:  # imported before us (by an earlier .pth): patch it now
            apply_patch(name)


# --- variables for child processes ---------------------------------------------------------


# Private cache directories, in order of preference (a generator: the first usually wins).
#
# Absolute paths only: a relative location would mean something else after a ``chdir`` (and in
# every child that inherits the exported paths), so a relative variable counts as unset, as
# the XDG spec says.
def cache_candidates():
    cache_dir = settings.cache_dir
    if cache_dir:
        if cache_dir[:1] == "/":
            yield cache_dir.rstrip("/") or "/"
            return
        warn("ignoring SANDBOX_TRUST_CACHE_DIR=%s: not an absolute path" % cache_dir)
    home = getenv("XDG_CACHE_HOME")
    if home and home[:1] == "/":
        yield home.rstrip("/") + "/sandbox-trust"
    else:
        home = getenv("HOME") or os.path.expanduser("~")  # no HOME: the password database's, or "~"
        if home[:1] == "/":
            yield home.rstrip("/") + "/.cache/sandbox-trust"
    temp = getenv("TMPDIR")
    yield "%s/sandbox-trust-%d" % (temp.rstrip("/") if temp and temp[:1] == "/" else "/tmp", os.getuid())


_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# stat's names, as values: ``from stat import`` here costs ~16k instructions at every start.
_SHARED = 0o022  # S_IWGRP | S_IWOTH: a directory others can change
_STICKY = 0o1000  # S_ISVTX
_FILE_TYPE, _REGULAR = 0o170000, 0o100000  # S_IFMT, S_IFREG


# ``(directory, fd)`` of the private cache when it exists; ``(directory, None)`` when the cache to
# use is not made yet (the cold path makes it), ``(None, None)`` when no candidate is usable.
#
# The warm case of ``sandbox_trust._cache``'s rule, which owns the cache (the first candidate
# that exists and is private, or that does not exist and can be made), checked the same way and
# tested against it (tests/test_cache_rule.py). Every directory from ``/`` down is opened relative
# to the one before with ``O_NOFOLLOW`` and must be owned by root or this user and not writable by
# group or others, except a sticky one (``/tmp``) entered towards a directory of this user's; the
# last must be this user's. One ``openat`` and one ``fstat`` per directory: it runs at every
# start. Anything else (a symlink on the way, a refusal to explain) goes to the full walk.
def open_cache_dir():
    for directory in cache_candidates():
        fd = _open_private_dir(directory)
        if fd != -1:
            return directory, fd
    return None, None


# A candidate's fd, None when it is absent and can be made, -1 when it is not usable (the next).
def _open_private_dir(path):
    uid = os.geteuid()
    fd = os.open("/", _DIRECTORY_FLAGS)
    names = path.split("/")
    walked = 0  # directories entered below /
    try:
        st = os.fstat(fd)
        for name in names:
            shared = st.st_mode & _SHARED  # then only a sticky directory may lead on, to one of ours
            if (st.st_uid != uid and st.st_uid != 0) or (shared and not st.st_mode & _STICKY):
                break
            if not name or name == ".":
                continue
            try:
                child = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
            except FileNotFoundError:  # made on first use if only the last two are missing, here
                missing = len(names) - names.count("") - names.count(".") - walked
                return None if missing <= 2 and os.access(".", os.W_OK | os.X_OK, dir_fd=fd, effective_ids=True) else -1
            walked += 1
            os.close(fd)
            fd = child
            st = os.fstat(fd)
            if shared and st.st_uid != uid:
                break
        else:
            if st.st_uid == uid and not st.st_mode & _SHARED:
                found, fd = fd, None
                return found
    except OSError:
        pass  # a symlink, not a directory, no permission: the full walk says which
    finally:
        if fd is not None:
            os.close(fd)
    import sandbox_trust  # the cold path: unusual directories only

    return sandbox_trust._open_cache_candidate(path)


# Identity of a file's current version, cheap enough for every start (one stat, through symlinks).
#
# ctime is in it because no user can set it: a file rewritten in place with its inode, size and
# mtime kept (``cp -p``, ``touch -r``, an image layer) still gets a new signature.
def file_signature(path):
    st = os.stat(path)
    return "%x.%x.%x.%x.%x" % (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


# The name of the symlink that maps (CA version, base version) to a merged bundle.
#
# ``base`` is a bundle path (its identity: one stat), None (the CA alone), or a tuple of a bundle
# and CA directories (a user's SSL_CERT_DIR), whose identity takes every entry of the directories:
# worked out by ``sandbox_trust._cache``, loaded only then (docs/design.md, "The private cache").
def index_name(base, ca_signature):
    if base is None:
        base_signature = "none"
    elif isinstance(base, tuple):
        import sandbox_trust

        base_signature = sandbox_trust._directories_signature(base)
    else:
        base_signature = file_signature(base)
    # A bundle holds the CA normalised (sandbox_trust._anchor) unless SANDBOX_TRUST_REPAIR_CA=0.
    return "index-%s-%s%s" % (ca_signature, base_signature, "" if settings.repair_ca else "-as-written")


# Path of the regular file the index link ``index`` names in the cache, or None.
def cached_bundle(cache_fd, directory, index):
    try:
        name = os.readlink(index, dir_fd=cache_fd)
        # A cleaner may have removed the bundle but not the link; only a plain file here is ours.
        mode = os.stat(name, dir_fd=cache_fd, follow_symlinks=False).st_mode
    except OSError:
        return None
    if "/" in name or (mode & _FILE_TYPE) != _REGULAR:
        return None
    return directory + "/" + name  # directory is absolute and name a plain file name


# ``{"system" | "certifi" | "grpc": bundle path or None}``: each tool's default roots.
#
# One walk of ``sys.path`` finds certifi and grpc together (``os.access``: no exception per miss);
# relative entries (the working directory) are never looked at. A missing one falls back to the
# system bundle, and the system bundle to certifi's.
def default_bases():
    system = None
    for path in SYSTEM_BUNDLE_CANDIDATES:
        if os.path.isfile(path):
            system = path
            break
    certifi = grpc = None
    for entry in sys.path:
        if entry[:1] == "/" and not entry.endswith(".zip"):
            if certifi is None and os.access(entry + CERTIFI_ROOTS, os.R_OK):
                certifi = entry + CERTIFI_ROOTS
            if grpc is None and os.access(entry + GRPC_ROOTS, os.R_OK):
                grpc = entry + GRPC_ROOTS
    return {"system": system or certifi, "certifi": certifi or system, "grpc": grpc or system}


# ``{variable: what to extend, or None for the CA alone}``: user values win.
#
# What to extend is a bundle path, or a tuple of a bundle and CA directories (see
# DIRECTORY_VARIABLES). Values are read as they were before any sandbox-trust export (see
# ``original``), so a child rebuilds from its parent's bases rather than extending its bundles.
# ``environ``: another environment to read (status, env); ``values``: ``original()`` of each of
# EXPORTED_VARIABLES, when the caller has read them already.
def planned_exports(environ=None, values=None):
    bases = default_bases()
    get = None if environ is None else environ.get
    if values is None:
        values = {name: original(name, get) for name in EXPORTED_VARIABLES}
    plan = {}
    for name in REPLACE_VARIABLES:
        value = values[name]
        if value:
            plan[name] = value
            continue
        default_base = bases[DEFAULT_BASES.get(name, "system")]
        base = values.get(FALLBACK_VARIABLES.get(name)) or default_base
        if name in DIRECTORY_VARIABLES:
            directories = original(DIRECTORY_VARIABLES[name], get)
            if directories:  # a list, written as PATH is (OpenSSL's own syntax)
                # A list comprehension: inlined, where a generator would be one more code object to load.
                found = tuple([path for path in directories.split(os.pathsep) if os.path.isdir(path)])
                if found:  # beside them curl reads its built-in bundle, not SSL_CERT_FILE
                    base = ((default_base,) if default_base else ()) + found
        if base:  # never the CA alone: that would distrust every public root
            plan[name] = base
    for name in EXTEND_ONLY_VARIABLES:
        if values[name]:
            plan[name] = values[name]
    for name in ADD_VARIABLES:
        plan[name] = values[name] or None
    return plan


# Point the CA variables for child processes at merged bundles, so those processes trust the CA.
#
# Warm path (every start after the first): one ``readlink`` per distinct base, in the private
# cache, keyed by the CA's and the base's stat signatures. Cold path: the CA is parsed (unless the
# caller hands over its ``certificates``) and ``sandbox_trust._bundles`` builds what is missing.
# Runs once per process: at start when the CA is there, else when it lands. What it exported is
# recorded in ``export_record`` and, for children, in RECORD_VARIABLE.
def export_environment(certificates=None, ca_signature=None):
    global _exported
    if not settings.export or _exported:
        return False
    _exported = True
    try:
        ca_signature = ca_signature or file_signature(settings.ca_path)
    except OSError:  # gone since the .pth looked: nothing to export
        return False
    resolved = {}
    changed = {}
    cache_dir = cache_fd = None
    looked = False  # for the cache directory: once per call
    current = {name: getenv(name) for name in EXPORTED_VARIABLES}
    values = {name: original(name, current.get) for name in current} if export_record else current
    try:
        for name, base in planned_exports(values=values).items():
            if base in resolved:
                path = resolved[base]
            else:
                path = index = None
                if not looked:
                    looked = True
                    cache_dir, cache_fd = open_cache_dir()
                try:
                    # Before the base is read (cold path): a change after this misses next time.
                    index = index_name(base, ca_signature)
                except OSError:
                    pass  # the base is gone: the cold path says so in a debug line
                if cache_fd is not None and index is not None:
                    path = cached_bundle(cache_fd, cache_dir, index)
                if path is None:
                    if certificates is None:
                        import sandbox_trust  # cold path only: parsing is not for every start

                        certificates = sandbox_trust._checked_certificates()
                    if certificates is None:
                        return True  # not a usable CA: in-process trust says why, nothing to export
                    import sandbox_trust

                    path = sandbox_trust._build_bundle(base, certificates, index)
                resolved[base] = path
            if path is None:
                continue  # unreadable base or no usable cache: in-process trust holds
            export_record[name] = (values[name], path)  # what the user had: original()
            if current[name] != path:
                changed[name] = path
        # After install --java only: its mark (sandbox_trust._java.MARK, a symlink to the JDK's
        # cacerts) is there. One access(2) that raises nothing; no function of its own here, as
        # each one is paid at every start (docs/design.md, "Java").
        if cache_fd is not None and os.access("java-cacerts", 0, dir_fd=cache_fd):
            import sandbox_trust

            sandbox_trust._export_java(cache_fd, cache_dir, ca_signature, certificates, changed)
    finally:
        if cache_fd is not None:
            os.close(cache_fd)
        setenv(changed)
        if export_record:
            record = encode_record(export_record)
            if record and getenv(RECORD_VARIABLE) != record:
                setenv({RECORD_VARIABLE: record})
    if settings.debug:
        import sandbox_trust

        sandbox_trust._debug_exports(changed)
    return True


# --- start -------------------------------------------------------------------------------


# Runs when the .pth line imports this module (below); never raises, never prints to stdout.
def boot():
    global _booted
    if _booted:  # a venv may process the same .pth twice; a second copy imports this same module
        return
    _booted = True
    try:
        if settings.disabled:  # the .pth imports us then only when a parent exported variables
            import sandbox_trust

            sandbox_trust._restore_inherited()
            return
        if settings.ca_path[:1] != "/":
            # After a chdir (or in a child started elsewhere) it would name another file.
            warn("ignoring SANDBOX_CA_CERT=%s: not an absolute path" % settings.ca_path)
            return
        if settings.timeout_problem and settings.declared:  # the timeout matters only then
            warn(settings.timeout_problem)
        try:  # the CA's identity, for the cache index too: one stat at start
            ca_signature = file_signature(settings.ca_path)
        except OSError:
            ca_signature = None
        present = ca_signature is not None
        if settings.debug:  # the lines' code is loaded only then (docs/design.md, "Startup")
            import sandbox_trust

            sandbox_trust._debug_start(present)
        if not present and not settings.declared:
            return
        install_hook()
        if present:
            export_environment(ca_signature=ca_signature)
        elif settings.export:  # a child started before the CA lands waits for it (docs/design.md)
            import sandbox_trust

            sandbox_trust._install_child_hook()
    except Exception:
        internal_error("start-up")


# The .pth line only imports this module: a call in the line would be compiled and run twice at
# every start (docs/design.md, "Startup"). So the first import starts sandbox-trust, unless it
# comes from the package (``sandbox_trust`` is imported first: the CLI, the patches) or is a copy
# loaded under another name (the tests' ``load_boot``).
if __name__ == "_sandbox_trust_boot" and "sandbox_trust" not in sys.modules:
    boot()


# The PEP 829 entry point (``sandbox_trust.start``, which Python 3.15+ runs instead of the .pth's
# import line): resolving it imports this module, which has started sandbox-trust already (above),
# so the call returns at once, as does a second one when site-packages is processed twice. An alias,
# not a function: one name at every start instead of a function object.
start = boot
