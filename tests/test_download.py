"""Downloads (pooch) against a local HTTP server on 127.0.0.1: retry after a dropped connection, verification, no re-download."""
import hashlib
import http.server
import threading

import pytest

from cradle_nb.datasets import CorruptDownload, DownloadError, download

PAYLOAD = bytes(range(256)) * 4096          # 1 MiB


class Handler(http.server.BaseHTTPRequestHandler):
    "Serves PAYLOAD; on /flaky.bin the first request is cut off half way."
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        if self.path == "/flaky.bin" and len(Handler.requests) == 1:
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(PAYLOAD)


@pytest.fixture()
def server():
    Handler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_retries_after_dropped_connection_and_verifies(server, tmp_path):
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    path = download(f"{server}/flaky.bin", tmp_path / "f.bin", sha256=sha, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert len(Handler.requests) == 2                                         # cut off once, then retried whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]            # no partial file left behind
    download(f"{server}/flaky.bin", tmp_path / "f.bin", sha256=sha, progress=False)
    assert len(Handler.requests) == 2, "a verified file must not be downloaded again"


def test_checksum_mismatch_is_an_error_and_leaves_no_file(server, tmp_path):
    with pytest.raises(CorruptDownload, match="SHA-256 mismatch"):
        download(f"{server}/file.bin", tmp_path / "g.bin", sha256="0" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_offline_message_names_url_and_destination(tmp_path):
    with pytest.raises(DownloadError) as err:
        download("http://127.0.0.1:9/norman.h5ad", tmp_path / "norman.h5ad", retries=1, progress=False)
    assert "http://127.0.0.1:9/norman.h5ad" in str(err.value) and str(tmp_path / "norman.h5ad") in str(err.value)
