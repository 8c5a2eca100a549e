/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test frame builder for lib/pkt: writes Ethernet (+ 802.1Q) / IPv4 (+ options) /
 * TCP (+ options) or ICMP, and ARP, with checksums computed by a plain RFC 1071
 * reference that shares no code with the library. Used by the unit tests and the
 * benchmark. Header-only; every function is static.
 */
#ifndef PKT_FRAME_H
#define PKT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PKT_FRAME_MAX 1600

/** What to build. Addresses, ports and numbers in host order. */
struct pkt_frame_spec {
	bool has_vlan;
	uint16_t vlan_tci;
	uint16_t ethertype_inner;   /**< 0: IPv4 (0x0800) */
	uint8_t ip_ihl;             /**< 0: 5 + ip_opts_len / 4 */
	uint8_t ip_opts_len;        /**< multiple of 4, filled with NOPs (option 1) */
	uint8_t ip_tos;
	uint16_t ip_id;
	uint16_t ip_frag;           /**< flags and fragment offset word */
	uint8_t ttl;
	uint8_t proto;              /**< 6 TCP, 1 ICMP, other: raw payload */
	uint32_t src, dst;
	/* TCP */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t tcp_flags;
	uint16_t win;
	const uint8_t *tcp_opts;    /**< copied as is, then padded with EOL to a multiple of 4 */
	uint8_t tcp_opts_len;
	/* ICMP */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	/* payload and Ethernet padding after the IPv4 packet */
	const uint8_t *payload;
	uint16_t payload_len;
	uint16_t eth_pad;           /**< bytes of 0xa5 after the IPv4 packet */
};

static const uint8_t pkt_frame_dmac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t pkt_frame_smac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static inline void pkt_w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pkt_w32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t pkt_r16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pkt_r32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071, one big-endian 16-bit word at a time. Returns a host-order partial sum. */
static inline uint32_t pkt_ref_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static inline uint16_t pkt_ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Reference checksums, host order. src/dst host order; no pseudo header for ICMP. */
static inline uint16_t pkt_ref_l4_cksum(uint32_t src, uint32_t dst, uint8_t proto,
		const uint8_t *l4, size_t n)
{
	uint32_t sum = 0;

	if (proto != 1)
		sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
			(uint32_t)n;
	return pkt_ref_fold(pkt_ref_sum(sum, l4, n));
}

/** Offset of the IPv4 header in a frame written by pkt_frame_build(). */
static inline size_t pkt_frame_l3(const uint8_t *f)
{
	return pkt_r16(f + 12) == 0x8100 ? 18 : 14;
}

/** Recompute the IPv4 header checksum of a built frame (after editing it). */
static inline void pkt_frame_fix_ip(uint8_t *f)
{
	uint8_t *ip = f + pkt_frame_l3(f);
	size_t hl = (size_t)(ip[0] & 0xf) * 4;

	pkt_w16(ip + 10, 0);
	pkt_w16(ip + 10, pkt_ref_fold(pkt_ref_sum(0, ip, hl)));
}

/** Recompute the TCP or ICMP checksum of a built frame, from the IPv4 total length. */
static inline void pkt_frame_fix_l4(uint8_t *f)
{
	uint8_t *ip = f + pkt_frame_l3(f);
	size_t hl = (size_t)(ip[0] & 0xf) * 4;
	size_t n = pkt_r16(ip + 2) - hl;
	uint8_t *l4 = ip + hl;
	uint8_t *ck = ip[9] == 1 ? l4 + 2 : l4 + 16;

	pkt_w16(ck, 0);
	pkt_w16(ck, pkt_ref_l4_cksum(pkt_r32(ip + 12), pkt_r32(ip + 16), ip[9], l4, n));
}

/** Recompute both checksums. */
static inline void pkt_frame_fix(uint8_t *f)
{
	pkt_frame_fix_ip(f);
	pkt_frame_fix_l4(f);
}

/** Build a frame into @p f (PKT_FRAME_MAX bytes). @return its length. */
static inline size_t pkt_frame_build(uint8_t *f, const struct pkt_frame_spec *s)
{
	size_t o = 0, ip_off, hl, l4len, optlen;
	uint8_t *ip, *l4;

	memcpy(f, pkt_frame_dmac, 6);
	memcpy(f + 6, pkt_frame_smac, 6);
	o = 12;
	if (s->has_vlan) {
		pkt_w16(f + o, 0x8100);
		pkt_w16(f + o + 2, s->vlan_tci);
		o += 4;
	}
	pkt_w16(f + o, s->ethertype_inner ? s->ethertype_inner : 0x0800);
	o += 2;

	ip_off = o;
	ip = f + ip_off;
	hl = 20 + s->ip_opts_len;
	ip[0] = (uint8_t)(0x40 | (s->ip_ihl ? s->ip_ihl : hl / 4));
	ip[1] = s->ip_tos;
	pkt_w16(ip + 4, s->ip_id);
	pkt_w16(ip + 6, s->ip_frag);
	ip[8] = s->ttl;
	ip[9] = s->proto;
	pkt_w16(ip + 10, 0);
	pkt_w32(ip + 12, s->src);
	pkt_w32(ip + 16, s->dst);
	memset(ip + 20, 1, s->ip_opts_len);
	l4 = ip + hl;

	if (s->proto == 6) {
		optlen = (s->tcp_opts_len + 3u) & ~3u;
		pkt_w16(l4, s->sport);
		pkt_w16(l4 + 2, s->dport);
		pkt_w32(l4 + 4, s->seq);
		pkt_w32(l4 + 8, s->ack);
		l4[12] = (uint8_t)(((20 + optlen) / 4) << 4);
		l4[13] = s->tcp_flags;
		pkt_w16(l4 + 14, s->win);
		pkt_w16(l4 + 16, 0);
		pkt_w16(l4 + 18, 0);
		memset(l4 + 20, 0, optlen);
		if (s->tcp_opts_len)
			memcpy(l4 + 20, s->tcp_opts, s->tcp_opts_len);
		l4len = 20 + optlen;
	} else if (s->proto == 1) {
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		pkt_w16(l4 + 2, 0);
		pkt_w16(l4 + 4, s->icmp_id);
		pkt_w16(l4 + 6, s->icmp_seq);
		l4len = 8;
	} else {
		l4len = 0;
	}
	if (s->payload_len)
		memcpy(l4 + l4len, s->payload, s->payload_len);
	l4len += s->payload_len;
	pkt_w16(ip + 2, (uint16_t)(hl + l4len));
	o = ip_off + hl + l4len;
	memset(f + o, 0xa5, s->eth_pad);

	pkt_w16(ip + 10, pkt_ref_fold(pkt_ref_sum(0, ip, hl)));
	if (s->proto == 6 || s->proto == 1)
		pkt_frame_fix_l4(f);
	return o + s->eth_pad;
}

/**
 * Build an ARP frame (Ethernet/IPv4) into @p f. @p pad bytes of zero follow the
 * 28-byte ARP packet. @return its length.
 */
static inline size_t pkt_frame_arp_build(uint8_t *f, bool has_vlan, uint16_t tci, uint16_t op,
		uint32_t spa, uint32_t tpa, size_t pad)
{
	size_t o;
	uint8_t *a;

	memset(f, 0xff, 6);
	memcpy(f + 6, pkt_frame_smac, 6);
	o = 12;
	if (has_vlan) {
		pkt_w16(f + o, 0x8100);
		pkt_w16(f + o + 2, tci);
		o += 4;
	}
	pkt_w16(f + o, 0x0806);
	a = f + o + 2;
	pkt_w16(a, 1);
	pkt_w16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	pkt_w16(a + 6, op);
	memcpy(a + 8, pkt_frame_smac, 6);
	pkt_w32(a + 14, spa);
	memset(a + 18, 0, 6);
	pkt_w32(a + 24, tpa);
	memset(a + 28, 0, pad);
	return o + 2 + 28 + pad;
}

/* Linux's SYN option layout: MSS, SACK-permitted, TS, NOP, WS. */
static inline size_t pkt_frame_syn_opts(uint8_t *o, uint16_t mss, uint32_t tsval, uint8_t ws)
{
	o[0] = 2; o[1] = 4; pkt_w16(o + 2, mss);
	o[4] = 4; o[5] = 2;
	o[6] = 8; o[7] = 10; pkt_w32(o + 8, tsval); pkt_w32(o + 12, 0);
	o[16] = 1;
	o[17] = 3; o[18] = 3; o[19] = ws;
	return 20;
}

/* Options after the handshake: NOP, NOP, TS. */
static inline size_t pkt_frame_ack_opts(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10;
	pkt_w32(o + 4, tsval);
	pkt_w32(o + 8, tsecr);
	return 12;
}

#endif /* PKT_FRAME_H */
