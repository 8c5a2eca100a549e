/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-forward: one worker's spliced connections, end to end through ring ethdevs.
 *
 * Two ring ethdevs (rte_eth_from_rings: RX from one rte_ring, TX into another) stand
 * in for the client-side and the backend-side NIC; the worker is a real struct
 * sf_worker polled with sf_worker_poll(). Three figures:
 *
 * 1. Life cycle of a proxied connection, connections per second per core. Bursts of
 *    32 new connections go through every step, each step one timed sf_worker_poll():
 *      client SYN -> cookie SYN-ACK (client TX ring)
 *      client ACK with the cookie -> backend SYN (backend TX ring)
 *      backend SYN-ACK -> the client's ACK replayed to the backend
 *      client FIN -> translated FIN to the backend
 *      backend ACK+FIN -> translated FIN to the client
 *      client ACK -> translated ACK to the backend; TIME_WAIT
 *    and TIME_WAIT ends on the timer wheel (tcp.msl_ms = 100: 200 ms later) inside
 *    later polls, so once the runs are longer than that (a warm-up makes sure), the
 *    timed polls free as many connections as they open. A figure is cycles per
 *    connection: the six polls of a burst of 32, divided by 32.
 * 2. Forwarding with translation, client -> backend: ACK+PSH data segments with a
 *    TS option (64- and 1400-byte payloads) on N established connections chosen at
 *    random, 32 per burst, one timed sf_worker_poll() per burst. The N connections
 *    are opened beforehand through the real handshake (steps 1-3 above, in bursts of
 *    32; that opening is timed too and reported).
 * 3. Bytes per connection: rte_malloc heap in use before and after creating a
 *    connection table (connection pool + rte_hash with 2 keys per connection) of the
 *    worker's capacity, divided by that capacity; and sizeof(struct sf_conn).
 *
 * Everything the worker sends is taken off the TX rings after each timed poll and
 * checked (count on the right ring and nothing on the other, addresses, ports,
 * SEQ/ACK translated by seq_delta, TSecr translated by ts_delta; both checksums of
 * every 16th burst against an independent RFC 1071 sum), and the worker's counters
 * must agree, so drops or wrong translations cannot pass for speed: the bench exits
 * 1 without figures. Input frames are written into mbufs outside the timed region.
 *
 * Every timed poll is bracketed by rte_rdtsc_precise(); the timer's own cost (median
 * of empty regions) is subtracted. A run's figure is its median burst per packet
 * (per connection); the mean is printed beside it. A figure is the median of the
 * runs (min and max shown). Then one line "RESULT {json}" for scripts.
 *
 *   bench-forward [EAL options --] [-c CONNS] [-C CAPACITY] [-r RUNS] [-n PKTS] [-l CONNS]
 *
 * -c established connections for the forwarding figures (default 1000000); -C the
 * table capacity, limits.connections_per_lcore (default: the power of 2 >= CONNS,
 * at least 1048576 so TIME_WAIT of the life-cycle figure fits); -n packets per
 * forwarding run; -l connections per life-cycle run. Without EAL options before
 * "--", the EAL runs with --no-huge -m 6144 --no-pci --no-telemetry -l 0.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "pkt_frame.h"
#include "sf_conf.h"
#include "sf_conntab.h"
#include "sf_cookie.h"
#include "sf_pkt.h"
#include "sf_splice.h"
#include "sf_stats.h"
#include "sf_steer.h"
#include "worker.h"

/* worker.c logs through the application's logtype, which main.c registers. */
RTE_LOG_REGISTER(sf_app_logtype, synfront.app, INFO);

#define BURST 32
#define RUNS_DEFAULT 5
#define RUNS_MAX 31
#define CONNS_DEFAULT 1000000u
#define PKTS_DEFAULT (UINT64_C(1) << 20)
#define LIFE_DEFAULT 131072u
#define RING_SIZE 1024
#define NB_MBUFS 8191
#define TARGET_FWD 150.0        /* cycles per forwarded packet at 1 M connections */
#define TARGET_CPS 1e6          /* connections per second per core */

#define NB_SRC 13               /* source addresses; coprime with the 64512 source ports */
#define NB_BE 5                 /* backends; coprime with both */
#define VIP 0xc613ff64u         /* 198.19.255.100 */
#define VPORT 80
#define BPORT 8080
#define SRC_ADDR(i) (0x0a000101u + (uint32_t)(i))   /* 10.0.1.1 .. */
#define BE_ADDR(i) (0x0a000032u + (uint32_t)(i))    /* 10.0.0.50 .. */
#define CLIENT_PER_PORT 63750u  /* client addresses per client port number */

enum { P_CLIENT, P_BACKEND, NB_PORTS };
enum { SET_EST, SET_LIFE };     /* the established connections, the life-cycle ones */

/* What the bench remembers of an established connection; the rest derives from its index. */
struct cstate {
	uint32_t cookie;        /* our ISN towards the client */
	uint32_t c_ts;          /* TSval of the cookie SYN-ACK */
	uint16_t s_port;
	uint8_t s_idx, b_idx;
};

static struct bench {
	struct sf_conf conf;
	struct sf_worker w;
	struct sf_splice_tables *tables;
	struct sf_cookie_ctx *cookie;
	struct rte_mempool *pool;
	struct rte_ring *rx[NB_PORTS], *tx[NB_PORTS];
	uint16_t port_id[NB_PORTS];
	struct rte_ether_addr mac[NB_PORTS];
	double timer_ovh;
	uint64_t checked, bad;
	uint32_t nb_conns, capacity;
	struct cstate *cs;                      /* nb_conns, SET_EST */
	uint8_t tmpl[2][PKT_FRAME_MAX];         /* data segment templates, 64 and 1400 bytes */
	uint32_t tmpl_len[2];
	uint32_t tmpl_paysum[2];                /* RFC 1071 sum of the payload */
} B;

static const uint16_t payload_len[2] = {64, 1400};
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint32_t mix32(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* A connection's client address and port (host order), ISNs and clocks, from its index. */
static uint32_t c_addr(unsigned int set, uint32_t i)
{
	uint32_t a = i % CLIENT_PER_PORT;

	return (set == SET_EST ? 0xc6120000u : 0xc6130000u) | (a / 250) << 8 | (a % 250 + 1);
}

static uint16_t c_port(uint32_t i)
{
	return (uint16_t)(1024 + (i / CLIENT_PER_PORT) % 64512);
}

#define C_ISN(set, i) mix32(((uint64_t)(set) << 32 | (i)) * 4 + 0)
#define B_ISN(set, i) mix32(((uint64_t)(set) << 32 | (i)) * 4 + 1)
#define C_TS(set, i) (mix32(((uint64_t)(set) << 32 | (i)) * 4 + 2) & 0x7fffffffu)
#define B_TS(set, i) mix32(((uint64_t)(set) << 32 | (i)) * 4 + 3)

static const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

static void be_mac(unsigned int b, uint8_t *mac)
{
	const uint8_t m[6] = {0x02, 0, 0, 0, 0, (uint8_t)(0x50 + b)};

	memcpy(mac, m, 6);
}

/* ------------------------------------------------------------ frames */

struct seg {
	unsigned int port;      /* P_CLIENT: client -> VIP; P_BACKEND: backend -> source */
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	bool syn_opts;
	uint32_t tsval, tsecr;
	unsigned int b_idx;     /* P_BACKEND: which backend's MAC */
};

/* Build a segment without payload into a fresh mbuf. */
static struct rte_mbuf *seg_mbuf(const struct seg *s)
{
	uint8_t opts[20], *f;
	struct pkt_frame_spec sp = {
		.ip_frag = 0x4000, .ttl = 64, .proto = 6, .src = s->src, .dst = s->dst,
		.sport = s->sport, .dport = s->dport, .seq = s->seq, .ack = s->ack,
		.tcp_flags = s->flags, .win = s->port == P_CLIENT ? 502 : 509, .tcp_opts = opts,
	};
	struct rte_mbuf *m = rte_pktmbuf_alloc(B.pool);
	size_t len;

	if (m == NULL) {
		fprintf(stderr, "bench-forward: mbuf pool empty (leak?)\n");
		exit(1);
	}
	if (s->syn_opts) {
		sp.tcp_opts_len = (uint8_t)pkt_frame_syn_opts(opts, 1460, s->tsval, 7);
		pkt_w32(opts + 12, s->tsecr);
	} else {
		sp.tcp_opts_len = (uint8_t)pkt_frame_ack_opts(opts, s->tsval, s->tsecr);
	}
	f = rte_pktmbuf_mtod(m, uint8_t *);
	len = pkt_frame_build(f, &sp);
	memcpy(f, &B.mac[s->port], 6);
	if (s->port == P_CLIENT)
		memcpy(f + 6, client_mac, 6);
	else
		be_mac(s->b_idx, f + 6);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	return m;
}

static void ring_put(struct rte_ring *r, struct rte_mbuf **m, unsigned int n)
{
	if (rte_ring_enqueue_burst(r, (void **)m, n, NULL) != n) {
		fprintf(stderr, "bench-forward: ring full\n");
		exit(1);
	}
}

static uint64_t poll_timed(void)
{
	uint64_t t0 = rte_rdtsc_precise(), t1;

	sf_worker_poll(&B.w);
	t1 = rte_rdtsc_precise();
	return t1 - t0;
}

/*
 * Take what the worker sent: @p n packets expected on port @p port's TX ring and none
 * on the other. @return how many came (into out); a wrong count is counted bad.
 */
static unsigned int take(unsigned int port, struct rte_mbuf **out, unsigned int n)
{
	struct rte_mbuf *other[2 * BURST];
	unsigned int got = rte_ring_dequeue_burst(B.tx[port], (void **)out, 2 * BURST, NULL);
	unsigned int o = rte_ring_dequeue_burst(B.tx[port ^ 1], (void **)other, 2 * BURST, NULL);

	if (got != n || o != 0)
		B.bad++;
	rte_pktmbuf_free_bulk(other, o);
	return got;
}

/* Parse a sent frame (both checksums verified by the parser); NULL-safe verdict. */
static bool out_parse(struct rte_mbuf *m, struct sf_pkt_info *pi)
{
	return sf_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), 0, pi) ==
		SF_PKT_OK && pi->type == SF_PKT_TYPE_TCP;
}

static bool tuple_is(const struct sf_pkt_info *pi, uint32_t src, uint32_t dst, uint16_t sport,
		uint16_t dport)
{
	return pi->src == rte_cpu_to_be_32(src) && pi->dst == rte_cpu_to_be_32(dst) &&
		pi->sport == sport && pi->dport == dport;
}

/* Which source address / backend a network-order address is; -1 if none. */
static int src_index(uint32_t a)
{
	uint32_t h = rte_be_to_cpu_32(a) - SRC_ADDR(0);

	return h < NB_SRC ? (int)h : -1;
}

static int be_index(uint32_t a)
{
	uint32_t h = rte_be_to_cpu_32(a) - BE_ADDR(0);

	return h < NB_BE ? (int)h : -1;
}

/*
 * Open n (<= 32) connections of @p set, indices first.., through the real handshake
 * and, with @p close, close them down to TIME_WAIT. Each step is one timed poll;
 * @return the cycles of the polls, timer overhead removed. @p cs (may be NULL)
 * receives what the forwarding figures need.
 */
static uint64_t conns_cycle(unsigned int set, uint32_t first, unsigned int n, bool close,
		struct cstate *cs)
{
	struct rte_mbuf *in[BURST], *out[2 * BURST];
	struct sf_pkt_info pi;
	struct cstate st[BURST];
	uint64_t cyc = 0;
	unsigned int got, steps = 0;

#define STEP(port_in, port_out, check, ...) do {                                   \
		for (unsigned int j = 0; j < n; j++) {                                \
			uint32_t i = first + j;                                       \
			(void)i;                                                      \
			in[j] = seg_mbuf(&(struct seg){__VA_ARGS__});                 \
		}                                                                     \
		ring_put(B.rx[port_in], in, n);                                       \
		cyc += poll_timed();                                                  \
		steps++;                                                              \
		got = take(port_out, out, n);                                         \
		for (unsigned int j = 0; j < got && j < n; j++) {                     \
			uint32_t i = first + j;                                       \
			(void)i;                                                      \
			if (!out_parse(out[j], &pi) || !(check))                      \
				B.bad++;                                              \
		}                                                                     \
		B.checked += got;                                                     \
		rte_pktmbuf_free_bulk(out, got);                                      \
	} while (0)

	/* 1. SYN -> cookie SYN-ACK. */
	STEP(P_CLIENT, P_CLIENT,
		(tuple_is(&pi, VIP, c_addr(set, i), VPORT, c_port(i)) &&
		 pi.tcp_flags == (SF_TCP_SYN | SF_TCP_ACK) && pi.ack == C_ISN(set, i) + 1 &&
		 (pi.opts.present & SF_TCPO_TS) && pi.opts.tsecr == C_TS(set, i) &&
		 ((st[j].cookie = pi.seq), (st[j].c_ts = pi.opts.tsval), true)),
		.port = P_CLIENT, .src = c_addr(set, i), .dst = VIP, .sport = c_port(i),
		.dport = VPORT, .seq = C_ISN(set, i), .flags = SF_TCP_SYN, .syn_opts = true,
		.tsval = C_TS(set, i));
	/* 2. ACK with the cookie -> backend SYN with the client's ISN and TSval. */
	STEP(P_CLIENT, P_BACKEND,
		(pi.tcp_flags == SF_TCP_SYN && pi.seq == C_ISN(set, i) && pi.dport == BPORT &&
		 src_index(pi.src) >= 0 && be_index(pi.dst) >= 0 &&
		 (pi.opts.present & SF_TCPO_TS) && pi.opts.tsval == C_TS(set, i) + 1 &&
		 ((st[j].s_port = pi.sport), (st[j].s_idx = (uint8_t)src_index(pi.src)),
		  (st[j].b_idx = (uint8_t)be_index(pi.dst)), true)),
		.port = P_CLIENT, .src = c_addr(set, i), .dst = VIP, .sport = c_port(i),
		.dport = VPORT, .seq = C_ISN(set, i) + 1, .ack = st[j].cookie + 1,
		.flags = SF_TCP_ACK, .tsval = C_TS(set, i) + 1, .tsecr = st[j].c_ts);
	/* 3. Backend SYN-ACK -> the client's ACK replayed: ACK = z + 1, TSecr = backend's TSval. */
	STEP(P_BACKEND, P_BACKEND,
		(tuple_is(&pi, SRC_ADDR(st[j].s_idx), BE_ADDR(st[j].b_idx), st[j].s_port, BPORT) &&
		 pi.tcp_flags == SF_TCP_ACK && pi.seq == C_ISN(set, i) + 1 &&
		 pi.ack == B_ISN(set, i) + 1 && pi.opts.tsecr == B_TS(set, i)),
		.port = P_BACKEND, .src = BE_ADDR(st[j].b_idx), .dst = SRC_ADDR(st[j].s_idx),
		.sport = BPORT, .dport = st[j].s_port, .seq = B_ISN(set, i),
		.ack = C_ISN(set, i) + 1, .flags = SF_TCP_SYN | SF_TCP_ACK, .syn_opts = true,
		.tsval = B_TS(set, i), .tsecr = C_TS(set, i) + 1, .b_idx = st[j].b_idx);
	if (close) {
		/* 4. Client FIN -> FIN to the backend. */
		STEP(P_CLIENT, P_BACKEND,
			(tuple_is(&pi, SRC_ADDR(st[j].s_idx), BE_ADDR(st[j].b_idx), st[j].s_port,
				BPORT) && pi.tcp_flags == (SF_TCP_ACK | SF_TCP_FIN) &&
			 pi.ack == B_ISN(set, i) + 1),
		.port = P_CLIENT, .src = c_addr(set, i), .dst = VIP, .sport = c_port(i),
			.dport = VPORT, .seq = C_ISN(set, i) + 1, .ack = st[j].cookie + 1,
			.flags = SF_TCP_ACK | SF_TCP_FIN, .tsval = C_TS(set, i) + 2,
			.tsecr = st[j].c_ts);
		/* 5. Backend ACK+FIN -> FIN to the client: SEQ = cookie + 1. */
		STEP(P_BACKEND, P_CLIENT,
			(tuple_is(&pi, VIP, c_addr(set, i), VPORT, c_port(i)) &&
			 pi.tcp_flags == (SF_TCP_ACK | SF_TCP_FIN) && pi.seq == st[j].cookie + 1 &&
			 pi.opts.tsval == st[j].c_ts + 1),
		.port = P_BACKEND, .src = BE_ADDR(st[j].b_idx), .dst = SRC_ADDR(st[j].s_idx),
			.sport = BPORT, .dport = st[j].s_port, .seq = B_ISN(set, i) + 1,
			.ack = C_ISN(set, i) + 2, .flags = SF_TCP_ACK | SF_TCP_FIN,
			.tsval = B_TS(set, i) + 1, .tsecr = C_TS(set, i) + 2, .b_idx = st[j].b_idx);
		/* 6. Client ACK of it -> ACK to the backend; TIME_WAIT. */
		STEP(P_CLIENT, P_BACKEND,
			(pi.tcp_flags == SF_TCP_ACK && pi.ack == B_ISN(set, i) + 2 &&
			 pi.opts.tsecr == B_TS(set, i) + 1),
		.port = P_CLIENT, .src = c_addr(set, i), .dst = VIP, .sport = c_port(i),
			.dport = VPORT, .seq = C_ISN(set, i) + 2, .ack = st[j].cookie + 2,
			.flags = SF_TCP_ACK, .tsval = C_TS(set, i) + 3, .tsecr = st[j].c_ts + 1);
	}
#undef STEP
	if (cs != NULL)
		memcpy(cs, st, n * sizeof(st[0]));
	return cyc - (uint64_t)(steps * B.timer_ovh);
}

/* ------------------------------------------------------- data segments */

static void templates_build(void)
{
	static uint8_t payload[1400];
	uint8_t opts[12];

	for (unsigned int i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	for (unsigned int t = 0; t < 2; t++) {
		struct pkt_frame_spec sp = {
			.ip_frag = 0x4000, .ttl = 64, .proto = 6, .src = c_addr(SET_EST, 0),
			.dst = VIP, .sport = 1024, .dport = VPORT,
			.tcp_flags = SF_TCP_ACK | SF_TCP_PSH, .win = 502, .tcp_opts = opts,
			.tcp_opts_len = (uint8_t)pkt_frame_ack_opts(opts, 0, 0),
			.payload = payload, .payload_len = payload_len[t],
		};

		B.tmpl_len[t] = (uint32_t)pkt_frame_build(B.tmpl[t], &sp);
		memcpy(B.tmpl[t], &B.mac[P_CLIENT], 6);
		memcpy(B.tmpl[t] + 6, client_mac, 6);
		B.tmpl_paysum[t] = pkt_ref_sum(0, payload, payload_len[t]);
	}
}

/* A data segment of connection i (template t) into mbuf m; checksums valid. */
static void data_fill(struct rte_mbuf *m, unsigned int t, uint32_t i, bool hw)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), *ip = f + 14, *tcp = ip + 20;
	const struct cstate *c = &B.cs[i];
	uint32_t src = c_addr(SET_EST, i), sum;
	unsigned int tl = 32u + payload_len[t];

	memcpy(f, B.tmpl[t], B.tmpl_len[t]);
	pkt_w32(ip + 12, src);
	pkt_w16(ip + 10, 0);
	pkt_w16(ip + 10, pkt_ref_fold(pkt_ref_sum(0, ip, 20)));
	pkt_w16(tcp, c_port(i));
	pkt_w32(tcp + 4, C_ISN(SET_EST, i) + 1);
	pkt_w32(tcp + 8, c->cookie + 1);
	pkt_w32(tcp + 24, C_TS(SET_EST, i) + 5);
	pkt_w32(tcp + 28, c->c_ts);
	pkt_w16(tcp + 16, 0);
	sum = (src >> 16) + (src & 0xffff) + (VIP >> 16) + (VIP & 0xffff) + 6 + tl;
	sum = pkt_ref_sum(sum, tcp, 32) + B.tmpl_paysum[t];
	pkt_w16(tcp + 16, pkt_ref_fold(sum));
	m->data_len = (uint16_t)B.tmpl_len[t];
	m->pkt_len = B.tmpl_len[t];
	m->ol_flags = hw ? RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD : 0;
}

/* Check a forwarded data segment of connection i; @p full: both checksums too. */
static bool data_check(struct rte_mbuf *m, unsigned int t, uint32_t i, bool full)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *), *ip = f + 14, *tcp = ip + 20;
	const struct cstate *c = &B.cs[i];
	uint8_t mac[6];

	be_mac(c->b_idx, mac);
	if (rte_pktmbuf_data_len(m) != B.tmpl_len[t] || memcmp(f, mac, 6) != 0 ||
	    memcmp(f + 6, &B.mac[P_BACKEND], 6) != 0 ||
	    pkt_r32(ip + 12) != SRC_ADDR(c->s_idx) || pkt_r32(ip + 16) != BE_ADDR(c->b_idx) ||
	    pkt_r16(tcp) != c->s_port || pkt_r16(tcp + 2) != BPORT ||
	    pkt_r32(tcp + 4) != C_ISN(SET_EST, i) + 1 ||
	    pkt_r32(tcp + 8) != B_ISN(SET_EST, i) + 1 ||
	    tcp[13] != (SF_TCP_ACK | SF_TCP_PSH) ||
	    pkt_r32(tcp + 24) != C_TS(SET_EST, i) + 5 || pkt_r32(tcp + 28) != B_TS(SET_EST, i) ||
	    memcmp(tcp + 32, B.tmpl[t] + 66, payload_len[t]) != 0)
		return false;
	if (full && (pkt_ref_fold(pkt_ref_sum(0, ip, 20)) != 0 ||
		     pkt_ref_l4_cksum(pkt_r32(ip + 12), pkt_r32(ip + 16), 6, tcp,
				32u + payload_len[t]) != 0))
		return false;
	return true;
}

/* ------------------------------------------------------------ measuring */

static uint32_t *samples;

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct result {
	double med, mean;
};

enum mode {
	M_TIMER,        /* an empty timed region */
	M_FWD,          /* data segments on established connections */
	M_PMD,          /* rx_burst + tx_burst of the same mbufs, no processing */
	M_LIFE,         /* whole connections, SYN to TIME_WAIT */
};

static uint32_t life_next;      /* next life-cycle connection index */

/* One run: @p total packets (M_LIFE: connections), per burst of 32. */
static struct result run(enum mode mode, unsigned int t, bool hw, uint64_t total)
{
	struct rte_mbuf *m[BURST], *out[2 * BURST];
	uint32_t idx[BURST];
	uint64_t acc = 0, iters = 0, done = 0;
	static uint64_t bursts;

	B.w.ports[P_CLIENT].pkt_flags = hw ? 1 : 0;
	while (done < total) {
		uint64_t cyc = 0, t0;
		unsigned int n;

		switch (mode) {
		case M_TIMER:
			t0 = rte_rdtsc_precise();
			cyc = rte_rdtsc_precise() - t0;
			break;
		case M_FWD:
		case M_PMD:
			if (rte_pktmbuf_alloc_bulk(B.pool, m, BURST) != 0) {
				fprintf(stderr, "bench-forward: mbuf pool empty (leak?)\n");
				exit(1);
			}
			for (unsigned int j = 0; j < BURST; j++) {
				idx[j] = (uint32_t)(rng() % B.nb_conns);
				data_fill(m[j], t, idx[j], hw);
			}
			ring_put(B.rx[P_CLIENT], m, BURST);
			if (mode == M_FWD) {
				cyc = poll_timed();
				n = take(P_BACKEND, out, BURST);
				bursts++;
				for (unsigned int j = 0; j < n; j++)
					if (!data_check(out[j], t, idx[j], bursts % 16 == 0))
						B.bad++;
				B.checked += n;
			} else {
				t0 = rte_rdtsc_precise();
				n = rte_eth_rx_burst(B.port_id[P_CLIENT], 0, out, BURST);
				n = rte_eth_tx_burst(B.port_id[P_BACKEND], 0, out, (uint16_t)n);
				cyc = rte_rdtsc_precise() - t0;
				n = rte_ring_dequeue_burst(B.tx[P_BACKEND], (void **)out, 2 * BURST,
						NULL);
				B.bad += n != BURST;
			}
			rte_pktmbuf_free_bulk(out, n);
			cyc = cyc > B.timer_ovh ? cyc - (uint64_t)B.timer_ovh : 0;
			break;
		case M_LIFE:
			cyc = conns_cycle(SET_LIFE, life_next, BURST, true, NULL);
			life_next += BURST;
			break;
		}
		acc += cyc;
		samples[iters++] = (uint32_t)RTE_MIN(cyc, (uint64_t)UINT32_MAX);
		done += mode == M_TIMER ? 1 : BURST;
	}
	qsort(samples, iters, sizeof(samples[0]), cmp_u32);
	if (mode == M_TIMER)
		return (struct result){samples[iters / 2], (double)acc / (double)iters};
	return (struct result){(double)samples[iters / 2] / BURST, (double)acc / (double)done};
}

struct stat3 {
	double med, min, max, mean;
};

static struct stat3 measure(enum mode mode, unsigned int t, bool hw, uint64_t total,
		unsigned int runs)
{
	double v[RUNS_MAX], mean[RUNS_MAX];

	run(mode, t, hw, total / 8);
	for (unsigned int r = 0; r < runs; r++) {
		struct result res = run(mode, t, hw, total);

		v[r] = res.med;
		mean[r] = res.mean;
	}
	qsort(v, runs, sizeof(v[0]), cmp_double);
	qsort(mean, runs, sizeof(mean[0]), cmp_double);
	return (struct stat3){v[runs / 2], v[0], v[runs - 1], mean[runs / 2]};
}

/* ------------------------------------------------------------ set-up */

static int port_create(unsigned int p, const char *name)
{
	struct rte_eth_conf pc = {0};
	int socket = (int)rte_socket_id(), ret;
	char rn[32];

	snprintf(rn, sizeof(rn), "fwd_rx%u", p);
	B.rx[p] = rte_ring_create(rn, RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(rn, sizeof(rn), "fwd_tx%u", p);
	B.tx[p] = rte_ring_create(rn, RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (B.rx[p] == NULL || B.tx[p] == NULL) {
		fprintf(stderr, "bench-forward: rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	ret = rte_eth_from_rings(name, &B.rx[p], 1, &B.tx[p], 1, (unsigned int)socket);
	if (ret < 0) {
		fprintf(stderr, "bench-forward: rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	B.port_id[p] = (uint16_t)ret;
	if ((ret = rte_eth_dev_configure(B.port_id[p], 1, 1, &pc)) != 0 ||
	    (ret = rte_eth_rx_queue_setup(B.port_id[p], 0, RING_SIZE, socket, NULL, B.pool)) != 0 ||
	    (ret = rte_eth_tx_queue_setup(B.port_id[p], 0, RING_SIZE, socket, NULL)) != 0 ||
	    (ret = rte_eth_macaddr_get(B.port_id[p], &B.mac[p])) != 0 ||
	    (ret = rte_eth_dev_start(B.port_id[p])) != 0) {
		fprintf(stderr, "bench-forward: ring port setup: %s\n", strerror(-ret));
		return -1;
	}
	return 0;
}

static int worker_create(void)
{
	static struct sf_conf_errors errs;
	static char text[4096];
	struct sf_steer_port sp[NB_PORTS] = {0};
	struct sf_cookie_params cp = {0};
	size_t o;
	int ret;

	o = (size_t)snprintf(text, sizeof(text),
		"{\n  \"ports\": [\n"
		"    { \"name\": \"client\", \"device\": \"net_ring_fwd_c\", \"ipv4\": \"198.19.255.2/15\" },\n"
		"    { \"name\": \"backend\", \"device\": \"net_ring_fwd_b\", \"ipv4\": \"10.0.0.2/16\" } ],\n"
		"  \"services\": [ { \"name\": \"web\", \"listen\": \"198.19.255.100:%d\",\n"
		"    \"port\": \"client\", \"backend_port\": \"backend\", \"source_addresses\": [", VPORT);
	for (unsigned int i = 0; i < NB_SRC; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\"10.0.1.%u\"", i ? ", " : "",
				i + 1);
	o += (size_t)snprintf(text + o, sizeof(text) - o, "],\n    \"backends\": [");
	for (unsigned int i = 0; i < NB_BE; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s{ \"address\": \"10.0.0.%u:%d\" }",
				i ? ", " : "", 50 + i, BPORT);
	o += (size_t)snprintf(text + o, sizeof(text) - o,
		"] } ],\n  \"neighbors\": { \"static\": [");
	for (unsigned int i = 0; i < NB_BE; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				"%s{ \"port\": \"backend\", \"ip\": \"10.0.0.%u\", "
				"\"mac\": \"02:00:00:00:00:%02x\" }", i ? ", " : "", 50 + i, 0x50 + i);
	o += (size_t)snprintf(text + o, sizeof(text) - o,
		"] },\n  \"tcp\": { \"msl_ms\": 100 },\n"
		"  \"limits\": { \"connections_per_lcore\": %u }\n}\n", B.capacity);
	if (sf_conf_parse(text, o, &B.conf, &errs) != 0) {
		sf_conf_errors_print(&errs, "<bench-forward>", stderr);
		return -1;
	}
	B.tables = sf_splice_tables_create(&B.conf);
	cp.max_age_ms = B.conf.cookies.max_age_ms;
	cp.flags = B.conf.cookies.timestamps ? 0 : SF_COOKIE_F_NO_TS;
	B.cookie = sf_cookie_ctx_create(&cp);
	if (B.tables == NULL || B.cookie == NULL) {
		fprintf(stderr, "bench-forward: tables/cookie: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned int p = 0; p < NB_PORTS; p++) {
		sp[p].port_id = B.port_id[p];
		sp[p].nb_queues = 1;
		sp[p].mac = B.mac[p];
		sp[p].socket = (int)rte_socket_id();
	}
	B.w.lcore_id = rte_lcore_id();
	B.w.index = 0;
	ret = sf_worker_setup(&B.w, &B.conf, sp, B.pool, B.tables, B.cookie, 1, NULL);
	if (ret != 0) {
		fprintf(stderr, "bench-forward: sf_worker_setup: %s\n", strerror(-ret));
		return -1;
	}
	B.w.ctl_in = rte_ring_create("fwd_ctl_in", 64, (int)rte_socket_id(),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	B.w.ctl_out = rte_ring_create("fwd_ctl_out", 64, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (B.w.ctl_in == NULL || B.w.ctl_out == NULL) {
		fprintf(stderr, "bench-forward: control rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	/* No sf_worker_start(): the backends' MACs are static, nothing to ARP for. */
	return 0;
}

/* rte_malloc bytes a connection table of @p cap takes. */
static int64_t table_bytes(uint32_t cap)
{
	struct rte_malloc_socket_stats s0, s1;
	struct sf_conntab *t;
	int socket = (int)rte_socket_id();

	rte_malloc_get_socket_stats(socket, &s0);
	t = sf_conntab_create(&(struct sf_conntab_params){"fwd_mem", cap, socket});
	if (t == NULL)
		return -1;
	rte_malloc_get_socket_stats(socket, &s1);
	sf_conntab_free(t);
	return (int64_t)(s1.heap_allocsz_bytes - s0.heap_allocsz_bytes);
}

static uint64_t stat_of(enum sf_stat_id id)
{
	return sf_stats_read(B.w.lcore_id, id);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [EAL options --] [-c CONNS] [-C CAPACITY] [-r RUNS] [-n PKTS] "
		"[-l CONNS]\n"
		"  -c  established connections for the forwarding figures (default %u)\n"
		"  -C  limits.connections_per_lcore (default: power of 2 >= CONNS, >= 1048576)\n"
		"  -r  runs per figure, median reported (default %d, 1..%d)\n"
		"  -n  data segments per forwarding run (default %" PRIu64 ")\n"
		"  -l  connections per life-cycle run (default %u; 0: skip that figure)\n",
		prog, CONNS_DEFAULT, RUNS_DEFAULT, RUNS_MAX, PKTS_DEFAULT, LIFE_DEFAULT);
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *eal_def[] = { argv[0], "--no-huge", "-m", "6144", "--no-pci", "--no-telemetry",
		"-l", "0", "--log-level", "lib.eal:error", "--file-prefix", prefix, NULL };
	uint64_t pkts = PKTS_DEFAULT, life = LIFE_DEFAULT, open_cyc = 0, t_open, fwd0, est0, closed0;
	unsigned int runs = RUNS_DEFAULT;
	struct stat3 fwd[2][2], pmd, lc = {0};
	double hz, open_s, bytes_conn, hash_conn;
	int64_t tb;
	int sep, ret, c;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	snprintf(prefix, sizeof(prefix), "bench-forward-%d", (int)getpid());
	if (sep < argc && sep > 1)
		ret = rte_eal_init(sep, argv);
	else
		ret = rte_eal_init((int)RTE_DIM(eal_def) - 1, eal_def);
	if (ret < 0) {
		fprintf(stderr, "bench-forward: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (sep < argc) {
		argv[sep] = argv[0];
		argc -= sep;
		argv += sep;
	}
	B.nb_conns = CONNS_DEFAULT;
	optind = 1;
	while ((c = getopt(argc, argv, "c:C:r:n:l:h")) != -1) {
		switch (c) {
		case 'c':
			B.nb_conns = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'C':
			B.capacity = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			runs = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			pkts = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			life = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			return c == 'h' ? 0 : 1;
		}
	}
	if (B.capacity == 0)
		B.capacity = RTE_MAX(rte_align32pow2(B.nb_conns), 1u << 20);
	pkts -= pkts % BURST;
	life -= life % BURST;
	if (B.nb_conns < 1 || B.nb_conns > B.capacity || B.nb_conns > NB_SRC * NB_BE * 64512u ||
	    runs < 1 || runs > RUNS_MAX || pkts < BURST) {
		usage(argv[0]);
		return 1;
	}
	samples = malloc(sizeof(samples[0]) * (RTE_MAX(RTE_MAX(pkts, life) / BURST, 4096u) + 1));
	B.cs = malloc(sizeof(B.cs[0]) * B.nb_conns);
	B.pool = rte_pktmbuf_pool_create("fwd_mbuf", NB_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			(int)rte_socket_id());
	if (samples == NULL || B.cs == NULL || B.pool == NULL) {
		fprintf(stderr, "bench-forward: out of memory\n");
		return 1;
	}
	hz = (double)rte_get_tsc_hz();

	/* 3. Bytes per connection, before the worker's own table exists. */
	tb = table_bytes(B.capacity);
	if (tb < 0) {
		fprintf(stderr, "bench-forward: connection table of %u: %s\n", B.capacity,
			rte_strerror(rte_errno));
		return 1;
	}
	bytes_conn = (double)tb / B.capacity;
	hash_conn = bytes_conn - (double)sizeof(struct sf_conn) - sizeof(void *);

	if (port_create(P_CLIENT, "net_ring_fwd_c") != 0 ||
	    port_create(P_BACKEND, "net_ring_fwd_b") != 0 || worker_create() != 0) {
		fprintf(stderr, "bench-forward: set-up failed\n");
		return 1;
	}
	templates_build();
	B.timer_ovh = run(M_TIMER, 0, false, 4096).med;

	/* 1. Life cycle: warm up past 2 * msl so that TIME_WAIT frees as fast as it fills. */
	closed0 = stat_of(SF_STAT_conn_closed_normal);
	if (life != 0) {
		uint64_t until = rte_get_tsc_cycles() + (uint64_t)(hz * 0.3);

		while (rte_get_tsc_cycles() < until)
			run(M_LIFE, 0, false, 4096);
		lc = measure(M_LIFE, 0, false, life, runs);
		/* Let the timer wheel free every TIME_WAIT connection, then check it did. */
		until = rte_get_tsc_cycles() + (uint64_t)(hz * 2);
		while (sf_conntab_count(B.w.splice.ct) != 0 && rte_get_tsc_cycles() < until)
			sf_worker_poll(&B.w);
		if (sf_conntab_count(B.w.splice.ct) != 0 ||
		    stat_of(SF_STAT_conn_closed_normal) - closed0 != life_next) {
			fprintf(stderr, "bench-forward: %u connections left, %" PRIu64 " closed of %u\n",
				sf_conntab_count(B.w.splice.ct),
				stat_of(SF_STAT_conn_closed_normal) - closed0, life_next);
			B.bad++;
		}
	}

	/* 2. Open the established connections through the handshake, 32 at a time. */
	est0 = stat_of(SF_STAT_conn_established);
	t_open = rte_get_tsc_cycles();
	for (uint32_t i = 0; i < B.nb_conns; i += BURST) {
		unsigned int n = RTE_MIN((uint32_t)BURST, B.nb_conns - i);

		open_cyc += conns_cycle(SET_EST, i, n, false, &B.cs[i]);
		if (B.bad != 0) {
			fprintf(stderr, "bench-forward: handshake of connections %u.. failed "
				"(table full at %u?)\n", i, sf_conntab_count(B.w.splice.ct));
			return 1;
		}
	}
	open_s = (double)(rte_get_tsc_cycles() - t_open) / hz;
	if (stat_of(SF_STAT_conn_established) - est0 != B.nb_conns ||
	    sf_conntab_count(B.w.splice.ct) != B.nb_conns ||
	    B.w.splice.nb_state[SF_CONN_ESTABLISHED] != B.nb_conns) {
		fprintf(stderr, "bench-forward: %u connections in the table, %u expected\n",
			sf_conntab_count(B.w.splice.ct), B.nb_conns);
		return 1;
	}

	fwd0 = stat_of(SF_STAT_fwd_c2b);
	{
		uint64_t checked0 = B.checked;

		for (unsigned int t = 0; t < 2; t++)
			for (unsigned int hw = 0; hw < 2; hw++)
				fwd[t][hw] = measure(M_FWD, t, hw, pkts, runs);
		if (stat_of(SF_STAT_fwd_c2b) - fwd0 != B.checked - checked0) {
			fprintf(stderr, "bench-forward: fwd_c2b counted %" PRIu64 ", %" PRIu64
				" checked\n", stat_of(SF_STAT_fwd_c2b) - fwd0, B.checked - checked0);
			B.bad++;
		}
	}
	pmd = measure(M_PMD, 0, false, pkts, runs);
	if (stat_of(SF_STAT_tx_dropped) != 0)
		B.bad++;
	if (B.bad != 0) {
		fprintf(stderr, "bench-forward: %" PRIu64 " bad or missing packets of %" PRIu64
			" checked: figures not valid\n", B.bad, B.checked);
		return 1;
	}

	printf("Spliced connections through two ring ethdevs, bursts of %d, %u runs per figure\n",
		BURST, runs);
	printf("TSC %.3f GHz; timer overhead %.1f cycles per timed region, subtracted; "
		"%" PRIu64 " output packets verified\n", hz / 1e9, B.timer_ovh, B.checked);
	printf("table capacity %u (limits.connections_per_lcore), %u established connections, "
		"opened in %.1f s\n", B.capacity, B.nb_conns, open_s);
	printf("  %-58s %7s %7s %7s %7s %7s\n", "TSC cycles per packet", "median", "min", "max",
		"mean", "Mpps");
#define ROW(name, s) printf("  %-58s %7.1f %7.1f %7.1f %7.1f %7.2f\n", name, (s).med, (s).min, \
		(s).max, (s).mean, hz / (s).med / 1e6)
	ROW("forward c->b, 64 B payload, sw checksums", fwd[0][0]);
	ROW("forward c->b, 64 B payload, NIC checksum flags", fwd[0][1]);
	ROW("forward c->b, 1400 B payload, sw checksums", fwd[1][0]);
	ROW("forward c->b, 1400 B payload, NIC checksum flags", fwd[1][1]);
	ROW("ring PMD alone: rx_burst + tx_burst", pmd);
	printf("  %-58s %7.0f %7s %7s %7s %7.2f\n", "opening (SYN..replayed ACK), cycles/conn, mean",
		(double)open_cyc / B.nb_conns, "", "", "", hz / ((double)open_cyc / B.nb_conns) / 1e6);
	if (life != 0) {
		printf("  %-58s %7s %7s %7s %7s %7s\n", "TSC cycles per connection", "median", "min",
			"max", "mean", "Mconn/s");
		printf("  %-58s %7.1f %7.1f %7.1f %7.1f %7.2f\n",
			"life cycle SYN..TIME_WAIT freed (6 polls; Mconn/s of mean)", lc.med, lc.min,
			lc.max, lc.mean, hz / lc.mean / 1e6);
	}
	printf("table: %.1f bytes/connection (rte_malloc), of which sizeof(struct sf_conn) %zu, "
		"free list %zu, rte_hash (2 keys) %.1f\n", bytes_conn, sizeof(struct sf_conn),
		sizeof(void *), hash_conn);
	printf("targets: forwarding <= %.0f cycles/packet (64 B, NIC flags): %s; "
		"life cycle >= %.0f conn/s/core: %s\n", TARGET_FWD,
		fwd[0][1].med <= TARGET_FWD ? "met" : "MISSED", TARGET_CPS,
		life == 0 ? "not run" : hz / lc.mean >= TARGET_CPS ? "met" : "MISSED");
	printf("RESULT {\"bench\":\"forward\",\"unit\":\"tsc_cycles\",\"burst\":%d,\"runs\":%u,"
		"\"tsc_hz\":%.0f,\"timer_overhead\":%.1f,\"verified\":%" PRIu64 ","
		"\"capacity\":%u,\"conns\":%u,\"open_s\":%.2f,\"pkts_per_run\":%" PRIu64 ","
		"\"fwd_64_sw\":%.1f,\"fwd_64_hw\":%.1f,\"fwd_1400_sw\":%.1f,\"fwd_1400_hw\":%.1f,"
		"\"fwd_64_hw_mean\":%.1f,\"fwd_1400_hw_mean\":%.1f,\"pmd_rx_tx\":%.1f,"
		"\"open_cycles_per_conn\":%.0f,\"life_conns_per_run\":%" PRIu64 ","
		"\"life_cycles_per_conn\":%.0f,\"life_cycles_per_conn_mean\":%.0f,"
		"\"life_conns_per_s\":%.0f,\"bytes_per_conn\":%.1f,\"sizeof_conn\":%zu,"
		"\"hash_bytes_per_conn\":%.1f}\n",
		BURST, runs, hz, B.timer_ovh, B.checked, B.capacity, B.nb_conns, open_s, pkts,
		fwd[0][0].med, fwd[0][1].med, fwd[1][0].med, fwd[1][1].med, fwd[0][1].mean,
		fwd[1][1].mean, pmd.med, (double)open_cyc / B.nb_conns, life, lc.med, lc.mean,
		life == 0 ? 0 : hz / lc.mean, bytes_conn, sizeof(struct sf_conn), hash_conn);
	fflush(stdout);

	rte_eth_dev_stop(B.port_id[P_CLIENT]);
	rte_eth_dev_stop(B.port_id[P_BACKEND]);
	sf_worker_teardown(&B.w);
	rte_eth_dev_close(B.port_id[P_CLIENT]);
	rte_eth_dev_close(B.port_id[P_BACKEND]);
	rte_ring_free(B.w.ctl_in);
	rte_ring_free(B.w.ctl_out);
	sf_cookie_ctx_free(B.cookie);
	sf_splice_tables_free(B.tables);
	free(samples);
	free(B.cs);
	rte_eal_cleanup();
	return 0;
}
