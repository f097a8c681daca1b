"""Every core client trusts the injected CA, and only it: each positive test has its two twins."""

import pytest

from tests.conftest import CORE_PROBES


@pytest.mark.parametrize("client", CORE_PROBES)
def test_trusts_the_injected_ca_and_only_it(run, core_venv, trio, client):
    outcome, process = run.probe(core_venv, client, trio.url, **trio.env)
    trio.check(outcome, process, quiet=True)


@pytest.mark.parametrize("client", ("urllib_request", "requests", "httpx", "aiohttp"))
def test_trusted_without_exporting_variables(run, core_venv, intercept, client):
    """In-process trust does not lean on the exported variables."""
    outcome, process = run.probe(
        core_venv, client, intercept.url, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_EXPORT_ENV="0"
    )
    assert outcome == "trusted", process.stdout + process.stderr
