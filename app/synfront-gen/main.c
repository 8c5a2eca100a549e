/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synfront-gen: a DPDK traffic generator for synfront (docs/loadtest.md).
 *
 *   synfront-gen [EAL options] -- --port DEV --src PREFIX --dst IP:PORT [--mode M] ...
 *
 * Floods (syn, ack, rst, fin, garbage) send --count frames with random sources from
 * --src, random ports and sequence numbers; SYN-ACKs that come back are checked
 * against the ISN, recomputed from their 4-tuple (gen_flood_isn()). The storm mode
 * opens --count real connections, --concurrency at a time (storm.c). Every run is
 * bounded twice: sending stops after --count or --duration, whichever comes first;
 * then answers are awaited for --drain ms at most (a storm waits for its connections,
 * never past --duration + --drain). A progress line goes to stderr every second, the
 * JSON report to stdout and --json FILE.
 *
 * One lcore (the main one) does everything: -l 0 is enough.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "sf_pkt.h"
#include "gen.h"

#define NB_MBUFS 16383
#define NB_DESC 1024
#define LAT_CAP (1u << 20)
#define ARP_TRIES 12
#define ARP_INTERVAL_MS 250
#define LINK_WAIT_S 10

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- --port DEV --src PREFIX --dst IP:PORT [options]\n"
		"  --port DEV            DPDK port by device name (net_af_packet0, net_memif0, 0000:01:00.0)\n"
		"  --src PREFIX          source addresses, A.B.C.D[/LEN]; hosts of the prefix are used\n"
		"                        (network and broadcast excluded up to /30)\n"
		"  --dst IP:PORT         the service (synfront's VIP)\n"
		"  --dst-mac MAC         destination MAC (synfront's port); else ARP-resolve --next-hop\n"
		"  --next-hop IP         address to ARP-resolve for the destination MAC (default: --dst's);\n"
		"                        --dst-ip is a synonym\n"
		"  --src-mac MAC         source MAC (default: the port's; another one sets promiscuous mode)\n"
		"  --mode M              syn | ack | rst | fin | garbage | storm (default syn)\n"
		"  --count N             frames (floods) or connections (storm) to send (default 1000)\n"
		"  --duration S          sending stops after S seconds at the latest (default 10)\n"
		"  --rate R              frames or new connections per second; 0 = as fast as possible (default)\n"
		"  --options O           SYN options: linux | none | mss | random (default linux)\n"
		"  --concurrency N       storm: connections in flight at most (default 64)\n"
		"  --request STR         storm: sent after the handshake; \\r \\n \\t \\\\ \\xHH escapes;\n"
		"                        \"\" closes right after the handshake (default \"GET / HTTP/1.0\\r\\n\\r\\n\")\n"
		"  --drain MS            after sending: wait this long for answers (default 500)\n"
		"  --rto MS              storm: retransmission timeout (default 1000; SYN sent twice at most)\n"
		"  --conn-timeout MS     storm: a connection not done by then failed (default 5000)\n"
		"  --idle-close MS       storm: close after this long without new reply data (default 200)\n"
		"  --idle-us US          sleep US in a loop pass with nothing to do (default 0: spin)\n"
		"  --burst N             frames per TX burst, 1..%u (default %u)\n"
		"  --seed N              random seed (default: from the clock)\n"
		"  --json FILE           also write the final report there\n"
		"  --quiet               no progress line\n"
		"  --counters            list the report's counters (markdown) and exit\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this text\n", prog, GEN_BURST, GEN_BURST);
}

/* ---- argument parsing ---- */

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static int parse_ip(const char *s, uint32_t *be)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*be = a.s_addr;
	return 0;
}

static int parse_prefix(const char *s, struct gen_cfg *c)
{
	char buf[32], *slash;
	uint64_t len = 32;
	uint32_t be, host, mask, size;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (parse_u64(slash + 1, 8, 32, &len) != 0)
			return -EINVAL;
	}
	if (parse_ip(buf, &be) != 0)
		return -EINVAL;
	mask = len == 0 ? 0 : UINT32_MAX << (32 - len);
	host = rte_be_to_cpu_32(be) & mask;
	size = len == 32 ? 1 : (uint32_t)1 << (32 - len);
	c->src_net = host;
	c->src_plen = (uint8_t)len;
	if (len <= 30) {
		c->src_first = host + 1;
		c->src_nb = size - 2;
	} else {
		c->src_first = host;
		c->src_nb = size;
	}
	return 0;
}

static int parse_hostport(const char *s, uint32_t *be, uint16_t *port)
{
	char buf[32], *colon;
	uint64_t p;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strrchr(buf, ':');
	if (colon == NULL)
		return -EINVAL;
	*colon = '\0';
	if (parse_ip(buf, be) != 0 || parse_u64(colon + 1, 1, 65535, &p) != 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static int parse_mac(const char *s, struct rte_ether_addr *m)
{
	return rte_ether_unformat_addr(s, m) == 0 ? 0 : -EINVAL;
}

static int parse_name(const char *s, const char *const *names, unsigned int n, int *v)
{
	for (unsigned int i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(s, names[i]) == 0) {
			*v = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Copy @p s with \r \n \t \\ \xHH escapes resolved. @return the length, or -EINVAL */
static int parse_request(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		char ch = *s;

		if (ch == '\\') {
			s++;
			switch (*s) {
			case 'r': ch = '\r'; break;
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case '\\': ch = '\\'; break;
			case 'x': {
				char hex[3] = {0};
				char *end;

				if (s[1] == '\0' || s[2] == '\0')
					return -EINVAL;
				hex[0] = s[1];
				hex[1] = s[2];
				ch = (char)strtoul(hex, &end, 16);
				if (*end != '\0')
					return -EINVAL;
				s += 2;
				break;
			}
			default:
				return -EINVAL;
			}
		}
		if (n == cap)
			return -EINVAL;
		out[n++] = ch;
	}
	return (int)n;
}

enum {
	OPT_PORT = 256, OPT_SRC, OPT_DST, OPT_DST_MAC, OPT_SRC_MAC, OPT_NEXT_HOP, OPT_MODE,
	OPT_COUNT, OPT_DURATION, OPT_RATE, OPT_OPTIONS, OPT_CONCURRENCY, OPT_REQUEST, OPT_DRAIN,
	OPT_RTO, OPT_CONN_TIMEOUT, OPT_IDLE_CLOSE, OPT_IDLE_US, OPT_BURST, OPT_SEED, OPT_JSON,
	OPT_QUIET, OPT_COUNTERS,
};

/* @return 0, 1 to exit 0, -1 to exit 1 (the message printed) */
static int app_args(struct gen_cfg *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, OPT_PORT},
		{"src", required_argument, NULL, OPT_SRC},
		{"dst", required_argument, NULL, OPT_DST},
		{"dst-mac", required_argument, NULL, OPT_DST_MAC},
		{"src-mac", required_argument, NULL, OPT_SRC_MAC},
		{"next-hop", required_argument, NULL, OPT_NEXT_HOP},
		{"dst-ip", required_argument, NULL, OPT_NEXT_HOP},
		{"mode", required_argument, NULL, OPT_MODE},
		{"count", required_argument, NULL, OPT_COUNT},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"rate", required_argument, NULL, OPT_RATE},
		{"options", required_argument, NULL, OPT_OPTIONS},
		{"concurrency", required_argument, NULL, OPT_CONCURRENCY},
		{"request", required_argument, NULL, OPT_REQUEST},
		{"drain", required_argument, NULL, OPT_DRAIN},
		{"rto", required_argument, NULL, OPT_RTO},
		{"conn-timeout", required_argument, NULL, OPT_CONN_TIMEOUT},
		{"idle-close", required_argument, NULL, OPT_IDLE_CLOSE},
		{"idle-us", required_argument, NULL, OPT_IDLE_US},
		{"burst", required_argument, NULL, OPT_BURST},
		{"seed", required_argument, NULL, OPT_SEED},
		{"json", required_argument, NULL, OPT_JSON},
		{"quiet", no_argument, NULL, OPT_QUIET},
		{"counters", no_argument, NULL, OPT_COUNTERS},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *prog = argv[0];
	bool has_src = false, has_dst = false;
	uint64_t v;
	int o, ret, x = 0;
	char *end;

	c->count = 1000;
	c->duration_s = 10;
	c->concurrency = 64;
	c->drain_ms = 500;
	c->rto_ms = 1000;
	c->conn_timeout_ms = 5000;
	c->idle_close_ms = 200;
	c->burst = GEN_BURST;
	c->mode = GEN_MODE_SYN;
	c->opts = GEN_OPTS_LINUX;
	c->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	ret = parse_request("GET / HTTP/1.0\\r\\n\\r\\n", c->request, sizeof(c->request));
	c->request_len = (uint16_t)ret;

	optind = 1;
	while ((o = getopt_long(argc, argv, "Vh", opts, NULL)) != -1) {
		const char *name = "";

		for (unsigned int i = 0; opts[i].name != NULL; i++)
			if (opts[i].val == o)
				name = opts[i].name;
		ret = 0;
		switch (o) {
		case OPT_PORT:
			c->port_name = optarg;
			break;
		case OPT_SRC:
			ret = parse_prefix(optarg, c);
			has_src = true;
			break;
		case OPT_DST:
			ret = parse_hostport(optarg, &c->dst_ip, &c->dst_port);
			has_dst = true;
			break;
		case OPT_DST_MAC:
			ret = parse_mac(optarg, &c->dst_mac);
			c->has_dst_mac = true;
			break;
		case OPT_SRC_MAC:
			ret = parse_mac(optarg, &c->src_mac);
			c->has_src_mac = true;
			break;
		case OPT_NEXT_HOP:
			ret = parse_ip(optarg, &c->next_hop);
			break;
		case OPT_MODE:
			ret = parse_name(optarg, gen_mode_names, GEN_MODE_NB, &x);
			c->mode = (enum gen_mode)x;
			break;
		case OPT_OPTIONS:
			ret = parse_name(optarg, gen_opts_names, GEN_OPTS_NB, &x);
			c->opts = (enum gen_opts)x;
			break;
		case OPT_COUNT:
			ret = parse_u64(optarg, 1, UINT64_MAX >> 1, &c->count);
			break;
		case OPT_DURATION:
			errno = 0;
			c->duration_s = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(c->duration_s > 0) ||
					c->duration_s > 86400)
				ret = -EINVAL;
			break;
		case OPT_RATE:
			ret = parse_u64(optarg, 0, 1000000000, &c->rate);
			break;
		case OPT_CONCURRENCY:
			ret = parse_u64(optarg, 1, 1 << 20, &v);
			c->concurrency = (uint32_t)v;
			break;
		case OPT_REQUEST:
			ret = parse_request(optarg, c->request, sizeof(c->request));
			if (ret >= 0) {
				c->request_len = (uint16_t)ret;
				ret = 0;
			}
			break;
		case OPT_DRAIN:
			ret = parse_u64(optarg, 0, 60000, &v);
			c->drain_ms = (uint32_t)v;
			break;
		case OPT_RTO:
			ret = parse_u64(optarg, 10, 60000, &v);
			c->rto_ms = (uint32_t)v;
			break;
		case OPT_CONN_TIMEOUT:
			ret = parse_u64(optarg, 10, 600000, &v);
			c->conn_timeout_ms = (uint32_t)v;
			break;
		case OPT_IDLE_CLOSE:
			ret = parse_u64(optarg, 1, 60000, &v);
			c->idle_close_ms = (uint32_t)v;
			break;
		case OPT_IDLE_US:
			ret = parse_u64(optarg, 0, 100000, &v);
			c->idle_us = (uint32_t)v;
			break;
		case OPT_BURST:
			ret = parse_u64(optarg, 1, GEN_BURST, &v);
			c->burst = (uint16_t)v;
			break;
		case OPT_SEED:
			ret = parse_u64(optarg, 0, UINT64_MAX, &c->seed);
			break;
		case OPT_JSON:
			c->json_file = optarg;
			break;
		case OPT_QUIET:
			c->quiet = true;
			break;
		case OPT_COUNTERS:
			gen_stats_doc(stdout);
			return 1;
		case 'V':
			printf("synfront-gen %s\n", SF_VERSION);
			return 1;
		case 'h':
			usage(stdout, prog);
			return 1;
		default:
			usage(stderr, prog);
			return -1;
		}
		if (ret != 0) {
			fprintf(stderr, "%s: --%s: invalid value \"%s\"\n", prog, name, optarg);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, argv[optind]);
		return -1;
	}
	if (c->port_name == NULL || !has_src || !has_dst) {
		fprintf(stderr, "%s: --port, --src and --dst are required\n", prog);
		usage(stderr, prog);
		return -1;
	}
	if (c->next_hop == 0)
		c->next_hop = c->dst_ip;
	return 0;
}

/* ---- the port ---- */

static int port_init(struct gen *g)
{
	struct rte_eth_conf econf = {0};
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	uint16_t nb_rxd = NB_DESC, nb_txd = NB_DESC;
	int ret, socket;

	ret = rte_eth_dev_get_port_by_name(g->cfg.port_name, &g->port_id);
	if (ret != 0) {
		fprintf(stderr, "synfront-gen: no port \"%s\" (EAL --vdev or -a?)\n", g->cfg.port_name);
		return ret;
	}
	socket = rte_eth_dev_socket_id(g->port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	g->pool = rte_pktmbuf_pool_create("gen_mbuf", NB_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			socket);
	if (g->pool == NULL) {
		fprintf(stderr, "synfront-gen: mbuf pool: %s (more memory: -m)\n", rte_strerror(rte_errno));
		return -rte_errno;
	}
	ret = rte_eth_dev_info_get(g->port_id, &info);
	if (ret == 0)
		ret = rte_eth_dev_configure(g->port_id, 1, 1, &econf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(g->port_id, &nb_rxd, &nb_txd);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(g->port_id, 0, nb_rxd, (unsigned int)socket, NULL, g->pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(g->port_id, 0, nb_txd, (unsigned int)socket, NULL);
	if (ret == 0 && g->cfg.has_src_mac)
		ret = rte_eth_promiscuous_enable(g->port_id);
	if (ret == 0)
		ret = rte_eth_dev_start(g->port_id);
	if (ret != 0) {
		fprintf(stderr, "synfront-gen: port %s: cannot start: %s\n", g->cfg.port_name,
				strerror(ret < 0 ? -ret : ret));
		return ret;
	}
	if (g->cfg.has_src_mac)
		g->mac = g->cfg.src_mac;
	else
		rte_eth_macaddr_get(g->port_id, &g->mac);
	/* memif: the link comes up when the peer connects */
	for (unsigned int i = 0; i < LINK_WAIT_S * 10; i++) {
		if (rte_eth_link_get_nowait(g->port_id, &link) == 0 && link.link_status)
			return 0;
		if (got_signal)
			break;
		rte_delay_ms(100);
	}
	fprintf(stderr, "synfront-gen: port %s: link down after %u s\n", g->cfg.port_name, LINK_WAIT_S);
	return -ENETDOWN;
}

static void port_term(struct gen *g)
{
	rte_eth_dev_stop(g->port_id);
	rte_eth_dev_close(g->port_id);
}

/* ---- TX ---- */

void gen_tx(struct gen *g, struct rte_mbuf *m)
{
	if (g->nb_tx == RTE_DIM(g->tx))
		gen_tx_flush(g);
	g->tx[g->nb_tx++] = m;
}

void gen_tx_flush(struct gen *g)
{
	unsigned int done = 0;

	for (unsigned int tries = 0; done < g->nb_tx && tries < 100; tries++) {
		done += rte_eth_tx_burst(g->port_id, 0, g->tx + done, (uint16_t)(g->nb_tx - done));
		if (done < g->nb_tx)
			g->st.tx_busy++;
	}
	g->st.sent += done;
	if (done < g->nb_tx) {
		g->st.tx_dropped += g->nb_tx - done;
		rte_pktmbuf_free_bulk(g->tx + done, g->nb_tx - done);
	}
	g->nb_tx = 0;
}

/* ---- RX ---- */

static bool addr_ours(const struct gen *g, uint32_t be)
{
	return rte_be_to_cpu_32(be) - g->cfg.src_first < g->cfg.src_nb;
}

/* Addresses we answer ARP for: the storm's (replies come back to them) or a single --src. */
static bool addr_owned(const struct gen *g, uint32_t be)
{
	return (g->cfg.mode == GEN_MODE_STORM || g->cfg.src_nb == 1) && addr_ours(g, be);
}

static void arp_rcv(struct gen *g, const uint8_t *frame, const struct sf_pkt_info *pi, bool *resolved)
{
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(frame + pi->l2_len);
	struct rte_ether_addr sha;
	struct rte_mbuf *m;

	memcpy(&sha, &arp->arp_data.arp_sha, sizeof(sha));
	if (pi->arp_op == RTE_ARP_OP_REPLY && resolved != NULL && !*resolved &&
			pi->src == g->cfg.next_hop) {
		g->dst_mac = sha;
		*resolved = true;
		return;
	}
	if (pi->arp_op != RTE_ARP_OP_REQUEST || !addr_owned(g, pi->dst))
		return;
	m = gen_frame_arp(g, RTE_ARP_OP_REPLY, pi->dst, &sha, pi->src);
	if (m == NULL)
		return;
	if (rte_eth_tx_burst(g->port_id, 0, &m, 1) == 1) {
		g->st.arp_answered++;
	} else {
		rte_pktmbuf_free(m);
	}
}

/* A TCP segment from the target in a flood: check SYN-ACKs against the ISN sent. */
static void flood_rcv(struct gen *g, const struct sf_pkt_info *pi, uint64_t now)
{
	uint32_t d;

	if ((pi->tcp_flags & (SF_TCP_SYN | SF_TCP_ACK)) != (SF_TCP_SYN | SF_TCP_ACK))
		return;
	if (pi->ack != gen_flood_isn(g, pi->dst, pi->dport) + 1) {
		g->st.synack_invalid++;
		return;
	}
	g->st.synack_valid++;
	/* SYN -> SYN-ACK latency, when the SYN carried our TSval and it came back */
	if (pi->opts.present & SF_TCPO_TS) {
		d = gen_tsval(g, now) - pi->opts.tsecr;
		if (pi->opts.tsecr != 0 && d < 60u * 1000 * 1000)
			gen_lat_add(g, &g->lat_hs, (uint64_t)d * g->tsc_per_us);
	}
}

/* Poll the port once. @p resolved: non-NULL while resolving the next hop. @return frames */
static unsigned int rx_poll(struct gen *g, uint64_t now, bool *resolved)
{
	struct rte_mbuf *pkts[GEN_BURST];
	uint16_t n = rte_eth_rx_burst(g->port_id, 0, pkts, GEN_BURST);

	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		struct sf_pkt_info pi;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		g->st.rx_total++;
		if (sf_pkt_parse(p, rte_pktmbuf_data_len(pkts[i]), 0, &pi) != SF_PKT_OK) {
			g->st.rx_malformed++;
		} else if (pi.type == SF_PKT_TYPE_ARP) {
			arp_rcv(g, p, &pi, resolved);
		} else if (pi.type == SF_PKT_TYPE_TCP && pi.src == g->cfg.dst_ip &&
				pi.sport == g->cfg.dst_port && addr_ours(g, pi.dst)) {
			g->st.received++;
			if (pi.tcp_flags & SF_TCP_RST)
				g->st.rst_received++;
			if (g->cfg.mode == GEN_MODE_STORM)
				gen_storm_rcv(g, &pi, now);
			else
				flood_rcv(g, &pi, now);
		} else {
			g->st.rx_other++;
		}
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

/* Learn the destination MAC by ARP. @return 0, or -EHOSTUNREACH */
static int resolve(struct gen *g)
{
	char a[INET_ADDRSTRLEN];
	bool resolved = false;

	inet_ntop(AF_INET, &g->cfg.next_hop, a, sizeof(a));
	for (unsigned int t = 0; t < ARP_TRIES && !resolved && !got_signal; t++) {
		struct rte_mbuf *m = gen_frame_arp(g, RTE_ARP_OP_REQUEST, g->arp_src, NULL,
				g->cfg.next_hop);
		uint64_t end = rte_rdtsc() + g->hz / 1000 * ARP_INTERVAL_MS;

		if (m != NULL && rte_eth_tx_burst(g->port_id, 0, &m, 1) != 1)
			rte_pktmbuf_free(m);
		while (!resolved && rte_rdtsc() < end)
			if (rx_poll(g, rte_rdtsc(), &resolved) == 0)
				rte_delay_us_sleep(100);
	}
	if (!resolved) {
		fprintf(stderr, "synfront-gen: %s did not answer ARP (--dst-mac?)\n", a);
		return -EHOSTUNREACH;
	}
	if (!g->cfg.quiet)
		fprintf(stderr, "synfront-gen: %s is at " RTE_ETHER_ADDR_PRT_FMT "\n", a,
				RTE_ETHER_ADDR_BYTES(&g->dst_mac));
	g->st = (struct gen_stats){0};
	return 0;
}

/* ---- the run ---- */

/* @return how many frames/connections pacing allows now, at most @p cap */
static uint64_t pace(const struct gen *g, uint64_t now, uint64_t done, uint64_t cap)
{
	double allowed;

	if (g->cfg.rate == 0)
		return cap;
	allowed = (double)(now - g->t_start) * (double)g->cfg.rate / (double)g->hz + 1;
	if (allowed <= (double)done)
		return 0;
	return RTE_MIN(cap, (uint64_t)(allowed - (double)done));
}

/*
 * One flood burst: the frames the port refused last time first, then new ones as pacing
 * allows. Refused frames stay pending (never rebuilt, never dropped). @return frames sent
 */
static unsigned int flood_send(struct gen *g, uint64_t now)
{
	uint64_t left = g->cfg.count - g->st.sent - g->nb_pending;
	uint64_t n = pace(g, now, g->st.sent + g->nb_pending,
			RTE_MIN((uint64_t)g->cfg.burst - g->nb_pending, left));
	unsigned int done;

	if (n != 0)
		g->nb_pending += gen_frame_flood(g, g->pending + g->nb_pending, (unsigned int)n, now);
	if (g->nb_pending == 0)
		return 0;
	done = rte_eth_tx_burst(g->port_id, 0, g->pending, (uint16_t)g->nb_pending);
	g->st.sent += done;
	if (done < g->nb_pending) {
		g->st.tx_busy++;
		memmove(g->pending, g->pending + done, (g->nb_pending - done) * sizeof(g->pending[0]));
	}
	g->nb_pending -= done;
	return done;
}

static void run(struct gen *g)
{
	const struct gen_cfg *c = &g->cfg;
	bool storm = c->mode == GEN_MODE_STORM, sending = true;
	uint64_t now = rte_rdtsc(), ms = g->hz / 1000;
	uint64_t send_deadline = now + (uint64_t)(c->duration_s * (double)g->hz);
	uint64_t next_progress = now + g->hz, end = 0;

	g->t_start = now;
	for (;;) {
		unsigned int work;

		now = rte_rdtsc();
		/* drain RX first (up to 4 full bursts): answers must not pile up in the peer's TX */
		work = 0;
		for (unsigned int b = 0; b < 4; b++) {
			unsigned int n = rx_poll(g, now, NULL);

			work += n;
			if (n < GEN_BURST)
				break;
		}
		if (sending) {
			bool all = storm ? g->st.conn_started == c->count : g->st.sent == c->count;

			if (got_signal || all || now >= send_deadline) {
				sending = false;
				g->t_send_end = now;
				end = now + c->drain_ms * ms;
				/* a storm waits for its connections, which all end by their timeout */
				if (storm && all)
					end = RTE_MIN(send_deadline, now + c->conn_timeout_ms * ms) +
						c->drain_ms * ms;
				if (got_signal)
					end = now;
			} else if (storm) {
				work += gen_storm_open(g, now, pace(g, now, g->st.conn_started, c->burst));
			} else {
				work += flood_send(g, now);
			}
		}
		if (storm)
			work += gen_storm_timers(g, now);
		if (g->nb_tx != 0)
			gen_tx_flush(g);
		if (!c->quiet && now >= next_progress) {
			gen_progress(g, now);
			next_progress += g->hz;
		}
		if (!sending) {
			if (now >= end || got_signal)
				break;
			if (storm && gen_storm_active(g) == 0)
				break;
			if (c->mode == GEN_MODE_SYN &&
					g->st.synack_valid + g->st.synack_invalid >= g->st.sent)
				break;
		}
		if (work == 0 && c->idle_us != 0)
			rte_delay_us_sleep(c->idle_us);
	}
	if (storm)
		gen_storm_abort(g);
	rte_pktmbuf_free_bulk(g->pending, g->nb_pending);
	g->nb_pending = 0;
	if (!c->quiet)
		gen_progress(g, now);
}

int main(int argc, char **argv)
{
	static struct gen gen;
	struct gen *g = &gen;
	int ret, rc = 1;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "synfront-gen: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)"synfront-gen";
	ret = app_args(&g->cfg, argc, argv);
	if (ret != 0) {
		rte_eal_cleanup();
		return ret > 0 ? 0 : 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	g->hz = rte_get_tsc_hz();
	g->tsc_per_us = RTE_MAX(g->hz / 1000000, (uint64_t)1);
	g->rng = g->cfg.seed * 0x9e3779b97f4a7c15ULL | 1;
	g->isn_key = gen_rand(g);
	g->ts_base = (uint32_t)gen_rand(g);
	g->arp_src = rte_cpu_to_be_32(g->cfg.src_first);
	g->dst_mac = g->cfg.dst_mac;
	if (gen_lat_init(&g->lat_hs, LAT_CAP) != 0 || gen_lat_init(&g->lat_reply, LAT_CAP) != 0 ||
			(g->cfg.mode == GEN_MODE_STORM && gen_storm_init(g) != 0)) {
		fprintf(stderr, "synfront-gen: out of memory\n");
		goto out_mem;
	}
	if (port_init(g) != 0)
		goto out_mem;
	if (!g->cfg.has_dst_mac && resolve(g) != 0)
		goto out_port;
	run(g);
	rc = gen_report(g, rte_rdtsc()) == 0 ? 0 : 1;
out_port:
	port_term(g);
out_mem:
	gen_storm_free(g);
	gen_lat_free(&g->lat_reply);
	gen_lat_free(&g->lat_hs);
	rte_eal_cleanup();
	return rc;
}
