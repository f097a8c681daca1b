"""One interpreter of a cold-cache stampede: ``python stampede_child.py URL CA_PATH``.

A trusted request, then read back the bundles SSL_CERT_FILE and NODE_EXTRA_CA_CERTS name: each
must be complete (loadable, as many BEGIN as END lines) and end with the CA. Prints one JSON line.
"""

import hashlib
import json
import os
import ssl
import sys
import urllib.request


def main():
    url, ca_path = sys.argv[1], sys.argv[2]
    urllib.request.urlopen(url, timeout=60).read()
    with open(ca_path) as f:
        ca_pem = ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(f.read())).encode()
    report = {}
    for name in ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
        path = os.environ[name]
        with open(path, "rb") as f:
            data = f.read()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=data.decode("ascii"))  # raises on a partial certificate
        report[name] = {
            "path": path,
            "sha256": hashlib.sha256(data).hexdigest(),
            "ends_with_ca": data.endswith(ca_pem),
            "begin": data.count(b"-----BEGIN CERTIFICATE-----"),
            "end": data.count(b"-----END CERTIFICATE-----"),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
