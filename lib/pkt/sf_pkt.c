/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser. One pass from the Ethernet header to the end of the TCP options,
 * every field read with an unaligned-safe load, every length checked against what
 * is left before it is used. Nothing is allocated and nothing outside
 * [data, data + len) is read. The order of the checks is part of the contract
 * (see sf_pkt.h): tests assert that each malformed frame yields one exact reason.
 */
#include <stddef.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include "sf_pkt.h"
#include "sf_pkt_dp.h"

#define SF_PKT_ETH_HLEN 14
#define SF_PKT_VLAN_HLEN 4
#define SF_PKT_ETYPE_IPV4 0x0800
#define SF_PKT_ETYPE_ARP 0x0806
#define SF_PKT_ETYPE_VLAN 0x8100
#define SF_PKT_ETYPE_QINQ 0x88a8

#define SF_PKT_ARP_LEN 28
/* hardware type 1 (Ethernet), protocol type 0x0800, hlen 6, plen 4 */
#define SF_PKT_ARP_HTYPE_PTYPE 0x00010800u
#define SF_PKT_ARP_HLEN_PLEN 0x0604

#define SF_PKT_IPV4_HLEN 20
#define SF_PKT_IPV4_FRAG_MASK 0x3fff   /* MF and the fragment offset; DF is allowed */
#define SF_PKT_PROTO_ICMP 1
#define SF_PKT_PROTO_TCP 6

#define SF_PKT_ICMP_HLEN 8
#define SF_PKT_TCP_HLEN 20

/* Option lengths fixed by their kind. */
#define SF_TCPOLEN_MSS 4
#define SF_TCPOLEN_WS 3
#define SF_TCPOLEN_SACK_PERM 2
#define SF_TCPOLEN_TS 10
#define SF_TCPOLEN_SACK_BASE 2
#define SF_TCPOLEN_SACK_BLOCK 8

/* NOP, NOP, TS, 10: the layout every mainstream stack puts on segments after the SYN. */
#define SF_TCPOPT_NOP_NOP_TS 0x0101080au

static const char *const sf_pkt_verdict_names[SF_PKT_DROP_MAX] = {
	[SF_PKT_OK] = "",
#define SF_PKT_X_NAME(n, d) [SF_PKT_DROP_##n] = #n,
	SF_PKT_DROP_LIST(SF_PKT_X_NAME)
#undef SF_PKT_X_NAME
};

static const char *const sf_pkt_verdict_descs[SF_PKT_DROP_MAX] = {
	[SF_PKT_OK] = "",
#define SF_PKT_X_DESC(n, d) [SF_PKT_DROP_##n] = d,
	SF_PKT_DROP_LIST(SF_PKT_X_DESC)
#undef SF_PKT_X_DESC
};

const char *sf_pkt_verdict_str(enum sf_pkt_verdict v)
{
	return (unsigned int)v < SF_PKT_DROP_MAX ? sf_pkt_verdict_descs[v] : "unknown";
}

const char *sf_pkt_verdict_name(enum sf_pkt_verdict v)
{
	return (unsigned int)v < SF_PKT_DROP_MAX ? sf_pkt_verdict_names[v] : "unknown";
}

uint16_t sf_pkt_ipv4_cksum(const void *iphdr, uint32_t hdr_len)
{
	return (uint16_t)~sf_pkt_cksum_fold(sf_pkt_cksum_sum(0, iphdr, hdr_len));
}

uint16_t sf_pkt_l4_cksum(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, uint32_t l4_len)
{
	uint64_t sum = 0;

	if (proto != SF_PKT_PROTO_ICMP)
		sum = sf_pkt_cksum_pseudo(src, dst, proto, l4_len);
	return (uint16_t)~sf_pkt_cksum_fold(sf_pkt_cksum_sum(sum, l4, l4_len));
}

/* The option walk proper; @p o is already zeroed (but for sack[]). */
static inline enum sf_pkt_verdict sf_pkt_tcp_opts_walk(const uint8_t *opt, uint32_t len,
		uint32_t off0, struct sf_tcp_opts *o)
{
	uint32_t i = 0;

	/* NOP NOP TS alone, as on nearly every segment after the handshake. */
	if (likely(len == 2 + SF_TCPOLEN_TS) && sf_pkt_be32_load(opt) == SF_TCPOPT_NOP_NOP_TS) {
		o->present = SF_TCPO_TS;
		o->ts_off = (uint8_t)(off0 + 2);
		o->tsval = sf_pkt_be32_load(opt + 4);
		o->tsecr = sf_pkt_be32_load(opt + 8);
		return SF_PKT_OK;
	}

	/* Linux's SYN: MSS, SACK-permitted + TS, NOP + window scale (20 bytes). */
	if (len == 20 && (sf_pkt_be32_load(opt) & 0xffff0000u) == 0x02040000u &&
	    sf_pkt_be32_load(opt + 4) == 0x0402080au &&
	    (sf_pkt_be32_load(opt + 16) & 0xffffff00u) == 0x01030300u) {
		o->present = SF_TCPO_MSS | SF_TCPO_SACK_PERM | SF_TCPO_TS | SF_TCPO_WS;
		o->mss_off = (uint8_t)off0;
		o->mss = sf_pkt_be16_load(opt + 2);
		o->ts_off = (uint8_t)(off0 + 6);
		o->tsval = sf_pkt_be32_load(opt + 8);
		o->tsecr = sf_pkt_be32_load(opt + 12);
		o->wscale = opt[19];
		return SF_PKT_OK;
	}

	while (i < len) {
		uint8_t kind = opt[i];
		uint32_t olen;

		if (kind == SF_TCPOPT_EOL)
			break;
		if (kind == SF_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (unlikely(len - i < 2))
			return SF_PKT_DROP_tcp_opt_overrun;
		olen = opt[i + 1];
		if (unlikely(olen < 2))
			return SF_PKT_DROP_tcp_opt_len;
		if (unlikely(olen > len - i))
			return SF_PKT_DROP_tcp_opt_overrun;

		switch (kind) {
		case SF_TCPOPT_MSS:
			if (unlikely(olen != SF_TCPOLEN_MSS))
				return SF_PKT_DROP_tcp_opt_len;
			o->present |= SF_TCPO_MSS;
			o->mss_off = (uint8_t)(off0 + i);
			o->mss = sf_pkt_be16_load(opt + i + 2);
			break;
		case SF_TCPOPT_WS:
			if (unlikely(olen != SF_TCPOLEN_WS))
				return SF_PKT_DROP_tcp_opt_len;
			o->present |= SF_TCPO_WS;
			o->wscale = opt[i + 2];
			break;
		case SF_TCPOPT_SACK_PERM:
			if (unlikely(olen != SF_TCPOLEN_SACK_PERM))
				return SF_PKT_DROP_tcp_opt_len;
			o->present |= SF_TCPO_SACK_PERM;
			break;
		case SF_TCPOPT_TS:
			if (unlikely(olen != SF_TCPOLEN_TS))
				return SF_PKT_DROP_tcp_opt_len;
			o->present |= SF_TCPO_TS;
			o->ts_off = (uint8_t)(off0 + i);
			o->tsval = sf_pkt_be32_load(opt + i + 2);
			o->tsecr = sf_pkt_be32_load(opt + i + 6);
			break;
		case SF_TCPOPT_SACK: {
			uint32_t n = (olen - SF_TCPOLEN_SACK_BASE) / SF_TCPOLEN_SACK_BLOCK;

			if (unlikely((olen - SF_TCPOLEN_SACK_BASE) % SF_TCPOLEN_SACK_BLOCK != 0 ||
					n == 0 || n > SF_TCP_MAX_SACK))
				return SF_PKT_DROP_tcp_opt_len;
			o->present |= SF_TCPO_SACK;
			o->sack_off = (uint8_t)(off0 + i);
			o->nb_sack = (uint8_t)n;
			for (uint32_t b = 0; b < n; b++) {
				const uint8_t *e = opt + i + SF_TCPOLEN_SACK_BASE + b * SF_TCPOLEN_SACK_BLOCK;

				o->sack[b][0] = sf_pkt_be32_load(e);
				o->sack[b][1] = sf_pkt_be32_load(e + 4);
			}
			break;
		}
		default:
			o->present |= SF_TCPO_UNKNOWN;
			break;
		}
		i += olen;
	}
	return SF_PKT_OK;
}

enum sf_pkt_verdict sf_pkt_tcp_opts_parse(const uint8_t *opt, uint32_t len, uint32_t off0,
		struct sf_tcp_opts *o)
{
	memset(o, 0, offsetof(struct sf_tcp_opts, sack));
	return sf_pkt_tcp_opts_walk(opt, len, off0, o);
}

static inline enum sf_pkt_verdict sf_pkt_tcp_parse(const uint8_t *t, uint32_t seg_len,
		unsigned int flags, struct sf_pkt_info *pi)
{
	uint32_t doff;
	uint8_t f;

	if (unlikely(seg_len < SF_PKT_TCP_HLEN))
		return SF_PKT_DROP_tcp_runt;
	pi->sport = sf_pkt_be16_load(t);
	pi->dport = sf_pkt_be16_load(t + 2);
	pi->seq = sf_pkt_be32_load(t + 4);
	pi->ack = sf_pkt_be32_load(t + 8);
	pi->win = sf_pkt_be16_load(t + 14);
	f = t[13];
	pi->tcp_flags = f;
	doff = (uint32_t)(t[12] >> 4) * 4;
	if (unlikely(doff < SF_PKT_TCP_HLEN || doff > seg_len))
		return SF_PKT_DROP_tcp_data_offset;
	pi->l4_len = (uint16_t)doff;
	pi->payload_len = (uint16_t)(seg_len - doff);

	if (!(flags & SF_PKT_F_L4_CKSUM_GOOD)) {
		uint64_t sum = sf_pkt_cksum_pseudo(pi->src, pi->dst, SF_PKT_PROTO_TCP, seg_len);

		if (unlikely(sf_pkt_cksum_fold(sf_pkt_cksum_sum(sum, t, seg_len)) != 0xffff))
			return SF_PKT_DROP_tcp_checksum;
	}
	if (unlikely((pi->sport == 0) | (pi->dport == 0)))
		return SF_PKT_DROP_tcp_bad_port;
	/* SYN with RST or FIN, or nothing at all, is never a valid segment (RFC 9293). */
	if (unlikely((f == 0) | (((f & SF_TCP_SYN) != 0) & ((f & (SF_TCP_RST | SF_TCP_FIN)) != 0))))
		return SF_PKT_DROP_tcp_bad_flags;
	if (doff == SF_PKT_TCP_HLEN)
		return SF_PKT_OK;
	return sf_pkt_tcp_opts_walk(t + SF_PKT_TCP_HLEN, doff - SF_PKT_TCP_HLEN, SF_PKT_TCP_HLEN,
			&pi->opts);
}

static inline enum sf_pkt_verdict sf_pkt_icmp_parse(const uint8_t *ic, uint32_t seg_len,
		unsigned int flags, struct sf_pkt_info *pi)
{
	if (unlikely(seg_len < SF_PKT_ICMP_HLEN))
		return SF_PKT_DROP_icmp_runt;
	pi->icmp_type = ic[0];
	pi->icmp_code = ic[1];
	pi->l4_len = SF_PKT_ICMP_HLEN;
	pi->payload_len = (uint16_t)(seg_len - SF_PKT_ICMP_HLEN);
	if (!(flags & SF_PKT_F_L4_CKSUM_GOOD) &&
			unlikely(sf_pkt_cksum_fold(sf_pkt_cksum_sum(0, ic, seg_len)) != 0xffff))
		return SF_PKT_DROP_icmp_checksum;
	return SF_PKT_OK;
}

/* Sources no host may send from: 0.0.0.0, loopback 127/8, multicast 224/4, 255.255.255.255. */
static inline int sf_pkt_ipv4_src_bad(uint32_t src_be)
{
	uint32_t s = rte_be_to_cpu_32(src_be);

	return (s == 0) | ((s >> 24) == 127) | ((s >> 28) == 0xe) | (s == UINT32_MAX);
}

static inline enum sf_pkt_verdict sf_pkt_ipv4_parse(const uint8_t *ip, uint32_t rem,
		unsigned int flags, struct sf_pkt_info *pi)
{
	uint32_t hl, tot;
	uint8_t proto;

	if (unlikely(rem < SF_PKT_IPV4_HLEN))
		return SF_PKT_DROP_ip_runt;
	if (unlikely((ip[0] >> 4) != 4))
		return SF_PKT_DROP_ip_version;
	hl = (uint32_t)(ip[0] & 0xf) * 4;
	tot = sf_pkt_be16_load(ip + 2);
	proto = ip[9];
	pi->l3_len = (uint16_t)hl;
	pi->ip_len = (uint16_t)tot;
	pi->ttl = ip[8];
	pi->src = sf_pkt_ne32_load(ip + 12);
	pi->dst = sf_pkt_ne32_load(ip + 16);
	if (unlikely(hl < SF_PKT_IPV4_HLEN || hl > rem))
		return SF_PKT_DROP_ip_hdr_len;
	if (unlikely(tot < hl || tot > rem))
		return SF_PKT_DROP_ip_total_len;
	if (!(flags & SF_PKT_F_IP_CKSUM_GOOD) &&
			unlikely(sf_pkt_cksum_fold(sf_pkt_cksum_sum(0, ip, hl)) != 0xffff))
		return SF_PKT_DROP_ip_checksum;
	if (unlikely(sf_pkt_be16_load(ip + 6) & SF_PKT_IPV4_FRAG_MASK))
		return SF_PKT_DROP_ip_fragment;
	if (unlikely(sf_pkt_ipv4_src_bad(pi->src)))
		return SF_PKT_DROP_ip_bad_src;

	if (likely(proto == SF_PKT_PROTO_TCP)) {
		pi->type = SF_PKT_TYPE_TCP;
		return sf_pkt_tcp_parse(ip + hl, tot - hl, flags, pi);
	}
	if (proto == SF_PKT_PROTO_ICMP) {
		pi->type = SF_PKT_TYPE_ICMP;
		return sf_pkt_icmp_parse(ip + hl, tot - hl, flags, pi);
	}
	return SF_PKT_DROP_l4_unsupported;
}

static inline enum sf_pkt_verdict sf_pkt_arp_parse(const uint8_t *arp, uint32_t rem,
		struct sf_pkt_info *pi)
{
	pi->type = SF_PKT_TYPE_ARP;
	if (unlikely(rem < SF_PKT_ARP_LEN))
		return SF_PKT_DROP_arp_malformed;
	if (unlikely(sf_pkt_be32_load(arp) != SF_PKT_ARP_HTYPE_PTYPE ||
			sf_pkt_be16_load(arp + 4) != SF_PKT_ARP_HLEN_PLEN))
		return SF_PKT_DROP_arp_malformed;
	pi->l3_len = SF_PKT_ARP_LEN;
	pi->arp_op = sf_pkt_be16_load(arp + 6);
	pi->src = sf_pkt_ne32_load(arp + 14);   /* sender protocol address */
	pi->dst = sf_pkt_ne32_load(arp + 24);   /* target protocol address */
	return SF_PKT_OK;
}

enum sf_pkt_verdict sf_pkt_parse(const uint8_t *data, uint32_t len, unsigned int flags,
		struct sf_pkt_info *pi)
{
	const uint8_t *p;
	uint32_t rem;
	uint16_t etype;

	memset(pi, 0, offsetof(struct sf_pkt_info, opts.sack));
	if (unlikely(len < SF_PKT_ETH_HLEN))
		return SF_PKT_DROP_eth_runt;
	p = data + SF_PKT_ETH_HLEN;
	rem = len - SF_PKT_ETH_HLEN;
	pi->l2_len = SF_PKT_ETH_HLEN;
	etype = sf_pkt_be16_load(data + 12);

	if (etype == SF_PKT_ETYPE_VLAN) {
		if (unlikely(rem < SF_PKT_VLAN_HLEN))
			return SF_PKT_DROP_vlan_runt;
		pi->has_vlan = 1;
		pi->vlan_tci = sf_pkt_be16_load(p);
		etype = sf_pkt_be16_load(p + 2);
		p += SF_PKT_VLAN_HLEN;
		rem -= SF_PKT_VLAN_HLEN;
		pi->l2_len = SF_PKT_ETH_HLEN + SF_PKT_VLAN_HLEN;
		if (unlikely(etype == SF_PKT_ETYPE_VLAN || etype == SF_PKT_ETYPE_QINQ))
			return SF_PKT_DROP_vlan_nested;
	} else if (unlikely(etype == SF_PKT_ETYPE_QINQ)) {
		return SF_PKT_DROP_vlan_nested;
	}

	if (likely(etype == SF_PKT_ETYPE_IPV4))
		return sf_pkt_ipv4_parse(p, rem, flags, pi);
	if (etype == SF_PKT_ETYPE_ARP)
		return sf_pkt_arp_parse(p, rem, pi);
	return SF_PKT_DROP_l3_unsupported;
}
