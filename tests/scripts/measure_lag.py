"""When the first client context holds the CA: ``python measure_lag.py PORT``.

Creating the context is what waits for a declared CA that lands late; the handshake with the
local origin on ``PORT`` proves it verified. Prints ``{"started": ..., "loaded": ...}`` (epoch s).
"""

import json
import socket
import ssl
import sys
import time


def main():
    started = time.time()
    context = ssl.create_default_context()
    loaded = time.time()
    with socket.create_connection(("localhost", int(sys.argv[1])), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname="localhost"):
            pass
    print(json.dumps({"started": started, "loaded": loaded}))


if __name__ == "__main__":
    main()
