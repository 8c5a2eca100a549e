/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synfront-gen: connection storms, real TCP handshakes against SYN cookies.
 *
 * Each connection is a small client state machine on its own 4-tuple (a source
 * address of --src and the next source port, 1024..65535 in turn):
 *
 *   SYN_SENT --valid SYN-ACK--> ESTABLISHED: ACK carrying the request (seq ISN + 1,
 *   ack cookie + 1, TS echoing the SYN-ACK's TSval when it had one); a SYN-ACK whose
 *   ack is not ISN + 1 is counted invalid and ignored. No SYN-ACK within --rto: the SYN
 *   goes once more (same ISN); none after that: failed (synack timeout).
 *
 *   ESTABLISHED: in-order reply data is counted and acknowledged; a segment beyond the
 *   next expected byte is answered by a duplicate ACK (no reassembly). The server's FIN
 *   is answered with our FIN|ACK (passive close, LAST_ACK); reply data followed by
 *   --idle-close without more makes us close first (FIN_WAIT). No request: close
 *   right after the handshake.
 *
 *   Done when both FINs are acknowledged: completed. An RST from the target at any
 *   point: failed (rst). Unacknowledged request or FIN: sent again after --rto,
 *   doubling, at most 3 times. Not done within --conn-timeout: failed (reply or close
 *   timeout).
 *
 * Latency: SYN (the first one) to valid SYN-ACK, and SYN to the first reply byte.
 *
 * Lookup: open addressing with linear probing on (address, port), twice the
 * concurrency rounded up to a power of two, backward-shift deletion.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "sf_pkt_dp.h"
#include "gen.h"

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)

#define RETRIES_MAX 3
#define SPORT_MIN 1024

enum conn_state {
	CONN_FREE = 0,
	CONN_SYN_SENT,
	CONN_ESTABLISHED,   /* request sent, reading the reply */
	CONN_CLOSING,       /* our FIN sent (first or second) */
};

struct conn {
	uint32_t addr;          /* our address, network order */
	uint16_t sport;
	uint8_t state;
	uint8_t tries;          /* SYNs sent, or retransmissions of request/FIN */
	uint8_t ts_on;          /* timestamps negotiated */
	uint8_t fin_sent, fin_acked, peer_fin, got_reply;
	uint32_t isn, snd_una, snd_nxt, rcv_nxt, ts_recent;
	uint64_t t_syn;         /* first SYN */
	uint64_t t_rto;         /* next retransmission */
	uint64_t t_last_rx;     /* last reply data */
	uint64_t t_deadline;    /* conn timeout */
};

struct gen_storm {
	struct conn *conns;
	uint32_t nb_conns;
	uint32_t *free;         /* stack of free slot indexes */
	uint32_t nb_free;
	uint32_t *map;          /* hash slot -> conn index + 1, 0 = empty */
	uint32_t map_mask;
	uint32_t scan;          /* next conn the timer pass looks at */
	uint64_t next_tuple;    /* tuple counter: port and address of the next connection */
	uint32_t active;
};

/* ---- 4-tuple map ---- */

static inline uint32_t tuple_hash(uint32_t addr, uint16_t port)
{
	uint64_t x = ((uint64_t)addr << 16 | port) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(x >> 32);
}

static struct conn *map_lookup(struct gen_storm *s, uint32_t addr, uint16_t port)
{
	uint32_t h = tuple_hash(addr, port) & s->map_mask;

	for (;; h = (h + 1) & s->map_mask) {
		uint32_t v = s->map[h];
		struct conn *c;

		if (v == 0)
			return NULL;
		c = &s->conns[v - 1];
		if (c->addr == addr && c->sport == port)
			return c;
	}
}

static void map_add(struct gen_storm *s, uint32_t idx)
{
	const struct conn *c = &s->conns[idx];
	uint32_t h = tuple_hash(c->addr, c->sport) & s->map_mask;

	while (s->map[h] != 0)
		h = (h + 1) & s->map_mask;
	s->map[h] = idx + 1;
}

static void map_del(struct gen_storm *s, const struct conn *c)
{
	uint32_t h = tuple_hash(c->addr, c->sport) & s->map_mask, j, k;

	while (&s->conns[s->map[h] - 1] != c)
		h = (h + 1) & s->map_mask;
	/* Backward-shift deletion: move later entries of the probe run into the hole. */
	for (j = (h + 1) & s->map_mask; s->map[j] != 0; j = (j + 1) & s->map_mask) {
		const struct conn *o = &s->conns[s->map[j] - 1];

		k = tuple_hash(o->addr, o->sport) & s->map_mask;
		/* o stays if its home k lies cyclically in (h, j] */
		if (h <= j ? (h < k && k <= j) : (h < k || k <= j))
			continue;
		s->map[h] = s->map[j];
		h = j;
	}
	s->map[h] = 0;
}

int gen_storm_init(struct gen *g)
{
	struct gen_storm *s = calloc(1, sizeof(*s));
	uint32_t n = g->cfg.concurrency, m = 1;

	if (s == NULL)
		return -ENOMEM;
	while (m < 2 * n)
		m <<= 1;
	s->conns = calloc(n, sizeof(*s->conns));
	s->free = calloc(n, sizeof(*s->free));
	s->map = calloc(m, sizeof(*s->map));
	if (s->conns == NULL || s->free == NULL || s->map == NULL) {
		free(s->conns);
		free(s->free);
		free(s->map);
		free(s);
		return -ENOMEM;
	}
	s->nb_conns = n;
	s->map_mask = m - 1;
	for (uint32_t i = 0; i < n; i++)
		s->free[i] = n - 1 - i;
	s->nb_free = n;
	s->next_tuple = gen_rand(g) % (65536 - SPORT_MIN);
	g->storm = s;
	return 0;
}

void gen_storm_free(struct gen *g)
{
	struct gen_storm *s = g->storm;

	if (s == NULL)
		return;
	free(s->conns);
	free(s->free);
	free(s->map);
	free(s);
	g->storm = NULL;
}

uint32_t gen_storm_active(const struct gen *g)
{
	return g->storm != NULL ? g->storm->active : 0;
}

static void conn_free(struct gen *g, struct conn *c)
{
	struct gen_storm *s = g->storm;

	map_del(s, c);
	c->state = CONN_FREE;
	s->free[s->nb_free++] = (uint32_t)(c - s->conns);
	s->active--;
}

/* ---- segments ---- */

static uint64_t ms_cycles(const struct gen *g, uint32_t ms)
{
	return g->hz / 1000 * ms;
}

/* Send one segment of connection @p c: seq/ack from its state, TS when negotiated. */
static void conn_send(struct gen *g, struct conn *c, uint32_t seq, uint8_t flags,
		const void *payload, uint16_t len, uint64_t now)
{
	uint8_t opt[40];
	struct gen_seg sg = {
		.saddr = c->addr,
		.daddr = g->cfg.dst_ip,
		.sport = c->sport,
		.dport = g->cfg.dst_port,
		.seq = seq,
		.ack = (flags & SF_TCP_ACK) ? c->rcv_nxt : 0,
		.flags = flags,
		.win = 65535,
		.opt = opt,
		.payload = payload,
		.payload_len = len,
	};
	struct rte_mbuf *m;

	if (flags & SF_TCP_SYN) {
		sg.win = 64240;
		sg.opt_len = gen_syn_opts(g, g->cfg.opts, gen_tsval(g, now), opt, &sg.flags);
	} else if (c->ts_on) {
		opt[0] = SF_TCPOPT_NOP;
		opt[1] = SF_TCPOPT_NOP;
		opt[2] = SF_TCPOPT_TS;
		opt[3] = 10;
		sf_pkt_be32_store(opt + 4, gen_tsval(g, now));
		sf_pkt_be32_store(opt + 8, c->ts_recent);
		sg.opt_len = 12;
	}
	m = gen_frame_tcp(g, &sg);
	if (m == NULL) {
		g->st.tx_dropped++;
		return;
	}
	gen_tx(g, m);
}

static void conn_send_syn(struct gen *g, struct conn *c, uint64_t now)
{
	conn_send(g, c, c->isn, SF_TCP_SYN, NULL, 0, now);
	c->tries++;
	c->t_rto = now + (ms_cycles(g, g->cfg.rto_ms) << (c->tries - 1));
}

/* Send our FIN|ACK (first or second FIN). */
static void conn_send_fin(struct gen *g, struct conn *c, uint64_t now)
{
	if (!c->fin_sent) {
		c->fin_sent = 1;
		c->snd_nxt++;
		c->tries = 0;
		c->t_rto = now + ms_cycles(g, g->cfg.rto_ms);
	}
	conn_send(g, c, c->snd_nxt - 1, SF_TCP_FIN | SF_TCP_ACK, NULL, 0, now);
	c->state = CONN_CLOSING;
}

/* Send what is unacknowledged again: the request (ACK-carried), then our FIN. */
static void conn_retransmit(struct gen *g, struct conn *c, uint64_t now)
{
	uint32_t data_end = c->isn + 1 + g->cfg.request_len;

	if (g->cfg.request_len != 0 && SEQ_LT(c->snd_una, data_end))
		conn_send(g, c, c->isn + 1, SF_TCP_ACK | SF_TCP_PSH, g->cfg.request,
				g->cfg.request_len, now);
	if (c->fin_sent && !c->fin_acked)
		conn_send(g, c, c->snd_nxt - 1, SF_TCP_FIN | SF_TCP_ACK, NULL, 0, now);
}

unsigned int gen_storm_open(struct gen *g, uint64_t now, uint64_t budget)
{
	struct gen_storm *s = g->storm;
	unsigned int n = 0;

	while (n < budget && s->nb_free != 0 && g->st.conn_started < g->cfg.count) {
		uint32_t idx = s->free[s->nb_free - 1];
		struct conn *c = &s->conns[idx];
		uint64_t t = s->next_tuple++;
		uint32_t addr = rte_cpu_to_be_32(g->cfg.src_first +
				(uint32_t)(t / (65536 - SPORT_MIN) % g->cfg.src_nb));
		uint16_t port = (uint16_t)(SPORT_MIN + t % (65536 - SPORT_MIN));

		if (map_lookup(s, addr, port) != NULL)
			break;   /* every tuple in flight: wait for one to finish */
		s->nb_free--;
		memset(c, 0, sizeof(*c));
		c->addr = addr;
		c->sport = port;
		c->state = CONN_SYN_SENT;
		c->isn = (uint32_t)gen_rand(g);
		c->snd_una = c->isn;
		c->snd_nxt = c->isn + 1;
		c->t_syn = now;
		c->t_deadline = now + ms_cycles(g, g->cfg.conn_timeout_ms);
		map_add(s, idx);
		s->active++;
		g->st.conn_started++;
		conn_send_syn(g, c, now);
		n++;
	}
	return n;
}

static void conn_fail(struct gen *g, struct conn *c, uint64_t *counter)
{
	(*counter)++;
	conn_free(g, c);
}

/* A valid SYN-ACK: ESTABLISHED; the ACK carries the request. */
static void conn_synack_rcv(struct gen *g, struct conn *c, const struct sf_pkt_info *pi, uint64_t now)
{
	g->st.synack_valid++;
	g->st.handshakes++;
	gen_lat_add(g, &g->lat_hs, now - c->t_syn);
	c->rcv_nxt = pi->seq + 1;
	c->snd_una = c->isn + 1;
	c->ts_on = (pi->opts.present & SF_TCPO_TS) != 0;
	c->ts_recent = pi->opts.tsval;
	c->state = CONN_ESTABLISHED;
	c->tries = 0;
	c->t_rto = now + ms_cycles(g, g->cfg.rto_ms);
	if (g->cfg.request_len != 0) {
		c->snd_nxt = c->isn + 1 + g->cfg.request_len;
		conn_send(g, c, c->isn + 1, SF_TCP_ACK | SF_TCP_PSH, g->cfg.request,
				g->cfg.request_len, now);
	} else {
		conn_send(g, c, c->isn + 1, SF_TCP_ACK, NULL, 0, now);
		conn_send_fin(g, c, now);
	}
}

void gen_storm_rcv(struct gen *g, const struct sf_pkt_info *pi, uint64_t now)
{
	struct gen_storm *s = g->storm;
	struct conn *c = map_lookup(s, pi->dst, pi->dport);
	uint8_t fl = pi->tcp_flags;

	if (c == NULL) {
		if ((fl & (SF_TCP_SYN | SF_TCP_ACK)) == (SF_TCP_SYN | SF_TCP_ACK))
			g->st.synack_unmatched++;
		return;
	}
	if (fl & SF_TCP_RST) {
		conn_fail(g, c, &g->st.fail_rst);
		return;
	}
	if (fl & SF_TCP_SYN) {
		if (!(fl & SF_TCP_ACK))
			return;
		if (pi->ack != c->isn + 1) {
			g->st.synack_invalid++;
			return;
		}
		if (c->state == CONN_SYN_SENT)
			conn_synack_rcv(g, c, pi, now);
		else         /* our ACK was lost: the SYN-ACK came again */
			conn_retransmit(g, c, now);
		return;
	}
	if (c->state == CONN_SYN_SENT || !(fl & SF_TCP_ACK))
		return;

	if (SEQ_GT(pi->ack, c->snd_una) && SEQ_LEQ(pi->ack, c->snd_nxt)) {
		c->snd_una = pi->ack;
		c->tries = 0;
		c->t_rto = now + ms_cycles(g, g->cfg.rto_ms);
		if (c->fin_sent && c->snd_una == c->snd_nxt)
			c->fin_acked = 1;
	}
	if (pi->payload_len != 0 || (fl & SF_TCP_FIN)) {
		if (pi->seq == c->rcv_nxt) {
			if (c->ts_on && (pi->opts.present & SF_TCPO_TS))
				c->ts_recent = pi->opts.tsval;
			c->rcv_nxt += pi->payload_len;
			if (pi->payload_len != 0) {
				g->st.reply_bytes += pi->payload_len;
				c->t_last_rx = now;
				if (!c->got_reply) {
					c->got_reply = 1;
					g->st.replies++;
					gen_lat_add(g, &g->lat_reply, now - c->t_syn);
				}
			}
			if (fl & SF_TCP_FIN) {
				c->rcv_nxt++;
				c->peer_fin = 1;
			}
		} else if (SEQ_GT(pi->seq, c->rcv_nxt)) {
			g->st.out_of_order++;
		}
		if (c->peer_fin && !c->fin_sent)
			conn_send_fin(g, c, now);   /* passive close: our FIN acknowledges theirs */
		else
			conn_send(g, c, c->snd_nxt, SF_TCP_ACK, NULL, 0, now);
	}
	if (c->fin_sent && c->fin_acked && c->peer_fin) {
		g->st.completed++;
		conn_free(g, c);
	}
}

unsigned int gen_storm_timers(struct gen *g, uint64_t now)
{
	struct gen_storm *s = g->storm;
	unsigned int work = 0, n = RTE_MIN(64u, s->nb_conns);

	if (s->active == 0)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		struct conn *c = &s->conns[s->scan];

		s->scan = s->scan + 1 == s->nb_conns ? 0 : s->scan + 1;
		if (c->state == CONN_FREE)
			continue;
		if (now >= c->t_deadline) {
			work++;
			if (c->state == CONN_SYN_SENT)
				conn_fail(g, c, &g->st.fail_synack_timeout);
			else if (!c->got_reply && g->cfg.request_len != 0)
				conn_fail(g, c, &g->st.fail_reply_timeout);
			else
				conn_fail(g, c, &g->st.fail_close_timeout);
			continue;
		}
		if (c->state == CONN_SYN_SENT) {
			if (now < c->t_rto)
				continue;
			work++;
			if (c->tries >= 2) {
				conn_fail(g, c, &g->st.fail_synack_timeout);
				continue;
			}
			g->st.syn_retransmits++;
			conn_send_syn(g, c, now);
			continue;
		}
		if (c->state == CONN_ESTABLISHED && c->got_reply && !c->fin_sent &&
				now - c->t_last_rx >= ms_cycles(g, g->cfg.idle_close_ms)) {
			work++;
			conn_send_fin(g, c, now);   /* active close */
			continue;
		}
		if (SEQ_LT(c->snd_una, c->snd_nxt) && now >= c->t_rto && c->tries < RETRIES_MAX) {
			work++;
			c->tries++;
			c->t_rto = now + (ms_cycles(g, g->cfg.rto_ms) << c->tries);
			g->st.retransmits++;
			conn_retransmit(g, c, now);
		}
	}
	return work;
}

void gen_storm_abort(struct gen *g)
{
	struct gen_storm *s = g->storm;

	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->nb_conns; i++)
		if (s->conns[i].state != CONN_FREE)
			conn_fail(g, &s->conns[i], &g->st.unfinished);
}
