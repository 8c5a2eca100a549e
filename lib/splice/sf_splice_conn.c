/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Spliced connections: open towards a backend on a valid cookie ACK, translate
 * every segment in both directions, follow the close, expire on timers.
 *
 * Numbering. The client numbered its bytes from its ISN x; the backend gets our
 * SYN with the same ISN, so client sequence numbers pass unchanged. The client
 * saw the cookie y as our ISN; the backend chose its own ISN z. With
 * seq_delta = z - y:
 *
 *   backend -> client   SEQ  -= seq_delta        (backend numbers into the client's view)
 *   client  -> backend  ACK  += seq_delta, and every SACK/D-SACK edge += seq_delta
 *
 * Timestamps. The client's TSval passes to the backend unchanged (our SYN carries
 * it), so the backend's TSecr needs nothing. The client was given the cookie's
 * TSval c in the SYN-ACK; the backend's clock started at its own TSval b. With
 * ts_delta = c - b: backend TSval += ts_delta towards the client, client TSecr
 * -= ts_delta towards the backend. A backend that refuses timestamps while the
 * client uses them gets the client's options replaced by NOPs, and its segments
 * to the client get a timestamp added (our MSS to it is 12 bytes smaller, so
 * there is room for the option within the client's MSS).
 *
 * Windows. A window field is scaled by the shift its sender announced. The
 * client announced c_ws to us and we passed the same shift to the backend, so
 * client windows pass unchanged when the backend scales too. Backend windows are
 * in the backend's shift b_ws; the client reads them in our_ws (promised in the
 * cookie SYN-ACK): they are rescaled when the two differ, never capped below
 * what the 16-bit field can carry.
 *
 * Checksums are updated incrementally (RFC 1624) for every field changed.
 *
 * Close. Each direction's FIN is recorded (it is the last sequence number the
 * side sent) and so is its acknowledgement; the connection state follows:
 * FIN_WAIT_1 (first FIN unacknowledged), FIN_WAIT_2 (acknowledged, the other
 * side in CLOSE_WAIT), CLOSING (both FINs before either ACK), LAST_ACK (second
 * FIN unacknowledged), TIME_WAIT (both acknowledged; 2 * msl, restarted by a
 * retransmitted FIN). An RST within the receiver's window closes both sides.
 *
 * One timer per connection; its meaning follows the state. Idle and closing
 * timeouts are lazy: packets only note the tick they were seen, and a firing
 * timer re-arms itself for the rest of the period when traffic came since.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "sf_log.h"
#include "sf_pkt_dp.h"
#include "sf_splice_dp.h"
#include "splice_private.h"
#include "sf_timerwheel_dp.h"


#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

/* Room the TCP header has for options: data offset 15 words. */
#define TCP_HDR_MAX 60
/* Bytes a NOP NOP TS option takes. */
#define TS_OPT_LEN 12

/* ---------------------------------------------------------------- helpers */

static inline void stat(struct sf_splice *sp, enum sf_stat_id id)
{
	sf_stats_inc(sp->st, id);
}

static inline uint32_t now_tick(const struct sf_splice *sp)
{
	return sf_timerwheel_now(sp->tw);
}

static inline void state_set(struct sf_splice *sp, struct sf_conn *c, unsigned int st)
{
	if (c->state != SF_CONN_CLOSED)
		sp->nb_state[c->state]--;
	sp->nb_state[st]++;
	c->state = (uint8_t)st;
}

/* One's complement sum of the 16-bit words covering bytes [lo, hi) of a header. */
static inline uint32_t words_sum(const uint8_t *h, unsigned int lo, unsigned int hi)
{
	uint32_t s = 0;

	for (unsigned int i = lo & ~1u; i < hi; i += 2) {
		uint16_t w;

		memcpy(&w, h + i, 2);
		s += w;
	}
	return s;
}

/*
 * Incremental checksum updates (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')) for many fields
 * at once: each change adds ~m + m' to an accumulator, and the checksum is folded once at
 * the end (cksum_apply) instead of once per field.
 */
static inline uint16_t fold16(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* The covered words summed to @p before and now sum to @p after. */
static inline void acc_replace(uint32_t *acc, uint32_t before, uint32_t after)
{
	*acc += (uint16_t)~fold16(before) + (uint32_t)fold16(after);
}

static inline uint16_t cksum_apply(uint16_t ck, uint32_t acc)
{
	return (uint16_t)~sf_pkt_cksum_fold((uint64_t)(uint16_t)~ck + acc);
}

/* Store a host-order 32-bit value at an even offset. */
static inline void put32(uint8_t *p, uint32_t v, uint32_t *acc)
{
	uint32_t old, nw = rte_cpu_to_be_32(v);

	memcpy(&old, p, 4);
	memcpy(p, &nw, 4);
	*acc += (uint16_t)~(old >> 16) + (uint32_t)(uint16_t)~old + (nw >> 16) + (nw & 0xffff);
}

static inline void put16(uint8_t *p, uint16_t v, uint32_t *acc)
{
	uint16_t old, nw = rte_cpu_to_be_16(v);

	memcpy(&old, p, 2);
	memcpy(p, &nw, 2);
	*acc += (uint16_t)~old + (uint32_t)nw;
}

/* Store a network-order address: it counts in the IPv4 and the TCP (pseudo header) sums. */
static inline void put_addr(uint8_t *p, uint32_t a, uint32_t *acc_ip, uint32_t *acc_tcp)
{
	uint32_t old, d;

	memcpy(&old, p, 4);
	memcpy(p, &a, 4);
	d = (uint16_t)~(old >> 16) + (uint32_t)(uint16_t)~old + (a >> 16) + (a & 0xffff);
	*acc_ip += d;
	*acc_tcp += d;
}

/*
 * Rewrite an IPv4 header's addresses: its own checksum is completed here, the TCP
 * checksum's share (pseudo header) goes to *acc_tcp.
 */
static inline void put_addrs(uint8_t *ip, uint32_t src, uint32_t dst, uint32_t *acc_tcp)
{
	uint32_t acc_ip = 0;
	uint16_t ipck;

	put_addr(ip + 12, src, &acc_ip, acc_tcp);
	put_addr(ip + 16, dst, &acc_ip, acc_tcp);
	memcpy(&ipck, ip + 10, 2);
	ipck = cksum_apply(ipck, acc_ip);
	memcpy(ip + 10, &ipck, 2);
}

/* Apply a 32-bit delta to a big-endian value at any offset of the TCP header. */
static inline void add32_any(uint8_t *tcp, unsigned int off, uint32_t delta, uint32_t *acc)
{
	uint32_t before = words_sum(tcp, off, off + 4), v;

	v = sf_pkt_be32_load(tcp + off) + delta;
	sf_pkt_be32_store(tcp + off, v);
	acc_replace(acc, before, words_sum(tcp, off, off + 4));
}

/* ------------------------------------------------------- building segments */

/*
 * Write Ethernet + IPv4 + TCP headers (+ options) into an empty mbuf.
 * @return 0, or -ENOSPC
 */
static int seg_build(struct rte_mbuf *m, const struct rte_ether_addr *smac,
		const struct rte_ether_addr *dmac, uint32_t saddr, uint32_t daddr, uint16_t sport,
		uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		const uint8_t *opt, unsigned int optlen)
{
	unsigned int tcp_len = 20 + optlen, len = RTE_ETHER_HDR_LEN + 20 + tcp_len;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len), *ip, *tcp;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	uint16_t ck;

	if (p == NULL)
		return -ENOSPC;
	eth->dst_addr = *dmac;
	eth->src_addr = *smac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = p + RTE_ETHER_HDR_LEN;
	ip[0] = 0x45;
	ip[1] = 0;
	sf_pkt_be16_store(ip + 2, (uint16_t)(20 + tcp_len));
	sf_pkt_be32_store(ip + 4, 0x00004000u);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	ck = (uint16_t)~sf_pkt_cksum_fold(sf_pkt_cksum_sum(0, ip, 20));
	memcpy(ip + 10, &ck, 2);
	tcp = ip + 20;
	sf_pkt_be16_store(tcp, sport);
	sf_pkt_be16_store(tcp + 2, dport);
	sf_pkt_be32_store(tcp + 4, seq);
	sf_pkt_be32_store(tcp + 8, ack);
	tcp[12] = (uint8_t)((tcp_len / 4) << 4);
	tcp[13] = flags;
	sf_pkt_be16_store(tcp + 14, win);
	tcp[16] = tcp[17] = tcp[18] = tcp[19] = 0;
	if (optlen != 0)
		memcpy(tcp + 20, opt, optlen);
	ck = (uint16_t)~sf_pkt_cksum_fold(sf_pkt_cksum_sum(
			sf_pkt_cksum_pseudo(saddr, daddr, IPPROTO_TCP, tcp_len), tcp, tcp_len));
	memcpy(tcp + 16, &ck, 2);
	return 0;
}

/* An RST to one side of a connection, from what the appliance knows of it. */
static void conn_send_rst(struct sf_splice *sp, const struct sf_conn *c, unsigned int to)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(sp->pool);
	int ret;

	if (m == NULL) {
		stat(sp, SF_STAT_drop_no_mbuf);
		return;
	}
	if (to == SF_CONN_CLIENT)
		ret = seg_build(m, &sp->port_mac[c->c_port_idx], &c->c_mac, c->vip, c->c_addr,
				c->vport, c->c_port, c->b_nxt - c->seq_delta, c->c_nxt,
				SF_TCP_RST | SF_TCP_ACK, 0, NULL, 0);
	else
		ret = seg_build(m, &sp->port_mac[c->b_port_idx], &c->b_mac, c->s_addr, c->b_addr,
				c->s_port, c->b_port, c->c_nxt, c->b_nxt, SF_TCP_RST | SF_TCP_ACK, 0, NULL, 0);
	if (ret != 0) {
		drop(sp, m, SF_STAT_drop_no_mbuf);
		return;
	}
	stat(sp, SF_STAT_rst_sent);
	sp->io.tx(sp->io.arg, to == SF_CONN_CLIENT ? c->c_port_idx : c->b_port_idx, m);
}

/* (Re)send our SYN to the backend, carrying the client's ISN and options. */
static void conn_send_syn(struct sf_splice *sp, struct sf_conn *c)
{
	static const struct rte_ether_addr zero;
	struct rte_mbuf *m = rte_pktmbuf_alloc(sp->pool);
	uint8_t opt[20], *o = opt;
	uint16_t mss = c->held_mss;
	uint8_t flags = SF_TCP_SYN;
	uint32_t win;

	if (m == NULL) {
		stat(sp, SF_STAT_drop_no_mbuf);
		return;
	}
	/* Leave room for a timestamp we may have to add towards the client. */
	if (c->flags & SF_CONN_F_TS_C)
		mss -= TS_OPT_LEN;
	o[0] = SF_TCPOPT_MSS;
	o[1] = 4;
	sf_pkt_be16_store(o + 2, mss);
	o += 4;
	if (c->flags & SF_CONN_F_TS_C) {
		if (c->flags & SF_CONN_F_SACK_C) {
			o[0] = SF_TCPOPT_SACK_PERM;
			o[1] = 2;
		} else {
			o[0] = o[1] = SF_TCPOPT_NOP;
		}
		o[2] = SF_TCPOPT_TS;
		o[3] = 10;
		sf_pkt_be32_store(o + 4, c->c_ts_recent);
		sf_pkt_be32_store(o + 8, 0);
		o += 12;
	} else if (c->flags & SF_CONN_F_SACK_C) {
		o[0] = o[1] = SF_TCPOPT_NOP;
		o[2] = SF_TCPOPT_SACK_PERM;
		o[3] = 2;
		o += 4;
	}
	if (c->flags & SF_CONN_F_WS_C) {
		o[0] = SF_TCPOPT_NOP;
		o[1] = SF_TCPOPT_WS;
		o[2] = 3;
		o[3] = c->c_ws;
		o += 4;
	}
	if (c->flags & SF_CONN_F_ECN)
		flags |= SF_TCP_ECE | SF_TCP_CWR;
	win = (uint32_t)c->c_wnd << ((c->flags & SF_CONN_F_WS_C) ? c->c_ws : 0);
	/* During SYN_SENT, b_nxt holds our SYN's sequence number + 1. */
	if (seg_build(m, &sp->port_mac[c->b_port_idx], &zero, c->s_addr, c->b_addr, c->s_port,
			c->b_port, c->b_nxt - 1, 0, flags, (uint16_t)RTE_MIN(win, 65535u), opt,
			(unsigned int)(o - opt)) != 0) {
		drop(sp, m, SF_STAT_drop_no_mbuf);
		return;
	}
	stat(sp, SF_STAT_backend_syn_sent);
	sp->io.tx_resolve(sp->io.arg, c->b_port_idx, c->b_addr, m);
}

/* ------------------------------------------------------------ life cycle */

/*
 * SYN filter: a count of live connections per hash of the client's address and ports.
 * A SYN whose count is 0 has no connection, so it skips the table lookup; under a SYN
 * flood of random tuples that is nearly every SYN. Counts saturate at 255 and then stay
 * (a saturated slot only costs lookups).
 */
static inline uint32_t syn_filter_idx(uint32_t c_addr, uint16_t c_port, uint16_t vport)
{
	return rte_hash_crc_4byte(c_addr, ((uint32_t)c_port << 16) | vport) & SF_SPLICE_SYN_FILTER_MASK;
}

/* Remember a key whose table entry changed during this burst. */
static inline void key_changed(struct sf_splice *sp, const struct sf_conntab_key *k)
{
	if (sp->nb_changed < RTE_DIM(sp->changed))
		sp->changed[sp->nb_changed] = *k;
	sp->nb_changed++;
}

/* Did this key's entry change since the burst's bulk lookup? */
static inline bool key_stale(const struct sf_splice *sp, const struct sf_conntab_key *k)
{
	if (likely(sp->nb_changed == 0))
		return false;
	if (sp->nb_changed > RTE_DIM(sp->changed))
		return true;
	for (unsigned int i = 0; i < sp->nb_changed; i++)
		if (memcmp(&sp->changed[i], k, sizeof(*k)) == 0)
			return true;
	return false;
}


static void conn_free(struct sf_splice *sp, struct sf_conn *c)
{
	struct sf_conntab_key k;

	uint8_t *cnt = &sp->syn_filter[syn_filter_idx(c->c_addr, c->c_port, c->vport)];

	if (*cnt != 0 && *cnt != UINT8_MAX)
		(*cnt)--;
	sf_conn_key(c, SF_CONN_CLIENT, &k);
	sf_conntab_del(sp->ct, &k);
	key_changed(sp, &k);
	if (c->s_port != 0) {
		sf_conn_key(c, SF_CONN_BACKEND, &k);
		sf_conntab_del(sp->ct, &k);
		key_changed(sp, &k);
		if (c->backend != SF_SPLICE_BACKEND_NONE)
			sp->be[c->svc][c->backend].active--;
	}
	sf_timerwheel_timer_cancel(sp->tw, &c->timer);
	if (c->held != NULL) {
		rte_pktmbuf_free(c->held);
		c->held = NULL;
	}
	sp->nb_state[c->state]--;
	sf_conntab_conn_free(sp->ct, c);
	stat(sp, SF_STAT_conn_closed);
}

static void backend_failed(struct sf_splice *sp, const struct sf_conn *c)
{
	struct sf_splice_backend *b;

	if (c->backend == SF_SPLICE_BACKEND_NONE)
		return;
	b = &sp->be[c->svc][c->backend];
	b->connect_failed++;
	if (++b->fails >= SF_SPLICE_BACKEND_FAILS_MAX && b->down_until == 0) {
		uint32_t down = now_tick(sp) + sf_timerwheel_ms_to_ticks(sp->tw, SF_SPLICE_BACKEND_DOWN_MS);

		b->down_until = down != 0 ? down : 1;
		stat(sp, SF_STAT_backend_down);
		SF_LOG_RATELIMIT(splice, WARNING, "service %s: backend " SF_IPV4_FMT ":%u out for %u ms "
				"after %u connect failures", sp->conf->services[c->svc].name,
				SF_IPV4_BYTES(c->b_addr), c->b_port, SF_SPLICE_BACKEND_DOWN_MS, b->fails);
	}
}

/* Smooth weighted round robin (as nginx) over the backends that are up and not drained. */
static int backend_pick(struct sf_splice *sp, uint16_t svc)
{
	const struct sf_conf_service *cs = &sp->conf->services[svc];
	struct sf_splice_backend *be = sp->be[svc];
	uint32_t now = now_tick(sp);
	int32_t total = 0;
	int best = -1;

	for (uint16_t i = 0; i < cs->nb_backends; i++) {
		struct sf_splice_backend *b = &be[i];

		if (b->weight == 0)
			continue;
		if (b->down_until != 0) {
			if (SEQ_LT(now, b->down_until))
				continue;
			b->down_until = 0;  /* try it again; one more failure takes it out again */
			b->fails = SF_SPLICE_BACKEND_FAILS_MAX - 1;
		}
		b->cur += b->weight;
		total += b->weight;
		if (best < 0 || b->cur > be[best].cur)
			best = i;
	}
	if (best >= 0)
		be[best].cur -= total;
	return best;
}

/* A free source port in this worker's slice for (source, backend). */
static uint16_t sport_pick(struct sf_splice *sp, uint32_t s_addr, uint32_t b_addr, uint16_t b_port)
{
	unsigned int span = (unsigned int)(sp->sport_hi - sp->sport_lo) + 1;

	for (unsigned int tries = 0; tries < RTE_MIN(span, 256u); tries++) {
		struct sf_conntab_key k = {b_addr, s_addr, b_port, sp->sport_next};
		const struct sf_conntab_key *kp = &k;
		struct sf_conn *c;
		uint8_t half;
		uint16_t port = sp->sport_next;

		sp->sport_next = port == sp->sport_hi ? sp->sport_lo : port + 1;
		if (sf_conntab_lookup_bulk(sp->ct, &kp, 1, &c, &half) == 0)
			return port;
	}
	return 0;
}

static void timer_arm(struct sf_splice *sp, struct sf_conn *c, uint32_t ticks)
{
	sf_timerwheel_timer_arm(sp->tw, &c->timer, ticks);
}

/* Timer for the connection's state after it changed. */
static void state_timer(struct sf_splice *sp, struct sf_conn *c)
{
	switch (c->state) {
	case SF_CONN_ESTABLISHED:
		timer_arm(sp, c, sp->t_idle);
		break;
	case SF_CONN_FIN_WAIT_2:
		timer_arm(sp, c, sp->t_fin_wait2);
		break;
	case SF_CONN_TIME_WAIT:
		timer_arm(sp, c, sp->t_time_wait);
		break;
	default:
		timer_arm(sp, c, sp->t_half_open);
		break;
	}
}

/* Derive the state from the FIN flags; arm the state's timer on a change. */
static void state_update(struct sf_splice *sp, struct sf_conn *c)
{
	uint16_t f = c->flags;
	unsigned int st;

	if (!(f & (SF_CONN_F_FIN_C | SF_CONN_F_FIN_B))) {
		return;
	} else if ((f & SF_CONN_F_FIN_C) && (f & SF_CONN_F_FIN_B)) {
		uint16_t first_acked = (f & SF_CONN_F_CLIENT_FIRST) ? SF_CONN_F_FINACK_C :
			SF_CONN_F_FINACK_B;

		if ((f & SF_CONN_F_FINACK_C) && (f & SF_CONN_F_FINACK_B))
			st = SF_CONN_TIME_WAIT;
		else if (f & first_acked)
			st = SF_CONN_LAST_ACK;
		else
			st = SF_CONN_CLOSING;
	} else {
		uint16_t acked = (f & SF_CONN_F_FIN_C) ? SF_CONN_F_FINACK_C : SF_CONN_F_FINACK_B;

		st = (f & acked) ? SF_CONN_FIN_WAIT_2 : SF_CONN_FIN_WAIT_1;
	}
	if (st == c->state)
		return;
	/* A closing connection never goes back (CLOSING -> LAST_ACK is not a step of a close). */
	if (st == SF_CONN_LAST_ACK && c->state == SF_CONN_CLOSING)
		return;
	state_set(sp, c, st);
	state_timer(sp, c);
}

/* The backend failed us: the client's kept ACK becomes the RST that refuses it. */
static void held_rst_to_client(struct sf_splice *sp, struct sf_conn *c)
{
	struct rte_mbuf *m = c->held;
	struct sf_pkt_info pi;

	if (m == NULL)
		return;
	c->held = NULL;
	if (sf_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
			SF_PKT_F_IP_CKSUM_GOOD | SF_PKT_F_L4_CKSUM_GOOD, &pi) != SF_PKT_OK) {
		rte_pktmbuf_free(m);
		return;
	}
	sf_splice_rst_reply(m, &pi);
	stat(sp, SF_STAT_rst_sent);
	sp->io.tx(sp->io.arg, c->c_port_idx, m);
}

static void conn_timer_cb(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t, void *arg)
{
	struct sf_splice *sp = arg;
	struct sf_conn *c = container_of(t, struct sf_conn, timer);
	uint32_t now = sf_timerwheel_now(tw), period, idle;

	switch (c->state) {
	case SF_CONN_SYN_SENT:
		if (c->syn_tries <= sp->syn_retries) {
			uint32_t rto = sp->t_rto << RTE_MIN(c->syn_tries, 20);

			conn_send_syn(sp, c);
			stat(sp, SF_STAT_backend_syn_retransmit);
			c->syn_tries++;
			timer_arm(sp, c, RTE_MIN(rto, sp->t_rto_max));
			return;
		}
		stat(sp, SF_STAT_backend_connect_failed);
		backend_failed(sp, c);
		held_rst_to_client(sp, c);
		conn_free(sp, c);
		return;
	case SF_CONN_TIME_WAIT:
		stat(sp, SF_STAT_conn_closed_normal);
		conn_free(sp, c);
		return;
	case SF_CONN_ESTABLISHED:
		period = sp->t_idle;
		break;
	case SF_CONN_FIN_WAIT_2:
		period = sp->t_fin_wait2;
		break;
	default:
		period = sp->t_half_open;
		break;
	}
	idle = now - c->last_seen;
	if (idle < period) {
		timer_arm(sp, c, period - idle);
		return;
	}
	stat(sp, c->state == SF_CONN_ESTABLISHED ? SF_STAT_conn_timeout_idle : SF_STAT_conn_timeout_close);
	conn_send_rst(sp, c, SF_CONN_CLIENT);
	conn_send_rst(sp, c, SF_CONN_BACKEND);
	conn_free(sp, c);
}

/* ------------------------------------------------------------ translation */

/*
 * Rewrite a client segment for the backend, in place. @return false when it must
 * be dropped (counted).
 */
static bool xlate_c2b(struct sf_splice *sp, struct sf_conn *c, struct rte_mbuf *m,
		const struct sf_pkt_info *pi)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), *ip = p + pi->l2_len, *tcp = ip + pi->l3_len;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	uint32_t acc = 0;
	uint16_t ck;

	eth->dst_addr = c->b_mac;
	eth->src_addr = sp->port_mac[c->b_port_idx];
	put_addrs(ip, c->s_addr, c->b_addr, &acc);
	put16(tcp, c->s_port, &acc);
	put16(tcp + 2, c->b_port, &acc);
	if (pi->tcp_flags & SF_TCP_ACK)
		put32(tcp + 8, pi->ack + c->seq_delta, &acc);
	if (!(pi->tcp_flags & SF_TCP_SYN) && (c->flags & (SF_CONN_F_WS_C | SF_CONN_F_WS_B)) ==
			SF_CONN_F_WS_C) {
		/* The client scales, the backend does not: unscale, within 16 bits. */
		uint32_t bytes = (uint32_t)pi->win << c->c_ws;

		put16(tcp + 14, (uint16_t)RTE_MIN(bytes, 65535u), &acc);
	}
	if (pi->opts.present & SF_TCPO_TS) {
		unsigned int off = pi->opts.ts_off;

		if (c->flags & SF_CONN_F_TS_B) {
			add32_any(tcp, off + 6, -c->ts_delta, &acc);
		} else {
			/* The backend did not agree to timestamps: the option becomes NOPs. */
			uint32_t before = words_sum(tcp, off, off + 10);

			memset(tcp + off, SF_TCPOPT_NOP, 10);
			acc_replace(&acc, before, words_sum(tcp, off, off + 10));
		}
	}
	if ((pi->opts.present & SF_TCPO_SACK) && c->seq_delta != 0)
		for (unsigned int i = 0; i < pi->opts.nb_sack; i++) {
			add32_any(tcp, pi->opts.sack_off + 2u + 8u * i, c->seq_delta, &acc);
			add32_any(tcp, pi->opts.sack_off + 6u + 8u * i, c->seq_delta, &acc);
		}
	memcpy(&ck, tcp + 16, 2);
	ck = cksum_apply(ck, acc);
	memcpy(tcp + 16, &ck, 2);
	m->ol_flags = 0;
	return true;
}

/* Make room for a timestamp option at the end of the TCP header. @return the new tcp pointer. */
static uint8_t *ts_insert(struct sf_splice *sp, struct sf_conn *c, struct rte_mbuf *m,
		const struct sf_pkt_info *pi, uint32_t *acc)
{
	unsigned int hdrs = pi->l2_len + pi->l3_len + pi->l4_len;
	uint8_t *old = rte_pktmbuf_mtod(m, uint8_t *), *p, *ip, *tcp, *o;
	uint32_t before, tsval = (uint32_t)sp->now_ms + 64;

	if (pi->l4_len + TS_OPT_LEN > TCP_HDR_MAX || m->nb_segs > 1 ||
	    rte_pktmbuf_prepend(m, TS_OPT_LEN) == NULL)
		return NULL;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memmove(p, old, hdrs);
	ip = p + pi->l2_len;
	tcp = ip + pi->l3_len;
	o = tcp + pi->l4_len;
	/* IPv4 total length. */
	{
		uint32_t acc_ip = 0;
		uint16_t ipck;

		put16(ip + 2, (uint16_t)(pi->ip_len + TS_OPT_LEN), &acc_ip);
		memcpy(&ipck, ip + 10, 2);
		ipck = cksum_apply(ipck, acc_ip);
		memcpy(ip + 10, &ipck, 2);
	}
	/* Pseudo header length, data offset, the option bytes. */
	*acc += (uint16_t)~rte_cpu_to_be_16((uint16_t)(pi->l4_len + pi->payload_len)) +
		(uint32_t)rte_cpu_to_be_16((uint16_t)(pi->l4_len + pi->payload_len + TS_OPT_LEN));
	before = words_sum(tcp, 12, 14);
	tcp[12] = (uint8_t)(((pi->l4_len + TS_OPT_LEN) / 4) << 4) | (tcp[12] & 0x0f);
	acc_replace(acc, before, words_sum(tcp, 12, 14));
	o[0] = o[1] = SF_TCPOPT_NOP;
	o[2] = SF_TCPOPT_TS;
	o[3] = 10;
	sf_pkt_be32_store(o + 4, tsval);
	sf_pkt_be32_store(o + 8, c->c_ts_recent);
	acc_replace(acc, 0, words_sum(o, 0, TS_OPT_LEN));
	stat(sp, SF_STAT_ts_inserted);
	return tcp;
}

/* Rewrite a backend segment for the client, in place. */
static bool xlate_b2c(struct sf_splice *sp, struct sf_conn *c, struct rte_mbuf *m,
		const struct sf_pkt_info *pi)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), *ip = p + pi->l2_len, *tcp = ip + pi->l3_len;
	struct rte_ether_hdr *eth;
	uint32_t acc = 0;
	uint16_t ck;

	if ((c->flags & (SF_CONN_F_TS_C | SF_CONN_F_TS_B)) == SF_CONN_F_TS_C &&
	    !(pi->tcp_flags & SF_TCP_RST)) {
		tcp = ts_insert(sp, c, m, pi, &acc);
		if (tcp == NULL) {
			drop(sp, m, SF_STAT_drop_no_room);
			return false;
		}
		p = rte_pktmbuf_mtod(m, uint8_t *);
		ip = p + pi->l2_len;
	}
	eth = (struct rte_ether_hdr *)p;
	eth->dst_addr = c->c_mac;
	eth->src_addr = sp->port_mac[c->c_port_idx];
	put_addrs(ip, c->vip, c->c_addr, &acc);
	put16(tcp, c->vport, &acc);
	put16(tcp + 2, c->c_port, &acc);
	put32(tcp + 4, pi->seq - c->seq_delta, &acc);
	if (!(pi->tcp_flags & SF_TCP_SYN) && (c->flags & SF_CONN_F_WS_C)) {
		unsigned int in = (c->flags & SF_CONN_F_WS_B) ? c->b_ws : 0, out = c->our_ws;

		if (in != out) {
			uint64_t bytes = (uint64_t)pi->win << in;
			uint64_t w = bytes >> out;

			if (w == 0 && bytes != 0)
				w = 1;
			put16(tcp + 14, (uint16_t)RTE_MIN(w, 65535u), &acc);
		}
	}
	if ((pi->opts.present & SF_TCPO_TS) && (c->flags & SF_CONN_F_TS_B))
		add32_any(tcp, pi->opts.ts_off + 2, c->ts_delta, &acc);
	memcpy(&ck, tcp + 16, 2);
	ck = cksum_apply(ck, acc);
	memcpy(tcp + 16, &ck, 2);
	m->ol_flags = 0;
	return true;
}

/* --------------------------------------------------------- per-connection */

/* The backend accepted: learn its options, replay the client's ACK (and its data). */
static void conn_synack_rcv(struct sf_splice *sp, struct sf_conn *c, struct rte_mbuf *m,
		const struct sf_pkt_info *pi)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_mbuf *held = c->held;
	struct sf_pkt_info hpi;
	uint32_t cookie_isn = c->seq_delta, cookie_tsval = c->ts_delta;

	if (!(pi->tcp_flags & SF_TCP_ACK) || pi->ack != c->b_nxt) {
		drop(sp, m, SF_STAT_drop_conn_bad_synack);
		return;
	}
	c->b_mac = eth->src_addr;
	c->seq_delta = pi->seq - cookie_isn;
	c->b_nxt = pi->seq + 1;
	c->b_wnd = pi->win;
	if ((c->flags & SF_CONN_F_WS_C) && (pi->opts.present & SF_TCPO_WS)) {
		c->flags |= SF_CONN_F_WS_B;
		c->b_ws = (uint8_t)RTE_MIN(pi->opts.wscale, 14);
	}
	if ((c->flags & SF_CONN_F_SACK_C) && (pi->opts.present & SF_TCPO_SACK_PERM))
		c->flags |= SF_CONN_F_SACK_B;
	if ((c->flags & SF_CONN_F_TS_C) && (pi->opts.present & SF_TCPO_TS)) {
		c->flags |= SF_CONN_F_TS_B;
		c->ts_delta = cookie_tsval - pi->opts.tsval;
	} else {
		c->ts_delta = 0;
	}
	rte_pktmbuf_free(m);
	if (c->backend != SF_SPLICE_BACKEND_NONE)
		sp->be[c->svc][c->backend].fails = 0;
	c->held = NULL;
	c->last_seen = now_tick(sp);
	state_set(sp, c, SF_CONN_ESTABLISHED);
	state_timer(sp, c);
	stat(sp, SF_STAT_conn_established);
	/* The client's third segment becomes our ACK of the SYN-ACK, data and all. */
	if (held == NULL)
		return;
	if (sf_pkt_parse(rte_pktmbuf_mtod(held, const uint8_t *), rte_pktmbuf_data_len(held),
			SF_PKT_F_IP_CKSUM_GOOD | SF_PKT_F_L4_CKSUM_GOOD, &hpi) != SF_PKT_OK) {
		rte_pktmbuf_free(held);
		return;
	}
	if (xlate_c2b(sp, c, held, &hpi)) {
		stat(sp, SF_STAT_fwd_c2b);
		sp->io.tx(sp->io.arg, c->b_port_idx, held);
	}
}

/* A retransmitted SYN-ACK: our ACK was lost. Turn it into a fresh ACK. */
static void conn_synack_again(struct sf_splice *sp, struct sf_conn *c, struct rte_mbuf *m,
		const struct sf_pkt_info *pi)
{
	uint8_t opt[12], optlen = 0;

	rte_pktmbuf_reset(m);
	if (c->flags & SF_CONN_F_TS_B) {
		opt[0] = opt[1] = SF_TCPOPT_NOP;
		opt[2] = SF_TCPOPT_TS;
		opt[3] = 10;
		sf_pkt_be32_store(opt + 4, c->c_ts_recent);
		sf_pkt_be32_store(opt + 8, pi->opts.tsval);
		optlen = 12;
	}
	if (seg_build(m, &sp->port_mac[c->b_port_idx], &c->b_mac, c->s_addr, c->b_addr, c->s_port,
			c->b_port, c->c_nxt, pi->seq + 1, SF_TCP_ACK, c->c_wnd, opt, optlen) != 0) {
		drop(sp, m, SF_STAT_drop_no_mbuf);
		return;
	}
	stat(sp, SF_STAT_backend_synack_retransmit);
	sp->io.tx(sp->io.arg, c->b_port_idx, m);
}

/* Is an RST from @p half acceptable: its sequence number within the receiver's window? */
static bool rst_in_window(const struct sf_conn *c, unsigned int half, const struct sf_pkt_info *pi)
{
	uint32_t nxt, wnd;

	if (half == SF_CONN_CLIENT) {
		nxt = c->c_nxt;
		wnd = (uint32_t)c->b_wnd << ((c->flags & SF_CONN_F_WS_B) ? c->b_ws : 0);
	} else {
		nxt = c->b_nxt;
		wnd = (uint32_t)c->c_wnd << ((c->flags & SF_CONN_F_WS_C) ? c->c_ws : 0);
	}
	return SEQ_GEQ(pi->seq, nxt) && SEQ_GEQ(nxt + wnd + 1, pi->seq + 1);
}

/*
 * A FIN sent again before the other side acknowledged it: the closing peer
 * retransmits into a silent one. After tcp.orphan_retries of them (0: no limit)
 * both sides are reset and the connection freed. @return true when it was.
 */
static bool fin_retransmitted(struct sf_splice *sp, struct sf_conn *c)
{
	if (sp->orphan_retries == 0 || ++c->fin_rexmit <= sp->orphan_retries)
		return false;
	conn_send_rst(sp, c, SF_CONN_CLIENT);
	conn_send_rst(sp, c, SF_CONN_BACKEND);
	conn_free(sp, c);
	return true;
}

/* @return true when the packet was consumed, false when the caller must treat it as new. */
static bool conn_rcv(struct sf_splice *sp, struct sf_conn *c, unsigned int half,
		struct rte_mbuf *m, const struct sf_pkt_info *pi)
{
	uint8_t fl = pi->tcp_flags;
	uint32_t end = pi->seq + pi->payload_len + !!(fl & SF_TCP_FIN) + !!(fl & SF_TCP_SYN);

	if (c->state == SF_CONN_SYN_SENT) {
		if (half == SF_CONN_BACKEND) {
			if ((fl & (SF_TCP_SYN | SF_TCP_ACK)) == (SF_TCP_SYN | SF_TCP_ACK)) {
				conn_synack_rcv(sp, c, m, pi);
			} else if ((fl & SF_TCP_RST) && (fl & SF_TCP_ACK) && pi->ack == c->b_nxt) {
				/* No listener: refuse the client at once. */
				stat(sp, SF_STAT_backend_rst);
				backend_failed(sp, c);
				rte_pktmbuf_free(m);
				held_rst_to_client(sp, c);
				conn_free(sp, c);
			} else {
				drop(sp, m, SF_STAT_drop_conn_not_ready);
			}
			return true;
		}
		if (fl & SF_TCP_RST) {
			stat(sp, SF_STAT_conn_reset);
			conn_free(sp, c);
			rte_pktmbuf_free(m);
			return true;
		}
		/*
		 * The client's first data right behind its ACK: it replaces the kept ACK (it
		 * acknowledges the same cookie) and is replayed in its place, saving the client
		 * a retransmission timeout. During SYN_SENT, b_nxt is the ACK's sequence number.
		 */
		if (!(fl & (SF_TCP_FIN | SF_TCP_SYN)) && (fl & SF_TCP_ACK) && pi->payload_len != 0 &&
		    c->c_nxt == c->b_nxt && pi->seq == c->c_nxt && pi->ack == c->seq_delta + 1 &&
		    c->held != NULL) {
			rte_pktmbuf_free(c->held);
			c->held = m;
			c->c_nxt = end;
			c->c_wnd = pi->win;
			if (pi->opts.present & SF_TCPO_TS)
				c->c_ts_recent = pi->opts.tsval;
			return true;
		}
		drop(sp, m, SF_STAT_drop_conn_not_ready);
		return true;
	}

	if (unlikely(fl & SF_TCP_SYN)) {
		if (half == SF_CONN_BACKEND && (fl & SF_TCP_ACK)) {
			conn_synack_again(sp, c, m, pi);
			return true;
		}
		if (half == SF_CONN_CLIENT && !(fl & SF_TCP_ACK) && c->state == SF_CONN_TIME_WAIT &&
		    sp->time_wait_reuse && SEQ_GEQ(pi->seq, c->c_nxt)) {
			stat(sp, SF_STAT_time_wait_reuse);
			stat(sp, SF_STAT_conn_closed_normal);
			conn_free(sp, c);
			return false;
		}
		drop(sp, m, SF_STAT_drop_conn_syn);
		return true;
	}

	/*
	 * TIME_WAIT reuse when the new SYN was answered by another worker (SYNs need no
	 * owner): the first we see of the new connection is its cookie ACK, beyond the old
	 * connection's sequence space and acknowledging nothing of it.
	 */
	if (unlikely(c->state == SF_CONN_TIME_WAIT) && half == SF_CONN_CLIENT && sp->time_wait_reuse &&
	    (fl & (SF_TCP_ACK | SF_TCP_FIN | SF_TCP_RST)) == SF_TCP_ACK && SEQ_LT(c->c_nxt, pi->seq) &&
	    pi->ack + c->seq_delta != c->b_nxt) {
		stat(sp, SF_STAT_time_wait_reuse);
		stat(sp, SF_STAT_conn_closed_normal);
		conn_free(sp, c);
		return false;
	}

	if (unlikely(fl & SF_TCP_RST)) {
		/* RFC 1337: an RST must not cut TIME_WAIT short (it protects the 4-tuple). */
		if (c->state == SF_CONN_TIME_WAIT) {
			drop(sp, m, SF_STAT_drop_rst_time_wait);
			return true;
		}
		if (!rst_in_window(c, half, pi)) {
			drop(sp, m, SF_STAT_rst_out_of_window);
			return true;
		}
		if (half == SF_CONN_CLIENT ? xlate_c2b(sp, c, m, pi) : xlate_b2c(sp, c, m, pi)) {
			stat(sp, half == SF_CONN_CLIENT ? SF_STAT_fwd_c2b : SF_STAT_fwd_b2c);
			sp->io.tx(sp->io.arg, half == SF_CONN_CLIENT ? c->b_port_idx : c->c_port_idx, m);
		}
		stat(sp, SF_STAT_conn_reset);
		conn_free(sp, c);
		return true;
	}

	c->last_seen = now_tick(sp);
	if (half == SF_CONN_CLIENT) {
		if (SEQ_LT(c->c_nxt, end))
			c->c_nxt = end;
		c->c_wnd = pi->win;
		if (pi->opts.present & SF_TCPO_TS)
			c->c_ts_recent = pi->opts.tsval;
		if (fl & SF_TCP_FIN) {
			if ((c->flags & (SF_CONN_F_FIN_C | SF_CONN_F_FINACK_C)) == SF_CONN_F_FIN_C &&
			    fin_retransmitted(sp, c)) {
				drop(sp, m, SF_STAT_conn_orphan_reset);
				return true;
			}
			if (!(c->flags & SF_CONN_F_FIN_B))
				c->flags |= SF_CONN_F_CLIENT_FIRST;
			c->flags |= SF_CONN_F_FIN_C;
			if (c->state == SF_CONN_TIME_WAIT)
				timer_arm(sp, c, sp->t_time_wait);
		}
		if ((fl & SF_TCP_ACK) && (c->flags & (SF_CONN_F_FIN_B | SF_CONN_F_FINACK_B)) ==
				SF_CONN_F_FIN_B && SEQ_GEQ(pi->ack + c->seq_delta, c->b_nxt))
			c->flags |= SF_CONN_F_FINACK_B;
		if (!xlate_c2b(sp, c, m, pi))
			return true;
		stat(sp, SF_STAT_fwd_c2b);
		sp->io.tx(sp->io.arg, c->b_port_idx, m);
	} else {
		if (SEQ_LT(c->b_nxt, end))
			c->b_nxt = end;
		c->b_wnd = pi->win;
		if (fl & SF_TCP_FIN) {
			if ((c->flags & (SF_CONN_F_FIN_B | SF_CONN_F_FINACK_B)) == SF_CONN_F_FIN_B &&
			    fin_retransmitted(sp, c)) {
				drop(sp, m, SF_STAT_conn_orphan_reset);
				return true;
			}
			c->flags |= SF_CONN_F_FIN_B;
			if (c->state == SF_CONN_TIME_WAIT)
				timer_arm(sp, c, sp->t_time_wait);
		}
		if ((fl & SF_TCP_ACK) && (c->flags & (SF_CONN_F_FIN_C | SF_CONN_F_FINACK_C)) ==
				SF_CONN_F_FIN_C && SEQ_GEQ(pi->ack, c->c_nxt))
			c->flags |= SF_CONN_F_FINACK_C;
		if (!xlate_b2c(sp, c, m, pi))
			return true;
		stat(sp, SF_STAT_fwd_b2c);
		sp->io.tx(sp->io.arg, c->c_port_idx, m);
	}
	state_update(sp, c);
	return true;
}

/* A valid cookie ACK: open the connection towards a backend. */
static void conn_open(struct sf_splice *sp, struct rte_mbuf *m, const struct sf_pkt_info *pi,
		const struct sf_splice_svc *svc, const struct sf_cookie_result *res)
{
	const struct sf_conf_service *cs = &sp->conf->services[svc->index];
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct sf_conntab_key k;
	struct sf_conn *c;
	int bi;

	c = sf_conntab_conn_alloc(sp->ct);
	if (c == NULL) {
		drop(sp, m, SF_STAT_conn_table_full);
		return;
	}
	c->c_addr = pi->src;
	c->vip = pi->dst;
	c->c_port = pi->sport;
	c->vport = pi->dport;
	sf_conn_key(c, SF_CONN_CLIENT, &k);
	if (sf_conntab_add(sp->ct, &k, c, SF_CONN_CLIENT) != 0) {
		sf_conntab_conn_free(sp->ct, c);
		drop(sp, m, SF_STAT_conn_table_full);
		return;
	}
	c->svc = svc->index;
	c->c_port_idx = svc->port;
	c->b_port_idx = cs->backend_port;
	c->c_mac = eth->src_addr;
	c->our_ws = svc->wscale;
	c->c_ws = res->wscale;
	if (res->opts & SF_COOKIE_OPT_WS)
		c->flags |= SF_CONN_F_WS_C;
	if (res->opts & SF_COOKIE_OPT_SACK)
		c->flags |= SF_CONN_F_SACK_C;
	if (res->opts & SF_COOKIE_OPT_TS)
		c->flags |= SF_CONN_F_TS_C;
	if (res->opts & SF_COOKIE_OPT_ECN)
		c->flags |= SF_CONN_F_ECN;
	c->c_nxt = pi->seq + pi->payload_len + !!(pi->tcp_flags & SF_TCP_FIN);
	c->last_seen = now_tick(sp);
	c->c_wnd = pi->win;
	c->c_ts_recent = pi->opts.tsval;
	c->held_mss = res->mss;
	/* Until the backend answers: its expected ACK, the cookie and the cookie's TSval. */
	c->b_nxt = pi->seq;
	c->seq_delta = pi->ack - 1;
	c->ts_delta = pi->opts.tsecr;
	state_set(sp, c, SF_CONN_SYN_SENT);
	sf_timerwheel_timer_init(&c->timer, conn_timer_cb, sp);
	key_changed(sp, &k);
	sp->svc_st[svc->index].conn_new++;
	{
		uint8_t *cnt = &sp->syn_filter[syn_filter_idx(c->c_addr, c->c_port, c->vport)];

		if (*cnt != UINT8_MAX)
			(*cnt)++;
	}
	stat(sp, SF_STAT_conn_new);

	bi = backend_pick(sp, svc->index);
	if (bi < 0) {
		stat(sp, SF_STAT_conn_no_backend);
		goto refuse;
	}
	c->backend = (uint16_t)bi;
	c->b_addr = cs->backends[bi].addr;
	c->b_port = cs->backends[bi].port;
	c->s_addr = cs->sources[sp->src_rr++ % cs->nb_sources];
	c->s_port = sport_pick(sp, c->s_addr, c->b_addr, c->b_port);
	if (c->s_port == 0) {
		stat(sp, SF_STAT_conn_no_source_port);
		goto refuse;
	}
	sf_conn_key(c, SF_CONN_BACKEND, &k);
	if (sf_conntab_add(sp->ct, &k, c, SF_CONN_BACKEND) != 0) {
		c->s_port = 0;
		stat(sp, SF_STAT_conn_table_full);
		goto refuse;
	}
	key_changed(sp, &k);
	sp->be[c->svc][c->backend].active++;
	sp->be[c->svc][c->backend].conns++;
	c->held = m;
	c->syn_tries = 1;
	conn_send_syn(sp, c);
	timer_arm(sp, c, sp->t_rto);
	return;
refuse:
	sf_splice_rst_reply(m, pi);
	stat(sp, SF_STAT_rst_sent);
	sp->io.tx(sp->io.arg, c->c_port_idx, m);
	conn_free(sp, c);
}

/* --------------------------------------------------------------- bursts */

static inline unsigned int sport_owner(const struct sf_splice *sp, uint16_t port)
{
	unsigned int span = (65536u - SF_SPLICE_SPORT_MIN) / sp->nb_workers;

	return RTE_MIN((unsigned int)(port - SF_SPLICE_SPORT_MIN) / span, sp->nb_workers - 1);
}

/*
 * The worker that owns a client's connection: a hash of the client's address and
 * ports. A connection is opened only by its owner (cookie ACKs are handed to it),
 * so any client segment that lands elsewhere (RSS, af_packet's fanout rolling
 * over under load) is handed to the owner, whatever queue it came in on. SYNs
 * need no owner: any worker answers them statelessly.
 */
static inline unsigned int client_owner(const struct sf_splice *sp, const struct sf_pkt_info *p)
{
	uint32_t h = rte_hash_crc_4byte(p->src, ((uint32_t)p->sport << 16) | p->dport);

	return (unsigned int)(((uint64_t)h * sp->nb_workers) >> 32);
}

void sf_splice_tcp_rcv_bulk(struct sf_splice *sp, uint16_t pidx, struct rte_mbuf **m,
		struct sf_pkt_info *const *pi, unsigned int n)
{
	struct sf_conntab_key keys[SF_SPLICE_BURST_MAX];
	const struct sf_conntab_key *kp[SF_SPLICE_BURST_MAX];
	struct sf_conn *conn[SF_SPLICE_BURST_MAX];
	uint8_t half[SF_SPLICE_BURST_MAX], kind[SF_SPLICE_BURST_MAX];
	const struct sf_splice_svc *svc[SF_SPLICE_BURST_MAX];
	struct rte_mbuf *syn[SF_SPLICE_BURST_MAX], *ack[SF_SPLICE_BURST_MAX], *tx[SF_SPLICE_BURST_MAX];
	const struct sf_pkt_info *syn_pi[SF_SPLICE_BURST_MAX], *ack_pi[SF_SPLICE_BURST_MAX];
	const struct sf_splice_svc *syn_svc[SF_SPLICE_BURST_MAX], *ack_svc[SF_SPLICE_BURST_MAX];
	uint8_t look[SF_SPLICE_BURST_MAX];
	unsigned int nk = 0, nsyn = 0, nack = 0, ntx = 0;

	sp->now_ms = sf_cookie_now_ms();
	sp->nb_changed = 0;
	/* Which packets are ours to look up; hand the others to their owner. */
	for (unsigned int i = 0; i < n; i++) {
		const struct sf_pkt_info *p = pi[i];

		/* Service traffic, the bulk of it, needs one lookup: the service's VIP:port. */
		svc[i] = sf_splice_svc_lookup(sp->tables, p->dst, p->dport);
		if (svc[i] != NULL && svc[i]->port == pidx)
			kind[i] = SF_SPLICE_OWN_VIP;
		else
			kind[i] = (uint8_t)sf_splice_addr_kind(sp->tables, pidx, p->dst);
		if (kind[i] == 0) {
			drop(sp, m[i], SF_STAT_drop_not_ours);
			continue;
		}
		if (sp->nb_workers > 1) {
			unsigned int owner = sp->worker;

			if ((kind[i] & SF_SPLICE_OWN_SOURCE) && p->dport >= SF_SPLICE_SPORT_MIN)
				owner = sport_owner(sp, p->dport);
			else if ((kind[i] & SF_SPLICE_OWN_VIP) &&
				 (p->tcp_flags & (SF_TCP_SYN | SF_TCP_ACK)) != SF_TCP_SYN)
				owner = client_owner(sp, p);
			if (owner != sp->worker) {
				stat(sp, SF_STAT_handoff_sent);
				sp->io.handoff(sp->io.arg, owner, m[i]);
				kind[i] = 0;
				continue;
			}
		}
		keys[i] = (struct sf_conntab_key){p->src, p->dst, p->sport, p->dport};
		look[i] = !((kind[i] & SF_SPLICE_OWN_VIP) &&
			(p->tcp_flags & (SF_TCP_SYN | SF_TCP_ACK | SF_TCP_RST)) == SF_TCP_SYN &&
			sp->syn_filter[syn_filter_idx(p->src, p->sport, p->dport)] == 0);
		if (look[i])
			kp[nk++] = &keys[i];
	}
	/* Bulk lookup over the packets kept, in order. */
	{
		struct sf_conn *lc[SF_SPLICE_BURST_MAX];
		uint8_t lh[SF_SPLICE_BURST_MAX];
		unsigned int j = 0;

		if (nk != 0)
			sf_conntab_lookup_bulk(sp->ct, kp, nk, lc, lh);
		for (unsigned int i = 0; i < n; i++) {
			if (kind[i] == 0)
				continue;
			if (!look[i]) {
				conn[i] = NULL;
				continue;
			}
			conn[i] = lc[j];
			half[i] = lh[j];
			j++;
			/* Start the misses of every hit's connection now; the loop below uses them. */
			if (conn[i] != NULL) {
				rte_prefetch0(conn[i]);
				rte_prefetch0((const char *)conn[i] + RTE_CACHE_LINE_SIZE);
			}
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct sf_pkt_info *p = pi[i];
		uint8_t f;

		if (kind[i] == 0)
			continue;
		if (unlikely(key_stale(sp, &keys[i]))) {
			/* This tuple's connection opened or closed since the bulk lookup: look again. */
			const struct sf_conntab_key *k1 = &keys[i];

			sf_conntab_lookup_bulk(sp->ct, &k1, 1, &conn[i], &half[i]);
		}
		if (conn[i] != NULL && conn_rcv(sp, conn[i], half[i], m[i], p))
			continue;
		f = p->tcp_flags & (SF_TCP_SYN | SF_TCP_ACK | SF_TCP_RST);
		if (svc[i] == NULL || svc[i]->port != pidx) {
			if (f == SF_TCP_SYN && !(kind[i] & SF_SPLICE_OWN_SOURCE))
				sf_splice_no_service(sp, m[i], p, tx, &ntx);
			else
				drop(sp, m[i], SF_STAT_drop_tcp_no_conn);
		} else if (f == SF_TCP_SYN) {
			syn[nsyn] = m[i];
			syn_pi[nsyn] = p;
			syn_svc[nsyn++] = svc[i];
		} else if (f == SF_TCP_ACK) {
			ack[nack] = m[i];
			ack_pi[nack] = p;
			ack_svc[nack++] = svc[i];
		} else {
			drop(sp, m[i], SF_STAT_drop_tcp_no_conn);
		}
	}
	if (nsyn != 0)
		sf_splice_syn_rcv_bulk(sp, syn, syn_pi, syn_svc, nsyn, sp->now_ms, tx, &ntx);
	if (nack != 0) {
		struct sf_cookie_ack ca[SF_SPLICE_BURST_MAX];
		struct sf_cookie_result res[SF_SPLICE_BURST_MAX];

		for (unsigned int i = 0; i < nack; i++) {
			const struct sf_pkt_info *p = ack_pi[i];

			ca[i] = (struct sf_cookie_ack){
				.saddr = p->src, .daddr = p->dst, .sport = p->sport, .dport = p->dport,
				.seq = p->seq, .ack = p->ack, .tsecr = p->opts.tsecr,
				.has_ts = !!(p->opts.present & SF_TCPO_TS),
			};
		}
		sf_cookie_ack_check_bulk(sp->cookie, ca, res, nack, sp->now_ms);
		for (unsigned int i = 0; i < nack; i++) {
			const struct sf_pkt_info *p = ack_pi[i];
			struct sf_conntab_key k = {p->src, p->dst, p->sport, p->dport};

			if (key_stale(sp, &k)) {
				/* An earlier ACK of this burst may have opened this packet's connection. */
				const struct sf_conntab_key *k1 = &k;
				struct sf_conn *c;
				uint8_t h;

				if (sf_conntab_lookup_bulk(sp->ct, &k1, 1, &c, &h) != 0 &&
				    conn_rcv(sp, c, h, ack[i], p))
					continue;
			}
			if (res[i].verdict == SF_COOKIE_OK) {
				stat(sp, SF_STAT_cookie_valid);
				sp->svc_st[ack_svc[i]->index].cookie_valid++;
				conn_open(sp, ack[i], p, ack_svc[i], &res[i]);
				continue;
			}
			stat(sp, SF_STAT_cookie_invalid);
			stat(sp, SF_STAT_COOKIE_INVALID(res[i].verdict));
			sp->svc_st[ack_svc[i]->index].cookie_invalid++;
			if (sp->invalid_action == SF_CONF_ACTION_RST) {
				sf_splice_rst_reply(ack[i], p);
				stat(sp, SF_STAT_rst_sent);
				tx[ntx++] = ack[i];
			} else {
				rte_pktmbuf_free(ack[i]);
			}
		}
	}
	for (unsigned int i = 0; i < ntx; i++)
		sp->io.tx(sp->io.arg, pidx, tx[i]);
}

void sf_splice_timers(struct sf_splice *sp, uint64_t now_tsc)
{
	sf_timerwheel_manage(sp->tw, now_tsc, 256);
}

/* ------------------------------------------------------- control plane */

struct snap_walk {
	const struct sf_splice *sp;
	const struct sf_splice_conn_filter *f;
	struct sf_splice_conn_snap *out;
	uint32_t max, matched, now, tick_us;
};

static void snap_one(const struct sf_conn *c, void *arg)
{
	struct snap_walk *wk = arg;
	const struct sf_splice_conn_filter *f = wk->f;
	struct sf_splice_conn_snap *o;

	if ((f->state != 0xff && c->state != f->state) || (f->svc != 0xffff && c->svc != f->svc) ||
	    (f->b_addr != 0 && (c->b_addr != f->b_addr || c->b_port != f->b_port)) ||
	    ((c->c_addr & f->c_mask) != f->c_net))
		return;
	if (wk->matched++ >= wk->max)
		return;
	o = &wk->out[wk->matched - 1];
	*o = (struct sf_splice_conn_snap){
		.c_addr = c->c_addr, .vip = c->vip, .b_addr = c->b_addr, .s_addr = c->s_addr,
		.c_port = c->c_port, .vport = c->vport, .b_port = c->b_port, .s_port = c->s_port,
		.state = c->state, .worker = (uint8_t)wk->sp->worker, .svc = c->svc, .flags = c->flags,
		.idle_ms = (uint32_t)((uint64_t)(wk->now - c->last_seen) * wk->tick_us / 1000),
	};
}

uint32_t sf_splice_snapshot(const struct sf_splice *sp, const struct sf_splice_conn_filter *f,
		struct sf_splice_conn_snap *out, uint32_t max)
{
	struct snap_walk wk = {sp, f, out, max, 0, sf_timerwheel_now(sp->tw),
		sf_timerwheel_tick_us(sp->tw)};

	sf_conntab_walk(sp->ct, snap_one, &wk);
	return wk.matched;
}

static void splice_tunables(struct sf_splice *sp, const struct sf_conf *conf)
{
	sp->conf = conf;
	sp->invalid_action = (uint8_t)conf->cookies.invalid_action;
	sp->no_service_action = (uint8_t)conf->cookies.no_service_action;
	sp->time_wait_reuse = conf->tcp.time_wait_reuse;
	sp->syn_retries = conf->tcp.syn_retries;
	sp->orphan_retries = conf->tcp.orphan_retries;
	sp->t_rto = sf_timerwheel_ms_to_ticks(sp->tw, conf->tcp.rto_initial_ms);
	sp->t_rto_max = sf_timerwheel_ms_to_ticks(sp->tw, conf->tcp.rto_max_ms);
	sp->t_time_wait = sf_timerwheel_ms_to_ticks(sp->tw, 2 * conf->tcp.msl_ms);
	sp->t_fin_wait2 = sf_timerwheel_ms_to_ticks(sp->tw, conf->tcp.fin_wait2_timeout_ms);
	sp->t_idle = sf_timerwheel_ms_to_ticks(sp->tw, conf->tcp.idle_timeout_ms);
	sp->t_half_open = sf_timerwheel_ms_to_ticks(sp->tw, conf->tcp.half_open_timeout_ms);
}

struct remap_walk {
	uint16_t map[SF_CONF_MAX_SERVICES][SF_CONF_MAX_BACKENDS];
};

static void remap_one(const struct sf_conn *cc, void *arg)
{
	struct remap_walk *rw = arg;
	struct sf_conn *c = (struct sf_conn *)(uintptr_t)cc;

	if (c->backend != SF_SPLICE_BACKEND_NONE)
		c->backend = rw->map[c->svc][c->backend];
}

void sf_splice_apply(struct sf_splice *sp, const struct sf_conf *conf)
{
	struct remap_walk rw;
	struct sf_splice_backend nbe[SF_CONF_MAX_BACKENDS];
	const struct sf_conf *old = sp->conf;
	bool moved = false;

	for (uint16_t s = 0; s < conf->nb_services; s++) {
		const struct sf_conf_service *ns = &conf->services[s], *os = &old->services[s];

		memset(nbe, 0, sizeof(nbe));
		for (uint16_t o = 0; o < os->nb_backends; o++)
			rw.map[s][o] = SF_SPLICE_BACKEND_NONE;
		for (uint16_t n = 0; n < ns->nb_backends; n++) {
			for (uint16_t o = 0; o < os->nb_backends; o++) {
				if (os->backends[o].addr == ns->backends[n].addr &&
				    os->backends[o].port == ns->backends[n].port) {
					nbe[n] = sp->be[s][o];
					rw.map[s][o] = n;
					moved |= n != o;
					break;
				}
			}
			nbe[n].weight = ns->backends[n].weight;
		}
		for (uint16_t o = 0; o < os->nb_backends; o++)
			moved |= rw.map[s][o] == SF_SPLICE_BACKEND_NONE && sp->be[s][o].active != 0;
		memcpy(sp->be[s], nbe, sizeof(nbe));
	}
	if (moved)
		sf_conntab_walk(sp->ct, remap_one, &rw);
	splice_tunables(sp, conf);
}

/* ------------------------------------------------------------ set-up */

int sf_splice_init(struct sf_splice *sp, const struct sf_splice_params *p)
{
	const struct sf_conf *conf = p->conf;
	struct sf_timerwheel_params twp = {
		.name = "sf_splice",
		.socket_id = p->socket,
	};
	char name[32];
	unsigned int span;

	memset(sp, 0, sizeof(*sp));
	sp->tables = p->tables;
	sp->cookie = p->cookie;
	sp->st = p->st;
	sp->conf = conf;
	sp->pool = p->pool;
	sp->io = p->io;
	sp->worker = p->worker;
	sp->nb_workers = p->nb_workers ? p->nb_workers : 1;
	for (uint16_t i = 0; i < conf->nb_ports; i++)
		sp->port_mac[i] = p->port_mac[i];
	for (uint16_t s = 0; s < conf->nb_services; s++)
		for (uint16_t b = 0; b < conf->services[s].nb_backends; b++)
			sp->be[s][b].weight = conf->services[s].backends[b].weight;
	span = (65536u - SF_SPLICE_SPORT_MIN) / sp->nb_workers;
	sp->sport_lo = (uint16_t)(SF_SPLICE_SPORT_MIN + span * sp->worker);
	sp->sport_hi = (uint16_t)(sp->worker + 1 == sp->nb_workers ? 65535 : sp->sport_lo + span - 1);
	sp->sport_next = sp->sport_lo;

	sp->syn_filter = rte_zmalloc_socket("sf_syn_filter", SF_SPLICE_SYN_FILTER_MASK + 1,
			RTE_CACHE_LINE_SIZE, p->socket);
	if (sp->syn_filter == NULL)
		return -ENOMEM;
	sp->tw = sf_timerwheel_create(&twp);
	if (sp->tw == NULL) {
		rte_free(sp->syn_filter);
		sp->syn_filter = NULL;
		return -rte_errno;
	}
	splice_tunables(sp, conf);
	snprintf(name, sizeof(name), "sf_conntab_%u", p->worker);
	sp->ct = sf_conntab_create(&(struct sf_conntab_params){
		.name = name, .capacity = conf->limits.connections_per_lcore, .socket = p->socket,
	});
	if (sp->ct == NULL) {
		int err = rte_errno;

		sf_timerwheel_free(sp->tw);
		sp->tw = NULL;
		rte_free(sp->syn_filter);
		sp->syn_filter = NULL;
		return -err;
	}
	return 0;
}

void sf_splice_fini(struct sf_splice *sp)
{
	sf_conntab_free(sp->ct);
	sp->ct = NULL;
	sf_timerwheel_free(sp->tw);
	sp->tw = NULL;
	rte_free(sp->syn_filter);
	sp->syn_filter = NULL;
}
