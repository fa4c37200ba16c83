"""Downloads against a local HTTP server on 127.0.0.1: resume after a dropped connection, verification, no re-download."""
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from cradle_nb.data import DownloadError, download

PAYLOAD = bytes(range(256)) * 4096          # 1 MiB


class Handler(http.server.BaseHTTPRequestHandler):
    "Serves PAYLOAD with Range support; the first full request is cut off half way."
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.requests.append(self.headers.get("Range"))
        start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers.get("Range") else 0
        body = PAYLOAD[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/flaky.bin" and len(Handler.requests) == 1:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


@pytest.fixture()
def server():
    Handler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_resumes_after_dropped_connection_and_verifies(server, tmp_path):
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    path = download(f"{server}/flaky.bin", tmp_path / "f.bin", sha256=sha, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert Handler.requests[0] is None and Handler.requests[1].startswith("bytes=")   # resumed, not restarted
    n = len(Handler.requests)
    download(f"{server}/flaky.bin", tmp_path / "f.bin", sha256=sha, progress=False)
    assert len(Handler.requests) == n, "a verified file must not be downloaded again"


def test_checksum_mismatch_is_an_error_and_leaves_no_file(server, tmp_path):
    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        download(f"{server}/file.bin", tmp_path / "g.bin", sha256="0" * 64, progress=False)
    assert not (tmp_path / "g.bin").exists() and not (tmp_path / "g.bin.part").exists()


def test_size_is_checked(server, tmp_path):
    with pytest.raises(DownloadError, match="size mismatch"):
        download(f"{server}/file.bin", tmp_path / "h.bin", size=123, progress=False)


def test_offline_message_names_url_and_destination(tmp_path):
    with pytest.raises(DownloadError) as err:
        download("http://127.0.0.1:9/norman.h5ad", tmp_path / "norman.h5ad", retries=1, progress=False)
    assert "http://127.0.0.1:9/norman.h5ad" in str(err.value) and str(tmp_path / "norman.h5ad") in str(err.value)
