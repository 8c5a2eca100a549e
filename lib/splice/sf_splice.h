/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The splice: what the appliance does with TCP to its services.
 *
 * This part answers SYNs statelessly with cookie SYN-ACKs (sf_splice_syn_rcv_bulk)
 * and checks the cookie of ACKs that match no connection (sf_splice_ack_rcv_bulk).
 * Connections to backends are opened from valid ACKs (see docs/design/cookies.md).
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

#include "sf_conf.h"
#include "sf_cookie.h"
#include "sf_pkt.h"
#include "sf_stats.h"

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

/** Per-worker splice context. */
struct sf_splice {
	const struct sf_splice_tables *tables;
	const struct sf_cookie_ctx *cookie;
	struct sf_stats_lcore *st;
	uint8_t invalid_action;      /**< enum sf_conf_action for invalid cookies */
	uint8_t no_service_action;   /**< enum sf_conf_action for SYNs to no service */
};

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
 * Check the cookies of a burst of ACKs that match no connection (n <= SF_SPLICE_BURST_MAX).
 *
 * @param valid   receives the ACKs whose cookie is valid, with their decoded options in
 *                @p res (same index); the caller opens their connections
 * @param nb_valid  advanced by the count of valid ACKs
 * Invalid ones are counted by reason and dropped, or answered with an RST per
 * cookies.invalid_action (placed in @p tx).
 */
void sf_splice_ack_rcv_bulk(struct sf_splice *sp, struct rte_mbuf **m,
		const struct sf_pkt_info *const *pi, unsigned int n, uint64_t now_ms,
		struct rte_mbuf **valid, struct sf_cookie_result *res, unsigned int *nb_valid,
		struct rte_mbuf **tx, unsigned int *nb_tx);

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
