"""The Java truststore at a start after ``install --java``: found and exported, nothing more.

``_sandbox_trust_boot.export_environment`` imports this module only when the mark of ``install
--java`` is in the cache; it stays small and imports nothing beyond the start-time module, since
it is paid at every such start (docs/design.md, "Java"). Building a store, on a miss, is
``sandbox_trust._java``'s, whose names (``MARK``, ``OPTION``, ``VARIABLE``, and the cache's
``JAVA_INDEX_PREFIX``) are spelled here as literals (tests/test_java.py checks that they agree).
"""

import os

import _sandbox_trust_boot as boot


def export(cache_fd, directory, ca_signature, certificates, changed):
    """Put ``JAVA_TOOL_OPTIONS`` naming the store in ``changed`` (and ``boot.export_record``).

    The store is found through an index named by the CA's and the JDK cacerts' signatures (one
    ``readlink``, one ``stat``), else built again (the CA rotated, or an update rewrote cacerts).
    The option goes before the user's own options: a later ``-D`` wins, so theirs does if they
    set one; the record lets an opted-out child put their value back.
    """
    try:
        cacerts = os.readlink("java-cacerts", dir_fd=cache_fd)
        index = "java-index-%s-%s" % (ca_signature, boot.file_signature(cacerts))
    except OSError:
        return  # the JDK went away: nothing to point Java at (status says so)
    path = boot.cached_bundle(cache_fd, directory, index)
    if path is None:
        from sandbox_trust import _java  # the cold path: the store is built again

        path = _java.rebuild(cache_fd, directory, cacerts, certificates, ca_signature)
        if path is None:
            return
    before = boot.original("JAVA_TOOL_OPTIONS")
    value = "-Djavax.net.ssl.trustStore=" + path + (" " + before if before else "")
    boot.export_record["JAVA_TOOL_OPTIONS"] = (before, value)  # encode_record's rule decides
    if boot.getenv("JAVA_TOOL_OPTIONS") != value:
        changed["JAVA_TOOL_OPTIONS"] = value
