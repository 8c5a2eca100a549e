/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-worker connection table: preallocated connection objects and one key index
 * that reaches each connection from both of its 4-tuples.
 *
 * A spliced connection has two halves: client <-> VIP and source address <->
 * backend. Both tuples are inserted, keyed as a packet arriving on that half
 * carries them (its source, its destination), and each leads to the connection
 * and the half. One worker owns the table: no locks,
 * no atomics, no sharing. Connections come from a pool sized at start-up
 * (limits.connections_per_lcore); nothing is allocated per packet.
 */
#ifndef SF_CONNTAB_H
#define SF_CONNTAB_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "sf_timerwheel.h"

struct rte_mbuf;

/**
 * A packet's view of a half: its source and destination. Addresses network order, ports host.
 * 16 bytes, the last 4 always zero: rte_hash compares 16-byte keys with one vector compare
 * (12-byte keys go through memcmp).
 */
struct sf_conntab_key {
	uint32_t saddr;
	uint32_t daddr;
	uint16_t sport;
	uint16_t dport;
	uint32_t zero;
};

/** Connection states, in order of a close; X(name). */
#define SF_CONN_STATE_LIST(X) \
	X(CLOSED) \
	X(SYN_SENT)      /* backend SYN sent, waiting for its SYN-ACK */ \
	X(ESTABLISHED) \
	X(FIN_WAIT_1)    /* one side sent FIN, not yet acknowledged */ \
	X(FIN_WAIT_2)    /* that FIN acknowledged; the other side is in CLOSE_WAIT */ \
	X(CLOSING)       /* both sent FIN before either was acknowledged */ \
	X(LAST_ACK)      /* first FIN acknowledged, second FIN sent, not acknowledged */ \
	X(TIME_WAIT)     /* both FINs acknowledged; 2 * msl */

enum sf_conn_state {
#define SF_CONN_X_ENUM(n) SF_CONN_##n,
	SF_CONN_STATE_LIST(SF_CONN_X_ENUM)
#undef SF_CONN_X_ENUM
	SF_CONN_STATE_MAX
};

/** Halves of a connection: which side a packet came from. */
#define SF_CONN_CLIENT 0
#define SF_CONN_BACKEND 1

/* sf_conn.flags */
#define SF_CONN_F_TS_C     0x0001  /**< timestamps negotiated with the client */
#define SF_CONN_F_TS_B     0x0002  /**< timestamps negotiated with the backend */
#define SF_CONN_F_SACK_C   0x0004  /**< SACK-permitted with the client */
#define SF_CONN_F_SACK_B   0x0008  /**< SACK-permitted with the backend */
#define SF_CONN_F_WS_C     0x0010  /**< window scaling with the client */
#define SF_CONN_F_WS_B     0x0020  /**< window scaling with the backend */
#define SF_CONN_F_FIN_C    0x0040  /**< client sent FIN (at c_nxt - 1) */
#define SF_CONN_F_FIN_B    0x0080  /**< backend sent FIN (at b_nxt - 1) */
#define SF_CONN_F_FINACK_C 0x0100  /**< client's FIN acknowledged by the backend */
#define SF_CONN_F_FINACK_B 0x0200  /**< backend's FIN acknowledged by the client */
#define SF_CONN_F_CLIENT_FIRST 0x0400  /**< the client closed first */
#define SF_CONN_F_ECN      0x0800  /**< ECN negotiated with the client */

/**
 * One spliced connection. The first cache line holds what every forwarded packet
 * reads; sizeof is checked against 128 bytes at build time.
 */
struct sf_conn {
	/* client half, as the client's packets carry it */
	uint32_t c_addr;          /**< client address */
	uint32_t vip;             /**< service address */
	uint16_t c_port;          /**< client port */
	uint16_t vport;           /**< service port */
	/* backend half, as the backend's packets carry it */
	uint32_t b_addr;          /**< backend address */
	uint32_t s_addr;          /**< appliance's source address */
	uint16_t b_port;
	uint16_t s_port;
	uint32_t seq_delta;       /**< backend ISN - cookie ISN: backend seq = client-side seq + delta */
	uint32_t ts_delta;        /**< client-side TSval - backend TSval */
	uint32_t c_nxt;           /**< client's next sequence number (client space) */
	uint32_t b_nxt;           /**< backend's next sequence number (backend space) */
	uint32_t c_ts_recent;     /**< client's latest TSval */
	uint16_t flags;           /**< SF_CONN_F_* */
	uint8_t state;            /**< enum sf_conn_state */
	uint8_t c_ws;             /**< client's window shift (its SYN) */
	uint8_t b_ws;             /**< backend's window shift (its SYN-ACK) */
	uint8_t our_ws;           /**< shift promised to the client in the SYN-ACK */
	uint8_t c_port_idx;       /**< port index of the client half */
	uint8_t b_port_idx;       /**< port index of the backend half */
	uint16_t svc;             /**< service index */
	uint16_t backend;         /**< backend index within the service */
	struct rte_ether_addr c_mac;  /**< next hop towards the client */
	struct rte_ether_addr b_mac;  /**< next hop towards the backend */
	uint16_t c_wnd;           /**< client's last raw window */
	uint16_t b_wnd;           /**< backend's last raw window */
	/* second cache line: control */
	uint32_t last_seen;       /**< wheel tick of the last packet (idle timeout) */
	uint8_t syn_tries;        /**< backend SYNs sent */
	uint8_t fin_rexmit;       /**< retransmissions of an unacknowledged FIN seen */
	uint16_t held_mss;        /**< the client's MSS, from its cookie (for the backend SYN) */
	struct rte_mbuf *held;    /**< the client's cookie ACK, kept to replay to the backend */
	struct sf_timerwheel_timer timer;
};

struct sf_conntab;

/** Key index of a table (see sf_conntab.c). */
enum sf_conntab_impl {
	SF_CONNTAB_OWN = 0,       /**< cache-line buckets of tags, keys confirmed on the connection */
	SF_CONNTAB_RTE_HASH = 1,  /**< DPDK's rte_hash (kept for the side-by-side benchmark) */
};

/** Parameters of sf_conntab_create(). */
struct sf_conntab_params {
	const char *name;         /**< unique among tables (rte_hash name) */
	uint32_t capacity;        /**< connections; the index holds 2x keys */
	int socket;
	unsigned int impl;        /**< enum sf_conntab_impl; 0 = SF_CONNTAB_OWN */
};

/**
 * Create a table and its connection pool.
 * @return the table, or NULL with rte_errno set (EINVAL, ENOMEM, EEXIST for a used name)
 */
struct sf_conntab *sf_conntab_create(const struct sf_conntab_params *p);

/** Free a table; connections still in it are forgotten (their held mbufs freed). */
void sf_conntab_free(struct sf_conntab *t);

/** @return a zeroed connection from the pool, or NULL when all are in use. */
struct sf_conn *sf_conntab_conn_alloc(struct sf_conntab *t);

/** Return a connection to the pool (its keys must have been deleted). */
void sf_conntab_conn_free(struct sf_conntab *t, struct sf_conn *c);

/**
 * Insert a key for half @p half of connection @p c.
 * @return 0, -EEXIST when the key is present, -ENOSPC when the hash is full
 */
int sf_conntab_add(struct sf_conntab *t, const struct sf_conntab_key *k, struct sf_conn *c,
		unsigned int half);

/** Delete a key. @return 0 or -ENOENT */
int sf_conntab_del(struct sf_conntab *t, const struct sf_conntab_key *k);

/**
 * Look up @p n keys (n <= 64), pipelined: every bucket's and every candidate connection's
 * cache miss is started before any is waited for.
 * @param conn  receives the connection of each hit (NULL on a miss)
 * @param half  receives the half of each hit
 * @return bit i set when keys[i] hit
 */
uint64_t sf_conntab_lookup_bulk(const struct sf_conntab *t, const struct sf_conntab_key **keys,
		unsigned int n, struct sf_conn **conn, uint8_t *half);

/** @return connections in use. */
uint32_t sf_conntab_count(const struct sf_conntab *t);

/** @return the pool size. */
uint32_t sf_conntab_capacity(const struct sf_conntab *t);

/** Call @p fn for every connection in use (owner lcore only). */
void sf_conntab_walk(const struct sf_conntab *t, void (*fn)(const struct sf_conn *c, void *arg),
		void *arg);

/** @return the name of a state ("ESTABLISHED", ...). */
const char *sf_conn_state_name(unsigned int state);

/** The key a packet from half @p half of @p c carries. */
static inline void sf_conn_key(const struct sf_conn *c, unsigned int half, struct sf_conntab_key *k)
{
	if (half == SF_CONN_CLIENT)
		*k = (struct sf_conntab_key){c->c_addr, c->vip, c->c_port, c->vport};
	else
		*k = (struct sf_conntab_key){c->b_addr, c->s_addr, c->b_port, c->s_port};
}

#endif /* SF_CONNTAB_H */
