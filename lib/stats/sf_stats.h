/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Counters: one X-macro list names each counter once for the code, the JSON,
 * the final report and docs/counters.md, so no output drifts from another.
 *
 * Each worker lcore owns one cache-aligned block and is its only writer
 * (plain increments, no atomics). Readers on other lcores sum the blocks with
 * relaxed atomic loads. Counters only go up; gauges live elsewhere.
 */
#ifndef SF_STATS_H
#define SF_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "sf_cookie.h"
#include "sf_pkt.h"

/** X(name, description): the appliance's counters, in report order. */
#define SF_STATS_CORE_LIST(X) \
	X(rx_packets,            "packets received on all ports") \
	X(rx_bytes,              "bytes received on all ports") \
	X(tx_packets,            "packets transmitted on all ports") \
	X(tx_dropped,            "packets the TX queue refused (ring full) and were freed") \
	X(arp_request_rcvd,      "ARP requests for an owned address") \
	X(arp_reply_sent,        "ARP replies sent for owned addresses") \
	X(arp_reply_rcvd,        "ARP replies received") \
	X(arp_request_sent,      "ARP requests sent to resolve a neighbour") \
	X(arp_shared,            "ARP replies copied to the other workers' neighbour tables") \
	X(arp_resolve_failed,    "neighbours that did not answer every ARP retry") \
	X(neigh_learned,         "neighbour entries created or refreshed from ARP") \
	X(neigh_expired,         "learnt neighbour entries aged out") \
	X(neigh_hold_dropped,    "packets waiting for ARP resolution that were dropped") \
	X(icmp_echo_rcvd,        "ICMP echo requests for an owned address") \
	X(icmp_echo_reply_sent,  "ICMP echo replies sent") \
	X(drop_eth_not_ours,     "unicast frames addressed to another MAC") \
	X(drop_arp_op,           "ARP operation neither request nor reply") \
	X(drop_arp_not_ours,     "ARP requests for an address the appliance does not own") \
	X(drop_not_ours,         "IPv4 packets to an address the appliance does not own") \
	X(drop_icmp_other,       "ICMP other than echo request to an owned address") \
	X(syn_received,          "SYNs to a service VIP:port") \
	X(synack_sent,           "SYN-ACKs sent with a cookie") \
	X(syn_no_service,        "SYNs to an owned address on a port with no service") \
	X(syn_dropped_no_service, "SYNs to an owned address with no service, dropped (cookies.no_service_action drop)") \
	X(syn_dropped_synfin,    "segments with SYN and FIN, dropped") \
	X(syn_dropped_synrst,    "segments with SYN and RST, dropped") \
	X(syn_dropped_data,      "SYNs carrying data, dropped (the client retransmits without)") \
	X(cookie_valid,          "ACKs whose cookie is valid: handshakes completed") \
	X(cookie_invalid,        "ACKs whose cookie is invalid (sum of the cookie_invalid_* reasons)") \
	X(rst_sent,              "RSTs the appliance originated (no service, invalid cookie, backend failure, timeouts)") \
	X(conn_new,              "connections opened towards a backend (valid cookie ACK)") \
	X(conn_established,      "backend handshakes completed: connections spliced") \
	X(conn_closed,           "connections freed, for any reason") \
	X(conn_closed_normal,    "connections freed after TIME_WAIT (both FINs acknowledged)") \
	X(conn_reset,            "connections closed by an in-window RST from either side") \
	X(conn_timeout_idle,     "established connections idle past tcp.idle_timeout_ms (both sides RST)") \
	X(conn_timeout_close,    "closing connections stalled past their timeout (both sides RST)") \
	X(conn_orphan_reset,     "closing connections reset after tcp.orphan_retries FIN retransmissions went unanswered") \
	X(conn_table_full,       "valid handshakes refused: connection table full (the client's ACK dropped)") \
	X(conn_no_backend,       "valid handshakes refused: no backend available (client RST)") \
	X(conn_no_source_port,   "valid handshakes refused: no free source port (client RST)") \
	X(backend_syn_sent,      "SYNs sent to backends, retransmissions included") \
	X(backend_syn_retransmit, "backend SYNs retransmitted") \
	X(backend_connect_failed, "backend connects given up after tcp.syn_retries (client RST)") \
	X(backend_rst,           "backends that answered our SYN with an RST (client RST)") \
	X(backend_synack_retransmit, "retransmitted backend SYN-ACKs acknowledged again") \
	X(backend_down,          "backends taken out after repeated connect failures") \
	X(time_wait_reuse,       "TIME_WAIT connections reused by a new SYN with a higher sequence number") \
	X(drop_rst_time_wait,    "RSTs on a connection in TIME_WAIT, ignored (RFC 1337)") \
	X(rst_out_of_window,     "RSTs outside the receiver's window, ignored") \
	X(fwd_c2b,               "segments translated from a client to its backend") \
	X(fwd_b2c,               "segments translated from a backend to its client") \
	X(ts_inserted,           "timestamps added towards a client whose backend does not use them") \
	X(handoff_sent,          "packets handed to the worker owning their connection (backend: by source port, client: by flow hash)") \
	X(handoff_rcvd,          "packets received from other workers' handoff") \
	X(drop_handoff_full,     "packets dropped: the owning worker's handoff ring was full") \
	X(drop_conn_not_ready,   "client segments while the backend handshake is in progress (the client retransmits)") \
	X(drop_conn_syn,         "SYNs on a live connection other than a TIME_WAIT reuse") \
	X(drop_conn_bad_synack,  "backend SYN-ACKs that do not acknowledge our SYN") \
	X(drop_no_room,          "segments that could not grow for a timestamp option (no headroom)") \
	X(drop_tcp_no_conn,      "TCP to a service matching no connection, neither SYN nor ACK (RST, FIN, SYN-ACK)") \
	X(drop_no_route,         "packets to a destination off every port's subnet with no gateway") \
	X(drop_no_mbuf,          "packets the appliance could not originate: mbuf pool empty")

enum sf_stat_id {
#define SF_STATS_X_ENUM(n, d) SF_STAT_##n,
	SF_STATS_CORE_LIST(SF_STATS_X_ENUM)
#undef SF_STATS_X_ENUM
#define SF_STATS_X_CENUM(e, n, d) SF_STAT_cookie_invalid_##n,
	SF_COOKIE_INVALID_LIST(SF_STATS_X_CENUM)
#undef SF_STATS_X_CENUM
	SF_STAT_PKT_DROP_BASE,  /**< first of the parser's drop reasons, in SF_PKT_DROP_LIST order */
	SF_STAT_MAX = SF_STAT_PKT_DROP_BASE + SF_PKT_DROP_MAX - 1
};

/** Counter id of a cookie verdict (v != SF_COOKIE_OK): cookie_invalid_<name>. */
#define SF_STAT_COOKIE_INVALID(v) \
	((enum sf_stat_id)(SF_STAT_cookie_invalid_bad_mss + (v) - SF_COOKIE_BAD_MSS))

/** Counter id of a parser drop reason (v != SF_PKT_OK). */
#define SF_STAT_PKT_DROP(v) ((enum sf_stat_id)(SF_STAT_PKT_DROP_BASE + (v) - 1))

struct sf_stats_lcore {
	uint64_t v[SF_STAT_MAX];
} __rte_cache_aligned;

/** Per-lcore blocks; index by rte_lcore_id(). */
extern struct sf_stats_lcore sf_stats[RTE_MAX_LCORE];

static __rte_always_inline void
sf_stats_inc(struct sf_stats_lcore *s, enum sf_stat_id id)
{
	s->v[id]++;
}

static __rte_always_inline void
sf_stats_add(struct sf_stats_lcore *s, enum sf_stat_id id, uint64_t n)
{
	s->v[id] += n;
}

/** @return the JSON/report name of a counter ("rx_packets", "drop_ip_checksum", ...). */
const char *sf_stats_name(enum sf_stat_id id);

/** @return the one-line description of a counter. */
const char *sf_stats_desc(enum sf_stat_id id);

/** Read one lcore's counter with a relaxed atomic load (safe from any thread). */
uint64_t sf_stats_read(unsigned int lcore, enum sf_stat_id id);

/** Sum every lcore's block into @p out (relaxed loads). */
void sf_stats_sum(struct sf_stats_lcore *out);

/** Print the summed counters, "name value" a line, skipping zeros unless @p all. */
void sf_stats_print(FILE *f, int all);

#endif /* SF_STATS_H */
