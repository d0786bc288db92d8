"""A local S3-compatible server (moto's server mode: real HTTP, boto3 unpatched), and the `AWS_*`
settings that point boto3 at it, as an operator points it at MinIO or another such store."""

import contextlib

from moto.server import ThreadedMotoServer


@contextlib.contextmanager
def s3_server():
    """Yields the `AWS_*` environment of a running local S3 server."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "local-key",
            "AWS_SECRET_ACCESS_KEY": "local-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    finally:
        server.stop()
