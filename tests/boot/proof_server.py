#!/usr/bin/python3
"""A tiny HTTP server for the network-boot suite (tests/boot/run.sh).

    proof_server.py ADDRESS PORT LOG [ROOT]

Answers `GET /proof/<anything>` with 200 "ok" and appends one line per request to LOG:
`<client-ip> <method> <path> <status>` (flushed at once, so the suite can poll it). Other paths
are served from ROOT when given (read-only, nothing outside ROOT), else 404. Writes
`listening <address>:<port>` to LOG once it accepts connections. Standard library only.
"""

import http.server
import os
import sys


def main() -> int:
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    address, port, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    root = os.path.realpath(sys.argv[4]) if len(sys.argv) == 5 else None
    log = open(log_path, "a", buffering=1, encoding="utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes, head_only: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(body)
            log.write(f"{self.client_address[0]} {self.command} {self.path} {status}\n")

        def _answer(self, head_only: bool) -> None:
            if self.path.startswith("/proof/"):
                self._send(200, b"ok\n", head_only)
                return
            if root is not None:
                path = os.path.realpath(os.path.join(root, self.path.split("?", 1)[0].lstrip("/")))
                if path.startswith(root + os.sep) and os.path.isfile(path):
                    with open(path, "rb") as f:
                        self._send(200, f.read(), head_only)
                    return
            self._send(404, b"not found\n", head_only)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(True)

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass  # one line per request is written by _send

    server = http.server.ThreadingHTTPServer((address, port), Handler)
    log.write(f"listening {address}:{port}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
