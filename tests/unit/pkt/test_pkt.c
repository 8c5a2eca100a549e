/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/pkt: the parser on real frames (byte vectors from another
 * packet generator, and frames built here with independently computed checksums),
 * one test per drop reason, every TCP option edge case, truncation at every byte,
 * the checksum helpers against a reference, and a million mutated frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>

#include "sf_pkt.h"
#include "sf_pkt_dp.h"
#include "pkt_frame.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define CLIENT IP(198, 18, 0, 1)
#define VIP IP(198, 18, 0, 100)

#define assert_verdict(got, want) do { \
	enum sf_pkt_verdict g_ = (got), w_ = (want); \
	if (g_ != w_) \
		fail_msg("verdict %d (%s), expected %d (%s)", g_, sf_pkt_verdict_name(g_), \
				w_, sf_pkt_verdict_name(w_)); \
} while (0)

/* Deterministic xorshift64*, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)((rng() >> 32) % n);
}

/*
 * Vectors written by scapy 2.5.0 (a packet tool with its own checksum code), kept as
 * bytes so the tests need nothing at run time.
 */

/* Ether / IP / TCP 198.18.0.1:43210 > 198.18.0.100:80 S, options MSS SAckOK TS NOP WS */
static const uint8_t scapy_syn[74] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06,
	0x91, 0xec, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x64, 0xa8, 0xca,
	0x00, 0x50, 0x6b, 0x8b, 0x45, 0x67, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
	0xfa, 0xf0, 0x09, 0xe9, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
	0x08, 0x0a, 0xac, 0x1f, 0xb0, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x03, 0x07,
};

/* Ether / IP / TCP 198.18.0.1:43210 > 198.18.0.100:80 PA, NOP NOP TS / "GET / HTTP/1.0\r\n\r\n" */
static const uint8_t scapy_ack_data[84] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x46, 0x1c, 0x47, 0x40, 0x00, 0x40, 0x06,
	0x91, 0xe1, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x64, 0xa8, 0xca,
	0x00, 0x50, 0x6b, 0x8b, 0x45, 0x68, 0x01, 0x02, 0x03, 0x04, 0x80, 0x18,
	0x01, 0xf6, 0x6c, 0x94, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xac, 0x1f,
	0xb0, 0x79, 0x00, 0x01, 0xe2, 0x40, 0x47, 0x45, 0x54, 0x20, 0x2f, 0x20,
	0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x30, 0x0d, 0x0a, 0x0d, 0x0a,
};

/* Ether / Dot1Q(prio 3, vlan 100) / IP / ICMP echo-request id 0x1234 seq 7 / "abcdefghijklmnop" */
static const uint8_t scapy_icmp_vlan[62] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x81, 0x00, 0x60, 0x64, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x00, 0x01,
	0x00, 0x00, 0x40, 0x01, 0xee, 0x46, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x64, 0x08, 0x00, 0xa2, 0x79, 0x12, 0x34, 0x00, 0x07, 0x61, 0x62,
	0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e,
	0x6f, 0x70,
};

/* Ether / ARP who has 198.18.0.100 says 198.18.0.1 */
static const uint8_t scapy_arp_req[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xc6, 0x12, 0x00, 0x64,
};

static const char http_get[] = "GET / HTTP/1.0\r\n\r\n";
static const char icmp_data[] = "abcdefghijklmnop";

static uint8_t syn_opts[40];

/* The SYN of scapy_syn as a spec; tests edit a copy. */
static struct pkt_frame_spec syn_spec(void)
{
	struct pkt_frame_spec s = {
		.ip_id = 0x1c46, .ip_frag = 0x4000, .ttl = 64, .proto = 6,
		.src = CLIENT, .dst = VIP, .sport = 43210, .dport = 80,
		.seq = 0x6b8b4567, .tcp_flags = SF_TCP_SYN, .win = 64240,
		.tcp_opts = syn_opts,
	};

	s.tcp_opts_len = (uint8_t)pkt_frame_syn_opts(syn_opts, 1460, 2887757935u, 7);
	return s;
}

static struct pkt_frame_spec icmp_spec(void)
{
	struct pkt_frame_spec s = {
		.has_vlan = true, .vlan_tci = 0x6064, .ip_id = 1, .ttl = 64, .proto = 1,
		.src = CLIENT, .dst = VIP, .icmp_type = 8, .icmp_id = 0x1234, .icmp_seq = 7,
		.payload = (const uint8_t *)icmp_data, .payload_len = 16,
	};

	return s;
}

/* Parse from a heap copy of exactly @p len bytes, so a sanitizer sees any overread. */
static enum sf_pkt_verdict parse_exact(const uint8_t *f, size_t len, unsigned int flags,
		struct sf_pkt_info *pi)
{
	uint8_t *b = malloc(len ? len : 1);
	enum sf_pkt_verdict v;

	assert_non_null(b);
	memcpy(b, f, len);
	v = sf_pkt_parse(b, (uint32_t)len, flags, pi);
	free(b);
	return v;
}

static uint8_t *frame_l3(uint8_t *f)
{
	return f + pkt_frame_l3(f);
}

static uint8_t *frame_l4(uint8_t *f)
{
	uint8_t *ip = frame_l3(f);

	return ip + (ip[0] & 0xf) * 4;
}

/* ---- vectors and the frame builder ---- */

static void test_builder_matches_vectors(void **state)
{
	uint8_t f[PKT_FRAME_MAX], ack_opts[12];
	struct pkt_frame_spec s = syn_spec();
	size_t n;

	(void)state;
	n = pkt_frame_build(f, &s);
	assert_int_equal(n, sizeof(scapy_syn));
	assert_memory_equal(f, scapy_syn, n);

	s.ip_id = 0x1c47;
	s.seq = 0x6b8b4568;
	s.ack = 0x01020304;
	s.tcp_flags = SF_TCP_PSH | SF_TCP_ACK;
	s.win = 502;
	s.tcp_opts = ack_opts;
	s.tcp_opts_len = (uint8_t)pkt_frame_ack_opts(ack_opts, 2887757945u, 123456);
	s.payload = (const uint8_t *)http_get;
	s.payload_len = 18;
	n = pkt_frame_build(f, &s);
	assert_int_equal(n, sizeof(scapy_ack_data));
	assert_memory_equal(f, scapy_ack_data, n);

	s = icmp_spec();
	n = pkt_frame_build(f, &s);
	assert_int_equal(n, sizeof(scapy_icmp_vlan));
	assert_memory_equal(f, scapy_icmp_vlan, n);

	n = pkt_frame_arp_build(f, false, 0, 1, CLIENT, VIP, 0);
	assert_int_equal(n, sizeof(scapy_arp_req));
	assert_memory_equal(f, scapy_arp_req, n);
}

static void test_cksum_vectors(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	uint32_t src, dst;
	uint16_t stored;

	(void)state;
	/* Over a received header or segment, 0 when right. */
	assert_int_equal(sf_pkt_ipv4_cksum(scapy_syn + 14, 20), 0);
	memcpy(&src, scapy_syn + 26, 4);
	memcpy(&dst, scapy_syn + 30, 4);
	assert_int_equal(sf_pkt_l4_cksum(src, dst, 6, scapy_syn + 34, 40), 0);
	assert_int_equal(sf_pkt_l4_cksum(src, dst, 6, scapy_ack_data + 34, 50), 0);
	assert_int_equal(sf_pkt_l4_cksum(0, 0, 1, scapy_icmp_vlan + 38, 24), 0);

	/* With the field zeroed, the value to store, in network order. */
	memcpy(f, scapy_syn, sizeof(scapy_syn));
	memcpy(&stored, f + 24, 2);
	memset(f + 24, 0, 2);
	assert_int_equal(sf_pkt_ipv4_cksum(f + 14, 20), stored);
	memcpy(&stored, f + 50, 2);
	memset(f + 50, 0, 2);
	assert_int_equal(sf_pkt_l4_cksum(src, dst, 6, f + 34, 40), stored);
	assert_int_equal(rte_be_to_cpu_16(stored), 0x09e9);
}

/* ---- valid frames ---- */

static void test_syn_vector(void **state)
{
	struct sf_pkt_info pi;

	(void)state;
	memset(&pi, 0x5a, sizeof(pi));
	assert_verdict(parse_exact(scapy_syn, sizeof(scapy_syn), 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.type, SF_PKT_TYPE_TCP);
	assert_int_equal(pi.has_vlan, 0);
	assert_int_equal(pi.vlan_tci, 0);
	assert_int_equal(pi.l2_len, 14);
	assert_int_equal(pi.l3_len, 20);
	assert_int_equal(pi.l4_len, 40);
	assert_int_equal(pi.payload_len, 0);
	assert_int_equal(pi.ip_len, 60);
	assert_int_equal(pi.ttl, 64);
	assert_int_equal(pi.tcp_flags, SF_TCP_SYN);
	assert_int_equal(pi.src, rte_cpu_to_be_32(CLIENT));
	assert_int_equal(pi.dst, rte_cpu_to_be_32(VIP));
	assert_int_equal(pi.sport, 43210);
	assert_int_equal(pi.dport, 80);
	assert_int_equal(pi.seq, 0x6b8b4567);
	assert_int_equal(pi.ack, 0);
	assert_int_equal(pi.win, 64240);
	assert_int_equal(pi.arp_op, 0);
	assert_int_equal(pi.icmp_type, 0);
	assert_int_equal(pi.icmp_code, 0);
	assert_int_equal(pi.opts.present, SF_TCPO_MSS | SF_TCPO_SACK_PERM | SF_TCPO_TS | SF_TCPO_WS);
	assert_int_equal(pi.opts.mss, 1460);
	assert_int_equal(pi.opts.mss_off, 20);
	assert_int_equal(pi.opts.wscale, 7);
	assert_int_equal(pi.opts.ts_off, 26);
	assert_int_equal(pi.opts.tsval, 2887757935u);
	assert_int_equal(pi.opts.tsecr, 0);
	assert_int_equal(pi.opts.nb_sack, 0);
	assert_int_equal(pi.opts.sack_off, 0);
}

static void test_syn_built(void **state)
{
	uint8_t f[PKT_FRAME_MAX], o[40];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	s.src = IP(203, 0, 113, 9);
	s.dst = IP(198, 18, 0, 100);
	s.sport = 65535;
	s.dport = 443;
	s.seq = 0xfffffffe;
	s.ack = 0;
	s.win = 29200;
	s.ttl = 1;
	s.tcp_flags = SF_TCP_SYN | SF_TCP_ECE | SF_TCP_CWR;
	s.tcp_opts = o;
	s.tcp_opts_len = (uint8_t)pkt_frame_syn_opts(o, 536, 0x01020304, 14);
	n = pkt_frame_build(f, &s);
	assert_int_equal(n, 74);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.type, SF_PKT_TYPE_TCP);
	assert_int_equal(pi.src, rte_cpu_to_be_32(IP(203, 0, 113, 9)));
	assert_int_equal(pi.sport, 65535);
	assert_int_equal(pi.dport, 443);
	assert_int_equal(pi.seq, 0xfffffffe);
	assert_int_equal(pi.win, 29200);
	assert_int_equal(pi.ttl, 1);
	assert_int_equal(pi.tcp_flags, SF_TCP_SYN | SF_TCP_ECE | SF_TCP_CWR);
	assert_int_equal(pi.opts.mss, 536);
	assert_int_equal(pi.opts.wscale, 14);
	assert_int_equal(pi.opts.tsval, 0x01020304);
}

static void test_ack_data_vector(void **state)
{
	struct sf_pkt_info pi;

	(void)state;
	assert_verdict(parse_exact(scapy_ack_data, sizeof(scapy_ack_data), 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.type, SF_PKT_TYPE_TCP);
	assert_int_equal(pi.ip_len, 70);
	assert_int_equal(pi.l4_len, 32);
	assert_int_equal(pi.payload_len, 18);
	assert_int_equal(pi.tcp_flags, SF_TCP_PSH | SF_TCP_ACK);
	assert_int_equal(pi.seq, 0x6b8b4568);
	assert_int_equal(pi.ack, 0x01020304);
	assert_int_equal(pi.win, 502);
	assert_int_equal(pi.opts.present, SF_TCPO_TS);
	assert_int_equal(pi.opts.ts_off, 22);
	assert_int_equal(pi.opts.tsval, 2887757945u);
	assert_int_equal(pi.opts.tsecr, 123456);
	assert_int_equal(pi.opts.mss_off, 0);
}

static void test_vlan_tcp(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	s.has_vlan = true;
	s.vlan_tci = 0xe00a;   /* PCP 7, VLAN 10 */
	n = pkt_frame_build(f, &s);
	assert_int_equal(n, 78);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.has_vlan, 1);
	assert_int_equal(pi.vlan_tci, 0xe00a);
	assert_int_equal(pi.l2_len, 18);
	assert_int_equal(pi.l3_len, 20);
	assert_int_equal(pi.l4_len, 40);
	assert_int_equal(pi.sport, 43210);
	assert_int_equal(pi.opts.mss, 1460);
	assert_int_equal(pi.opts.ts_off, 26);
}

static void test_ip_options(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	s.ip_opts_len = 40;    /* IHL 15 */
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.l3_len, 60);
	assert_int_equal(pi.ip_len, 100);
	assert_int_equal(pi.l4_len, 40);
	assert_int_equal(pi.sport, 43210);
	assert_int_equal(pi.opts.mss, 1460);
}

static void test_arp(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	assert_verdict(parse_exact(scapy_arp_req, sizeof(scapy_arp_req), 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.type, SF_PKT_TYPE_ARP);
	assert_int_equal(pi.arp_op, 1);
	assert_int_equal(pi.src, rte_cpu_to_be_32(CLIENT));
	assert_int_equal(pi.dst, rte_cpu_to_be_32(VIP));
	assert_int_equal(pi.l2_len, 14);
	assert_int_equal(pi.l3_len, 28);
	assert_int_equal(pi.l4_len, 0);

	/* Reply, tagged, padded to the 60-byte minimum. */
	n = pkt_frame_arp_build(f, true, 42, 2, VIP, CLIENT, 14);
	assert_int_equal(n, 60);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.type, SF_PKT_TYPE_ARP);
	assert_int_equal(pi.arp_op, 2);
	assert_int_equal(pi.has_vlan, 1);
	assert_int_equal(pi.vlan_tci, 42);
	assert_int_equal(pi.l2_len, 18);
	assert_int_equal(pi.src, rte_cpu_to_be_32(VIP));
	assert_int_equal(pi.dst, rte_cpu_to_be_32(CLIENT));
}

static void test_arp_malformed(void **state)
{
	/* 16-bit fields at ARP offsets 0 (htype) and 2 (ptype), bytes at 4 (hlen) and 5 (plen) */
	static const struct { size_t off; uint16_t val; bool wide; } bad[] = {
		{ 0, 6, true },         /* IEEE 802 */
		{ 0, 0x0100, true },
		{ 2, 0x86dd, true },    /* IPv6 */
		{ 2, 0x0806, true },
		{ 4, 8, false },
		{ 4, 0, false },
		{ 5, 16, false },
		{ 5, 6, false },
	};
	uint8_t f[PKT_FRAME_MAX];
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = pkt_frame_arp_build(f, false, 0, 1, CLIENT, VIP, 0);
		if (bad[i].wide)
			pkt_w16(f + 14 + bad[i].off, bad[i].val);
		else
			f[14 + bad[i].off] = (uint8_t)bad[i].val;
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_arp_malformed);
		assert_int_equal(pi.type, SF_PKT_TYPE_ARP);
		assert_int_equal(pi.arp_op, 0);
	}
	n = pkt_frame_arp_build(f, false, 0, 1, CLIENT, VIP, 0);
	assert_verdict(parse_exact(f, n - 1, 0, &pi), SF_PKT_DROP_arp_malformed);
	assert_verdict(parse_exact(f, 14, 0, &pi), SF_PKT_DROP_arp_malformed);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
}

static void test_icmp_echo(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = icmp_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	assert_verdict(parse_exact(scapy_icmp_vlan, sizeof(scapy_icmp_vlan), 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.type, SF_PKT_TYPE_ICMP);
	assert_int_equal(pi.has_vlan, 1);
	assert_int_equal(pi.vlan_tci, 0x6064);
	assert_int_equal(pi.l2_len, 18);
	assert_int_equal(pi.l3_len, 20);
	assert_int_equal(pi.l4_len, 8);
	assert_int_equal(pi.payload_len, 16);
	assert_int_equal(pi.ip_len, 44);
	assert_int_equal(pi.icmp_type, 8);
	assert_int_equal(pi.icmp_code, 0);
	assert_int_equal(pi.src, rte_cpu_to_be_32(CLIENT));
	assert_int_equal(pi.dst, rte_cpu_to_be_32(VIP));

	/* Echo reply, untagged, odd payload length, no payload at all. */
	s.has_vlan = false;
	s.icmp_type = 0;
	s.payload_len = 15;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.icmp_type, 0);
	assert_int_equal(pi.payload_len, 15);
	s.payload_len = 0;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.payload_len, 0);
	assert_int_equal(pi.l4_len, 8);
}

static void test_eth_padding(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	/* A bare ACK is 54 bytes; the NIC pads it to 60 with bytes that are not zero here. */
	s.tcp_flags = SF_TCP_ACK;
	s.ack = 1;
	s.tcp_opts_len = 0;
	s.eth_pad = 6;
	n = pkt_frame_build(f, &s);
	assert_int_equal(n, 60);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.ip_len, 40);
	assert_int_equal(pi.l4_len, 20);
	assert_int_equal(pi.payload_len, 0);
	assert_int_equal(pi.opts.present, 0);

	/* Lots of trailing bytes, and a tiny ICMP. */
	s.eth_pad = 200;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.payload_len, 0);
	s = icmp_spec();
	s.payload_len = 0;
	s.has_vlan = false;
	s.eth_pad = 18;
	n = pkt_frame_build(f, &s);
	assert_int_equal(n, 60);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.payload_len, 0);
}

static void test_info_reset(void **state)
{
	struct sf_pkt_info pi;

	(void)state;
	assert_verdict(parse_exact(scapy_syn, sizeof(scapy_syn), 0, &pi), SF_PKT_OK);
	assert_verdict(parse_exact(scapy_arp_req, sizeof(scapy_arp_req), 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.sport, 0);
	assert_int_equal(pi.seq, 0);
	assert_int_equal(pi.tcp_flags, 0);
	assert_int_equal(pi.l4_len, 0);
	assert_int_equal(pi.ip_len, 0);
	assert_int_equal(pi.opts.present, 0);
	assert_int_equal(pi.opts.mss, 0);
	assert_int_equal(pi.opts.ts_off, 0);
}

/* ---- drop reasons ---- */

/* Build a frame that must be dropped with exactly @p v. @return its length. */
static size_t drop_case_build(enum sf_pkt_verdict v, uint8_t *f, unsigned int *flags)
{
	static const uint8_t opt_overrun[] = { 1, 1, 1, SF_TCPOPT_MSS };
	static const uint8_t opt_len[] = { SF_TCPOPT_MSS, 5, 5, 180, 0, 1, 1, 1 };
	static const uint8_t udp[8] = { 0x30, 0x39, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00 };
	struct pkt_frame_spec s = syn_spec();
	size_t n;

	*flags = 0;
	switch (v) {
	case SF_PKT_DROP_eth_runt:
		pkt_frame_build(f, &s);
		return 13;
	case SF_PKT_DROP_vlan_runt:
		s.has_vlan = true;
		pkt_frame_build(f, &s);
		return 16;
	case SF_PKT_DROP_vlan_nested:
		s.has_vlan = true;
		s.ethertype_inner = 0x8100;
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_l3_unsupported:
		s.ethertype_inner = 0x86dd;
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_arp_malformed:
		n = pkt_frame_arp_build(f, false, 0, 1, CLIENT, VIP, 0);
		f[14 + 5] = 6;   /* plen */
		return n;
	case SF_PKT_DROP_ip_runt:
		pkt_frame_build(f, &s);
		return 14 + 19;
	case SF_PKT_DROP_ip_version:
		n = pkt_frame_build(f, &s);
		f[14] = 0x65;
		pkt_frame_fix_ip(f);
		return n;
	case SF_PKT_DROP_ip_hdr_len:
		s.ip_ihl = 4;
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_ip_total_len:
		n = pkt_frame_build(f, &s);
		pkt_w16(f + 16, (uint16_t)(n - 14 + 1));
		pkt_frame_fix_ip(f);
		return n;
	case SF_PKT_DROP_ip_checksum:
		n = pkt_frame_build(f, &s);
		f[24] ^= 0x01;
		return n;
	case SF_PKT_DROP_ip_fragment:
		s.ip_frag = 0x2000;   /* MF */
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_ip_bad_src:
		s.src = IP(127, 0, 0, 1);
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_l4_unsupported:
		s.proto = 17;
		s.payload = udp;
		s.payload_len = sizeof(udp);
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_icmp_runt:
		s = icmp_spec();
		s.payload_len = 0;
		n = pkt_frame_build(f, &s);
		pkt_w16(frame_l3(f) + 2, 20 + 7);
		pkt_frame_fix_ip(f);
		return n;
	case SF_PKT_DROP_icmp_checksum:
		s = icmp_spec();
		n = pkt_frame_build(f, &s);
		frame_l4(f)[2] ^= 0x80;
		return n;
	case SF_PKT_DROP_tcp_runt:
		n = pkt_frame_build(f, &s);
		pkt_w16(f + 16, 20 + 19);
		pkt_frame_fix_ip(f);
		return n;
	case SF_PKT_DROP_tcp_data_offset:
		n = pkt_frame_build(f, &s);
		frame_l4(f)[12] = 4 << 4;
		pkt_frame_fix(f);
		return n;
	case SF_PKT_DROP_tcp_checksum:
		n = pkt_frame_build(f, &s);
		frame_l4(f)[17] ^= 0x10;
		return n;
	case SF_PKT_DROP_tcp_opt_overrun:
		s.tcp_opts = opt_overrun;
		s.tcp_opts_len = sizeof(opt_overrun);
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_tcp_opt_len:
		s.tcp_opts = opt_len;
		s.tcp_opts_len = sizeof(opt_len);
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_tcp_bad_flags:
		s.tcp_flags = SF_TCP_SYN | SF_TCP_RST;
		return pkt_frame_build(f, &s);
	case SF_PKT_DROP_tcp_bad_port:
		s.sport = 0;
		return pkt_frame_build(f, &s);
	default:
		fail_msg("no test frame for drop reason %s", sf_pkt_verdict_name(v));
		return 0;
	}
}

static void test_drop_reasons(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct sf_pkt_info pi;
	unsigned int flags;

	(void)state;
	for (int v = SF_PKT_OK + 1; v < SF_PKT_DROP_MAX; v++) {
		size_t n = drop_case_build((enum sf_pkt_verdict)v, f, &flags);

		assert_verdict(parse_exact(f, n, flags, &pi), (enum sf_pkt_verdict)v);
	}
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(sf_pkt_verdict_name(SF_PKT_OK), "");
	assert_string_equal(sf_pkt_verdict_str(SF_PKT_OK), "");
	assert_string_equal(sf_pkt_verdict_name(SF_PKT_DROP_eth_runt), "eth_runt");
	assert_string_equal(sf_pkt_verdict_name(SF_PKT_DROP_tcp_bad_port), "tcp_bad_port");
	assert_string_equal(sf_pkt_verdict_str(SF_PKT_DROP_ip_checksum), "IPv4 header checksum wrong");
	assert_string_equal(sf_pkt_verdict_name(SF_PKT_DROP_MAX), "unknown");
	assert_string_equal(sf_pkt_verdict_str((enum sf_pkt_verdict)-1), "unknown");
	for (int v = 1; v < SF_PKT_DROP_MAX; v++) {
		assert_true(sf_pkt_verdict_name((enum sf_pkt_verdict)v)[0] != '\0');
		assert_true(sf_pkt_verdict_str((enum sf_pkt_verdict)v)[0] != '\0');
		for (int w = 1; w < v; w++)
			assert_string_not_equal(sf_pkt_verdict_name((enum sf_pkt_verdict)v),
					sf_pkt_verdict_name((enum sf_pkt_verdict)w));
	}
}

static void test_l2_variants(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	n = pkt_frame_build(f, &s);
	for (size_t len = 0; len < 14; len++)
		assert_verdict(parse_exact(f, len, 0, &pi), SF_PKT_DROP_eth_runt);

	s.has_vlan = true;
	n = pkt_frame_build(f, &s);
	for (size_t len = 14; len < 18; len++)
		assert_verdict(parse_exact(f, len, 0, &pi), SF_PKT_DROP_vlan_runt);
	/* 802.1ad inside 802.1Q, and an outer 802.1ad S-tag: stacked tags. */
	pkt_w16(f + 16, 0x88a8);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_vlan_nested);
	n = pkt_frame_build(f, &s);
	pkt_w16(f + 12, 0x88a8);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_vlan_nested);
	/* IPv6 behind a tag, and a tag with nothing behind it. */
	n = pkt_frame_build(f, &s);
	pkt_w16(f + 16, 0x86dd);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_l3_unsupported);
	assert_int_equal(pi.has_vlan, 1);
	assert_int_equal(pi.l2_len, 18);
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, 18, 0, &pi), SF_PKT_DROP_ip_runt);
	/* A bare Ethernet header of a known type. */
	s.has_vlan = false;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, 14, 0, &pi), SF_PKT_DROP_ip_runt);
	pkt_w16(f + 12, 0x0806);
	assert_verdict(parse_exact(f, 14, 0, &pi), SF_PKT_DROP_arp_malformed);
	pkt_w16(f + 12, 0x88cc);   /* LLDP */
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_l3_unsupported);
}

static void test_ip_variants(void **state)
{
	static const uint32_t bad_src[] = {
		IP(0, 0, 0, 0), IP(127, 0, 0, 1), IP(127, 255, 255, 255), IP(224, 0, 0, 1),
		IP(239, 255, 255, 255), IP(255, 255, 255, 255),
	};
	static const uint32_t good_src[] = {
		IP(126, 255, 255, 255), IP(128, 0, 0, 0), IP(223, 255, 255, 255), IP(10, 0, 0, 1),
	};
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_src) / sizeof(bad_src[0]); i++) {
		s.src = bad_src[i];
		n = pkt_frame_build(f, &s);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_bad_src);
		assert_int_equal(pi.src, rte_cpu_to_be_32(bad_src[i]));
	}
	for (size_t i = 0; i < sizeof(good_src) / sizeof(good_src[0]); i++) {
		s.src = good_src[i];
		n = pkt_frame_build(f, &s);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	}
	s = syn_spec();

	/* Version 6 in an IPv4 EtherType. */
	n = pkt_frame_build(f, &s);
	f[14] = 0x60 | 5;
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_version);

	/* IHL 15 (60 bytes of header) with 59 bytes left in the frame; IHL 0. */
	n = pkt_frame_build(f, &s);
	f[14] = 0x4f;
	pkt_frame_fix_ip(f);
	assert_verdict(parse_exact(f, 14 + 59, 0, &pi), SF_PKT_DROP_ip_hdr_len);
	assert_int_equal(pi.l3_len, 60);
	f[14] = 0x40;
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_hdr_len);

	/* Total length below the header (19 < 20, 23 < 24 with IHL 6), and past the frame. */
	n = pkt_frame_build(f, &s);
	pkt_w16(f + 16, 19);
	pkt_frame_fix_ip(f);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_total_len);
	assert_int_equal(pi.ip_len, 19);
	s.ip_opts_len = 4;
	n = pkt_frame_build(f, &s);
	pkt_w16(f + 16, 23);
	pkt_frame_fix_ip(f);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_total_len);
	s.ip_opts_len = 0;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n - 1, 0, &pi), SF_PKT_DROP_ip_total_len);

	/* DF is fine; MF, any offset, or both are fragments. */
	s.ip_frag = 0x4000;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	s.ip_frag = 0x0001;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_fragment);
	s.ip_frag = 0x3fff;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_fragment);
	s.ip_frag = 0x6000;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_fragment);
	s.ip_frag = 0;

	/* A checksum error in an IP option byte is still caught. */
	s.ip_opts_len = 8;
	n = pkt_frame_build(f, &s);
	f[14 + 24] ^= 0x02;
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_checksum);
	s.ip_opts_len = 0;

	/* GRE: not for us. */
	s.proto = 47;
	s.tcp_opts_len = 0;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_l4_unsupported);
	assert_int_equal(pi.type, 0);
}

static void test_icmp_variants(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = icmp_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	s.payload_len = 0;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	for (uint16_t l = 0; l < 8; l++) {
		pkt_w16(frame_l3(f) + 2, (uint16_t)(20 + l));
		pkt_frame_fix_ip(f);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_icmp_runt);
		assert_int_equal(pi.type, SF_PKT_TYPE_ICMP);
	}
	/* The checksum covers the payload too. */
	s = icmp_spec();
	n = pkt_frame_build(f, &s);
	f[n - 1] ^= 0x01;
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_icmp_checksum);
}

static void test_tcp_variants(void **state)
{
	static const uint8_t bad[] = {
		SF_TCP_SYN | SF_TCP_RST, SF_TCP_SYN | SF_TCP_FIN, 0,
		SF_TCP_SYN | SF_TCP_RST | SF_TCP_ACK, SF_TCP_SYN | SF_TCP_FIN | SF_TCP_ACK,
		SF_TCP_SYN | SF_TCP_FIN | SF_TCP_RST | SF_TCP_PSH | SF_TCP_ACK | SF_TCP_URG,
	};
	static const uint8_t good[] = {
		SF_TCP_SYN, SF_TCP_SYN | SF_TCP_ACK, SF_TCP_ACK, SF_TCP_RST, SF_TCP_RST | SF_TCP_ACK,
		SF_TCP_FIN | SF_TCP_ACK, SF_TCP_PSH | SF_TCP_ACK, SF_TCP_FIN, SF_TCP_URG,
		SF_TCP_FIN | SF_TCP_RST,
	};
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad); i++) {
		s.tcp_flags = bad[i];
		n = pkt_frame_build(f, &s);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_tcp_bad_flags);
		assert_int_equal(pi.tcp_flags, bad[i]);
	}
	for (size_t i = 0; i < sizeof(good); i++) {
		s.tcp_flags = good[i];
		n = pkt_frame_build(f, &s);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
		assert_int_equal(pi.tcp_flags, good[i]);
	}
	s = syn_spec();
	s.dport = 0;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_tcp_bad_port);
	s.sport = 0;
	n = pkt_frame_build(f, &s);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_tcp_bad_port);

	/* Data offset: 15 words over a 60-byte segment is exact; over 59 bytes is not. */
	s = syn_spec();
	n = pkt_frame_build(f, &s);
	for (uint8_t d = 0; d < 5; d++) {
		frame_l4(f)[12] = (uint8_t)(d << 4);
		pkt_frame_fix_l4(f);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_tcp_data_offset);
	}
	frame_l4(f)[12] = 11 << 4;     /* 44 > 40 */
	pkt_frame_fix_l4(f);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_tcp_data_offset);
	assert_int_equal(pi.sport, 43210);   /* filled before the failing check */
	frame_l4(f)[12] = 5 << 4;      /* options become payload */
	pkt_frame_fix_l4(f);
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
	assert_int_equal(pi.l4_len, 20);
	assert_int_equal(pi.payload_len, 20);
	assert_int_equal(pi.opts.present, 0);

	/* Options errors through the parser. */
	{
		uint8_t o[8] = { 1, SF_TCPOPT_WS, 4, 7, 0, 0, 0, 0 };

		s.tcp_opts = o;
		s.tcp_opts_len = sizeof(o);
		n = pkt_frame_build(f, &s);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_tcp_opt_len);
		o[2] = 3;
		n = pkt_frame_build(f, &s);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);
		assert_int_equal(pi.opts.present, SF_TCPO_WS);
		assert_int_equal(pi.opts.wscale, 7);
		o[4] = SF_TCPOPT_TS;
		o[5] = 10;
		n = pkt_frame_build(f, &s);
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_tcp_opt_overrun);
	}
}

/* ---- TCP options ---- */

static enum sf_pkt_verdict opts(const uint8_t *b, uint32_t len, struct sf_tcp_opts *o)
{
	uint8_t *c = malloc(len ? len : 1);
	enum sf_pkt_verdict v;

	assert_non_null(c);
	memcpy(c, b, len);
	memset(o, 0x5a, sizeof(*o));
	v = sf_pkt_tcp_opts_parse(c, len, 20, o);
	free(c);
	return v;
}

static void test_opts_basic(void **state)
{
	uint8_t b[40] = { 0 };
	struct sf_tcp_opts o;

	(void)state;
	assert_verdict(opts(b, 0, &o), SF_PKT_OK);
	assert_int_equal(o.present, 0);
	assert_int_equal(o.mss, 0);
	assert_int_equal(o.ts_off, 0);

	memset(b, SF_TCPOPT_NOP, 40);
	assert_verdict(opts(b, 40, &o), SF_PKT_OK);
	assert_int_equal(o.present, 0);
	assert_int_equal(o.nb_sack, 0);

	memset(b, SF_TCPOPT_EOL, 40);
	assert_verdict(opts(b, 40, &o), SF_PKT_OK);
	assert_int_equal(o.present, 0);

	/* Every kind at its length, in one 40-byte list. */
	{
		static const uint8_t all[40] = {
			2, 4, 0x05, 0xb4,
			3, 3, 9,
			4, 2,
			8, 10, 1, 2, 3, 4, 5, 6, 7, 8,
			5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
			1, 0, 0x77,
		};

		assert_verdict(opts(all, 40, &o), SF_PKT_OK);
		assert_int_equal(o.present, SF_TCPO_MSS | SF_TCPO_WS | SF_TCPO_SACK_PERM | SF_TCPO_TS | SF_TCPO_SACK);
		assert_int_equal(o.mss, 1460);
		assert_int_equal(o.mss_off, 20);
		assert_int_equal(o.wscale, 9);
		assert_int_equal(o.ts_off, 29);
		assert_int_equal(o.tsval, 0x01020304);
		assert_int_equal(o.tsecr, 0x05060708);
		assert_int_equal(o.sack_off, 39);
		assert_int_equal(o.nb_sack, 2);
		assert_int_equal(o.sack[0][0], 1);
		assert_int_equal(o.sack[0][1], 2);
		assert_int_equal(o.sack[1][0], 3);
		assert_int_equal(o.sack[1][1], 4);
	}
	/* wscale above 14 kept as sent */
	{
		static const uint8_t ws[4] = { 3, 3, 200, 0 };

		assert_verdict(opts(ws, 4, &o), SF_PKT_OK);
		assert_int_equal(o.wscale, 200);
	}
}

static void test_opts_wrong_len(void **state)
{
	static const struct { uint8_t kind, len; } bad[] = {
		{ SF_TCPOPT_MSS, 2 }, { SF_TCPOPT_MSS, 3 }, { SF_TCPOPT_MSS, 5 }, { SF_TCPOPT_MSS, 6 },
		{ SF_TCPOPT_WS, 2 }, { SF_TCPOPT_WS, 4 },
		{ SF_TCPOPT_SACK_PERM, 3 }, { SF_TCPOPT_SACK_PERM, 4 },
		{ SF_TCPOPT_TS, 8 }, { SF_TCPOPT_TS, 9 }, { SF_TCPOPT_TS, 11 }, { SF_TCPOPT_TS, 12 },
		{ SF_TCPOPT_SACK, 2 }, { SF_TCPOPT_SACK, 9 }, { SF_TCPOPT_SACK, 11 },
		{ SF_TCPOPT_SACK, 17 }, { SF_TCPOPT_SACK, 25 }, { SF_TCPOPT_SACK, 33 },
		{ SF_TCPOPT_SACK, 35 },
	};
	uint8_t b[40];
	struct sf_tcp_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(b, 0, sizeof(b));
		b[0] = 1;
		b[1] = bad[i].kind;
		b[2] = bad[i].len;
		if (opts(b, 40, &o) != SF_PKT_DROP_tcp_opt_len)
			fail_msg("kind %u len %u: %s", bad[i].kind, bad[i].len,
					sf_pkt_verdict_name(opts(b, 40, &o)));
	}
	/* Length 0 and 1, for known and unknown kinds alike. */
	for (uint8_t kind = 2; kind < 40; kind++) {
		for (uint8_t l = 0; l < 2; l++) {
			memset(b, 0, sizeof(b));
			b[0] = kind;
			b[1] = l;
			assert_verdict(opts(b, 40, &o), SF_PKT_DROP_tcp_opt_len);
		}
	}
	/* The right lengths pass. */
	for (size_t n = 1; n <= 4; n++) {
		memset(b, 0, sizeof(b));
		b[0] = SF_TCPOPT_SACK;
		b[1] = (uint8_t)(2 + 8 * n);
		assert_verdict(opts(b, 40, &o), SF_PKT_OK);
		assert_int_equal(o.nb_sack, n);
	}
}

static void test_opts_overrun(void **state)
{
	uint8_t b[40];
	struct sf_tcp_opts o;

	(void)state;
	/* Length running past the end, for each kind. */
	{
		static const uint8_t k[] = { SF_TCPOPT_MSS, SF_TCPOPT_WS, SF_TCPOPT_TS, SF_TCPOPT_SACK, 99 };
		static const uint8_t l[] = { 4, 3, 10, 10, 6 };

		for (size_t i = 0; i < sizeof(k); i++) {
			memset(b, 0, sizeof(b));
			b[0] = 1;
			b[1] = k[i];
			b[2] = l[i];
			assert_verdict(opts(b, (uint32_t)l[i], &o), SF_PKT_DROP_tcp_opt_overrun);
			assert_verdict(opts(b, (uint32_t)l[i] + 1, &o), SF_PKT_OK);
		}
	}
	/* Kind byte last, no room for its length byte. */
	memset(b, SF_TCPOPT_NOP, sizeof(b));
	b[39] = SF_TCPOPT_MSS;
	assert_verdict(opts(b, 40, &o), SF_PKT_DROP_tcp_opt_overrun);
	b[39] = 200;
	assert_verdict(opts(b, 40, &o), SF_PKT_DROP_tcp_opt_overrun);
	b[0] = SF_TCPOPT_TS;
	assert_verdict(opts(b, 1, &o), SF_PKT_DROP_tcp_opt_overrun);

	/* The wrong length of a kind is only judged once the option fits. */
	memset(b, 0, sizeof(b));
	b[36] = SF_TCPOPT_MSS;
	b[37] = 6;
	assert_verdict(opts(b + 36, 4, &o), SF_PKT_DROP_tcp_opt_overrun);

	/* 4 SACK blocks fit after NOP NOP; a 5th would take 42 bytes. */
	memset(b, 0, sizeof(b));
	b[0] = 1;
	b[1] = 1;
	b[2] = SF_TCPOPT_SACK;
	b[3] = 34;
	for (uint32_t i = 0; i < 8; i++)
		pkt_w32(b + 4 + 4 * i, 0x10000000u + i);
	assert_verdict(opts(b, 36, &o), SF_PKT_OK);
	assert_int_equal(o.present, SF_TCPO_SACK);
	assert_int_equal(o.nb_sack, 4);
	assert_int_equal(o.sack_off, 22);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(o.sack[i][0], 0x10000000u + 2 * i);
		assert_int_equal(o.sack[i][1], 0x10000000u + 2 * i + 1);
	}
	assert_verdict(opts(b, 35, &o), SF_PKT_DROP_tcp_opt_overrun);
	b[3] = 42;
	assert_verdict(opts(b, 40, &o), SF_PKT_DROP_tcp_opt_overrun);
	b[0] = SF_TCPOPT_SACK;
	b[1] = 42;
	assert_verdict(opts(b, 40, &o), SF_PKT_DROP_tcp_opt_overrun);
}

static void test_opts_skip(void **state)
{
	struct sf_tcp_opts o;

	(void)state;
	/* EOL ends the list: what follows (here an invalid MSS) is never looked at. */
	{
		static const uint8_t b[12] = { 2, 4, 0x02, 0x18, 0, 2, 9, 9, 8, 1, 0xff, 0xff };

		assert_verdict(opts(b, 12, &o), SF_PKT_OK);
		assert_int_equal(o.present, SF_TCPO_MSS);
		assert_int_equal(o.mss, 536);
	}
	/* Unknown kinds (TFO cookie 34, MD5 19, experimental 254) skipped and flagged. */
	{
		static const uint8_t b[32] = {
			34, 10, 1, 2, 3, 4, 5, 6, 7, 8,
			19, 2,
			254, 4, 0xf9, 0x89,
			2, 4, 0x05, 0x78,
			1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
		};

		assert_verdict(opts(b, 32, &o), SF_PKT_OK);
		assert_int_equal(o.present, SF_TCPO_UNKNOWN | SF_TCPO_MSS | SF_TCPO_TS);
		assert_int_equal(o.mss, 1400);
		assert_int_equal(o.mss_off, 36);
		assert_int_equal(o.ts_off, 42);
		assert_int_equal(o.tsval, 1);
		assert_int_equal(o.tsecr, 2);
	}
	/* TS at odd offsets 1 and 3: values read right at any alignment. */
	for (uint32_t at = 1; at <= 3; at += 2) {
		uint8_t b[16];

		memset(b, SF_TCPOPT_NOP, sizeof(b));
		b[at] = SF_TCPOPT_TS;
		b[at + 1] = 10;
		pkt_w32(b + at + 2, 0xdeadbeef);
		pkt_w32(b + at + 6, 0x80000001);
		assert_verdict(opts(b, 16, &o), SF_PKT_OK);
		assert_int_equal(o.present, SF_TCPO_TS);
		assert_int_equal(o.ts_off, 20 + at);
		assert_int_equal(o.tsval, 0xdeadbeef);
		assert_int_equal(o.tsecr, 0x80000001);
	}
	/* NOP NOP TS, and TS NOP NOP, give the same values at their own offsets. */
	{
		uint8_t b[12];

		pkt_frame_ack_opts(b, 7, 9);
		assert_verdict(opts(b, 12, &o), SF_PKT_OK);
		assert_int_equal(o.present, SF_TCPO_TS);
		assert_int_equal(o.ts_off, 22);
		assert_int_equal(o.tsval, 7);
		assert_int_equal(o.tsecr, 9);
		memmove(b, b + 2, 10);
		b[10] = 1;
		b[11] = 1;
		assert_verdict(opts(b, 12, &o), SF_PKT_OK);
		assert_int_equal(o.present, SF_TCPO_TS);
		assert_int_equal(o.ts_off, 20);
		assert_int_equal(o.tsval, 7);
		assert_int_equal(o.tsecr, 9);
	}
}

static void test_opts_duplicates(void **state)
{
	static const uint8_t b[28] = {
		2, 4, 0x03, 0xe8,            /* MSS 1000 */
		8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		2, 4, 0x05, 0xb4,            /* MSS 1460: wins */
		8, 10, 0, 0, 0, 2, 0, 0, 0, 3,   /* TS: wins */
	};
	struct sf_tcp_opts o;

	(void)state;
	assert_verdict(opts(b, 28, &o), SF_PKT_OK);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.mss_off, 34);
	assert_int_equal(o.tsval, 2);
	assert_int_equal(o.tsecr, 3);
	assert_int_equal(o.ts_off, 38);
}

/* ---- truncation ---- */

static void test_truncation(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;

	(void)state;
	for (int vlan = 0; vlan < 2; vlan++) {
		size_t l2 = vlan ? 18 : 14, n;

		s.has_vlan = vlan;
		n = pkt_frame_build(f, &s);
		for (size_t len = 0; len < n; len++) {
			enum sf_pkt_verdict v = parse_exact(f, len, 0, &pi);
			enum sf_pkt_verdict want = len < 14 ? SF_PKT_DROP_eth_runt :
				len < l2 ? SF_PKT_DROP_vlan_runt :
				len < l2 + 20 ? SF_PKT_DROP_ip_runt : SF_PKT_DROP_ip_total_len;

			assert_verdict(v, want);
			assert_verdict(parse_exact(f, len, SF_PKT_F_IP_CKSUM_GOOD | SF_PKT_F_L4_CKSUM_GOOD, &pi), want);
		}
		assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_OK);

		/* Cut the segment and say so in the IPv4 total length: the TCP checks catch it. */
		for (size_t cut = 0; cut < 40; cut++) {
			uint8_t g[PKT_FRAME_MAX];

			memcpy(g, f, n);
			pkt_w16(g + l2 + 2, (uint16_t)(20 + cut));
			pkt_frame_fix_ip(g);
			assert_verdict(parse_exact(g, l2 + 20 + cut, SF_PKT_F_L4_CKSUM_GOOD, &pi),
					cut < 20 ? SF_PKT_DROP_tcp_runt : SF_PKT_DROP_tcp_data_offset);
		}
	}
}

/* ---- checksums ---- */

static void test_cksum_good_flags(void **state)
{
	uint8_t f[PKT_FRAME_MAX];
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	size_t n;

	(void)state;
	n = pkt_frame_build(f, &s);
	f[24] ^= 0xff;
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_ip_checksum);
	assert_verdict(parse_exact(f, n, SF_PKT_F_L4_CKSUM_GOOD, &pi), SF_PKT_DROP_ip_checksum);
	assert_verdict(parse_exact(f, n, SF_PKT_F_IP_CKSUM_GOOD, &pi), SF_PKT_OK);
	f[24] ^= 0xff;
	f[50] ^= 0xff;
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_tcp_checksum);
	assert_verdict(parse_exact(f, n, SF_PKT_F_IP_CKSUM_GOOD, &pi), SF_PKT_DROP_tcp_checksum);
	assert_verdict(parse_exact(f, n, SF_PKT_F_L4_CKSUM_GOOD, &pi), SF_PKT_OK);
	assert_int_equal(pi.opts.mss, 1460);

	s = icmp_spec();
	n = pkt_frame_build(f, &s);
	frame_l4(f)[3] ^= 0x01;
	assert_verdict(parse_exact(f, n, 0, &pi), SF_PKT_DROP_icmp_checksum);
	assert_verdict(parse_exact(f, n, SF_PKT_F_L4_CKSUM_GOOD, &pi), SF_PKT_OK);
	assert_int_equal(pi.icmp_type, 8);
}

static void test_cksum_reference(void **state)
{
	uint8_t *buf = malloc(1600);

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i < 2000; i++) {
		uint32_t len = rng_below(1500), at = rng_below(8);
		uint32_t src = (uint32_t)rng(), dst = (uint32_t)rng();
		uint8_t proto = (uint8_t)rng();

		for (uint32_t j = 0; j < len; j++)
			buf[at + j] = (uint8_t)rng();
		if (i < 16)   /* all ones: the sums carry the most */
			memset(buf + at, 0xff, len);
		assert_int_equal(rte_be_to_cpu_16(sf_pkt_ipv4_cksum(buf + at, len)),
				pkt_ref_fold(pkt_ref_sum(0, buf + at, len)));
		assert_int_equal(rte_be_to_cpu_16(sf_pkt_l4_cksum(rte_cpu_to_be_32(src),
				rte_cpu_to_be_32(dst), proto, buf + at, len)),
				pkt_ref_l4_cksum(src, dst, proto, buf + at, len));
		assert_int_equal(sf_pkt_l4_cksum(src, dst, 1, buf + at, len),
				sf_pkt_l4_cksum(~src, ~dst, 1, buf + at, len));
	}
	free(buf);
}

static uint16_t field16(const uint8_t *p, bool host)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return host ? rte_be_to_cpu_16(v) : v;
}

static uint32_t field32(const uint8_t *p, bool host)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return host ? rte_be_to_cpu_32(v) : v;
}

static void field16_set(uint8_t *p, uint16_t v, bool host)
{
	if (host)
		v = rte_cpu_to_be_16(v);
	memcpy(p, &v, 2);
}

static void field32_set(uint8_t *p, uint32_t v, bool host)
{
	if (host)
		v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

/* The TCP and IP checksums, adjusted field by field, equal a full recompute. */
static void test_cksum_adjust(void **state)
{
	uint8_t f[PKT_FRAME_MAX], g[PKT_FRAME_MAX], pay[64];
	struct sf_pkt_info pi;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		struct pkt_frame_spec s = syn_spec();
		bool host = rng() & 1;
		uint8_t *ip, *tcp;
		size_t n;

		s.src = IP(10, 0, 0, 0) | (uint32_t)rng_below(1u << 24);
		s.dst = IP(198, 18, 0, 0) | (uint32_t)rng_below(1u << 16);
		s.sport = (uint16_t)(1 + rng_below(65535));
		s.dport = (uint16_t)(1 + rng_below(65535));
		s.seq = (uint32_t)rng();
		s.ack = (uint32_t)rng();
		s.win = (uint16_t)rng();
		s.ip_id = (uint16_t)rng();
		s.ttl = (uint8_t)(1 + rng_below(255));
		s.tcp_flags = SF_TCP_ACK;
		s.payload_len = (uint16_t)rng_below(sizeof(pay));
		for (size_t j = 0; j < s.payload_len; j++)
			pay[j] = (uint8_t)rng();
		s.payload = pay;
		n = pkt_frame_build(f, &s);
		memcpy(g, f, n);
		ip = f + 14;
		tcp = f + 34;

		switch (rng_below(6)) {
		case 0: case 1: {   /* a 16-bit TCP field: port, window, urgent pointer */
			static const size_t offs[] = { 0, 2, 14, 18 };
			size_t off = offs[rng_below(4)];
			uint16_t old = field16(tcp + off, host), new = (uint16_t)rng();

			if (off < 4 && new == 0)
				new = 1;
			field16_set(tcp + off, new, host);
			field16_set(tcp + 16, sf_pkt_cksum_adjust16(field16(tcp + 16, host), old, new), host);
			break;
		}
		case 2: case 3: {   /* sequence or acknowledgment number */
			size_t off = 4 + 4 * rng_below(2);
			uint32_t old = field32(tcp + off, host), new = (uint32_t)rng();

			field32_set(tcp + off, new, host);
			field16_set(tcp + 16, sf_pkt_cksum_adjust32(field16(tcp + 16, host), old, new), host);
			break;
		}
		case 4: {           /* an address: IPv4 header and TCP pseudo header */
			size_t off = 12 + 4 * rng_below(2);
			uint32_t old = field32(ip + off, host);
			uint32_t new = IP(198, 18, 1, 0) | rng_below(256);

			if (!host)
				new = rte_cpu_to_be_32(new);

			field32_set(ip + off, new, host);
			field16_set(ip + 10, sf_pkt_cksum_adjust32(field16(ip + 10, host), old, new), host);
			field16_set(tcp + 16, sf_pkt_cksum_adjust32(field16(tcp + 16, host), old, new), host);
			break;
		}
		default: {          /* TTL (word with the protocol) and IP id */
			uint16_t old = field16(ip + 8, host), new;

			ip[8] = (uint8_t)(1 + rng_below(255));
			new = field16(ip + 8, host);
			field16_set(ip + 10, sf_pkt_cksum_adjust16(field16(ip + 10, host), old, new), host);
			old = field16(ip + 4, host);
			new = (uint16_t)rng();
			field16_set(ip + 4, new, host);
			field16_set(ip + 10, sf_pkt_cksum_adjust16(field16(ip + 10, host), old, new), host);
			break;
		}
		}
		/* Recompute from scratch on a copy with the same fields. */
		memcpy(g, f, n);
		pkt_frame_fix(g);
		assert_memory_equal(f, g, n);
		assert_verdict(sf_pkt_parse(f, (uint32_t)n, 0, &pi), SF_PKT_OK);
	}
}

/* ---- a million mutated frames ---- */

static void check_invariants(const struct sf_pkt_info *pi, uint32_t len)
{
	assert_true(pi->l2_len == (pi->has_vlan ? 18 : 14));
	switch (pi->type) {
	case SF_PKT_TYPE_ARP:
		assert_int_equal(pi->l3_len, 28);
		assert_true(pi->l2_len + 28u <= len);
		break;
	case SF_PKT_TYPE_ICMP:
	case SF_PKT_TYPE_TCP:
		assert_true(pi->l2_len + (uint32_t)pi->ip_len <= len);
		assert_true(pi->l3_len >= 20 && pi->l3_len <= 60);
		assert_int_equal(pi->l3_len + pi->l4_len + pi->payload_len, pi->ip_len);
		if (pi->type == SF_PKT_TYPE_ICMP) {
			assert_int_equal(pi->l4_len, 8);
			break;
		}
		assert_true(pi->l4_len >= 20 && pi->l4_len <= 60);
		assert_true(pi->sport != 0 && pi->dport != 0);
		assert_true(pi->tcp_flags != 0);
		assert_true(pi->opts.nb_sack <= SF_TCP_MAX_SACK);
		if (pi->opts.present & SF_TCPO_MSS)
			assert_true(pi->opts.mss_off >= 20 && pi->opts.mss_off + 4 <= pi->l4_len);
		if (pi->opts.present & SF_TCPO_TS)
			assert_true(pi->opts.ts_off >= 20 && pi->opts.ts_off + 10 <= pi->l4_len);
		if (pi->opts.present & SF_TCPO_SACK)
			assert_true(pi->opts.sack_off >= 20 &&
					pi->opts.sack_off + 2 + 8 * pi->opts.nb_sack <= pi->l4_len);
		break;
	default:
		fail_msg("OK with type %u", pi->type);
	}
}

static void test_fuzz(void **state)
{
	enum { ROUNDS = 1000000, CAP = 256 };
	uint8_t seeds[8][PKT_FRAME_MAX], sack_opts[40], ack_opts[12];
	size_t seed_len[8], nb_seeds = 0;
	uint8_t *buf = malloc(CAP);
	uint32_t hits[SF_PKT_DROP_MAX] = { 0 };
	struct pkt_frame_spec s = syn_spec();
	struct sf_pkt_info pi;
	unsigned int distinct = 0;

	(void)state;
	assert_non_null(buf);
	memcpy(seeds[nb_seeds], scapy_syn, sizeof(scapy_syn));
	seed_len[nb_seeds++] = sizeof(scapy_syn);
	memcpy(seeds[nb_seeds], scapy_ack_data, sizeof(scapy_ack_data));
	seed_len[nb_seeds++] = sizeof(scapy_ack_data);
	memcpy(seeds[nb_seeds], scapy_icmp_vlan, sizeof(scapy_icmp_vlan));
	seed_len[nb_seeds++] = sizeof(scapy_icmp_vlan);
	memcpy(seeds[nb_seeds], scapy_arp_req, sizeof(scapy_arp_req));
	seed_len[nb_seeds++] = sizeof(scapy_arp_req);
	s.has_vlan = true;
	seed_len[nb_seeds] = pkt_frame_build(seeds[nb_seeds], &s);
	nb_seeds++;
	/* ACK with TS and 3 SACK blocks, options 40 bytes. */
	s = syn_spec();
	s.tcp_flags = SF_TCP_ACK;
	memset(sack_opts, 1, sizeof(sack_opts));
	pkt_frame_ack_opts(ack_opts, 1, 2);
	memcpy(sack_opts, ack_opts, 12);
	sack_opts[14] = SF_TCPOPT_SACK;
	sack_opts[15] = 26;
	s.tcp_opts = sack_opts;
	s.tcp_opts_len = 40;
	seed_len[nb_seeds] = pkt_frame_build(seeds[nb_seeds], &s);
	nb_seeds++;
	s.ip_opts_len = 12;
	s.eth_pad = 10;
	seed_len[nb_seeds] = pkt_frame_build(seeds[nb_seeds], &s);
	nb_seeds++;

	for (int i = 0; i < ROUNDS; i++) {
		uint32_t k = rng_below((uint32_t)nb_seeds), len = (uint32_t)seed_len[k];
		uint64_t r = rng();
		unsigned int flags = (r & 1) ? SF_PKT_F_IP_CKSUM_GOOD | SF_PKT_F_L4_CKSUM_GOOD :
			(unsigned int)(r >> 1) & 3;
		uint32_t nmut = 1 + (uint32_t)((r >> 3) & 3);
		enum sf_pkt_verdict v;
		uint8_t *p;

		if (((r >> 5) & 3) == 0)
			len = (uint32_t)((r >> 8) % (len + 1));            /* truncated */
		else if (((r >> 5) & 7) == 1)
			len = (uint32_t)(len + ((r >> 8) % 24));           /* longer */
		if (len > CAP)
			len = CAP;
		p = buf + CAP - len;    /* ends where the allocation ends */
		memcpy(p, seeds[k], len < seed_len[k] ? len : seed_len[k]);
		if (len > seed_len[k])
			memset(p + seed_len[k], (int)(r >> 40), len - seed_len[k]);
		for (uint32_t m = 0; m < nmut && len > 0; m++) {
			uint64_t x = rng();
			uint32_t at = (uint32_t)(x % len);
			/* Mostly within the headers, where the decisions are. */
			if ((x >> 32) & 1)
				at = (uint32_t)((x >> 8) % (len < 80 ? len : 80));
			switch ((x >> 40) & 3) {
			case 0: p[at] = (uint8_t)(x >> 48); break;
			case 1: p[at] ^= (uint8_t)(1u << ((x >> 48) & 7)); break;
			case 2: p[at] = (uint8_t)((x >> 48) & 1 ? 0 : 0xff); break;
			default: p[at] = (uint8_t)(p[at] + 1 - 2 * ((x >> 48) & 1)); break;
			}
		}
		v = sf_pkt_parse(p, len, flags, &pi);
		assert_true((unsigned int)v < SF_PKT_DROP_MAX);
		if (hits[v]++ == 0)
			distinct++;
		if (v == SF_PKT_OK)
			check_invariants(&pi, len);
	}
	free(buf);
	if (getenv("PKT_FUZZ_STATS"))
		for (int v = 0; v < SF_PKT_DROP_MAX; v++)
			printf("%-16s %u\n", v ? sf_pkt_verdict_name((enum sf_pkt_verdict)v) : "ok", hits[v]);
	/* The run reached deep into the parser, not just the first checks. */
	assert_true(hits[SF_PKT_OK] > ROUNDS / 50);
	assert_true(hits[SF_PKT_DROP_tcp_opt_len] > 0);
	assert_true(hits[SF_PKT_DROP_tcp_opt_overrun] > 0);
	assert_true(hits[SF_PKT_DROP_tcp_bad_flags] > 0);
	assert_true(distinct >= SF_PKT_DROP_MAX - 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builder_matches_vectors),
		cmocka_unit_test(test_cksum_vectors),
		cmocka_unit_test(test_syn_vector),
		cmocka_unit_test(test_syn_built),
		cmocka_unit_test(test_ack_data_vector),
		cmocka_unit_test(test_vlan_tcp),
		cmocka_unit_test(test_ip_options),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_arp_malformed),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_eth_padding),
		cmocka_unit_test(test_info_reset),
		cmocka_unit_test(test_drop_reasons),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_l2_variants),
		cmocka_unit_test(test_ip_variants),
		cmocka_unit_test(test_icmp_variants),
		cmocka_unit_test(test_tcp_variants),
		cmocka_unit_test(test_opts_basic),
		cmocka_unit_test(test_opts_wrong_len),
		cmocka_unit_test(test_opts_overrun),
		cmocka_unit_test(test_opts_skip),
		cmocka_unit_test(test_opts_duplicates),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_cksum_good_flags),
		cmocka_unit_test(test_cksum_reference),
		cmocka_unit_test(test_cksum_adjust),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests_name("pkt", tests, NULL, NULL);
}
