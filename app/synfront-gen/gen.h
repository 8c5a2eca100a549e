/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synfront-gen: shared state of the traffic generator's files.
 *
 *   main.c    command line, EAL, the port, ARP, the run loop
 *   frame.c   building frames: SYN option mixes, forged ACK/RST/FIN, garbage, ARP
 *   storm.c   stateful connections that complete real cookie handshakes
 *   report.c  counters, latency percentiles, the progress line, the JSON report
 *
 * One lcore (the main one) runs everything; nothing here is shared between threads.
 * Addresses are kept in network order, ports and sequence numbers in host order,
 * as in lib/pkt. Time is the TSC.
 */
#ifndef SF_GEN_H
#define SF_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "sf_pkt.h"

#define GEN_BURST 32
/** Largest request a storm connection sends (one segment, below any sane MSS). */
#define GEN_REQUEST_MAX 1024

enum gen_mode {
	GEN_MODE_SYN,
	GEN_MODE_ACK,
	GEN_MODE_RST,
	GEN_MODE_FIN,
	GEN_MODE_GARBAGE,
	GEN_MODE_STORM,
	GEN_MODE_NB
};

/** Option mixes of the SYNs sent (floods and storm alike). */
enum gen_opts {
	GEN_OPTS_LINUX,    /**< MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 */
	GEN_OPTS_NONE,     /**< no options */
	GEN_OPTS_MSS,      /**< MSS 1460 only */
	GEN_OPTS_RANDOM,   /**< a different mix for every SYN (frame.c lists them) */
	GEN_OPTS_NB
};

/** Names of the modes and option mixes, as the command line and the report spell them. */
extern const char *const gen_mode_names[GEN_MODE_NB];
extern const char *const gen_opts_names[GEN_OPTS_NB];

/** The command line, checked. */
struct gen_cfg {
	const char *port_name;
	struct rte_ether_addr src_mac, dst_mac;
	bool has_src_mac, has_dst_mac;
	uint32_t next_hop;       /**< ARP-resolved when no --dst-mac; network order */
	uint32_t src_first;      /**< first source address used, host order */
	uint32_t src_nb;         /**< source addresses used: src_first .. src_first + src_nb - 1 */
	uint32_t src_net;        /**< --src prefix as given, host order */
	uint8_t src_plen;
	uint32_t dst_ip;         /**< network order */
	uint16_t dst_port;
	enum gen_mode mode;
	enum gen_opts opts;
	uint64_t count;          /**< packets (floods) or connections (storm) */
	double duration_s;       /**< sending stops after this long */
	uint64_t rate;           /**< packets or new connections per second; 0 = as fast as possible */
	uint32_t concurrency;    /**< storm: connections in flight at most */
	char request[GEN_REQUEST_MAX];
	uint16_t request_len;
	const char *json_file;
	bool quiet;
	uint32_t drain_ms;       /**< after sending stops: wait this long for answers */
	uint32_t rto_ms;         /**< storm: first retransmission timeout */
	uint32_t conn_timeout_ms;/**< storm: a connection not done by then failed */
	uint32_t idle_close_ms;  /**< storm: close after this long without new reply data */
	uint32_t idle_us;        /**< sleep this long in a loop pass that did nothing (0 = spin) */
	uint64_t seed;
	uint16_t burst;
};

/** Latency samples (TSC cycles); a reservoir once more arrive than fit. */
struct gen_lat {
	uint64_t *v;
	uint64_t n;      /**< samples held */
	uint64_t cap;
	uint64_t seen;   /**< samples offered */
	uint64_t min, max, sum;
};

/*
 * Counters. One X(name, description) list gives the struct fields, the JSON names and the
 * documentation (docs/loadtest.md), so they never drift.
 */
#define GEN_STAT_LIST(X) \
	X(sent,              "TCP frames sent (accepted by the port)") \
	X(tx_busy,           "TX bursts the port did not take whole (ring full); floods send the rest later") \
	X(tx_dropped,        "storm frames given up after the port refused them for a while (retransmits recover)") \
	X(received,          "frames received from the target address and port") \
	X(rx_total,          "frames received, all of them") \
	X(rx_malformed,      "frames lib/pkt refused (bad checksum, truncated, ...)") \
	X(rx_other,          "frames neither from the target nor ARP for us") \
	X(arp_answered,      "ARP requests for our addresses answered") \
	X(synack_valid,      "SYN-ACKs acknowledging the ISN we sent (ack = ISN + 1)") \
	X(synack_invalid,    "SYN-ACKs with any other acknowledgement number") \
	X(synack_unmatched,  "storm: SYN-ACKs for no connection in flight (late, after a failure)") \
	X(rst_received,      "RSTs from the target") \
	X(conn_started,      "storm: connections opened (first SYN sent)") \
	X(syn_retransmits,   "storm: SYNs sent again after the retransmission timeout") \
	X(handshakes,        "storm: handshakes completed (valid SYN-ACK, our ACK sent)") \
	X(replies,           "storm: connections that received reply data") \
	X(reply_bytes,       "storm: reply bytes received in order") \
	X(completed,         "storm: connections closed cleanly (both FINs acknowledged)") \
	X(retransmits,       "storm: request or FIN segments sent again") \
	X(out_of_order,      "storm: segments beyond the next expected sequence number") \
	X(fail_rst,          "storm: connections reset by the target") \
	X(fail_synack_timeout, "storm: no SYN-ACK after the SYN and one retransmission") \
	X(fail_reply_timeout,  "storm: handshake done but no reply within --conn-timeout") \
	X(fail_close_timeout,  "storm: reply received but the close not done within --conn-timeout") \
	X(unfinished,        "storm: connections still in flight when the run ended")

struct gen_stats {
#define GEN_X_FIELD(n, d) uint64_t n;
	GEN_STAT_LIST(GEN_X_FIELD)
#undef GEN_X_FIELD
};

struct gen_storm;

/** The generator. */
struct gen {
	struct gen_cfg cfg;
	uint16_t port_id;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;      /**< frames' source MAC */
	struct rte_ether_addr dst_mac;  /**< frames' destination MAC */
	uint64_t hz;
	uint64_t tsc_per_us;
	uint64_t t_start;               /**< sending began */
	uint64_t t_send_end;            /**< sending stopped (count reached, duration or signal) */
	uint64_t rng;                   /**< xorshift64* state */
	uint64_t isn_key;               /**< floods: ISN = hash(key, source, port) */
	uint32_t ts_base;               /**< TSval = ts_base + microseconds */
	uint32_t arp_src;               /**< sender address of our ARP requests; network order */
	struct gen_stats st;
	struct gen_lat lat_hs;          /**< SYN -> valid SYN-ACK */
	struct gen_lat lat_reply;       /**< storm: SYN -> first reply byte */
	struct rte_mbuf *tx[GEN_BURST * 4];
	unsigned int nb_tx;
	struct rte_mbuf *pending[GEN_BURST];   /**< flood frames the port refused, sent first next time */
	unsigned int nb_pending;
	struct gen_storm *storm;
};

/* ---- small helpers ---- */

/** @return a 64-bit pseudo-random number (xorshift64*). */
static inline uint64_t gen_rand(struct gen *g)
{
	uint64_t x = g->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/** @return a source address (network order) drawn from the --src range. */
static inline uint32_t gen_rand_src(struct gen *g)
{
	uint32_t off = g->cfg.src_nb > 1 ? (uint32_t)(gen_rand(g) % g->cfg.src_nb) : 0;

	return rte_cpu_to_be_32(g->cfg.src_first + off);
}

/** @return the TSval clock: microseconds since a random origin. */
static inline uint32_t gen_tsval(const struct gen *g, uint64_t now)
{
	return g->ts_base + (uint32_t)(now / g->tsc_per_us);
}

/**
 * The ISN of a flood SYN, recomputed from the SYN-ACK's 4-tuple so that no per-packet
 * state is kept: a keyed 64-bit mix (splitmix64 finaliser) of address and port.
 */
static inline uint32_t gen_flood_isn(const struct gen *g, uint32_t addr, uint16_t port)
{
	uint64_t x = g->isn_key ^ ((uint64_t)addr << 16) ^ port;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (uint32_t)x;
}

/** Queue a frame for the next flush. */
void gen_tx(struct gen *g, struct rte_mbuf *m);
/** Send what gen_tx() queued; retries briefly, then counts the rest in tx_dropped. */
void gen_tx_flush(struct gen *g);

/* ---- frame.c ---- */

/** One TCP segment to build. */
struct gen_seg {
	uint32_t saddr, daddr;   /**< network order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opt;      /**< option bytes, a multiple of 4 */
	uint8_t opt_len;
	const void *payload;
	uint16_t payload_len;
};

/**
 * Build a frame for @p s: Ethernet (g->mac -> g->dst_mac), IPv4 (DF, TTL 64), TCP,
 * both checksums.
 * @return the mbuf, or NULL when the pool is empty
 */
struct rte_mbuf *gen_frame_tcp(struct gen *g, const struct gen_seg *s);

/**
 * Write the options of a SYN for option mix @p mix into @p buf (40 bytes).
 * @param tsval  the TSval to carry, when the mix has timestamps
 * @param flags  in/out: may gain ECE|CWR (ECN setup) for the random mix
 * @return option bytes written (a multiple of 4)
 */
uint8_t gen_syn_opts(struct gen *g, enum gen_opts mix, uint32_t tsval, uint8_t *buf,
		uint8_t *flags);

/**
 * Fill @p m (from g->pool) with flood frames of the configured mode: SYNs with
 * random sources, ports and ISNs, or forged ACK/RST/FIN, or garbage.
 * @return frames built (fewer than @p n when the pool runs dry)
 */
unsigned int gen_frame_flood(struct gen *g, struct rte_mbuf **m, unsigned int n, uint64_t now);

/**
 * Build an ARP frame: a request for @p tpa (broadcast), or a reply to @p tha.
 * @return the mbuf, or NULL when the pool is empty
 */
struct rte_mbuf *gen_frame_arp(struct gen *g, uint16_t op, uint32_t spa,
		const struct rte_ether_addr *tha, uint32_t tpa);

/* ---- storm.c ---- */

/** Allocate the connection table (cfg.concurrency slots). @return 0 or -ENOMEM */
int gen_storm_init(struct gen *g);
void gen_storm_free(struct gen *g);
/** Open new connections as pacing and free slots allow. @return SYNs sent */
unsigned int gen_storm_open(struct gen *g, uint64_t now, uint64_t budget);
/** A TCP segment from the target to one of our addresses. */
void gen_storm_rcv(struct gen *g, const struct sf_pkt_info *pi, uint64_t now);
/** Retransmissions, idle closes and timeouts of a slice of the table. @return work done */
unsigned int gen_storm_timers(struct gen *g, uint64_t now);
/** @return connections in flight */
uint32_t gen_storm_active(const struct gen *g);
/** Count every connection still in flight as unfinished (end of the run). */
void gen_storm_abort(struct gen *g);

/* ---- report.c ---- */

/** Allocate a latency reservoir of @p cap samples. @return 0 or -ENOMEM */
int gen_lat_init(struct gen_lat *l, uint64_t cap);
void gen_lat_free(struct gen_lat *l);
/** Record one sample (TSC cycles). */
void gen_lat_add(struct gen *g, struct gen_lat *l, uint64_t cycles);
/** Print the progress line (stderr). */
void gen_progress(struct gen *g, uint64_t now);
/**
 * Print the final report (JSON) on stdout and write it to cfg.json_file.
 * @return 0, or -errno when the file cannot be written
 */
int gen_report(struct gen *g, uint64_t now);
/** Print the counters and their meanings as a markdown table. */
void gen_stats_doc(FILE *f);

#endif /* SF_GEN_H */
