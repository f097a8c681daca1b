"""requests 2.32.0-2.32.4's ``_preloaded_ssl_context``: ``python preloaded_context.py URL CA_PATH``.

The context is built when requests.adapters is imported; it must hold the CA, and requests must
verify with it.
"""

import ssl
import sys

import checks


def main():
    url, ca_path = sys.argv[1], sys.argv[2]
    import requests.adapters

    context = requests.adapters._preloaded_ssl_context
    with open(ca_path) as f:
        ca = ssl.PEM_cert_to_DER_cert(f.read())
    report = checks.Report()
    report["holds_ca"] = "trusted" if ca in context.get_ca_certs(binary_form=True) else "rejected"
    report.probe("requests", url)
    report.probe("requests_session", url)
    report.emit()


if __name__ == "__main__":
    main()
