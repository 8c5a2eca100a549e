/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cookie handshake: SYN -> SYN-ACK rewritten in place, ACK -> cookie check.
 *
 * The SYN-ACK is built over the SYN's own buffer: Ethernet addresses swapped
 * (the VLAN tag, if any, stays), a fresh 20-byte IPv4 header (any IP options of
 * the SYN are dropped), the TCP header and options written from scratch, both
 * checksums computed in full over 20 + 20..40 bytes. Options, in Linux's order:
 *
 *   MSS                      02 04 mm mm
 *   SACK-permitted + TS      04 02 08 0a vvvvvvvv eeeeeeee   (or 01 01 08 0a ... without SACK)
 *   window scale             01 03 03 ss
 *   SACK-permitted, no TS    01 01 04 02
 *
 * Only the options the cookie can carry back are offered (sf_cookie_synack.opts):
 * without client timestamps that is the MSS alone.
 *
 * The SYN-ACK's checksums are summed from the values as they are written, never
 * read back from the packet: an 8-byte load of bytes that several narrower stores
 * have just written cannot be store-forwarded and waits for those stores to retire,
 * which cost more than the rest of the rewrite (docs/performance.md). A native
 * load of bytes written big-endian from v is rte_cpu_to_be_32(v), so that is what
 * put_be32() adds: the sum is the one sf_pkt_cksum_sum() would read, bit for bit.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "sf_pkt_dp.h"
#include "sf_splice_dp.h"
#include "splice_private.h"

/* Window offered in SYN-ACKs: segments with SYN are never scaled (RFC 7323 2.2). */
#define SF_SPLICE_SYN_WINDOW 65535

/* Trim the mbuf to @p len bytes of a single segment. */
static inline void set_len(struct rte_mbuf *m, uint32_t len)
{
	if (unlikely(m->nb_segs > 1)) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->ol_flags = 0;
}

/* Store @p v big-endian at @p p; @return @p sum plus the word as sf_pkt_cksum_sum() reads it. */
static __rte_always_inline uint64_t put_be32(uint8_t *p, uint32_t v, uint64_t sum)
{
	uint32_t w = rte_cpu_to_be_32(v);

	memcpy(p, &w, sizeof(w));
	return sum + w;
}

/* Swap Ethernet addresses, write a fresh IPv4 header; @return the TCP header. */
static inline uint8_t *reply_l3(struct rte_mbuf *m, const struct sf_pkt_info *pi, uint16_t tcp_len)
{
	uint8_t *base = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)base;
	uint8_t *ip = base + pi->l2_len;
	struct rte_ether_addr t = eth->src_addr;
	uint64_t sum;
	uint16_t ck;

	eth->src_addr = eth->dst_addr;
	eth->dst_addr = t;
	sum = put_be32(ip, 0x45000000u | (20u + tcp_len), 0);   /* version, IHL, TOS, length */
	sum = put_be32(ip + 4, 0x00004000u, sum);               /* id 0, DF */
	sum = put_be32(ip + 8, 64u << 24 | IPPROTO_TCP << 16, sum);   /* TTL, protocol, cksum 0 */
	memcpy(ip + 12, &pi->dst, 4);
	memcpy(ip + 16, &pi->src, 4);
	sum += (uint64_t)pi->dst + pi->src;
	ck = (uint16_t)~sf_pkt_cksum_fold(sum);
	memcpy(ip + 10, &ck, 2);
	set_len(m, pi->l2_len + 20u + tcp_len);
	return ip + 20;
}

static inline void tcp_cksum(uint8_t *tcp, const struct sf_pkt_info *pi, uint16_t tcp_len)
{
	uint64_t sum = sf_pkt_cksum_pseudo(pi->dst, pi->src, IPPROTO_TCP, tcp_len);
	uint16_t ck;

	tcp[16] = tcp[17] = 0;
	sum = sf_pkt_cksum_sum(sum, tcp, tcp_len);
	ck = (uint16_t)~sf_pkt_cksum_fold(sum);
	memcpy(tcp + 16, &ck, 2);
}

static inline void synack_build(struct rte_mbuf *m, const struct sf_pkt_info *pi,
		const struct sf_splice_svc *svc, const struct sf_cookie_synack *ck)
{
	uint16_t tcp_len = 20 + 4;
	uint8_t flags = SF_TCP_SYN | SF_TCP_ACK;
	uint8_t *tcp, *o;
	uint64_t sum;
	uint16_t cks;

	if (ck->opts & SF_COOKIE_OPT_TS)
		tcp_len += 12;
	else if (ck->opts & SF_COOKIE_OPT_SACK)
		tcp_len += 4;
	if (ck->opts & SF_COOKIE_OPT_WS)
		tcp_len += 4;
	if (ck->opts & SF_COOKIE_OPT_ECN)
		flags |= SF_TCP_ECE;
	tcp = reply_l3(m, pi, tcp_len);

	sum = sf_pkt_cksum_pseudo(pi->dst, pi->src, IPPROTO_TCP, tcp_len);
	sum = put_be32(tcp, (uint32_t)pi->dport << 16 | pi->sport, sum);
	sum = put_be32(tcp + 4, ck->isn, sum);
	sum = put_be32(tcp + 8, pi->seq + 1, sum);
	sum = put_be32(tcp + 12, (uint32_t)(tcp_len / 4) << 28 | (uint32_t)flags << 16 |
			SF_SPLICE_SYN_WINDOW, sum);
	sum = put_be32(tcp + 16, 0, sum);                       /* checksum, urgent pointer */
	o = tcp + 20;
	sum = put_be32(o, SF_TCPOPT_MSS << 24 | 4 << 16 | svc->mss, sum);
	o += 4;
	if (ck->opts & SF_COOKIE_OPT_TS) {
		sum = put_be32(o, (ck->opts & SF_COOKIE_OPT_SACK ?
				SF_TCPOPT_SACK_PERM << 24 | 2 << 16 : SF_TCPOPT_NOP << 24 | SF_TCPOPT_NOP << 16) |
				SF_TCPOPT_TS << 8 | 10, sum);
		sum = put_be32(o + 4, ck->tsval, sum);
		sum = put_be32(o + 8, pi->opts.tsval, sum);
		o += 12;
	} else if (ck->opts & SF_COOKIE_OPT_SACK) {
		sum = put_be32(o, SF_TCPOPT_NOP << 24 | SF_TCPOPT_NOP << 16 | SF_TCPOPT_SACK_PERM << 8 | 2,
				sum);
		o += 4;
	}
	if (ck->opts & SF_COOKIE_OPT_WS)
		sum = put_be32(o, SF_TCPOPT_NOP << 24 | SF_TCPOPT_WS << 16 | 3 << 8 | svc->wscale, sum);
	cks = (uint16_t)~sf_pkt_cksum_fold(sum);
	memcpy(tcp + 16, &cks, 2);
}

void sf_splice_rst_reply(struct rte_mbuf *m, const struct sf_pkt_info *pi)
{
	uint8_t *tcp = reply_l3(m, pi, 20);
	uint32_t seg_len = pi->payload_len + !!(pi->tcp_flags & SF_TCP_SYN) +
		!!(pi->tcp_flags & SF_TCP_FIN);

	sf_pkt_be16_store(tcp, pi->dport);
	sf_pkt_be16_store(tcp + 2, pi->sport);
	if (pi->tcp_flags & SF_TCP_ACK) {
		sf_pkt_be32_store(tcp + 4, pi->ack);
		sf_pkt_be32_store(tcp + 8, 0);
		tcp[13] = SF_TCP_RST;
	} else {
		sf_pkt_be32_store(tcp + 4, 0);
		sf_pkt_be32_store(tcp + 8, pi->seq + seg_len);
		tcp[13] = SF_TCP_RST | SF_TCP_ACK;
	}
	tcp[12] = 5 << 4;
	tcp[14] = tcp[15] = 0;
	tcp[18] = tcp[19] = 0;
	tcp_cksum(tcp, pi, 20);
}

void sf_splice_no_service(struct sf_splice *sp, struct rte_mbuf *m, const struct sf_pkt_info *pi,
		struct rte_mbuf **tx, unsigned int *nb_tx)
{
	sf_stats_inc(sp->st, SF_STAT_syn_no_service);
	if (sp->no_service_action != SF_CONF_ACTION_RST) {
		drop(sp, m, SF_STAT_syn_dropped_no_service);
		return;
	}
	sf_splice_rst_reply(m, pi);
	sf_stats_inc(sp->st, SF_STAT_rst_sent);
	tx[(*nb_tx)++] = m;
}

void sf_splice_syn_rcv_bulk(struct sf_splice *sp, struct rte_mbuf **m,
		const struct sf_pkt_info *const *pi, const struct sf_splice_svc *const *svc,
		unsigned int n, uint64_t now_ms, struct rte_mbuf **tx, unsigned int *nb_tx)
{
	struct sf_cookie_syn syn[SF_SPLICE_BURST_MAX];
	struct sf_cookie_synack out[SF_SPLICE_BURST_MAX];
	struct rte_mbuf *keep[SF_SPLICE_BURST_MAX];
	const struct sf_pkt_info *kpi[SF_SPLICE_BURST_MAX];
	const struct sf_splice_svc *ksvc[SF_SPLICE_BURST_MAX];
	unsigned int k = 0;

	sf_stats_add(sp->st, SF_STAT_syn_received, n);
	for (unsigned int i = 0; i < n; i++) {
		const struct sf_pkt_info *p = pi[i];
		uint8_t opts = 0;

		if (unlikely(p->payload_len != 0)) {
			drop(sp, m[i], SF_STAT_syn_dropped_data);
			continue;
		}
		if (p->opts.present & SF_TCPO_WS)
			opts |= SF_COOKIE_OPT_WS;
		if (p->opts.present & SF_TCPO_SACK_PERM)
			opts |= SF_COOKIE_OPT_SACK;
		if (p->opts.present & SF_TCPO_TS)
			opts |= SF_COOKIE_OPT_TS;
		if ((p->tcp_flags & (SF_TCP_ECE | SF_TCP_CWR)) == (SF_TCP_ECE | SF_TCP_CWR))
			opts |= SF_COOKIE_OPT_ECN;
		syn[k] = (struct sf_cookie_syn){
			.saddr = p->src, .daddr = p->dst, .sport = p->sport, .dport = p->dport,
			.isn = p->seq, .mss = (p->opts.present & SF_TCPO_MSS) ? p->opts.mss : 0,
			.wscale = p->opts.wscale, .opts = opts,
		};
		keep[k] = m[i];
		kpi[k] = p;
		ksvc[k] = svc[i];
		k++;
	}
	for (unsigned int i = 0; i < n; i++)
		sp->svc_st[svc[i]->index].syn_received++;
	if (k == 0)
		return;
	sf_cookie_syn_encode_bulk(sp->cookie, syn, out, k, now_ms);
	for (unsigned int i = 0; i < k; i++) {
		synack_build(keep[i], kpi[i], ksvc[i], &out[i]);
		sp->svc_st[ksvc[i]->index].synack_sent++;
		tx[(*nb_tx)++] = keep[i];
	}
	sf_stats_add(sp->st, SF_STAT_synack_sent, k);
}
