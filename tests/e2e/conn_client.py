#!/usr/bin/python3
"""Short HTTP connections through the VIP, from netns sfc (python3 stdlib only).

  conn_client.py load HOST PORT [--count N] [--concurrency C] [--hold] [--path P]
                 [--close client|server] [--timeout S] [--max-failures K] [--deadline S]
      N connections, C at a time, each "GET P" checked against backend_server.py's
      content (status 200, length, sha256). --close says who closes first: the client
      (keep-alive, then close) or the server ("Connection: close", then read to EOF).
      --hold keeps each connection open until all C of its wave have their answer, so
      C spliced connections are established at once. Stops early after K failures.
  conn_client.py probe HOST PORT [--timeout S]
      One connection: connect, send "GET /small", report what came back: "response",
      "reset", "eof" or "timeout", and how long after the request it came; or, when
      connect() itself fails, "connect: <errno>" and how long connect() took.

Last line: "RESULT {json}". Exit 0 when every connection succeeded (load) or always (probe).
"""
import argparse
import errno
import hashlib
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backend_server  # noqa: E402


def expected(path):
    size = backend_server.parse_size(path.lstrip("/"))
    h = hashlib.sha256()
    for c in backend_server.chunks(size):
        h.update(c)
    return size, h.hexdigest()


def read_response(s, deadline):
    """-> (status, headers dict, body bytes) of one HTTP/1.1 response with Content-Length."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        d = s.recv(65536)
        if not d:
            raise ConnectionError("EOF before the response headers")
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
    n = int(hdrs.get("content-length", "0"))
    h = hashlib.sha256(body[:n])
    got = len(body)
    while got < n:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        d = s.recv(min(1 << 20, n - got))
        if not d:
            raise ConnectionError(f"EOF after {got} of {n} body bytes")
        h.update(d)
        got += len(d)
    return status, hdrs, got, h.hexdigest()


def one(host, port, path, close, timeout, barrier=None):
    """One connection; returns None on success or a short error string."""
    deadline = time.monotonic() + timeout
    size, sha = EXPECT
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        return f"connect: {errno.errorcode.get(e.errno, e.__class__.__name__)}"
    try:
        req = f"GET {path} HTTP/1.1\r\nHost: sf-e2e\r\n"
        if close == "server":
            req += "Connection: close\r\n"
        s.sendall((req + "\r\n").encode())
        status, _, got, h = read_response(s, deadline)
        if status != 200:
            return f"status {status}"
        if got != size or h != sha:
            return "body differs"
        if barrier is not None:
            try:
                barrier.wait(max(0.01, deadline - time.monotonic()))
            except threading.BrokenBarrierError:
                pass
        if close == "server":
            s.settimeout(max(0.01, deadline - time.monotonic()))
            if s.recv(1) != b"":
                return "data after the body"
        return None
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "reset"
    except (OSError, ValueError, IndexError) as e:
        return f"{e.__class__.__name__}: {e}"[:80]
    finally:
        s.close()


def load(a):
    global EXPECT
    EXPECT = expected(a.path)
    results = [None] * a.count
    errors = {}
    failures = 0
    lock = threading.Lock()
    start = time.monotonic()
    stop = False
    i = 0
    while i < a.count and not stop:
        wave = list(range(i, min(a.count, i + a.concurrency)))
        barrier = threading.Barrier(len(wave)) if a.hold and len(wave) > 1 else None

        def run(k):
            nonlocal failures
            err = one(a.host, a.port, a.path, a.close, a.timeout, barrier)
            with lock:
                results[k] = err or "ok"
                if err:
                    failures += 1
                    errors[err] = errors.get(err, 0) + 1
            if err and barrier is not None:
                barrier.abort()

        if len(wave) == 1:
            run(wave[0])
        else:
            ts = [threading.Thread(target=run, args=(k,)) for k in wave]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        i += len(wave)
        if failures >= a.max_failures or time.monotonic() - start > a.deadline:
            stop = True
    ok = sum(1 for r in results if r == "ok")
    res = {
        "count": a.count, "ok": ok, "failed": failures, "not_run": results.count(None),
        "errors": errors, "elapsed_s": round(time.monotonic() - start, 3),
        # one letter a connection, in order: o ok, x failed, - not run
        "outcomes": "".join("-" if r is None else "o" if r == "ok" else "x" for r in results),
    }
    print("RESULT " + json.dumps(res), flush=True)
    return 0 if ok == a.count else 1


def probe(a):
    res = {"connected": False, "result": None, "ms": None}
    t0 = time.monotonic()
    try:
        s = socket.create_connection((a.host, a.port), timeout=3)
    except OSError as e:
        res["result"] = "connect: " + errno.errorcode.get(e.errno, e.__class__.__name__)
        res["ms"] = round((time.monotonic() - t0) * 1000)
        print("RESULT " + json.dumps(res), flush=True)
        return 0
    res["connected"] = True
    t0 = time.monotonic()
    try:
        s.sendall(b"GET /small HTTP/1.1\r\nHost: sf-e2e\r\nConnection: close\r\n\r\n")
        s.settimeout(a.timeout)
        d = s.recv(65536)
        res["result"] = "response" if d else "eof"
    except socket.timeout:
        res["result"] = "timeout"
    except (ConnectionResetError, BrokenPipeError):
        res["result"] = "reset"
    except OSError as e:
        res["result"] = errno.errorcode.get(e.errno, e.__class__.__name__)
    res["ms"] = round((time.monotonic() - t0) * 1000)
    s.close()
    print("RESULT " + json.dumps(res), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["load", "probe"])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--hold", action="store_true")
    ap.add_argument("--path", default="/small")
    ap.add_argument("--close", choices=["client", "server"], default="server")
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("--max-failures", type=int, default=5)
    ap.add_argument("--deadline", type=float, default=60)
    a = ap.parse_args()
    return load(a) if a.mode == "load" else probe(a)


if __name__ == "__main__":
    sys.exit(main())
