#!/usr/bin/env python3
"""foobar: a tiny application server that reads its greeting from MySQL."""
import configparser
import http.server
import os

CONFIG = configparser.ConfigParser()
CONFIG.read(os.environ.get("FOOBAR_CONFIG", "/srv/foobar/shared/app.ini"))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"foobar on {CONFIG['server']['name']}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(CONFIG["server"]["port"])
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
