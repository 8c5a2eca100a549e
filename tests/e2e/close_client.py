#!/usr/bin/python3
"""Connection closes through the splice, driven segment by segment with scapy from netns sfc.

Scenarios, each on its own connection to the VIP (an HTTP/1.1 backend, backend_server.py):
  client-first   the client closes first; the backend's FIN follows
  server-first   "Connection: close": the backend closes first
  simultaneous   both FINs cross: the client sends its FIN without acknowledging the backend's
  client-rst     a blind RST (sequence far out of window) changes nothing; an exact one resets
                 the backend's connection
  server-rst     the backend resets (GET /rst); the client gets an RST it must accept (seq = RCV.NXT)
  TW reuse       a new SYN with a higher sequence number on a tuple in TIME_WAIT opens a new
                 connection at once
Each check says what the client saw, plus the backend's socket state (ss in netns sfb).

After the three closes the appliance holds the connection in TIME_WAIT for 2 x MSL: a
duplicate of the client's last ACK sent then is absorbed by the entry; the same duplicate
sent again after 2 x MSL finds no entry and is checked as a cookie (counted cookie_invalid).
The last line "SENT {...}" tells the caller how many such late duplicates were sent.

The caller drops the client kernel's RSTs (it knows nothing of these connections) with an
iptables rule that spares this script's packets, sent with IP TTL 100.

usage: close_client.py VIP PORT MSL_MS [--ctl SYNFRONT_CTL --ctl-socket PATH]
"""
import argparse
import hashlib
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, conf  # noqa: E402

import sfrun

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backend_server  # noqa: E402

conf.verb = 0
TTL = 100
M = 1 << 32
SOURCE = "198.18.1.100"  # the appliance's address towards the backends

a = argparse.ArgumentParser()
a.add_argument("vip")
a.add_argument("port", type=int)
a.add_argument("msl_ms", type=int)
a.add_argument("--ctl")
a.add_argument("--ctl-socket")
args = a.parse_args()
c = sfrun.Checks("close-client")
SMALL_SHA = hashlib.sha256(b"".join(backend_server.chunks(1024))).hexdigest()


def backend_conns():
    """The backend's sockets to the appliance: {peer port: state}."""
    out = subprocess.run(["ip", "netns", "exec", "sfb", "ss", "-Htan", "dst", SOURCE],
                         capture_output=True, text=True, check=False).stdout
    conns = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5:
            conns[int(f[4].rsplit(":", 1)[1])] = f[0]
    return conns


def ctl_state(name):
    """Connections in TCP state name (stats gauges.states), or None without synfront-ctl."""
    if not args.ctl or not os.access(args.ctl, os.X_OK):
        return None
    r = subprocess.run([args.ctl, "-s", args.ctl_socket, "--json", "stats"],
                       capture_output=True, text=True, check=False, timeout=10)
    try:
        return int(json.loads(r.stdout)["gauges"]["states"].get(name, 0))
    except (ValueError, KeyError, TypeError):
        return f"no gauges.states in the reply (rc {r.returncode}): {r.stdout[:120]!r} {r.stderr[:120]!r}"


def check_ctl_time_wait(what, want_min, want_max=None):
    n = ctl_state("TIME_WAIT")
    if n is None:
        print(f"note   {what}: synfront-ctl not built, TIME_WAIT gauge not checked", flush=True)
        return
    if isinstance(n, str):
        c.check(False, f"{what}: synfront-ctl stats: {n}")
        return
    ok = n >= want_min and (want_max is None or n <= want_max)
    c.check(ok, f"{what}: synfront-ctl stats gauges.states.TIME_WAIT = {n}"
                f" (want {want_min}{'' if want_max is None else '..' + str(want_max)})")


class Conn:
    """One client connection, segment by segment."""

    def __init__(self, name, sport=None, isn=None):
        self.name = name
        self.sport = sport if sport is not None else random.randint(20000, 60000)
        self.isn = isn if isn is not None else random.getrandbits(32)
        self.snd_nxt = self.isn
        self.rcv_nxt = 0
        self.peer_ack = None
        self.rx = b""
        self.fin_seq = None      # sequence number of the backend's FIN, once seen in order
        self.auto_ack_fin = True
        self.rst = None
        self.synack = None
        self.pending = None      # (segment, last sent) of our unacknowledged data or FIN
        self.last_ack = None     # the last pure ACK we sent
        self.backend_port = None  # the appliance's port towards the backend (X-Peer)
        self.q = queue.Queue()
        self.sock = conf.L3socket()
        started = threading.Event()
        vip, port, sport = args.vip, args.port, self.sport
        self.sniffer = AsyncSniffer(
            iface="eth0", store=False, prn=self.q.put, started_callback=started.set,
            lfilter=lambda p: IP in p and TCP in p and p[IP].src == vip
            and p[TCP].sport == port and p[TCP].dport == sport)
        self.sniffer.start()
        started.wait(5)
        time.sleep(0.1)

    def close_sniffer(self):
        try:
            self.sniffer.stop()
        except Exception:  # noqa: BLE001 (already stopped)
            pass
        self.sock.close()

    def seg(self, flags, seq=None, ack=None, data=b"", options=None):
        return (IP(dst=args.vip, ttl=TTL)
                / TCP(sport=self.sport, dport=args.port, flags=flags,
                      seq=(self.snd_nxt if seq is None else seq) % M,
                      ack=(self.rcv_nxt if ack is None else ack) % M if "A" in flags else 0,
                      window=65535, options=options or [])
                / data)

    def send(self, p, reliable=False):
        self.sock.send(p)
        if reliable:
            self.pending = (p, time.monotonic())
        elif p[TCP].flags == "A":
            self.last_ack = p

    def ack(self):
        self.send(self.seg("A"))

    def handle(self, p):
        t = p[TCP]
        plen = p[IP].len - p[IP].ihl * 4 - t.dataofs * 4
        data = bytes(t.payload)[:max(0, plen)]
        if t.flags.R:
            self.rst = p
            return
        if t.flags.S:
            self.synack = p
            return
        if t.flags.A:
            self.peer_ack = t.ack
            if self.pending and (t.ack - self.pending[0][TCP].seq) % M >= self.pending_len():
                self.pending = None
        need_ack = False
        if data:
            if t.seq == self.rcv_nxt:
                self.rx += data
                self.rcv_nxt = (self.rcv_nxt + len(data)) % M
            need_ack = True
        if t.flags.F:
            fseq = (t.seq + len(data)) % M
            if self.fin_seq is None and fseq == self.rcv_nxt:
                self.fin_seq = fseq
                if self.auto_ack_fin:
                    self.rcv_nxt = (self.rcv_nxt + 1) % M
            need_ack = need_ack or self.auto_ack_fin or (fseq + 1) % M == self.rcv_nxt
        if need_ack:
            self.ack()

    def pending_len(self):
        t = self.pending[0][TCP]
        return len(bytes(t.payload)) + (1 if t.flags.F else 0) + (1 if t.flags.S else 0)

    def pump(self, cond, timeout):
        """Handle the backend's segments until cond() holds; retransmit ours meanwhile."""
        end = time.monotonic() + timeout
        while not cond():
            left = end - time.monotonic()
            if left <= 0:
                return False
            try:
                self.handle(self.q.get(timeout=min(left, 0.1)))
            except queue.Empty:
                pass
            if self.pending and time.monotonic() - self.pending[1] > 0.5:
                self.send(self.pending[0], reliable=True)
        return True

    def connect(self):
        syn = self.seg("S", options=[("MSS", 1460)])
        for _ in range(3):
            self.send(syn)
            if self.pump(lambda: self.synack is not None, 1.5):
                break
        if not c.check(self.synack is not None, f"{self.name}: SYN-ACK from the VIP"):
            return False
        c.eq(self.synack[TCP].ack, (self.isn + 1) % M, f"{self.name}: SYN-ACK acknowledges the SYN")
        self.snd_nxt = (self.isn + 1) % M
        self.rcv_nxt = (self.synack[TCP].seq + 1) % M
        self.ack()
        return True

    def request(self, text):
        data = text.encode()
        self.send(self.seg("PA", data=data), reliable=True)
        self.snd_nxt = (self.snd_nxt + len(data)) % M

    def fin(self):
        self.send(self.seg("FA"), reliable=True)
        self.snd_nxt = (self.snd_nxt + 1) % M

    def response_done(self):
        if b"\r\n\r\n" not in self.rx:
            return False
        head, body = self.rx.split(b"\r\n\r\n", 1)
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                return len(body) >= int(v)
        return False

    def get_small(self, close):
        """GET /small; True when the whole response arrived and is the backend's."""
        self.rx = b""
        self.request("GET /small HTTP/1.1\r\nHost: sf-e2e\r\n" + ("Connection: close\r\n" if close else "") + "\r\n")
        done = self.pump(self.response_done, 5)
        if not c.check(done, f"{self.name}: the backend's response arrived ({len(self.rx)} bytes)"):
            return False
        head, body = self.rx.split(b"\r\n\r\n", 1)
        c.eq(hashlib.sha256(body).hexdigest(), SMALL_SHA, f"{self.name}: response body is the backend's (sha256)")
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"x-peer":
                addr, _, port = v.strip().decode().rpartition(":")
                c.eq(addr, SOURCE, f"{self.name}: the backend saw the appliance's source address")
                self.backend_port = int(port)
        return True


def my_backend_port(conn, want="ESTAB"):
    """The backend's socket of conn (port from X-Peer), checked to be in state want."""
    port = conn.backend_port
    if not c.check(port is not None, f"{conn.name}: the backend named the appliance's port"):
        return None
    if want is not None:
        c.eq(backend_conns().get(port), want, f"{conn.name}: backend socket state while open")
    return port


def backend_state_after(port, want, what, wait=0.5):
    """Wait until the backend's socket from port is in state want (None: gone)."""
    end = time.monotonic() + wait + 2
    time.sleep(wait)
    while True:
        st = backend_conns().get(port)
        if st == want or time.monotonic() > end:
            break
        time.sleep(0.1)
    c.check(st == want, f"{what}: backend socket {'gone' if want is None else want} (state {st or 'gone'})")


late = []  # duplicates of the client's last ACK, to resend after 2 x MSL


def after_close(conn, port, backend_want):
    backend_state_after(port, backend_want, conn.name)
    check_ctl_time_wait(f"{conn.name}: TIME_WAIT visible", 1, 1)
    # A duplicate of our last ACK, inside TIME_WAIT: the entry takes it, and TIME_WAIT goes
    # on (whatever the backend answers: an RST must not end it early, RFC 1337).
    time.sleep(0.1)
    conn.send(conn.last_ack)
    late.append(conn.last_ack)
    time.sleep(0.3)
    check_ctl_time_wait(f"{conn.name}: TIME_WAIT still there after a duplicate ACK", 1, 1)


def client_first():
    conn = Conn("client-first close")
    try:
        if not conn.connect() or not conn.get_small(close=False):
            return
        port = my_backend_port(conn)
        conn.auto_ack_fin = False
        conn.fin()
        got = conn.pump(lambda: conn.fin_seq is not None and conn.peer_ack == conn.snd_nxt, 5)
        # (a FIN is taken only in sequence, right after the response: translation holds)
        c.check(got, f"{conn.name}: our FIN acknowledged and the backend's FIN received in sequence")
        if not got:
            return
        conn.rcv_nxt = (conn.rcv_nxt + 1) % M
        conn.ack()
        if port is not None:
            after_close(conn, port, None)
    finally:
        conn.close_sniffer()


def server_first():
    conn = Conn("server-first close")
    try:
        if not conn.connect():
            return
        conn.auto_ack_fin = True
        if not conn.get_small(close=True):
            return
        port = my_backend_port(conn, want=None)
        got = conn.pump(lambda: conn.fin_seq is not None, 5)
        if not c.check(got, f"{conn.name}: the backend's FIN received"):
            return
        fin_at = conn.snd_nxt
        conn.fin()
        got = conn.pump(lambda: conn.peer_ack == conn.snd_nxt, 5)
        c.check(got, f"{conn.name}: our FIN acknowledged (ack {conn.peer_ack}, want {(fin_at + 1) % M})")
        if port is not None:
            after_close(conn, port, "TIME-WAIT")
    finally:
        conn.close_sniffer()


def simultaneous():
    conn = Conn("simultaneous close")
    try:
        if not conn.connect():
            return
        conn.auto_ack_fin = False
        if not conn.get_small(close=True):
            return
        port = my_backend_port(conn, want=None)
        got = conn.pump(lambda: conn.fin_seq is not None, 5)
        if not c.check(got, f"{conn.name}: the backend's FIN received"):
            return
        # Our FIN crosses theirs: it acknowledges the data, not their FIN.
        fin_at = conn.snd_nxt
        conn.fin()
        got = conn.pump(lambda: conn.peer_ack == conn.snd_nxt, 5)
        c.check(got, f"{conn.name}: our FIN acknowledged (ack {conn.peer_ack}, want {(fin_at + 1) % M})")
        conn.rcv_nxt = (conn.rcv_nxt + 1) % M
        conn.ack()
        if port is not None:
            after_close(conn, port, "TIME-WAIT")
    finally:
        conn.close_sniffer()


def client_rst():
    conn = Conn("client RST")
    try:
        if not conn.connect() or not conn.get_small(close=False):
            return
        port = my_backend_port(conn)
        # A blind RST, far outside the window: dropped, the connection lives on.
        conn.send(conn.seg("R", seq=conn.snd_nxt + (1 << 30)))
        time.sleep(0.5)
        if port is not None:
            c.eq(backend_conns().get(port), "ESTAB", f"{conn.name}: out-of-window RST not passed on")
        c.check(conn.get_small(close=False), f"{conn.name}: the connection still works after a blind RST")
        conn.send(conn.seg("R"))
        if port is not None:
            backend_state_after(port, None, f"{conn.name}: exact RST passed on")
    finally:
        conn.close_sniffer()


def server_rst():
    conn = Conn("server RST")
    try:
        if not conn.connect():
            return
        conn.request("GET /rst HTTP/1.1\r\nHost: sf-e2e\r\n\r\n")
        got = conn.pump(lambda: conn.rst is not None, 5)
        if not c.check(got, f"{conn.name}: the backend's RST reached the client"):
            return
        c.eq(conn.rst[TCP].seq, conn.rcv_nxt, f"{conn.name}: RST seq = RCV.NXT (acceptable)")
        time.sleep(0.3)
        left = {p: s for p, s in backend_conns().items() if s != "TIME-WAIT"}
        c.check(not left, f"{conn.name}: no open socket left on the backend ({left})")
    finally:
        conn.close_sniffer()


def time_wait_reuse():
    """A new SYN on a 4-tuple in TIME_WAIT, with a higher sequence number, opens a new
    connection at once (the old entry gives way); the new one carries a request."""
    old = Conn("TIME_WAIT reuse, old")
    try:
        if not old.connect() or not old.get_small(close=False):
            return
        old.auto_ack_fin = False
        old.fin()
        if not c.check(old.pump(lambda: old.fin_seq is not None and old.peer_ack == old.snd_nxt, 5),
                       f"{old.name}: closed, client first"):
            return
        old.rcv_nxt = (old.rcv_nxt + 1) % M
        old.ack()
        time.sleep(0.3)
        check_ctl_time_wait(f"{old.name}: in TIME_WAIT", 1, 1)
        sport, nxt = old.sport, old.snd_nxt
    finally:
        old.close_sniffer()
    new = Conn("TIME_WAIT reuse, new", sport=sport, isn=(nxt + (1 << 20)) % M)
    try:
        if new.connect():
            c.check(new.get_small(close=True), f"{new.name}: the new connection on the same tuple works")
    finally:
        new.close_sniffer()


t0 = time.monotonic()
for scenario in (client_first, server_first, simultaneous, client_rst, server_rst, time_wait_reuse):
    if scenario in (client_first, server_first, simultaneous, time_wait_reuse):
        # Let earlier TIME_WAITs (the caller's, the previous scenario's) run out, so that
        # the one in the gauge is this scenario's.
        time.sleep(2 * args.msl_ms / 1000 + 0.5)
    scenario()
# 2 x MSL after the last close, plus margin: every TIME_WAIT entry has expired.
time.sleep(2 * args.msl_ms / 1000 + 1.5)
check_ctl_time_wait("after 2 x MSL", 0, 0)
for p in late:
    send_sock = conf.L3socket()
    send_sock.send(p)
    send_sock.close()
print("SENT " + json.dumps({"late_duplicates": len(late), "connections": 7}), flush=True)
print(f"close-client: {time.monotonic() - t0:.1f} s", flush=True)
c.done()
