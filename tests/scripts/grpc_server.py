"""A gRPC TLS server answering the standard health check: ``python grpc_server.py LEAF KEY``.

Prints its port, then serves until its stdin is closed.
"""

import sys
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2_grpc


def main():
    with open(sys.argv[1], "rb") as f:
        cert = f.read()
    with open(sys.argv[2], "rb") as f:
        key = f.read()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key, cert)]))
    server.start()
    print(port, flush=True)
    sys.stdin.read()  # serve until the test closes our stdin
    server.stop(0)


if __name__ == "__main__":
    main()
