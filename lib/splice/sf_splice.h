/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The splice: what the appliance does with TCP to its services.
 *
 * SYNs are answered statelessly with cookie SYN-ACKs (sf_splice_syn_rcv_bulk); an ACK
 * that matches no connection and carries a valid cookie opens a connection to a backend,
 * and from then on every segment is translated in both directions
 * (sf_splice_tcp_rcv_bulk; docs/design/splice.md and the essay in sf_splice_conn.c).
 *
 * Handlers take a burst of parsed packets and leave every mbuf in exactly one of
 * two places: the caller's TX array (rewritten in place into the answer, to be sent
 * on the port it came from) or freed with its counter bumped. They never allocate,
 * lock or log per packet.
 */
#ifndef SF_SPLICE_H
#define SF_SPLICE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <rte_ether.h>

#include "sf_conf.h"
#include "sf_conntab.h"
#include "sf_cookie.h"
#include "sf_pkt.h"
#include "sf_stats.h"
#include "sf_timerwheel.h"

/** Most packets one call of a bulk handler takes. */
#define SF_SPLICE_BURST_MAX 64

/** A service as the data path sees it. */
struct sf_splice_svc {
	uint32_t vip;          /**< network order */
	uint16_t vport;        /**< host order */
	uint16_t mss;          /**< MSS advertised in SYN-ACKs: what the backends accept */
	uint8_t wscale;        /**< window scale advertised in SYN-ACKs */
	uint8_t port;          /**< client-side port index */
	uint16_t index;        /**< index in sf_conf.services; 0xffff = free slot */
};

/** Read-only lookup tables built from one configuration; shared by all workers. */
struct sf_splice_tables;

/**
 * Build the service and owned-address tables of a configuration.
 * @return the tables, or NULL with rte_errno = ENOMEM
 */
struct sf_splice_tables *sf_splice_tables_create(const struct sf_conf *conf);

/** Free tables made by sf_splice_tables_create(); NULL is allowed. */
void sf_splice_tables_free(struct sf_splice_tables *t);

/**
 * How the splice sends packets: the worker's TX buffers and neighbour table.
 * Every function takes ownership of the mbuf.
 */
struct sf_splice_io {
	/** Send on port index @p port; the Ethernet header is complete. */
	void (*tx)(void *arg, uint16_t port, struct rte_mbuf *m);
	/** Send on port index @p port to IPv4 @p dst: resolve its next hop, fill the Ethernet header. */
	void (*tx_resolve)(void *arg, uint16_t port, uint32_t dst, struct rte_mbuf *m);
	/** Hand a packet to worker @p owner (the one owning its source port). */
	void (*handoff)(void *arg, unsigned int owner, struct rte_mbuf *m);
	void *arg;
};

/** Slots of the SYN filter, minus one (64 KiB of 8-bit counts). */
#define SF_SPLICE_SYN_FILTER_MASK 0xffffu

/** Consecutive connect failures after which a backend is taken out, per worker. */
#define SF_SPLICE_BACKEND_FAILS_MAX 3
/** How long a failing backend stays out before it is tried again. */
#define SF_SPLICE_BACKEND_DOWN_MS 10000
/** Lowest source port; workers share [SF_SPLICE_SPORT_MIN, 65535] in equal slices. */
#define SF_SPLICE_SPORT_MIN 1024

/** One backend of one service as a worker sees it. */
struct sf_splice_backend {
	int32_t cur;                 /**< smooth weighted round robin: current weight */
	uint16_t weight;             /**< 0 = drained: no new connections */
	uint16_t fails;              /**< consecutive connect failures */
	uint32_t down_until;         /**< wheel tick until which it stays out (0 = up) */
	uint32_t active;             /**< gauge: live connections on this worker */
	uint64_t conns;              /**< connections opened to it */
	uint64_t connect_failed;     /**< connects refused (RST) or timed out */
};

/** X(name, description): per-service counters, in the order the control plane reports them. */
#define SF_SPLICE_SVC_STATS_LIST(X) \
	X(syn_received,   "SYNs to the service") \
	X(synack_sent,    "cookie SYN-ACKs sent for it") \
	X(cookie_valid,   "handshakes completed (valid cookie ACKs)") \
	X(cookie_invalid, "ACKs to it with an invalid cookie") \
	X(conn_new,       "connections opened towards its backends")

/** Per-service counters of one worker (written by it only). */
struct sf_splice_svc_stats {
#define SF_SPLICE_X_FIELD(n, d) uint64_t n;
	SF_SPLICE_SVC_STATS_LIST(SF_SPLICE_X_FIELD)
#undef SF_SPLICE_X_FIELD
};

/** Parameters of sf_splice_init(). */
struct sf_splice_params {
	const struct sf_conf *conf;
	const struct sf_splice_tables *tables;
	const struct sf_cookie_ctx *cookie;
	struct sf_stats_lcore *st;
	struct rte_mempool *pool;             /**< for packets the splice originates */
	struct sf_splice_io io;
	const struct rte_ether_addr *port_mac;  /**< MAC of each configured port */
	unsigned int worker;                  /**< this worker's index */
	unsigned int nb_workers;
	int socket;
};

/** Per-worker splice context. */
struct sf_splice {
	const struct sf_splice_tables *tables;
	const struct sf_cookie_ctx *cookie;
	struct sf_stats_lcore *st;
	uint8_t invalid_action;      /**< enum sf_conf_action for invalid cookies */
	uint8_t no_service_action;   /**< enum sf_conf_action for SYNs to no service */
	uint8_t time_wait_reuse;
	uint8_t syn_retries;
	uint8_t orphan_retries;       /**< tcp.orphan_retries (0 = no limit) */
	const struct sf_conf *conf;
	struct sf_conntab *ct;
	struct sf_timerwheel *tw;
	struct rte_mempool *pool;
	struct sf_splice_io io;
	unsigned int worker;
	unsigned int nb_workers;
	uint16_t sport_lo, sport_hi;  /**< this worker's source port slice */
	uint16_t sport_next;
	uint16_t src_rr;
	uint8_t *syn_filter;          /**< live connections per client-tuple hash (SYN lookups) */
	unsigned int nb_changed;      /**< table keys added or deleted during this burst */
	struct sf_conntab_key changed[16];
	uint64_t now_ms;              /**< wall clock of the current burst (timestamps) */
	uint32_t t_rto, t_rto_max, t_time_wait, t_fin_wait2, t_idle, t_half_open;  /**< ticks */
	uint32_t nb_state[SF_CONN_STATE_MAX];   /**< gauges: connections by state */
	struct sf_splice_svc_stats svc_st[SF_CONF_MAX_SERVICES];  /**< per service, this worker */
	struct rte_ether_addr port_mac[SF_CONF_MAX_PORTS];
	struct sf_splice_backend be[SF_CONF_MAX_SERVICES][SF_CONF_MAX_BACKENDS];
};

/**
 * Set up a worker's splice: connection table, timer wheel, backend state.
 * @return 0, or -errno (ENOMEM, or the table's error)
 */
int sf_splice_init(struct sf_splice *sp, const struct sf_splice_params *p);

/** Free what sf_splice_init() made; live connections are dropped silently. */
void sf_splice_fini(struct sf_splice *sp);

/**
 * Handle the TCP packets of one burst received on port index @p pidx (n <= SF_SPLICE_BURST_MAX):
 * connection lookup in bulk, translation for known connections, cookie SYN-ACKs and
 * cookie checks for the rest, handoff of backend packets owned by another worker.
 */
void sf_splice_tcp_rcv_bulk(struct sf_splice *sp, uint16_t pidx, struct rte_mbuf **m,
		struct sf_pkt_info *const *pi, unsigned int n);

/** One connection as the control plane lists it. */
struct sf_splice_conn_snap {
	uint32_t c_addr, vip, b_addr, s_addr;   /**< network order */
	uint16_t c_port, vport, b_port, s_port;
	uint8_t state;                          /**< enum sf_conn_state */
	uint8_t worker;
	uint16_t svc;
	uint16_t flags;                         /**< SF_CONN_F_* */
	uint16_t reserved;
	uint32_t idle_ms;                       /**< since its last packet */
};

/** Which connections a snapshot takes; fields at their "any" value match all. */
struct sf_splice_conn_filter {
	uint8_t state;          /**< 0xff = any */
	uint16_t svc;           /**< 0xffff = any */
	uint32_t b_addr;        /**< 0 = any backend (with b_port 0) */
	uint16_t b_port;
	uint32_t c_net, c_mask; /**< client prefix, network order; mask 0 = any */
};

/**
 * Copy up to @p max connections that match @p f into @p out (owner lcore only).
 * @return how many matched (may exceed max; only max are copied)
 */
uint32_t sf_splice_snapshot(const struct sf_splice *sp, const struct sf_splice_conn_filter *f,
		struct sf_splice_conn_snap *out, uint32_t max);

/**
 * Switch to a new configuration generation: tunables (tcp.*, cookies actions) and
 * backends (weights, added, removed; matched by address). Ports and services must be
 * those of the running configuration. Owner lcore only.
 */
void sf_splice_apply(struct sf_splice *sp, const struct sf_conf *conf);

/** sf_conn.backend of a connection whose backend was removed from the configuration. */
#define SF_SPLICE_BACKEND_NONE 0xffff

/** Run the connection timers that are due (retransmits, timeouts). */
void sf_splice_timers(struct sf_splice *sp, uint64_t now_tsc);

/**
 * Answer a burst of SYNs to services with cookie SYN-ACKs, rewriting each mbuf in place.
 *
 * @param m       n SYNs (SYN set, ACK/RST/FIN clear), n <= SF_SPLICE_BURST_MAX
 * @param pi      their parse results
 * @param svc     the service each is addressed to
 * @param tx      receives the SYN-ACKs; *nb_tx is advanced
 */
void sf_splice_syn_rcv_bulk(struct sf_splice *sp, struct rte_mbuf **m,
		const struct sf_pkt_info *const *pi, const struct sf_splice_svc *const *svc,
		unsigned int n, uint64_t now_ms, struct rte_mbuf **tx, unsigned int *nb_tx);

/**
 * A SYN to an owned address with no service on its port: count it, then answer
 * with an RST or drop it per cookies.no_service_action.
 */
void sf_splice_no_service(struct sf_splice *sp, struct rte_mbuf *m, const struct sf_pkt_info *pi,
		struct rte_mbuf **tx, unsigned int *nb_tx);

/**
 * Rewrite a received segment in place into the RST that answers it (RFC 9293 3.10.7.1):
 * with ACK set, <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
void sf_splice_rst_reply(struct rte_mbuf *m, const struct sf_pkt_info *pi);

#endif /* SF_SPLICE_H */
