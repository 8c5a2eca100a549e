#!/usr/bin/python3
"""Cookie handshakes against the VIP, from inside netns sfc (scapy, raw sockets).

Prints one line per check and, last, a JSON line "SENT {...}" with what it sent,
so the caller can hold the appliance's counters against it.
usage: cookie_client.py VIP PORT SERVICE_MSS SERVICE_WSCALE
"""
import json
import random
import sys

from scapy.all import IP, TCP, conf, sr1  # noqa: E402

import sfrun

conf.verb = 0
VIP, PORT, SVC_MSS, SVC_WS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = sfrun.Checks("cookie-client")
sent = {"syn": 0, "ack_valid": 0, "ack_invalid": 0}


def opts_of(pkt):
    return {k: v for k, v in pkt[TCP].options}


def cksum_ok(pkt):
    raw = IP(bytes(pkt[IP]))
    fresh = raw.copy()
    del fresh.chksum
    del fresh[TCP].chksum
    fresh = IP(bytes(fresh))
    return fresh.chksum == raw.chksum and fresh[TCP].chksum == raw[TCP].chksum


MIXES = [
    ("linux default", [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)], "S"),
    ("mss only", [("MSS", 1400)], "S"),
    ("no options", [], "S"),
    ("timestamps only", [("MSS", 1460), ("Timestamp", (2000, 0))], "S"),
    ("ws without ts", [("MSS", 1460), ("NOP", None), ("WScale", 9)], "S"),
    ("sack without ts", [("MSS", 1460), ("NOP", None), ("NOP", None), ("SAckOK", b"")], "S"),
    ("ts + sack, ws 14", [("MSS", 9000), ("SAckOK", b""), ("Timestamp", (3000, 0)), ("NOP", None), ("WScale", 14)], "S"),
    ("ecn setup with ts", [("MSS", 1460), ("Timestamp", (4000, 0)), ("NOP", None), ("WScale", 2)], "SEC"),
    ("ecn setup without ts", [("MSS", 1460)], "SEC"),
]

for name, opts, flags in MIXES:
    sport = random.randint(20000, 60000)
    isn = random.getrandbits(32)
    syn = IP(dst=VIP) / TCP(sport=sport, dport=PORT, flags=flags, seq=isn, options=opts)
    sent["syn"] += 1
    sa = sr1(syn, timeout=2)
    if not c.check(sa is not None and TCP in sa, f"{name}: SYN-ACK received"):
        continue
    o = opts_of(sa)
    sent_o = dict(opts)
    has_ts = "Timestamp" in sent_o
    c.eq(sa[TCP].flags.value & 0x12, 0x12, f"{name}: flags SYN+ACK")
    c.eq(sa[TCP].ack, (isn + 1) % 2**32, f"{name}: ack = client ISN + 1")
    c.eq((sa[IP].src, sa[TCP].sport, sa[TCP].dport), (VIP, PORT, sport), f"{name}: addresses and ports")
    c.eq(o.get("MSS"), SVC_MSS, f"{name}: MSS is the service's")
    c.eq("WScale" in o, "WScale" in sent_o and has_ts, f"{name}: window scale offered only when it can be kept")
    if "WScale" in o:
        c.eq(o["WScale"], SVC_WS, f"{name}: window scale is the service's")
    c.eq("SAckOK" in o, "SAckOK" in sent_o and has_ts, f"{name}: SACK-permitted offered only when it can be kept")
    c.eq("Timestamp" in o, has_ts, f"{name}: timestamps echoed when offered")
    if has_ts and "Timestamp" in o:
        c.eq(o["Timestamp"][1], sent_o["Timestamp"][0], f"{name}: TSecr = client TSval")
    c.eq(bool(sa[TCP].flags.value & 0x40), "E" in flags and has_ts, f"{name}: ECE only for ECN setup with timestamps")
    c.check(cksum_ok(sa), f"{name}: IP and TCP checksums valid")
    c.check(sa[TCP].window > 0, f"{name}: window offered ({sa[TCP].window})")

    # The third segment: the correct ACK completes the handshake; counted as cookie_valid.
    ack_opts = [("NOP", None), ("NOP", None), ("Timestamp", (sent_o["Timestamp"][0] + 1, o["Timestamp"][0]))] \
        if "Timestamp" in o else []
    good = IP(dst=VIP) / TCP(sport=sport, dport=PORT, flags="A", seq=isn + 1, ack=sa[TCP].seq + 1, options=ack_opts)
    bad = IP(dst=VIP) / TCP(sport=sport, dport=PORT, flags="A", seq=isn + 1, ack=(sa[TCP].seq + 2) % 2**32,
                            options=ack_opts)
    from scapy.all import send
    # The wrong ACK first: once the right one opens the connection, later segments on the
    # tuple belong to it and are no longer cookie checks.
    send(bad)
    sent["ack_invalid"] += 1
    send(good)
    sent["ack_valid"] += 1

# Forged ACKs for handshakes that never happened.
from scapy.all import send  # noqa: E402
for i in range(20):
    send(IP(dst=VIP) / TCP(sport=random.randint(20000, 60000), dport=PORT, flags="A",
                           seq=random.getrandbits(32), ack=random.getrandbits(32)))
    sent["ack_invalid"] += 1

print("SENT " + json.dumps(sent), flush=True)
c.done()
