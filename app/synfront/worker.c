/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop, in the style of l3fwd's em_main_loop: burst RX from this
 * worker's queue on every port, parse, dispatch, buffered TX flushed every pass,
 * neighbour ageing on a coarse period. Nothing here allocates memory (mbufs come
 * from the pool's per-lcore cache), locks, or logs per packet.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "sf_log.h"
#include "sf_pkt.h"
#include "sf_splice_dp.h"
#include "sf_timerwheel_dp.h"
#include "worker.h"

volatile bool sf_worker_quit;

static void tx_drop_cb(struct rte_mbuf **unsent, uint16_t count, void *userdata)
{
	struct sf_worker *w = userdata;

	rte_pktmbuf_free_bulk(unsent, count);
	sf_stats_add(w->st, SF_STAT_tx_dropped, count);
}

static inline void worker_tx(struct sf_worker *w, struct sf_worker_port *wp, struct rte_mbuf *m)
{
	uint16_t sent = rte_eth_tx_buffer(wp->port_id, wp->queue, wp->txb, m);

	sf_stats_add(w->st, SF_STAT_tx_packets, sent);
}

static inline void worker_drop(struct sf_worker *w, struct rte_mbuf *m, enum sf_stat_id why)
{
	sf_stats_inc(w->st, why);
	rte_pktmbuf_free(m);
}

/* Next hop towards @p dst out of port @p pidx: on-link, the gateway, or 0 (none). */
static uint32_t worker_next_hop(const struct sf_worker *w, uint16_t pidx, uint32_t dst)
{
	const struct sf_conf_port *cp = &w->conf->ports[pidx];
	uint32_t mask = rte_cpu_to_be_32(~0u << (32 - cp->prefix_len));

	if (((dst ^ cp->addr) & mask) == 0)
		return dst;
	return cp->gateway;
}

static void worker_arp_request(struct sf_worker *w, uint16_t pidx, uint32_t target)
{
	struct sf_worker_port *wp = &w->ports[pidx];
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);

	if (m == NULL) {
		sf_stats_inc(w->st, SF_STAT_drop_no_mbuf);
		return;
	}
	if (sf_neigh_arp_request(m, &wp->mac, wp->addr, target) != 0) {
		worker_drop(w, m, SF_STAT_drop_no_mbuf);
		return;
	}
	sf_stats_inc(w->st, SF_STAT_arp_request_sent);
	worker_tx(w, wp, m);
}

/* Start resolving @p dst's next hop on port @p pidx (no packet waiting). */
static void worker_neigh_warm(struct sf_worker *w, uint16_t pidx, uint32_t dst, uint64_t now)
{
	struct rte_ether_addr mac;
	struct rte_mbuf *dropped;
	uint32_t nh = worker_next_hop(w, pidx, dst);

	if (nh == 0)
		return;
	if (sf_neigh_resolve(w->neigh, pidx, nh, NULL, now, &mac, &dropped) == SF_NEIGH_SEND_REQUEST)
		worker_arp_request(w, pidx, nh);
}

static void worker_neigh_event(enum sf_neigh_event ev, uint16_t port, uint32_t addr,
		struct rte_mbuf *held, void *arg)
{
	struct sf_worker *w = arg;

	switch (ev) {
	case SF_NEIGH_EV_RETRY:
		worker_arp_request(w, port, addr);
		break;
	case SF_NEIGH_EV_FAILED:
		sf_stats_inc(w->st, SF_STAT_arp_resolve_failed);
		if (held != NULL)
			worker_drop(w, held, SF_STAT_neigh_hold_dropped);
		SF_LOG_RATELIMIT(app, NOTICE, "worker %u: port %s: " SF_IPV4_FMT " does not answer ARP",
				w->index, w->conf->ports[port].name, SF_IPV4_BYTES(addr));
		break;
	case SF_NEIGH_EV_EXPIRED:
		sf_stats_inc(w->st, SF_STAT_neigh_expired);
		break;
	}
}

/* Learn (or refresh) the sender of an ARP packet; send what waited for it. */
static void worker_arp_learn(struct sf_worker *w, uint16_t pidx, const struct rte_mbuf *m,
		const struct sf_pkt_info *pi, bool create, uint64_t now)
{
	const struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, pi->l2_len);
	struct rte_ether_addr sha = arp->arp_data.arp_sha;
	struct rte_mbuf *held = NULL;

	if (pi->src == 0 || !rte_is_unicast_ether_addr(&sha) ||
	    !sf_neigh_learn(w->neigh, pidx, pi->src, &sha, create, now, &held))
		return;
	sf_stats_inc(w->st, SF_STAT_neigh_learned);
	if (held != NULL) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(held, struct rte_ether_hdr *);

		eth->dst_addr = sha;
		worker_tx(w, &w->ports[pidx], held);
	}
}

/*
 * Each worker keeps its own neighbour table, but an ARP reply lands on one queue:
 * copy it to the other workers so that whoever asked learns the answer.
 */
static void worker_arp_share(struct sf_worker *w, const struct rte_mbuf *m)
{
	for (unsigned int i = 0; i < w->nb_workers; i++) {
		struct rte_mbuf *c;

		if (i == w->index)
			continue;
		c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
		if (c == NULL) {
			sf_stats_inc(w->st, SF_STAT_drop_no_mbuf);
			continue;
		}
		if (rte_ring_mp_enqueue(w->handoff[i], c) != 0) {
			worker_drop(w, c, SF_STAT_drop_handoff_full);
			continue;
		}
		sf_stats_inc(w->st, SF_STAT_arp_shared);
	}
}

static void worker_arp_rcv(struct sf_worker *w, uint16_t pidx, struct rte_mbuf *m,
		const struct sf_pkt_info *pi, uint64_t now)
{
	struct sf_worker_port *wp = &w->ports[pidx];
	bool for_us = sf_splice_addr_owned(w->tables, pidx, pi->dst);

	if (pi->arp_op != RTE_ARP_OP_REQUEST && pi->arp_op != RTE_ARP_OP_REPLY) {
		worker_drop(w, m, SF_STAT_drop_arp_op);
		return;
	}
	/* RFC 826: update a known sender whatever the target; add it when it asks us. */
	worker_arp_learn(w, pidx, m, pi, for_us && pi->arp_op == RTE_ARP_OP_REQUEST, now);
	if (pi->arp_op == RTE_ARP_OP_REPLY) {
		if (w->nb_workers > 1)
			worker_arp_share(w, m);
		worker_drop(w, m, SF_STAT_arp_reply_rcvd);
		return;
	}
	if (!for_us) {
		worker_drop(w, m, SF_STAT_drop_arp_not_ours);
		return;
	}
	sf_stats_inc(w->st, SF_STAT_arp_request_rcvd);
	sf_neigh_arp_reply(m, pi->l2_len, &wp->mac);
	sf_stats_inc(w->st, SF_STAT_arp_reply_sent);
	worker_tx(w, wp, m);
}

static void worker_icmp_rcv(struct sf_worker *w, uint16_t pidx, struct rte_mbuf *m,
		const struct sf_pkt_info *pi)
{
	if (!sf_splice_addr_owned(w->tables, pidx, pi->dst)) {
		worker_drop(w, m, SF_STAT_drop_not_ours);
		return;
	}
	if (pi->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || pi->icmp_code != 0) {
		worker_drop(w, m, SF_STAT_drop_icmp_other);
		return;
	}
	sf_stats_inc(w->st, SF_STAT_icmp_echo_rcvd);
	sf_neigh_icmp_echo_reply(m, pi->l2_len, pi->l3_len);
	sf_stats_inc(w->st, SF_STAT_icmp_echo_reply_sent);
	worker_tx(w, &w->ports[pidx], m);
}

/* Checksum flags for the parser from what the device verified. */
static inline unsigned int pkt_flags_from_mbuf(const struct sf_worker_port *wp,
		const struct rte_mbuf *m)
{
	unsigned int f = 0;

	if (wp->pkt_flags == 0)
		return 0;
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		f |= SF_PKT_F_IP_CKSUM_GOOD;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		f |= SF_PKT_F_L4_CKSUM_GOOD;
	return f;
}

/* Parser drops of SYN+FIN / SYN+RST are counted as the SYN drops operators look for. */
static inline enum sf_stat_id parse_drop_counter(enum sf_pkt_verdict v, const struct sf_pkt_info *pi)
{
	if (v == SF_PKT_DROP_tcp_bad_flags && (pi->tcp_flags & SF_TCP_SYN)) {
		if (pi->tcp_flags & SF_TCP_RST)
			return SF_STAT_syn_dropped_synrst;
		if (pi->tcp_flags & SF_TCP_FIN)
			return SF_STAT_syn_dropped_synfin;
	}
	return SF_STAT_PKT_DROP(v);
}

/* Parse one packet; @return false when it was dropped (counted). */
static inline bool worker_parse(struct sf_worker *w, struct sf_worker_port *wp, struct rte_mbuf *m,
		struct sf_pkt_info *pi)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	enum sf_pkt_verdict v;

	if (rte_pktmbuf_data_len(m) >= sizeof(*eth) && rte_is_unicast_ether_addr(&eth->dst_addr) &&
	    !rte_is_same_ether_addr(&eth->dst_addr, &wp->mac)) {
		worker_drop(w, m, SF_STAT_drop_eth_not_ours);
		return false;
	}
	v = sf_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
			pkt_flags_from_mbuf(wp, m), pi);
	if (unlikely(v != SF_PKT_OK)) {
		worker_drop(w, m, parse_drop_counter(v, pi));
		return false;
	}
	return true;
}

void sf_worker_rx_burst(struct sf_worker *w, uint16_t pidx, struct rte_mbuf **pkts, uint16_t n,
		uint64_t now)
{
	struct sf_worker_port *wp = &w->ports[pidx];
	struct sf_pkt_info pis[SF_BURST_MAX];
	struct sf_pkt_info *tcp_pi[SF_BURST_MAX];
	struct rte_mbuf *tcp[SF_BURST_MAX];
	unsigned int nb_tcp = 0;
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sf_pkt_info *pi = &pis[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += rte_pktmbuf_pkt_len(m);
		if (!worker_parse(w, wp, m, pi))
			continue;
		switch (pi->type) {
		case SF_PKT_TYPE_TCP:
			tcp[nb_tcp] = m;
			tcp_pi[nb_tcp++] = pi;
			break;
		case SF_PKT_TYPE_ARP:
			worker_arp_rcv(w, pidx, m, pi, now);
			break;
		case SF_PKT_TYPE_ICMP:
			worker_icmp_rcv(w, pidx, m, pi);
			break;
		default:
			worker_drop(w, m, SF_STAT_drop_not_ours);
			break;
		}
	}
	sf_stats_add(w->st, SF_STAT_rx_packets, n);
	sf_stats_add(w->st, SF_STAT_rx_bytes, bytes);
	if (nb_tcp != 0)
		sf_splice_tcp_rcv_bulk(&w->splice, pidx, tcp, tcp_pi, nb_tcp);
}

/*
 * Packets other workers handed over: backend packets to this worker's source
 * ports, and copies of ARP replies.
 */
static unsigned int worker_handoff_rcv(struct sf_worker *w)
{
	struct rte_mbuf *pkts[SF_BURST_MAX];
	struct sf_pkt_info pis[SF_BURST_MAX];
	struct sf_pkt_info *tcp_pi[SF_BURST_MAX];
	struct rte_mbuf *tcp[SF_BURST_MAX];
	unsigned int n, nb_tcp = 0;
	uint16_t pidx = 0;

	n = rte_ring_sc_dequeue_burst(w->handoff[w->index], (void **)pkts, SF_BURST_MAX, NULL);
	if (n == 0)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t p = sf_steer_port_map[m->port];

		/* One call of the splice takes packets of one port: flush on a change. */
		if (nb_tcp != 0 && p != pidx) {
			sf_splice_tcp_rcv_bulk(&w->splice, pidx, tcp, tcp_pi, nb_tcp);
			nb_tcp = 0;
		}
		pidx = p;
		if (!worker_parse(w, &w->ports[pidx], m, &pis[i]))
			continue;
		if (pis[i].type == SF_PKT_TYPE_ARP) {
			/* Another worker's ARP reply, shared: learn from it, answer nothing. */
			worker_arp_learn(w, pidx, m, &pis[i], false, rte_rdtsc());
			rte_pktmbuf_free(m);
			continue;
		}
		sf_stats_inc(w->st, SF_STAT_handoff_rcvd);
		tcp[nb_tcp] = m;
		tcp_pi[nb_tcp++] = &pis[i];
	}
	if (nb_tcp != 0)
		sf_splice_tcp_rcv_bulk(&w->splice, pidx, tcp, tcp_pi, nb_tcp);
	return n;
}

/* ---- the splice's ways out ---- */

static void io_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	struct sf_worker *w = arg;

	worker_tx(w, &w->ports[port], m);
}

static void io_tx_resolve(void *arg, uint16_t port, uint32_t dst, struct rte_mbuf *m)
{
	struct sf_worker *w = arg;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t nh = worker_next_hop(w, port, dst);
	struct rte_mbuf *dropped;

	if (nh == 0) {
		worker_drop(w, m, SF_STAT_drop_no_route);
		return;
	}
	switch (sf_neigh_resolve(w->neigh, port, nh, m, rte_rdtsc(), &eth->dst_addr, &dropped)) {
	case SF_NEIGH_KNOWN:
		worker_tx(w, &w->ports[port], m);
		break;
	case SF_NEIGH_SEND_REQUEST:
		worker_arp_request(w, port, nh);
		break;
	case SF_NEIGH_HELD:
		break;
	case SF_NEIGH_FULL:
		worker_drop(w, m, SF_STAT_neigh_hold_dropped);
		break;
	}
	if (dropped != NULL)
		worker_drop(w, dropped, SF_STAT_neigh_hold_dropped);
}

static void io_handoff(void *arg, unsigned int owner, struct rte_mbuf *m)
{
	struct sf_worker *w = arg;

	if (rte_ring_mp_enqueue(w->handoff[owner], m) != 0)
		worker_drop(w, m, SF_STAT_drop_handoff_full);
}

/* A message from the main lcore: answer it and send it back. */
static void worker_ctl(struct sf_worker *w)
{
	struct sf_worker_msg *msg;

	if (likely(rte_ring_sc_dequeue(w->ctl_in, (void **)&msg) != 0))
		return;
	msg->worker = w->index;
	switch (msg->type) {
	case SF_WORKER_MSG_CONNS:
		msg->matched = sf_splice_snapshot(&w->splice, &msg->filter, msg->snap, msg->limit);
		break;
	case SF_WORKER_MSG_APPLY:
		sf_splice_apply(&w->splice, msg->conf);
		w->conf = msg->conf;
		break;
	case SF_WORKER_MSG_STATS: {
		uint32_t now = sf_timerwheel_now(w->splice.tw);

		memcpy(msg->svc, w->splice.svc_st, sizeof(msg->svc));

		for (uint16_t s = 0; s < w->conf->nb_services; s++)
			for (uint16_t b = 0; b < w->conf->services[s].nb_backends; b++) {
				const struct sf_splice_backend *be = &w->splice.be[s][b];

				msg->be[s][b] = (struct sf_worker_backend_stats){
					.active = be->active, .conns = be->conns,
					.connect_failed = be->connect_failed,
					.down = be->down_until != 0 && (int32_t)(now - be->down_until) < 0,
				};
			}
		break;
	}
	}
	/* The replies ring holds a slot for every message in flight: this cannot fail. */
	rte_ring_mp_enqueue(w->ctl_out, msg);
}

void sf_worker_start(struct sf_worker *w)
{
	uint64_t now = rte_rdtsc();

	w->next_age = now + w->neigh_period;
	for (uint16_t s = 0; s < w->conf->nb_services; s++) {
		const struct sf_conf_service *sv = &w->conf->services[s];

		for (uint16_t b = 0; b < sv->nb_backends; b++)
			worker_neigh_warm(w, sv->backend_port, sv->backends[b].addr, now);
	}
}

unsigned int sf_worker_poll(struct sf_worker *w)
{
	struct rte_mbuf *pkts[SF_BURST_MAX];
	uint64_t now = rte_rdtsc();
	unsigned int got = 0;

	/* Handed-off packets first: they arrived before what the queues hold now. */
	if (w->nb_workers > 1)
		got += worker_handoff_rcv(w);
	for (uint16_t p = 0; p < w->nb_ports; p++) {
		struct sf_worker_port *wp = &w->ports[p];
		uint16_t n = rte_eth_rx_burst(wp->port_id, wp->queue, pkts, w->burst);

		if (n != 0)
			sf_worker_rx_burst(w, p, pkts, n, now);
		got += n;
	}
	for (uint16_t p = 0; p < w->nb_ports; p++) {
		struct sf_worker_port *wp = &w->ports[p];

		sf_stats_add(w->st, SF_STAT_tx_packets,
				rte_eth_tx_buffer_flush(wp->port_id, wp->queue, wp->txb));
	}
	sf_splice_timers(&w->splice, now);
	worker_ctl(w);
	if (unlikely((int64_t)(now - w->next_age) >= 0)) {
		sf_neigh_age(w->neigh, now, worker_neigh_event, w);
		w->next_age = now + w->neigh_period;
	}
	return got;
}

int sf_worker_main(void *arg)
{
	struct sf_worker *w = arg;

	SF_LOG(app, INFO, "worker %u running on lcore %u", w->index, w->lcore_id);
	unsigned int idle = 0;

	sf_worker_start(w);
	while (!sf_worker_quit) {
		if (sf_worker_poll(w) != 0) {
			idle = 0;
		} else if (w->idle_sleep_us != 0 && ++idle >= 64) {
			/* Nothing for a while: give the CPU back for a moment (limits.idle_sleep_us). */
			rte_delay_us_sleep(w->idle_sleep_us);
		}
	}
	return 0;
}

int sf_worker_setup(struct sf_worker *w, const struct sf_conf *conf,
		const struct sf_steer_port *ports, struct rte_mempool *pool,
		const struct sf_splice_tables *tables, const struct sf_cookie_ctx *cookie,
		unsigned int nb_workers, struct rte_ring *const *handoff)
{
	struct rte_ether_addr macs[SF_CONF_MAX_PORTS];
	int ret;

	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	struct sf_neigh_params np = {
		.size = 1024,
		.retries = conf->neigh.retries,
		.socket = socket,
	};

	w->conf = conf;
	w->pool = pool;
	w->tables = tables;
	w->burst = RTE_MIN(conf->limits.burst, SF_BURST_MAX);
	w->idle_sleep_us = conf->limits.idle_sleep_us;
	w->st = &sf_stats[w->lcore_id];
	w->nb_workers = nb_workers;
	for (unsigned int i = 0; i < nb_workers && handoff != NULL; i++)
		w->handoff[i] = handoff[i];
	for (uint16_t p = 0; p < conf->nb_ports; p++)
		macs[p] = ports[p].mac;
	ret = sf_splice_init(&w->splice, &(struct sf_splice_params){
		.conf = conf, .tables = tables, .cookie = cookie, .st = w->st, .pool = pool,
		.io = {.tx = io_tx, .tx_resolve = io_tx_resolve, .handoff = io_handoff, .arg = w},
		.port_mac = macs, .worker = w->index, .nb_workers = nb_workers,
		.socket = socket,
	});
	if (ret != 0)
		return ret;
	w->tsc_hz = rte_get_tsc_hz();
	w->neigh_period = w->tsc_hz / 100;
	np.reachable_tsc = w->tsc_hz / 1000 * conf->neigh.reachable_ms;
	np.retry_tsc = w->tsc_hz / 1000 * conf->neigh.retry_ms;
	w->neigh = sf_neigh_create(&np);
	if (w->neigh == NULL)
		return -rte_errno;
	for (uint16_t i = 0; i < conf->neigh.nb_static; i++) {
		const struct sf_conf_neigh_static *ns = &conf->neigh.statics[i];

		if (sf_neigh_static_add(w->neigh, ns->port, ns->addr,
				(const struct rte_ether_addr *)ns->mac) != 0)
			return -ENOSPC;
	}
	w->nb_ports = conf->nb_ports;
	for (uint16_t p = 0; p < conf->nb_ports; p++) {
		struct sf_worker_port *wp = &w->ports[p];

		wp->port_id = ports[p].port_id;
		wp->queue = (uint16_t)w->index;
		wp->mac = ports[p].mac;
		wp->addr = conf->ports[p].addr;
		wp->pkt_flags = ports[p].rx_offload_cksum ? 1 : 0;
		wp->txb = rte_zmalloc_socket("sf_txb", RTE_ETH_TX_BUFFER_SIZE(SF_BURST_MAX), 0, socket);
		if (wp->txb == NULL)
			return -ENOMEM;
		rte_eth_tx_buffer_init(wp->txb, RTE_MIN(conf->limits.burst, SF_BURST_MAX));
		rte_eth_tx_buffer_set_err_callback(wp->txb, tx_drop_cb, w);
	}
	return 0;
}

void sf_worker_teardown(struct sf_worker *w)
{
	for (uint16_t p = 0; p < w->nb_ports; p++) {
		if (w->ports[p].txb != NULL) {
			/* Ports are stopped by now: free what is still buffered. */
			rte_pktmbuf_free_bulk(w->ports[p].txb->pkts, w->ports[p].txb->length);
			rte_free(w->ports[p].txb);
			w->ports[p].txb = NULL;
		}
	}
	sf_neigh_free(w->neigh);
	w->neigh = NULL;
	sf_splice_fini(&w->splice);
}
