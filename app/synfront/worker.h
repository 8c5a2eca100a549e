/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcore context: everything one worker touches, owned by it alone.
 */
#ifndef SF_WORKER_H
#define SF_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ring.h>

#include "sf_conf.h"
#include "sf_cookie.h"
#include "sf_neigh.h"
#include "sf_splice.h"
#include "sf_stats.h"
#include "sf_steer.h"

/** A configured port as a worker sees it. */
struct sf_worker_port {
	uint16_t port_id;
	uint16_t queue;                       /**< this worker's RX/TX queue on the port */
	unsigned int pkt_flags;               /**< SF_PKT_F_* the device's RX offloads give */
	struct rte_ether_addr mac;
	uint32_t addr;                        /**< port address, network order */
	struct rte_eth_dev_tx_buffer *txb;
};

/** Control messages from the main lcore (answered through the replies ring). */
enum sf_worker_msg_type {
	SF_WORKER_MSG_CONNS,     /**< snapshot connections matching a filter */
	SF_WORKER_MSG_APPLY,     /**< switch to a new configuration generation */
	SF_WORKER_MSG_STATS,     /**< copy per-backend counters and gauges */
};

/** Per-backend figures one worker reports. */
struct sf_worker_backend_stats {
	uint32_t active;
	uint8_t down;
	uint64_t conns;
	uint64_t connect_failed;
};

struct sf_worker_msg {
	unsigned int type;                    /**< enum sf_worker_msg_type */
	unsigned int pending;                 /**< index of the main lcore's pending request */
	unsigned int worker;                  /**< filled by the worker */
	/* CONNS */
	struct sf_splice_conn_filter filter;
	uint32_t limit;
	uint32_t matched;
	struct sf_splice_conn_snap *snap;     /**< limit entries, allocated by the main lcore */
	/* APPLY */
	const struct sf_conf *conf;
	/* STATS */
	struct sf_worker_backend_stats (*be)[SF_CONF_MAX_BACKENDS];  /**< [services][backends] */
	struct sf_splice_svc_stats svc[SF_CONF_MAX_SERVICES];
};

/** Most packets one RX burst takes (limits.burst is capped to it). */
#define SF_BURST_MAX SF_SPLICE_BURST_MAX

struct sf_worker {
	unsigned int lcore_id;
	unsigned int index;                   /**< 0 .. nb_workers-1, also the queue id */
	uint16_t nb_ports;
	uint16_t burst;                       /**< RX burst size */
	uint16_t idle_sleep_us;               /**< limits.idle_sleep_us */
	struct sf_stats_lcore *st;
	const struct sf_splice_tables *tables;
	struct sf_splice splice;
	uint64_t next_age;                    /**< TSC of the next neighbour ageing pass */
	unsigned int nb_workers;
	struct rte_ring *ctl_in;              /**< messages from the main lcore */
	struct rte_ring *ctl_out;             /**< answers, shared by all workers */
	struct rte_ring *handoff[RTE_MAX_LCORE];  /**< every worker's handoff ring, by index */
	struct sf_worker_port ports[SF_CONF_MAX_PORTS];
	struct sf_neigh *neigh;
	struct rte_mempool *pool;             /**< for packets the worker originates (ARP requests) */
	const struct sf_conf *conf;
	uint64_t tsc_hz;
	uint64_t neigh_period;                /**< TSC between neighbour table ageing passes */
} __rte_cache_aligned;

/** The application's logtype, synfront.app (registered in main.c). */
extern int sf_app_logtype;

/** Set by the main lcore to stop every worker. */
extern volatile bool sf_worker_quit;

/**
 * Allocate the per-worker state (TX buffers, neighbour table). w->lcore_id and
 * w->index must be set. @return 0 or -errno
 */
int sf_worker_setup(struct sf_worker *w, const struct sf_conf *conf,
		const struct sf_steer_port *ports, struct rte_mempool *pool,
		const struct sf_splice_tables *tables, const struct sf_cookie_ctx *cookie,
		unsigned int nb_workers, struct rte_ring *const *handoff);

/** Free what sf_worker_setup() allocated. */
void sf_worker_teardown(struct sf_worker *w);

/** Before the first poll: start resolving the backends' next hops. */
void sf_worker_start(struct sf_worker *w);

/**
 * One pass: handed-off packets, an RX burst from every port, dispatch, flush TX,
 * timers, control messages, neighbour ageing. @return packets received in the pass
 */
unsigned int sf_worker_poll(struct sf_worker *w);

/**
 * Handle one burst received on port index @p pidx (n <= SF_BURST_MAX); answers go to
 * the port's TX buffer. Exposed for benchmarks that feed bursts directly.
 */
void sf_worker_rx_burst(struct sf_worker *w, uint16_t pidx, struct rte_mbuf **pkts, uint16_t n,
		uint64_t now);

/** Worker main loop, run by rte_eal_remote_launch(); returns when sf_worker_quit is set. */
int sf_worker_main(void *arg);

#endif /* SF_WORKER_H */
