"""One patch module through apply and revert, twice: ``python patch_cycle.py PATCH``.

Run in a test venv's interpreter, with the CA in ``SANDBOX_CA_CERT``. It imports the patch's
targets (patched on import unless opted out), then walks revert, apply, apply, revert, revert,
apply, apply, revert, and reports by identity whether every patched attribute is the patch
module's own object after each apply and the very original object after each revert. Prints one
JSON line; the test compares the runs of an opted-out and an active interpreter.
Also reports whether the module's own ``Patch`` declares exactly the targets listed here.
"""

import importlib
import json
import os
import ssl
import sys

# What each patch replaces: "module:attribute" or "module:Class.attribute" (looked up in the
# class's own __dict__, so an inherited method reads as "missing").
TARGETS = {
    "ssl_context": (
        "ssl:SSLContext.set_default_verify_paths",
        "ssl:SSLContext.load_default_certs",
        "ssl:SSLContext.load_verify_locations",
    ),
    "certifi_bundle": ("certifi:where", "certifi:contents", "certifi.core:where", "certifi.core:contents"),
    "requests_session": ("requests.sessions:Session.merge_environment_settings",),
    "pip_requests_session": ("pip._vendor.requests.sessions:Session.merge_environment_settings",),
    "httpx_config": (
        "httpx:create_ssl_context",
        "httpx._config:create_ssl_context",
        "httpx._transports.default:create_ssl_context",
    ),
    # httpx2 2.14 (the last for Python 3.10) reads the variables in create_ssl_context; 2.15 and
    # later ask httpcore2, and the patch then replaces nothing (see targets() below).
    "httpx2_config": (
        "httpx2:create_ssl_context",
        "httpx2._config:create_ssl_context",
        "httpx2._transports.default:create_ssl_context",
    ),
    "httpcore2_ssl": (
        "httpcore2:default_ssl_context",
        "httpcore2._ssl:default_ssl_context",
        "httpcore2._async.connection:default_ssl_context",
        "httpcore2._async.http_proxy:default_ssl_context",
        "httpcore2._sync.connection:default_ssl_context",
        "httpcore2._sync.http_proxy:default_ssl_context",
    ),
    "botocore_endpoint": (
        "botocore.endpoint:EndpointCreator._get_verify_value",
        "botocore.configprovider:EnvironmentProvider.provide",
    ),
    "pycurl_handle": ("pycurl:Curl",),
    "grpc_credentials": ("grpc:ssl_channel_credentials",),
}
MISSING = object()


def targets(patch_name):
    """TARGETS, for the installed version: httpx2 from 2.15 on needs no patch of its own."""
    if patch_name == "httpx2_config":
        from importlib.metadata import version

        if tuple(int(part) for part in version("httpx2").split(".")[:2]) >= (2, 15):
            return ()
    return TARGETS[patch_name]


def _ca_der():
    with open(os.environ["SANDBOX_CA_CERT"]) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def _ssl_has_ca():
    return _ca_der() in ssl.create_default_context().get_ca_certs(binary_form=True)


def _certifi_has_ca():
    import certifi

    with open(os.environ["SANDBOX_CA_CERT"]) as f:
        body_line = f.read().splitlines()[1]
    with open(certifi.where()) as f:
        return body_line in f.read() and body_line in certifi.contents()


# The patches that change what is trusted: checked by behaviour too.
HAS_CA = {"ssl_context": _ssl_has_ca, "certifi_bundle": _certifi_has_ca}


def _owner(target):
    module_name, _, path = target.partition(":")
    owner = importlib.import_module(module_name)
    *classes, name = path.split(".")
    for cls in classes:
        owner = getattr(owner, cls)
    return owner, name


def declared(patch):
    """The targets the patch module's ``Patch`` lists, in the notation of TARGETS."""
    labels = []
    for owner, name, _replacement in patch.PATCH.replacements:
        if isinstance(owner, type):
            labels.append("%s:%s.%s" % (owner.__module__, owner.__qualname__, name))
        else:
            labels.append("%s:%s" % (owner.__name__, name))
    return sorted(labels)


def describe(obj):
    """A description stable across processes: a function by its code's place, else its repr."""
    if obj is MISSING:
        return "missing"
    code = getattr(obj, "__code__", None)
    if code is not None:
        return "%s:%s:%d" % (obj.__qualname__, code.co_filename, code.co_firstlineno)
    return repr(obj)


def main():
    patch_name = sys.argv[1]
    owners = {target: _owner(target) for target in targets(patch_name)}
    # The patched module is imported first, as the import hook sees it (even with nothing to replace).
    import _sandbox_trust_boot

    importlib.import_module({p: m for m, p in _sandbox_trust_boot.PATCH_TARGETS.items()}[patch_name])
    patch = importlib.import_module("sandbox_trust.patches." + patch_name)
    has_ca = HAS_CA.get(patch_name, lambda: None)

    def state():
        return {target: vars(owner).get(name, MISSING) for target, (owner, name) in owners.items()}

    replacements = {name: new for _owner, name, new in patch.PATCH.replacements}

    def is_patched(values):
        return all(values[target] is replacements.get(name) for target, (_, name) in owners.items())

    def same(values, reference):
        return all(values[target] is reference[target] for target in owners)

    def aliases(values):
        """Which targets hold one and the same object (certifi re-exports core's functions)."""
        return sorted(
            [a, b] for a in values for b in values if a < b and values[a] is values[b] is not MISSING
        )

    # The table above is this check's own statement: a target the module adds or drops shows here.
    report = {"declared_is_table": declared(patch) == sorted(targets(patch_name)), "targets": len(owners)}
    at_import = state()
    report["patched_at_import"] = is_patched(at_import)
    report["has_ca_at_import"] = has_ca()
    patch.PATCH.revert()
    original = state()
    report["revert_kept_import_state"] = same(original, at_import)
    report["original"] = {target: describe(value) for target, value in original.items()}
    report["original_aliases"] = aliases(original)
    report["has_ca_reverted"] = has_ca()
    patch.PATCH.apply()
    applied = state()
    report["applied"] = is_patched(applied) and not any(applied[t] is original[t] for t in owners)
    report["has_ca_applied"] = has_ca()
    patch.PATCH.apply()
    report["applied_twice"] = same(state(), applied)
    patch.PATCH.revert()
    report["reverted"] = same(state(), original)
    patch.PATCH.revert()
    report["reverted_twice"] = same(state(), original)
    patch.PATCH.apply()
    patch.PATCH.apply()
    report["reapplied"] = same(state(), applied)
    patch.PATCH.revert()
    report["reverted_again"] = same(state(), original)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
