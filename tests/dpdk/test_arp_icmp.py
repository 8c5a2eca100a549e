#!/usr/bin/python3
"""ARP and ICMP through the real appliance on pcap vdevs.

Frames built with scapy go in through net_pcap's rx_pcap; what synfront sends
comes out in tx_pcap and is checked field by field, together with the final
counters the appliance prints at shutdown.
"""
import json
import os
import sys
import tempfile
import time

from scapy.all import ARP, ICMP, IP, TCP, Ether, Raw, rdpcap, wrpcap  # noqa: E402

import sfrun

CLIENT_MAC = "02:00:00:00:00:01"
CLIENT_IP = "198.18.0.1"
PORT_IP = "198.18.0.2"
VIP = "198.18.0.100"
SRC_IP = "198.18.0.101"
BACKEND = "198.18.0.50"
NOT_OURS = "198.18.0.77"


def conf_text(tmp):
    return json.dumps({
        "ports": [{"name": "client", "device": "net_pcap0", "ipv4": PORT_IP + "/24"}],
        "services": [{
            "name": "web", "listen": VIP + ":80", "port": "client", "backend_port": "client",
            "source_addresses": [SRC_IP], "backends": [{"address": BACKEND + ":8080"}],
        }],
        "neighbors": {"retry_ms": 200, "retries": 2},
        "limits": {"mbufs": 4095, "connections_per_lcore": 1024},
        "control": {"socket": os.path.join(tmp, "ctl.sock")},
    }, indent=2)


def run(binary, tmp, name, frames):
    inp, out = os.path.join(tmp, name + "-in.pcap"), os.path.join(tmp, name + "-out.pcap")
    wrpcap(inp, frames)
    eal = ["-l", "0,1", "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
           "--file-prefix", f"sft-dpdk-{os.getpid()}",
           "--vdev", f"net_pcap0,rx_pcap={inp},tx_pcap={out}"]
    app = sfrun.Appliance(binary, eal, os.path.join(tmp, "conf.json"), os.path.join(tmp, name + ".log"))
    if not app.start():
        return None, []
    time.sleep(1.5)  # the pcap is replayed at once; leave time for ARP retries too
    counters = app.stop()
    print(app.output)
    return counters, (rdpcap(out) if os.path.exists(out) else [])


def valid_cksums(pkt):
    """True when the IP and ICMP/TCP checksums in pkt equal scapy's recomputation."""
    ip = pkt[IP]
    fresh = IP(bytes(ip))
    del fresh.chksum
    if fresh.payload:
        del fresh.payload.chksum
    fresh = IP(bytes(fresh))
    return fresh.chksum == ip.chksum and fresh.payload.chksum == ip.payload.chksum


def main():
    sfrun.need_root()
    binary = sys.argv[1]
    c = sfrun.Checks("dpdk-arp-icmp")
    tmp = tempfile.mkdtemp(prefix="sf-dpdk-")
    with open(os.path.join(tmp, "conf.json"), "w") as f:
        f.write(conf_text(tmp))

    # Phase 1: ARP for every kind of owned address, and one that is not ours.
    who_has = lambda ip: Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst=ip)
    counters, out = run(binary, tmp, "arp", [who_has(VIP), who_has(PORT_IP), who_has(NOT_OURS),
                                              who_has(SRC_IP)])
    if not c.check(counters is not None, "appliance starts on net_pcap0"):
        c.done()
    replies = [p for p in out if ARP in p and p[ARP].op == 2]
    requests = [p for p in out if ARP in p and p[ARP].op == 1]
    c.eq(sorted(p[ARP].psrc for p in replies), sorted([VIP, PORT_IP, SRC_IP]),
         "ARP replies for VIP, port and source address, none for others")
    port_mac = replies[0][ARP].hwsrc if replies else None
    c.check(port_mac not in (None, "00:00:00:00:00:00"), f"port MAC is the device's ({port_mac})")
    for p in replies:
        c.check(p[Ether].dst == CLIENT_MAC and p[ARP].hwdst == CLIENT_MAC and p[ARP].pdst == CLIENT_IP,
                f"reply for {p[ARP].psrc} addressed to the asker")
        c.check(p[Ether].src == port_mac and p[ARP].hwsrc == port_mac,
                f"reply for {p[ARP].psrc} carries the port MAC")
    c.check(len(requests) >= 2 and all(p[ARP].pdst == BACKEND and p[ARP].psrc == PORT_IP
                                       and p[Ether].dst == "ff:ff:ff:ff:ff:ff" for p in requests),
            f"backend next hop resolved by broadcast ARP request with retries ({len(requests)} sent)")
    c.eq(counters.get("arp_request_rcvd"), 3, "arp_request_rcvd")
    c.eq(counters.get("arp_reply_sent"), 3, "arp_reply_sent")
    c.eq(counters.get("drop_arp_not_ours"), 1, "drop_arp_not_ours")
    c.eq(counters.get("arp_request_sent"), len(requests), "arp_request_sent equals requests seen")
    c.eq(counters.get("arp_resolve_failed"), 1, "unanswered backend counted as arp_resolve_failed")
    c.eq(counters.get("rx_packets"), 4, "rx_packets")
    if port_mac is None:
        c.done()

    # Phase 2: ICMP echo, and packets the appliance must drop by reason.
    base = Ether(src=CLIENT_MAC, dst=port_mac) / IP(src=CLIENT_IP, dst=VIP, ttl=17)
    echo = base / ICMP(type=8, id=0x4242, seq=7) / Raw(b"synfront-echo-payload" * 3)
    bad_ip = Ether(bytes(base / ICMP(type=8)))
    raw = bytearray(bytes(bad_ip))
    raw[14 + 10] ^= 0xff  # corrupt the IPv4 header checksum
    frames = [
        echo,
        Ether(src=CLIENT_MAC, dst=port_mac) / IP(src=CLIENT_IP, dst=PORT_IP) / ICMP(type=8, id=1, seq=1),
        Ether(src=CLIENT_MAC, dst=port_mac) / IP(src=CLIENT_IP, dst=NOT_OURS) / ICMP(type=8),
        Ether(bytes(raw)),
        base / TCP(sport=40000, dport=80, flags="S"),
        Ether(src=CLIENT_MAC, dst="02:00:00:00:00:99") / IP(src=CLIENT_IP, dst=VIP) / ICMP(type=8),
        Ether(bytes(echo)[:30]),
        base / ICMP(type=13),
    ]
    counters, out = run(binary, tmp, "icmp", frames)
    c.check(counters is not None, "appliance starts again")
    counters = counters or {}
    echo_replies = [p for p in out if ICMP in p and p[ICMP].type == 0]
    c.eq(len(echo_replies), 2, "two echo replies (VIP and port address)")
    vip_reply = [p for p in echo_replies if p[IP].src == VIP]
    if c.check(len(vip_reply) == 1, "echo reply from the VIP"):
        r = vip_reply[0]
        c.check(r[Ether].dst == CLIENT_MAC and r[Ether].src == port_mac, "reply MACs swapped")
        c.check(r[IP].dst == CLIENT_IP, "reply IP destination is the client")
        c.check(r[ICMP].id == 0x4242 and r[ICMP].seq == 7, "ICMP id and sequence kept")
        c.eq(bytes(r[Raw].load), bytes(echo[Raw].load), "payload echoed")
        c.check(valid_cksums(r), "IP and ICMP checksums valid")
    c.eq(counters.get("icmp_echo_rcvd"), 2, "icmp_echo_rcvd")
    c.eq(counters.get("icmp_echo_reply_sent"), 2, "icmp_echo_reply_sent")
    c.eq(counters.get("drop_not_ours"), 1, "drop_not_ours (ICMP to an address not owned)")
    c.eq(counters.get("drop_ip_checksum"), 1, "drop_ip_checksum")
    c.eq(counters.get("synack_sent"), 1, "SYN to the VIP answered (synack_sent)")
    c.eq(counters.get("drop_eth_not_ours"), 1, "drop_eth_not_ours")
    c.eq(counters.get("drop_icmp_other"), 1, "drop_icmp_other (timestamp request)")
    c.eq(counters.get("drop_ip_total_len", 0) + counters.get("drop_icmp_runt", 0)
         + counters.get("drop_ip_runt", 0), 1, "truncated echo dropped as malformed")
    c.done()


if __name__ == "__main__":
    main()
