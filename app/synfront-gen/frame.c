/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synfront-gen: building frames.
 *
 * Every frame is written whole into a fresh mbuf, checksums in software (the lab's
 * af_packet and memif ports offload nothing). SYN option mixes:
 *
 *   linux    MSS 1460, SACK-permitted, TS, NOP, WS 7            (20 bytes, as Linux sends)
 *   none     no options
 *   mss      MSS 1460
 *   random   one of, per SYN: none; MSS only (a random MSS, odd ones included); the Linux
 *            set with a random MSS and shift 0..14; the Windows set (MSS, NOP, WS, NOP, NOP,
 *            SACK-permitted); MSS + TS; MSS + SACK-permitted + TS; WS only; the Linux set
 *            with ECN setup (ECE|CWR)
 *
 * Floods: forged ACKs carry random sequence and acknowledgement numbers (each one a
 * cookie guess); RSTs and FIN|ACKs likewise. Garbage is a TCP segment with a valid IPv4
 * header and something wrong or odd in TCP: flags never valid (SYN|FIN, SYN|RST, none),
 * a wrong checksum, a data offset below 5 or past the segment, an option running past
 * the header, random payload.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "sf_pkt_dp.h"
#include "gen.h"

#define IP_HDR_LEN 20
#define TCP_HDR_LEN 20

struct rte_mbuf *gen_frame_tcp(struct gen *g, const struct gen_seg *s)
{
	uint16_t l4_len = (uint16_t)(TCP_HDR_LEN + s->opt_len + s->payload_len);
	uint16_t len = (uint16_t)(RTE_ETHER_HDR_LEN + IP_HDR_LEN + l4_len);
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
	struct rte_ether_hdr *eth;
	uint8_t *ip, *tcp;
	uint64_t sum;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth->dst_addr = g->dst_mac;
	eth->src_addr = g->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	ip = (uint8_t *)(eth + 1);
	ip[0] = 0x45;
	ip[1] = 0;
	sf_pkt_be16_store(ip + 2, (uint16_t)(IP_HDR_LEN + l4_len));
	sf_pkt_be16_store(ip + 4, (uint16_t)gen_rand(g));
	sf_pkt_be16_store(ip + 6, 0x4000);    /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memset(ip + 10, 0, 2);
	memcpy(ip + 12, &s->saddr, 4);
	memcpy(ip + 16, &s->daddr, 4);
	{
		uint16_t ck = sf_pkt_ipv4_cksum(ip, IP_HDR_LEN);

		memcpy(ip + 10, &ck, 2);
	}

	tcp = ip + IP_HDR_LEN;
	sf_pkt_be16_store(tcp, s->sport);
	sf_pkt_be16_store(tcp + 2, s->dport);
	sf_pkt_be32_store(tcp + 4, s->seq);
	sf_pkt_be32_store(tcp + 8, s->ack);
	tcp[12] = (uint8_t)(((TCP_HDR_LEN + s->opt_len) / 4) << 4);
	tcp[13] = s->flags;
	sf_pkt_be16_store(tcp + 14, s->win);
	memset(tcp + 16, 0, 4);               /* checksum, urgent pointer */
	if (s->opt_len != 0)
		memcpy(tcp + TCP_HDR_LEN, s->opt, s->opt_len);
	if (s->payload_len != 0)
		memcpy(tcp + TCP_HDR_LEN + s->opt_len, s->payload, s->payload_len);
	sum = sf_pkt_cksum_pseudo(s->saddr, s->daddr, IPPROTO_TCP, l4_len);
	sum = sf_pkt_cksum_sum(sum, tcp, l4_len);
	{
		uint16_t ck = (uint16_t)~sf_pkt_cksum_fold(sum);

		memcpy(tcp + 16, &ck, 2);
	}
	return m;
}

/* Option writers: each returns the bytes written. */
static uint8_t opt_mss(uint8_t *p, uint16_t mss)
{
	p[0] = SF_TCPOPT_MSS;
	p[1] = 4;
	sf_pkt_be16_store(p + 2, mss);
	return 4;
}

static uint8_t opt_ts(uint8_t *p, uint32_t tsval)
{
	p[0] = SF_TCPOPT_TS;
	p[1] = 10;
	sf_pkt_be32_store(p + 2, tsval);
	sf_pkt_be32_store(p + 6, 0);
	return 10;
}

static uint8_t opt_linux(uint8_t *p, uint16_t mss, uint32_t tsval, uint8_t ws)
{
	uint8_t n = opt_mss(p, mss);

	p[n++] = SF_TCPOPT_SACK_PERM;
	p[n++] = 2;
	n += opt_ts(p + n, tsval);
	p[n++] = SF_TCPOPT_NOP;
	p[n++] = SF_TCPOPT_WS;
	p[n++] = 3;
	p[n++] = ws;
	return n;     /* 20 */
}

/* MSS values of the random mix: common ones, and some a careless stack sends. */
static const uint16_t mss_pick[] = {1460, 1460, 1440, 1400, 1360, 1220, 536, 8960, 9000, 88, 1, 65535};

uint8_t gen_syn_opts(struct gen *g, enum gen_opts mix, uint32_t tsval, uint8_t *buf, uint8_t *flags)
{
	uint64_t r;
	uint16_t mss;
	uint8_t ws, n;

	switch (mix) {
	case GEN_OPTS_LINUX:
		return opt_linux(buf, 1460, tsval, 7);
	case GEN_OPTS_NONE:
		return 0;
	case GEN_OPTS_MSS:
		return opt_mss(buf, 1460);
	case GEN_OPTS_RANDOM:
	case GEN_OPTS_NB:
		break;
	}
	r = gen_rand(g);
	mss = mss_pick[(r >> 8) % RTE_DIM(mss_pick)];
	ws = (uint8_t)((r >> 16) % 15);
	switch (r % 8) {
	case 0:
		return 0;
	case 1:
		return opt_mss(buf, mss);
	case 2:
		return opt_linux(buf, mss, tsval, ws);
	case 3:       /* Windows: MSS, NOP, WS, NOP, NOP, SACK-permitted */
		n = opt_mss(buf, mss);
		buf[n++] = SF_TCPOPT_NOP;
		buf[n++] = SF_TCPOPT_WS;
		buf[n++] = 3;
		buf[n++] = ws;
		buf[n++] = SF_TCPOPT_NOP;
		buf[n++] = SF_TCPOPT_NOP;
		buf[n++] = SF_TCPOPT_SACK_PERM;
		buf[n++] = 2;
		return n;
	case 4:       /* MSS, NOP, NOP, TS */
		n = opt_mss(buf, mss);
		buf[n++] = SF_TCPOPT_NOP;
		buf[n++] = SF_TCPOPT_NOP;
		return (uint8_t)(n + opt_ts(buf + n, tsval));
	case 5:       /* MSS, SACK-permitted, TS */
		n = opt_mss(buf, mss);
		buf[n++] = SF_TCPOPT_SACK_PERM;
		buf[n++] = 2;
		return (uint8_t)(n + opt_ts(buf + n, tsval));
	case 6:       /* NOP, WS */
		buf[0] = SF_TCPOPT_NOP;
		buf[1] = SF_TCPOPT_WS;
		buf[2] = 3;
		buf[3] = ws;
		return 4;
	default:      /* the Linux set with ECN setup */
		*flags |= SF_TCP_ECE | SF_TCP_CWR;
		return opt_linux(buf, mss, tsval, ws);
	}
}

/* A garbage segment: build a plausible one, then break it one way. */
static struct rte_mbuf *frame_garbage(struct gen *g, struct gen_seg *s)
{
	static const uint8_t bad_flags[] = {
		SF_TCP_SYN | SF_TCP_FIN, SF_TCP_SYN | SF_TCP_RST, 0, 0xff,
		SF_TCP_SYN | SF_TCP_FIN | SF_TCP_PSH | SF_TCP_URG,
	};
	uint8_t junk[64], opt[8];
	uint64_t r = gen_rand(g);
	struct rte_mbuf *m;
	uint8_t *tcp;

	for (unsigned int i = 0; i < sizeof(junk); i += 8) {
		uint64_t x = gen_rand(g);

		memcpy(junk + i, &x, 8);
	}
	s->flags = (uint8_t)(gen_rand(g) | SF_TCP_ACK);
	s->payload = junk;
	s->payload_len = (uint16_t)((r >> 8) % sizeof(junk));
	switch (r % 5) {
	case 0:       /* flags never valid */
		s->flags = bad_flags[(r >> 16) % RTE_DIM(bad_flags)];
		break;
	case 4:       /* an option whose length runs past the header */
		opt[0] = SF_TCPOPT_MSS;
		opt[1] = 12;
		memset(opt + 2, 0, 6);
		s->opt = opt;
		s->opt_len = 8;
		break;
	default:
		break;
	}
	m = gen_frame_tcp(g, s);
	if (m == NULL)
		return NULL;
	tcp = rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN + IP_HDR_LEN);
	switch (r % 5) {
	case 1:       /* wrong checksum */
		tcp[16] ^= 0x5a;
		break;
	case 2:       /* data offset below 5 */
		tcp[12] = (uint8_t)(((r >> 24) % 5) << 4);
		break;
	case 3:       /* data offset past the segment */
		tcp[12] = 0xf0;
		break;
	default:
		break;
	}
	return m;
}

unsigned int gen_frame_flood(struct gen *g, struct rte_mbuf **m, unsigned int n, uint64_t now)
{
	uint32_t tsval = gen_tsval(g, now);
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint8_t opt[40];
		struct gen_seg s = {
			.saddr = gen_rand_src(g),
			.daddr = g->cfg.dst_ip,
			.dport = g->cfg.dst_port,
			.win = 64240,
		};
		uint64_t r = gen_rand(g);

		s.sport = (uint16_t)(1024 + r % (65536 - 1024));
		switch (g->cfg.mode) {
		case GEN_MODE_SYN:
			s.seq = gen_flood_isn(g, s.saddr, s.sport);
			s.flags = SF_TCP_SYN;
			s.opt = opt;
			s.opt_len = gen_syn_opts(g, g->cfg.opts, tsval, opt, &s.flags);
			break;
		case GEN_MODE_ACK:
			s.seq = (uint32_t)(r >> 16);
			s.ack = (uint32_t)gen_rand(g);
			s.flags = SF_TCP_ACK;
			if (g->cfg.opts != GEN_OPTS_NONE && g->cfg.opts != GEN_OPTS_MSS) {
				/* NOP NOP TS: TSecr a guess at the cookie's TSval */
				opt[0] = SF_TCPOPT_NOP;
				opt[1] = SF_TCPOPT_NOP;
				opt_ts(opt + 2, tsval);
				sf_pkt_be32_store(opt + 8, (uint32_t)gen_rand(g));
				s.opt = opt;
				s.opt_len = 12;
			}
			break;
		case GEN_MODE_RST:
			s.seq = (uint32_t)(r >> 16);
			s.flags = SF_TCP_RST;
			s.win = 0;
			break;
		case GEN_MODE_FIN:
			s.seq = (uint32_t)(r >> 16);
			s.ack = (uint32_t)gen_rand(g);
			s.flags = SF_TCP_FIN | SF_TCP_ACK;
			break;
		case GEN_MODE_GARBAGE:
			s.seq = (uint32_t)(r >> 16);
			s.ack = (uint32_t)gen_rand(g);
			m[i] = frame_garbage(g, &s);
			if (m[i] == NULL)
				return i;
			continue;
		case GEN_MODE_STORM:
		case GEN_MODE_NB:
			return i;
		}
		m[i] = gen_frame_tcp(g, &s);
		if (m[i] == NULL)
			return i;
	}
	return i;
}

struct rte_mbuf *gen_frame_arp(struct gen *g, uint16_t op, uint32_t spa,
		const struct rte_ether_addr *tha, uint32_t tpa)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	uint16_t len = RTE_ETHER_HDR_LEN + sizeof(*arp);

	if (m == NULL)
		return NULL;
	/* Pad to the Ethernet minimum (60 bytes without the FCS). */
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, RTE_MAX(len, RTE_ETHER_MIN_LEN - 4));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(eth, 0, rte_pktmbuf_data_len(m));
	eth->dst_addr = op == RTE_ARP_OP_REQUEST ? bcast : *tha;
	eth->src_addr = g->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = g->mac;
	arp->arp_data.arp_sip = spa;
	if (tha != NULL)
		arp->arp_data.arp_tha = *tha;
	arp->arp_data.arp_tip = tpa;
	return m;
}
