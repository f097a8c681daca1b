"""Role-less contexts (``ssl.SSLContext(PROTOCOL_TLS)``, ``SSLContext()``) trust the CA as clients only.

Such a context has no role until it wraps a connection: urllib3 1.x builds its clients so, and
servers are built so too. It loads its default roots as a server context does (without the CA),
and gets the CA at its first client-side wrap (``wrap_socket``, or ``wrap_bio``: asyncio). The
server side is tests/test_server_contexts.py (``roleless-*``: a client certificate the CA issued is
rejected, as stock) and tests/test_never_weaker.py (``legacy_*``); here, the clients' trio.
"""

import pytest

ROLELESS_CLIENTS = ("roleless_default_certs", "roleless_certifi", "roleless_asyncio")


@pytest.mark.parametrize("client", ROLELESS_CLIENTS)
def test_a_roleless_client_trusts_the_ca(run, core_venv, trio, client):
    outcome, process = run.probe(
        core_venv, client, trio.url, PYTHONWARNINGS="ignore::DeprecationWarning", **trio.env
    )
    trio.check(outcome, process)
