/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-synack: one worker's SYN -> SYN-ACK path, end to end through a ring ethdev.
 *
 * A ring ethdev (rte_eth_from_rings: RX from one rte_ring, TX into another) stands
 * in for the NIC. Each burst, outside the timed region, 32 SYNs are copied from a
 * pool of 4096 (-f) pre-built frames (Linux's options: MSS 1460, SACK-permitted, TS,
 * NOP, WS 7; random sources in 198.18.0.0/15, random ports and ISNs, valid
 * checksums) into fresh mbufs and put on the RX ring. The timed region is one
 * sf_worker_poll(): rx_burst, Ethernet check, parse, owned-address and
 * connection-table lookups, service lookup, cookie encode, SYN-ACK rewrite with
 * both checksums, TX buffer and flush, timer wheel and neighbour checks. Then, untimed
 * again, the SYN-ACKs are taken off the TX ring and every one is checked (count,
 * addresses, ports, SYN|ACK, ack = ISN + 1, both checksums by a reference RFC 1071
 * sum, and the cookie accepted by sf_cookie_ack_check_bulk()), so that drops or
 * wrong answers cannot pass for speed.
 *
 * Every timed region (one burst) is read with rte_rdtsc_precise() before and after;
 * a run's figure is its median region, less the median of empty regions (the
 * timer's own cost), per packet. The median region, not the mean, because on a
 * shared machine a few regions take a preemption or an interrupt; the mean is
 * printed beside it. A figure is the median over the runs (min and max shown).
 * Reported, in TSC cycles per packet:
 *   - worker pass, software checksums (the ring PMD offers no RX offloads) and
 *     with the mbufs flagged "checksums good" as a NIC with RX offload does;
 *   - the ring PMD alone: rx_burst + tx_burst of the same mbufs, no processing;
 *   - the worker pass minus that PMD cost: what synfront itself spends;
 *   - parts of it measured alone on the same frames: sf_pkt_parse(),
 *     sf_conntab_lookup_bulk() (all miss, as for new SYNs),
 *     sf_cookie_syn_encode_bulk(), sf_cookie_now_ms() (once per burst);
 *   - an empty poll (nothing on the ring), in cycles per poll (32 polls a region).
 * Then one line "RESULT {json}" for scripts.
 *
 *   bench-synack [EAL options --] [-n SYNS_PER_RUN] [-r RUNS] [-f FRAMES] [-o FIGURE]
 *
 * -f sets how many distinct SYNs are cycled (4096: the connection table's buckets
 * stay in cache; 1048576: a flood of fresh 4-tuples). -o runs one figure alone, for
 * a profiler (perf record): worker-sw, worker-hw, pmd, parse-sw, parse-hw, conntab,
 * cookie, empty. Without EAL options before "--", the EAL runs with --no-huge -m 1024
 * --no-pci --no-telemetry -l 0.
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
#define FRAMES_DEFAULT 4096     /* distinct SYNs, cycled */
#define FRAMES_MAX (1u << 22)
#define FRAME_STRIDE 128
#define RUNS_DEFAULT 5
#define RUNS_MAX 31
#define SYNS_DEFAULT (UINT64_C(1) << 20)
#define RING_SIZE 1024
#define NB_MBUFS 4095
#define TARGET_CYCLES 120.0

#define VIP "198.18.0.100"
#define VPORT 80
#define RING_NAME "net_ring_synack"

static const char conf_text[] =
	"{\n"
	"  \"ports\": [ { \"name\": \"client\", \"device\": \"" RING_NAME "\", "
	"\"ipv4\": \"198.18.0.2/15\" } ],\n"
	"  \"services\": [ {\n"
	"    \"name\": \"web\", \"listen\": \"" VIP ":80\", \"port\": \"client\",\n"
	"    \"backend_port\": \"client\", \"source_addresses\": [\"198.18.0.101\"],\n"
	"    \"backends\": [ { \"address\": \"198.18.0.50:8080\" } ]\n"
	"  } ]\n"
	"}\n";

enum mode {
	M_TIMER,        /* nothing: the timer's own cost, subtracted from the others */
	M_WORKER,       /* sf_worker_poll() on a burst of SYNs */
	M_PMD,          /* rte_eth_rx_burst + rte_eth_tx_burst, no processing */
	M_PARSE,        /* sf_pkt_parse() of each packet of the burst */
	M_CONNTAB,      /* sf_conntab_lookup_bulk() of the burst's 4-tuples (all miss) */
	M_COOKIE,       /* sf_cookie_syn_encode_bulk() of the burst */
	M_CLOCK,        /* sf_cookie_now_ms(), once per burst */
	M_EMPTY,        /* 32 sf_worker_poll() with nothing to receive */
};

static struct bench {
	struct sf_conf conf;
	struct sf_worker w;
	struct sf_splice_tables *tables;
	struct sf_cookie_ctx *cookie;
	struct rte_mempool *pool;
	struct rte_ring *rx_ring, *tx_ring;
	uint16_t port_id;
	struct rte_ether_addr mac;
	unsigned int lcore;
	uint32_t next;                          /* next frame of the pool */
	double timer_ovh;                       /* cycles of one timed region doing nothing */
	uint64_t checked, bad;
	uint32_t nb_frames;                     /* a power of 2, at least BURST */
	uint32_t *frame_len;
	struct sf_cookie_syn *csyn;             /* what the splice hands the cookie code */
	struct sf_conntab_key *key;             /* what it looks up in the connection table */
	const struct sf_conntab_key **ckey;
	uint8_t (*frame)[FRAME_STRIDE];
} B;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The SYN pool, and for each SYN the sf_cookie_syn the splice derives from its parse. */
static int frames_build(void)
{
	uint32_t n = B.nb_frames;

	B.frame_len = malloc(n * sizeof(B.frame_len[0]));
	B.csyn = malloc(n * sizeof(B.csyn[0]));
	B.key = malloc(n * sizeof(B.key[0]));
	B.ckey = malloc(n * sizeof(B.ckey[0]));
	B.frame = aligned_alloc(RTE_CACHE_LINE_SIZE, (size_t)n * FRAME_STRIDE);
	if (B.frame_len == NULL || B.csyn == NULL || B.key == NULL || B.ckey == NULL ||
	    B.frame == NULL)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t opts[20];
		uint64_t x = rng(), y = rng();
		struct pkt_frame_spec s = {
			.ip_id = (uint16_t)(y >> 48), .ip_frag = 0x4000, .ttl = 64, .proto = 6,
			.src = 0xc6120000u | ((uint32_t)x & 0x1ffff), .dst = 0xc6120064,
			.sport = (uint16_t)(1024 + (x >> 17) % 64512), .dport = VPORT,
			.seq = (uint32_t)(x >> 32), .tcp_flags = SF_TCP_SYN, .win = 64240,
			.tcp_opts = opts,
			.tcp_opts_len = (uint8_t)pkt_frame_syn_opts(opts, 1460, (uint32_t)y, 7),
		};
		struct sf_pkt_info pi;
		uint8_t o = 0;

		if ((s.src & 0xff) == 0 || (s.src & 0xff) == 0xff)
			s.src ^= 0x1;
		B.frame_len[i] = (uint32_t)pkt_frame_build(B.frame[i], &s);
		memcpy(B.frame[i], &B.mac, RTE_ETHER_ADDR_LEN);
		if (sf_pkt_parse(B.frame[i], B.frame_len[i], 0, &pi) != SF_PKT_OK)
			return -1;
		if (pi.opts.present & SF_TCPO_WS)
			o |= SF_COOKIE_OPT_WS;
		if (pi.opts.present & SF_TCPO_SACK_PERM)
			o |= SF_COOKIE_OPT_SACK;
		if (pi.opts.present & SF_TCPO_TS)
			o |= SF_COOKIE_OPT_TS;
		B.key[i] = (struct sf_conntab_key){pi.src, pi.dst, pi.sport, pi.dport};
		B.ckey[i] = &B.key[i];
		B.csyn[i] = (struct sf_cookie_syn){
			.saddr = pi.src, .daddr = pi.dst, .sport = pi.sport, .dport = pi.dport,
			.isn = pi.seq, .mss = pi.opts.mss, .wscale = pi.opts.wscale, .opts = o,
		};
	}
	return 0;
}

/* Copy the next BURST frames of the pool into fresh mbufs. @return the first frame's index. */
static uint32_t burst_fill(struct rte_mbuf **m, bool hw_cksum)
{
	uint32_t first = B.next;

	if (rte_pktmbuf_alloc_bulk(B.pool, m, BURST) != 0) {
		fprintf(stderr, "bench-synack: mbuf pool empty (leak?)\n");
		exit(1);
	}
	for (unsigned int i = 0; i < BURST; i++) {
		uint32_t f = (first + i) & (B.nb_frames - 1);

		memcpy(rte_pktmbuf_mtod(m[i], uint8_t *), B.frame[f], B.frame_len[f]);
		m[i]->data_len = (uint16_t)B.frame_len[f];
		m[i]->pkt_len = B.frame_len[f];
		if (hw_cksum)
			m[i]->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}
	B.next = (first + BURST) & (B.nb_frames - 1);
	return first;
}

static void ring_put(struct rte_ring *r, struct rte_mbuf **m, unsigned int n)
{
	if (rte_ring_enqueue_burst(r, (void **)m, n, NULL) != n) {
		fprintf(stderr, "bench-synack: ring full\n");
		exit(1);
	}
}

/*
 * Check the n answers to the SYNs of pool frames first, first + 1, ...: everything a
 * client would check, and the cookie itself. @return the number of bad answers (a
 * missing one counts as bad).
 */
static unsigned int synacks_verify(struct rte_mbuf **out, unsigned int n, uint32_t first)
{
	struct sf_cookie_ack ack[BURST];
	struct sf_cookie_result res[BURST];
	unsigned int bad = n < BURST ? BURST - n : 0, k = 0;

	for (unsigned int i = 0; i < n && i < BURST; i++) {
		const uint8_t *syn = B.frame[(first + i) & (B.nb_frames - 1)];
		const uint8_t *f = rte_pktmbuf_mtod(out[i], const uint8_t *);
		const uint8_t *ip = f + 14, *tcp = ip + 20, *sip = syn + 14, *stcp = sip + 20;
		uint32_t len = rte_pktmbuf_data_len(out[i]);
		struct sf_pkt_info pi;

		if (len < 14 + 20 + 20 || len != 14u + pkt_r16(ip + 2) ||
		    memcmp(f, syn + 6, 6) != 0 || memcmp(f + 6, &B.mac, 6) != 0 ||
		    ip[0] != 0x45 || ip[9] != 6 ||
		    memcmp(ip + 12, sip + 16, 4) != 0 || memcmp(ip + 16, sip + 12, 4) != 0 ||
		    pkt_ref_fold(pkt_ref_sum(0, ip, 20)) != 0 ||
		    pkt_ref_l4_cksum(pkt_r32(ip + 12), pkt_r32(ip + 16), 6, tcp, len - 34) != 0 ||
		    pkt_r16(tcp) != pkt_r16(stcp + 2) || pkt_r16(tcp + 2) != pkt_r16(stcp) ||
		    tcp[13] != (SF_TCP_SYN | SF_TCP_ACK) ||
		    pkt_r32(tcp + 8) != pkt_r32(stcp + 4) + 1 ||
		    sf_pkt_parse(f, len, 0, &pi) != SF_PKT_OK ||
		    (pi.opts.present & (SF_TCPO_MSS | SF_TCPO_TS | SF_TCPO_WS | SF_TCPO_SACK_PERM)) !=
				(SF_TCPO_MSS | SF_TCPO_TS | SF_TCPO_WS | SF_TCPO_SACK_PERM)) {
			bad++;
			continue;
		}
		/* The client's ACK: cookie + 1, TSecr = our TSval. */
		ack[k++] = (struct sf_cookie_ack){
			.saddr = pi.dst, .daddr = pi.src, .sport = pi.dport, .dport = pi.sport,
			.seq = pi.ack, .ack = pi.seq + 1, .tsecr = pi.opts.tsval, .has_ts = 1,
		};
	}
	if (k != 0)
		bad += k - sf_cookie_ack_check_bulk(B.cookie, ack, res, k, sf_cookie_now_ms());
	B.checked += n;
	return bad;
}

static volatile uint64_t sink;
static uint32_t *samples;               /* cycles of each timed region of a run */

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

/* Cycles per packet (M_EMPTY: per poll; M_TIMER: per region) of a run, timer overhead removed. */
struct result {
	double med;     /* from the median timed region: robust to interrupts and preemption */
	double mean;    /* from all timed regions together */
};

/* One run of @p total packets (M_EMPTY: polls; M_TIMER: timed regions), 32 per timed region. */
static struct result run(enum mode mode, bool hw_cksum, uint64_t total)
{
	struct rte_mbuf *m[BURST], *out[2 * BURST];
	struct sf_pkt_info pis[BURST];
	struct sf_cookie_synack sa[BURST];
	struct sf_conn *conn[BURST];
	uint8_t half[BURST];
	uint64_t acc = 0, iters = 0, done = 0, x = 0;
	unsigned int flags = hw_cksum ? SF_PKT_F_IP_CKSUM_GOOD | SF_PKT_F_L4_CKSUM_GOOD : 0;
	uint64_t now_ms = sf_cookie_now_ms();
	double unit = mode == M_TIMER ? 1 : BURST;

	B.w.ports[0].pkt_flags = hw_cksum ? 1 : 0;
	while (done < total) {
		uint64_t t0, t1;
		unsigned int n = 0;
		uint32_t first = 0;

		if (mode == M_WORKER || mode == M_PMD || mode == M_PARSE)
			first = burst_fill(m, hw_cksum);
		if (mode == M_WORKER || mode == M_PMD)
			ring_put(B.rx_ring, m, BURST);
		if (mode == M_COOKIE || mode == M_CONNTAB) {
			first = B.next;
			B.next = (B.next + BURST) & (B.nb_frames - 1);
		}

		t0 = rte_rdtsc_precise();
		switch (mode) {
		case M_TIMER:
			break;
		case M_WORKER:
			sf_worker_poll(&B.w);
			break;
		case M_EMPTY:
			for (unsigned int i = 0; i < BURST; i++)
				sf_worker_poll(&B.w);
			break;
		case M_PMD:
			n = rte_eth_rx_burst(B.port_id, 0, out, BURST);
			n = rte_eth_tx_burst(B.port_id, 0, out, (uint16_t)n);
			break;
		case M_PARSE:
			for (unsigned int i = 0; i < BURST; i++)
				x += sf_pkt_parse(rte_pktmbuf_mtod(m[i], const uint8_t *),
						rte_pktmbuf_data_len(m[i]), flags, &pis[i]);
			break;
		case M_CONNTAB:
			x += sf_conntab_lookup_bulk(B.w.splice.ct, &B.ckey[first], BURST, conn, half);
			break;
		case M_COOKIE:
			x += sf_cookie_syn_encode_bulk(B.cookie, &B.csyn[first], sa, BURST, now_ms);
			break;
		case M_CLOCK:
			x += sf_cookie_now_ms();
			break;
		}
		t1 = rte_rdtsc_precise();
		acc += t1 - t0;
		samples[iters++] = (uint32_t)RTE_MIN(t1 - t0, (uint64_t)UINT32_MAX);

		switch (mode) {
		case M_WORKER:
			n = rte_ring_dequeue_burst(B.tx_ring, (void **)out, RTE_DIM(out), NULL);
			B.bad += synacks_verify(out, n, first);
			rte_pktmbuf_free_bulk(out, n);
			break;
		case M_PMD:
			n = rte_ring_dequeue_burst(B.tx_ring, (void **)out, RTE_DIM(out), NULL);
			B.bad += n != BURST;
			rte_pktmbuf_free_bulk(out, n);
			break;
		case M_PARSE:
		case M_CONNTAB:
			B.bad += x != 0;
			if (mode == M_PARSE)
				rte_pktmbuf_free_bulk(m, BURST);
			break;
		case M_EMPTY:
			B.bad += rte_ring_count(B.tx_ring) != 0;
			break;
		default:
			break;
		}
		done += (uint64_t)unit;
	}
	sink = x;
	qsort(samples, iters, sizeof(samples[0]), cmp_u32);
	return (struct result){
		.med = ((double)samples[iters / 2] - B.timer_ovh) / unit,
		.mean = ((double)acc - (double)iters * B.timer_ovh) / (double)done,
	};
}

/* A figure over several runs: median, min and max of the runs' medians, median of their means. */
struct stat3 {
	double med, min, max, mean;
};

static struct stat3 measure(enum mode mode, bool hw_cksum, uint64_t total, unsigned int runs)
{
	double v[RUNS_MAX], mean[RUNS_MAX];

	run(mode, hw_cksum, total / 8);   /* warm caches, branch predictors, the mempool cache */
	for (unsigned int r = 0; r < runs; r++) {
		struct result res = run(mode, hw_cksum, total);

		v[r] = res.med;
		mean[r] = res.mean;
	}
	qsort(v, runs, sizeof(v[0]), cmp_double);
	qsort(mean, runs, sizeof(mean[0]), cmp_double);
	return (struct stat3){ v[runs / 2], v[0], v[runs - 1], mean[runs / 2] };
}

static int port_create(void)
{
	struct rte_eth_conf pc = {0};
	int socket = (int)rte_socket_id(), ret;

	B.pool = rte_pktmbuf_pool_create("bench_mbuf", NB_MBUFS, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	B.rx_ring = rte_ring_create("bench_rx", RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	B.tx_ring = rte_ring_create("bench_tx", RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (B.pool == NULL || B.rx_ring == NULL || B.tx_ring == NULL) {
		fprintf(stderr, "bench-synack: pool/rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	ret = rte_eth_from_rings(RING_NAME, &B.rx_ring, 1, &B.tx_ring, 1, (unsigned int)socket);
	if (ret < 0) {
		fprintf(stderr, "bench-synack: rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	B.port_id = (uint16_t)ret;
	if ((ret = rte_eth_dev_configure(B.port_id, 1, 1, &pc)) != 0 ||
	    (ret = rte_eth_rx_queue_setup(B.port_id, 0, RING_SIZE, socket, NULL, B.pool)) != 0 ||
	    (ret = rte_eth_tx_queue_setup(B.port_id, 0, RING_SIZE, socket, NULL)) != 0 ||
	    (ret = rte_eth_macaddr_get(B.port_id, &B.mac)) != 0 ||
	    (ret = rte_eth_dev_start(B.port_id)) != 0) {
		fprintf(stderr, "bench-synack: ring port setup: %s\n", strerror(-ret));
		return -1;
	}
	return 0;
}

static int worker_create(void)
{
	static struct sf_conf_errors errs;
	struct sf_steer_port sp = {0};
	struct sf_cookie_params cp = {0};
	int ret;

	if (sf_conf_parse(conf_text, sizeof(conf_text) - 1, &B.conf, &errs) != 0) {
		sf_conf_errors_print(&errs, "<bench-synack>", stderr);
		return -1;
	}
	B.tables = sf_splice_tables_create(&B.conf);
	cp.max_age_ms = B.conf.cookies.max_age_ms;
	cp.flags = B.conf.cookies.timestamps ? 0 : SF_COOKIE_F_NO_TS;
	B.cookie = sf_cookie_ctx_create(&cp);
	if (B.tables == NULL || B.cookie == NULL) {
		fprintf(stderr, "bench-synack: tables/cookie: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	sp.port_id = B.port_id;
	sp.nb_queues = 1;
	sp.mac = B.mac;
	sp.socket = (int)rte_socket_id();
	B.w.lcore_id = rte_lcore_id();
	B.w.index = 0;
	ret = sf_worker_setup(&B.w, &B.conf, &sp, B.pool, B.tables, B.cookie, 1, NULL);
	if (ret != 0) {
		fprintf(stderr, "bench-synack: sf_worker_setup: %s\n", strerror(-ret));
		return -1;
	}
	/* The control rings the main lcore would poll with; they stay empty here. */
	B.w.ctl_in = rte_ring_create("bench_ctl_in", 64, (int)rte_socket_id(),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	B.w.ctl_out = rte_ring_create("bench_ctl_out", 64, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (B.w.ctl_in == NULL || B.w.ctl_out == NULL) {
		fprintf(stderr, "bench-synack: control rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	/* No sf_worker_start(): it would ARP for the backends onto the TX ring. */
	return 0;
}

static const struct {
	const char *name;
	enum mode mode;
	bool hw_cksum;
} figures[] = {
	{"worker-sw", M_WORKER, false}, {"worker-hw", M_WORKER, true}, {"pmd", M_PMD, false},
	{"parse-sw", M_PARSE, false}, {"parse-hw", M_PARSE, true}, {"conntab", M_CONNTAB, false},
	{"cookie", M_COOKIE, false},
	{"empty", M_EMPTY, false},
};

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [EAL options --] [-n SYNS_PER_RUN] [-r RUNS] [-f FRAMES] "
		"[-o FIGURE]\n"
		"  -n  SYNs per run (default %" PRIu64 ", at least FRAMES)\n"
		"  -r  runs per figure, median reported (default %d, 1..%d)\n"
		"  -f  distinct SYNs cycled, a power of 2 in 32..%u (default %d); more spreads\n"
		"      the connection-table lookups over more of the table\n"
		"  -o  measure one figure only (for perf record): worker-sw, worker-hw, pmd,\n"
		"      parse-sw, parse-hw, conntab, cookie, empty\n",
		prog, SYNS_DEFAULT, RUNS_DEFAULT, RUNS_MAX, FRAMES_MAX, FRAMES_DEFAULT);
}

/* -o: one figure, median and spread only. */
static int figure_alone(const char *name, uint64_t total, unsigned int runs)
{
	for (unsigned int i = 0; i < RTE_DIM(figures); i++) {
		struct stat3 s;

		if (strcmp(name, figures[i].name) != 0)
			continue;
		s = measure(figures[i].mode, figures[i].hw_cksum, total, runs);
		printf("%s: median %.1f min %.1f max %.1f mean %.1f cycles/%s%s\n", name, s.med, s.min,
			s.max, s.mean,
			figures[i].mode == M_EMPTY ? "poll" : "packet", B.bad ? " (BAD ANSWERS)" : "");
		return B.bad ? 1 : 0;
	}
	fprintf(stderr, "bench-synack: unknown figure \"%s\"\n", name);
	return 1;
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *eal_def[] = { argv[0], "--no-huge", "-m", "1024", "--no-pci", "--no-telemetry",
		"-l", "0", "--log-level", "lib.eal:error", "--file-prefix", prefix, NULL };
	uint64_t total = SYNS_DEFAULT;
	const char *only = NULL;
	unsigned int runs = RUNS_DEFAULT;
	struct stat3 wk_sw, wk_hw, pmd, parse_sw, parse_hw, ctab, enc, clk, empty;
	uint64_t synack0, drops0;
	double hz, own_sw, own_hw, rest_sw, rest_hw;
	int sep, ret, c;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	snprintf(prefix, sizeof(prefix), "bench-synack-%d", (int)getpid());
	if (sep < argc && sep > 1)
		ret = rte_eal_init(sep, argv);
	else
		ret = rte_eal_init((int)RTE_DIM(eal_def) - 1, eal_def);
	if (ret < 0) {
		fprintf(stderr, "bench-synack: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (sep < argc) {
		argv[sep] = argv[0];
		argc -= sep;
		argv += sep;
	}
	B.nb_frames = FRAMES_DEFAULT;
	optind = 1;
	while ((c = getopt(argc, argv, "n:r:f:o:h")) != -1) {
		switch (c) {
		case 'n':
			total = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			runs = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'f':
			B.nb_frames = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'o':
			only = optarg;
			break;
		default:
			usage(argv[0]);
			return c == 'h' ? 0 : 1;
		}
	}
	if (B.nb_frames < BURST || B.nb_frames > FRAMES_MAX || !rte_is_power_of_2(B.nb_frames) ||
	    total < B.nb_frames || runs < 1 || runs > RUNS_MAX) {
		usage(argv[0]);
		return 1;
	}
	total -= total % BURST;
	samples = malloc(sizeof(samples[0]) * total);
	if (samples == NULL) {
		fprintf(stderr, "bench-synack: out of memory\n");
		return 1;
	}

	if (port_create() != 0 || worker_create() != 0 || frames_build() != 0) {
		fprintf(stderr, "bench-synack: set-up failed\n");
		return 1;
	}
	hz = (double)rte_get_tsc_hz();

	B.timer_ovh = measure(M_TIMER, false, total, runs).med;
	if (only != NULL)
		return figure_alone(only, total, runs);
	B.lcore = rte_lcore_id();
	synack0 = sf_stats_read(B.lcore, SF_STAT_synack_sent);
	drops0 = sf_stats_read(B.lcore, SF_STAT_tx_dropped);
	wk_sw = measure(M_WORKER, false, total, runs);
	wk_hw = measure(M_WORKER, true, total, runs);
	pmd = measure(M_PMD, false, total, runs);
	parse_sw = measure(M_PARSE, false, total, runs);
	parse_hw = measure(M_PARSE, true, total, runs);
	ctab = measure(M_CONNTAB, false, total, runs);
	enc = measure(M_COOKIE, false, total, runs);
	clk = measure(M_CLOCK, false, total, runs);
	empty = measure(M_EMPTY, false, total, runs);

	/* Worker passes, sw and hw: runs x total SYNs, and a warm-up of total / 8 rounded up. */
	{
		uint64_t warm = (total / 8 + BURST - 1) / BURST * BURST;
		uint64_t want = 2 * ((uint64_t)runs * total + warm);
		uint64_t got = sf_stats_read(B.lcore, SF_STAT_synack_sent) - synack0;

		if (got != want || sf_stats_read(B.lcore, SF_STAT_tx_dropped) != drops0) {
			fprintf(stderr, "bench-synack: %" PRIu64 " SYN-ACKs counted, %" PRIu64
				" expected\n", got, want);
			B.bad++;
		}
	}
	if (B.bad != 0) {
		fprintf(stderr, "bench-synack: %" PRIu64 " bad or missing answers of %" PRIu64
			" checked: figures not valid\n", B.bad, B.checked);
		return 1;
	}

	own_sw = wk_sw.med - pmd.med;
	own_hw = wk_hw.med - pmd.med;
	rest_sw = own_sw - parse_sw.med - ctab.med - enc.med - clk.med;
	rest_hw = own_hw - parse_hw.med - ctab.med - enc.med - clk.med;

	printf("SYN -> SYN-ACK through a ring ethdev, bursts of %d, %u runs of %" PRIu64 " SYNs, "
		"%u distinct\n", BURST, runs, total, B.nb_frames);
	printf("TSC %.3f GHz; timer overhead %.1f cycles per timed region, subtracted; "
		"%" PRIu64 " SYN-ACKs verified (cookie checked)\n", hz / 1e9, B.timer_ovh, B.checked);
	printf("median = median over runs of the run's median burst; mean = median over runs of "
		"the run's mean\n");
	printf("  %-54s %7s %7s %7s %7s %7s\n", "TSC cycles per packet", "median", "min", "max",
		"mean", "Mpps");
#define ROW(name, s) printf("  %-54s %7.1f %7.1f %7.1f %7.1f %7.2f\n", name, (s).med, (s).min, \
		(s).max, (s).mean, hz / (s).med / 1e6)
#define ROW1(name, v) printf("  %-54s %7.1f %7s %7s %7s %7.2f\n", name, v, "", "", "", \
		hz / (v) / 1e6)
	ROW("worker pass, sw checksums (ring PMD)", wk_sw);
	ROW("worker pass, NIC checksum flags", wk_hw);
	ROW("ring PMD alone: rx_burst + tx_burst", pmd);
	ROW1("worker pass minus PMD, sw checksums", own_sw);
	ROW1("worker pass minus PMD, NIC checksum flags", own_hw);
	printf("  of which, measured alone on the same frames:\n");
	ROW("  sf_pkt_parse, sw checksums", parse_sw);
	ROW("  sf_pkt_parse, NIC checksum flags", parse_hw);
	ROW("  sf_conntab_lookup_bulk, burst of 32, all miss", ctab);
	ROW("  sf_cookie_syn_encode_bulk, burst of 32", enc);
	ROW("  sf_cookie_now_ms, once per burst", clk);
	ROW1("  rest, sw: eth, addr/svc lookup, rewrite, TX, timers", rest_sw);
	ROW1("  rest, NIC flags", rest_hw);
	printf("  %-54s %7.1f %7.1f %7.1f %7.1f   (cycles per poll)\n", "empty poll", empty.med,
		empty.min, empty.max, empty.mean);
	printf("target <= %.0f cycles/packet excluding the PMD: %s (sw checksums), %s (NIC flags)\n",
		TARGET_CYCLES, own_sw <= TARGET_CYCLES ? "met" : "MISSED",
		own_hw <= TARGET_CYCLES ? "met" : "MISSED");
	printf("RESULT {\"bench\":\"synack\",\"unit\":\"tsc_cycles_per_packet\",\"burst\":%d,"
		"\"runs\":%u,\"syns_per_run\":%" PRIu64 ",\"frames\":%u,\"tsc_hz\":%.0f,\"timer_overhead\":%.1f,"
		"\"verified\":%" PRIu64 ","
		"\"worker_sw\":%.1f,\"worker_hw\":%.1f,\"worker_sw_mean\":%.1f,"
		"\"worker_hw_mean\":%.1f,\"pmd_rx_tx\":%.1f,"
		"\"worker_minus_pmd_sw\":%.1f,\"worker_minus_pmd_hw\":%.1f,"
		"\"parse_sw\":%.1f,\"parse_hw\":%.1f,\"conntab_lookup\":%.1f,"
		"\"cookie_encode\":%.1f,\"clock\":%.2f,"
		"\"rest_sw\":%.1f,\"rest_hw\":%.1f,\"empty_poll_cycles\":%.1f,"
		"\"mpps_worker_sw\":%.2f,\"mpps_worker_hw\":%.2f,"
		"\"mpps_minus_pmd_sw\":%.2f,\"mpps_minus_pmd_hw\":%.2f,"
		"\"target\":%.0f,\"target_met_sw\":%s,\"target_met_hw\":%s}\n",
		BURST, runs, total, B.nb_frames, hz, B.timer_ovh, B.checked,
		wk_sw.med, wk_hw.med, wk_sw.mean, wk_hw.mean, pmd.med, own_sw, own_hw,
		parse_sw.med, parse_hw.med, ctab.med, enc.med, clk.med, rest_sw, rest_hw, empty.med,
		hz / wk_sw.med / 1e6, hz / wk_hw.med / 1e6, hz / own_sw / 1e6, hz / own_hw / 1e6,
		TARGET_CYCLES, own_sw <= TARGET_CYCLES ? "true" : "false",
		own_hw <= TARGET_CYCLES ? "true" : "false");
	fflush(stdout);

	rte_eth_dev_stop(B.port_id);
	sf_worker_teardown(&B.w);
	rte_eth_dev_close(B.port_id);
	rte_ring_free(B.w.ctl_in);
	rte_ring_free(B.w.ctl_out);
	sf_cookie_ctx_free(B.cookie);
	sf_splice_tables_free(B.tables);
	free(samples);
	free(B.frame);
	free(B.frame_len);
	free(B.csyn);
	free(B.key);
	free(B.ckey);
	rte_eal_cleanup();
	return 0;
}
