#!/usr/bin/python3
"""The e2e lab's backend: a threaded HTTP/1.1 server for netns sfb (python3 stdlib only).

  GET /health        "ok\\n" (readiness)
  GET /stats         JSON: requests served, per local address (which backend address was used)
  GET /small         1 KiB of the content stream
  GET /big           64 MiB of it
  GET /<n>[k|m]      n bytes (or KiB, MiB) of it, e.g. /16m
                     (content GETs carry "X-Peer: addr:port", the client as the server saw it)
  GET /rst           read the request, then reset the connection (SO_LINGER 0), no reply
  PUT|POST /<any>    "<sha256 hex> <bytes>\\n" of the body received (Content-Length or chunked)

Every GET body is a prefix of one deterministic stream (1 MiB blocks of SHAKE-256 over
the block number), so a client checks a download against `backend_server.py --emit SIZE`.
HTTP/1.1 keep-alive: the connection stays open until the client closes it, it asks for
"Connection: close" (the server closes first), or 30 s pass idle.

usage: backend_server.py [--bind ADDR] [--port PORT]
       backend_server.py --emit SIZE        write the body of GET /SIZE to stdout
       backend_server.py --sha256 SIZE      print the sha256 of that body
"""
import argparse
import functools
import hashlib
import http.server
import json
import re
import socket
import struct
import sys
import threading

BLOCK = 1 << 20
SIZES = {"small": 1024, "big": 64 << 20}
MAX_SIZE = 1 << 30


@functools.lru_cache(maxsize=80)
def block(i):
    return hashlib.shake_256(b"synfront-e2e:%d" % i).digest(BLOCK)


def chunks(size):
    """The first size bytes of the stream, in blocks."""
    i = 0
    while size > 0:
        b = block(i)
        yield b if size >= BLOCK else b[:size]
        size -= BLOCK
        i += 1


def parse_size(name):
    """'small', 'big', '1234', '16k', '64m' -> bytes, or None."""
    if name in SIZES:
        return SIZES[name]
    m = re.fullmatch(r"(\d+)([kKmM]?)", name)
    if not m:
        return None
    n = int(m.group(1)) << {"": 0, "k": 10, "m": 20}[m.group(2).lower()]
    return n if n <= MAX_SIZE else None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.uploads = 0
        self.by_local_addr = {}

    def count(self, local_addr, upload=False):
        with self.lock:
            self.requests += 1
            self.uploads += upload
            self.by_local_addr[local_addr] = self.by_local_addr.get(local_addr, 0) + 1

    def snapshot(self):
        with self.lock:
            return {"requests": self.requests, "uploads": self.uploads,
                    "by_local_addr": dict(self.by_local_addr)}


STATS = Stats()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sf-e2e-backend/1"
    timeout = 30

    def log_message(self, fmt, *args):
        pass

    def local_addr(self):
        return self.connection.getsockname()[0]

    def reply(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = self.path.lstrip("/").split("?", 1)[0]
        if name == "health":
            return self.reply(200, b"ok\n")
        if name == "stats":
            return self.reply(200, json.dumps(STATS.snapshot()).encode() + b"\n", "application/json")
        if name == "rst":
            STATS.count(self.local_addr())
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return None
        size = parse_size(name)
        if size is None:
            return self.reply(404, b"unknown path\n")
        STATS.count(self.local_addr())
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.send_header("X-Peer", "%s:%d" % self.client_address[:2])
        self.end_headers()
        for c in chunks(size):
            self.wfile.write(c)
        return None

    def read_body(self, h):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            n = 0
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise ConnectionError("EOF in chunked body")
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return n
                left = size
                while left:
                    d = self.rfile.read(min(left, BLOCK))
                    if not d:
                        raise ConnectionError("EOF in chunk")
                    h.update(d)
                    left -= len(d)
                    n += len(d)
                self.rfile.readline(16)
        left = int(self.headers.get("Content-Length", "0"))
        n = 0
        while left:
            d = self.rfile.read(min(left, BLOCK))
            if not d:
                raise ConnectionError("EOF in body")
            h.update(d)
            left -= len(d)
            n += len(d)
        return n

    def do_PUT(self):
        if self.headers.get("Expect", "").lower() == "100-continue":
            self.send_response_only(100)
            self.end_headers()
        h = hashlib.sha256()
        n = self.read_body(h)
        STATS.count(self.local_addr(), upload=True)
        self.reply(200, b"%s %d\n" % (h.hexdigest().encode(), n))

    do_POST = do_PUT


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--emit", metavar="SIZE")
    ap.add_argument("--sha256", metavar="SIZE")
    a = ap.parse_args()
    if a.emit or a.sha256:
        size = parse_size(a.emit or a.sha256)
        if size is None:
            ap.error("bad SIZE")
        if a.emit:
            out = sys.stdout.buffer
            for c in chunks(size):
                out.write(c)
            out.flush()
        else:
            h = hashlib.sha256()
            for c in chunks(size):
                h.update(c)
            print(h.hexdigest())
        return 0
    srv = Server((a.bind, a.port), Handler)
    print(f"backend_server: listening on {a.bind}:{a.port}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
