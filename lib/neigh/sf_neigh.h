/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Neighbour services: the per-worker ARP table and the replies the appliance
 * owes its neighbours (ARP replies for owned addresses, ICMP echo replies).
 *
 * Each worker lcore owns one table and is its only reader and writer, so the
 * table takes no locks. An ARP answer that lands on another worker's queue is
 * learnt there; workers that need the entry resolve it themselves (the answer
 * to their own request refreshes every table that sees it). Tables are small
 * (next hops: clients' routers, backends), open-addressed with linear probing.
 *
 * Entry life cycle:
 *   (none) --resolve--> INCOMPLETE --reply--> REACHABLE --reachable_ms--> (none)
 *   INCOMPLETE --retries requests unanswered--> (none), held packet freed
 *   STATIC entries come from the configuration and never age.
 */
#ifndef SF_NEIGH_H
#define SF_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

/** Entry states. */
enum sf_neigh_state {
	SF_NEIGH_FREE = 0,
	SF_NEIGH_INCOMPLETE,  /**< request sent, no answer yet */
	SF_NEIGH_REACHABLE,   /**< learnt from ARP, ages out */
	SF_NEIGH_STATIC,      /**< from the configuration */
};

struct sf_neigh_params {
	uint32_t size;            /**< entries, rounded up to a power of 2 (>= 16) */
	uint64_t reachable_tsc;   /**< lifetime of a learnt entry */
	uint64_t retry_tsc;       /**< time between ARP requests */
	uint8_t retries;          /**< requests before giving up */
	int socket;               /**< NUMA socket for the table */
};

struct sf_neigh;

/** What sf_neigh_resolve() asks the caller to do. */
enum sf_neigh_resolve_result {
	SF_NEIGH_KNOWN = 0,       /**< MAC available in *mac; send now */
	SF_NEIGH_SEND_REQUEST,    /**< new entry: send an ARP request now; packet held */
	SF_NEIGH_HELD,            /**< resolution in progress; packet held */
	SF_NEIGH_FULL,            /**< table full; packet not taken */
};

/** Events sf_neigh_age() reports through its callback. */
enum sf_neigh_event {
	SF_NEIGH_EV_RETRY,        /**< send another ARP request for (port, addr) */
	SF_NEIGH_EV_FAILED,       /**< resolution failed; held packet (if any) is given to the callback to free */
	SF_NEIGH_EV_EXPIRED,      /**< learnt entry aged out */
};

typedef void (*sf_neigh_event_cb)(enum sf_neigh_event ev, uint16_t port, uint32_t addr,
		struct rte_mbuf *held, void *arg);

/**
 * Create a table.
 * @return the table, or NULL with rte_errno set (EINVAL bad params, ENOMEM)
 */
struct sf_neigh *sf_neigh_create(const struct sf_neigh_params *p);

/** Free a table and any packet it still holds. NULL is allowed. */
void sf_neigh_free(struct sf_neigh *n);

/**
 * Add or replace a static entry.
 * @return 0, or -ENOSPC when the table is full
 */
int sf_neigh_static_add(struct sf_neigh *n, uint16_t port, uint32_t addr,
		const struct rte_ether_addr *mac);

/**
 * Look up a usable MAC (REACHABLE or STATIC).
 * @return the MAC, or NULL when unknown or still resolving
 */
const struct rte_ether_addr *sf_neigh_lookup(const struct sf_neigh *n, uint16_t port, uint32_t addr);

/** @return the state of (port, addr), SF_NEIGH_FREE when absent. */
enum sf_neigh_state sf_neigh_state_get(const struct sf_neigh *n, uint16_t port, uint32_t addr);

/**
 * Resolve a next hop for a packet.
 *
 * @param m     packet to send once resolved (may be NULL to only warm the entry);
 *              when the result is SEND_REQUEST or HELD the table owns it. One packet
 *              is held per entry: a newer one replaces the older, which is returned
 *              in *dropped for the caller to free and count.
 * @param mac   receives the MAC when the result is SF_NEIGH_KNOWN
 * @param dropped receives a displaced held packet, or NULL
 */
enum sf_neigh_resolve_result sf_neigh_resolve(struct sf_neigh *n, uint16_t port, uint32_t addr,
		struct rte_mbuf *m, uint64_t now, struct rte_ether_addr *mac, struct rte_mbuf **dropped);

/**
 * Learn (port, addr) -> mac from an ARP packet.
 *
 * @param create  make a new entry when none exists (ARP requests addressed to us);
 *                otherwise only existing entries are updated (RFC 826 merge)
 * @param held    receives the packet that was waiting for this entry, or NULL;
 *                the caller sets its destination MAC and transmits it
 * @return true when an entry was created or refreshed; static entries are never changed
 */
bool sf_neigh_learn(struct sf_neigh *n, uint16_t port, uint32_t addr,
		const struct rte_ether_addr *mac, bool create, uint64_t now, struct rte_mbuf **held);

/**
 * Age the table: expire learnt entries, schedule ARP retries, give up on
 * unanswered ones. Call every few milliseconds; cost is linear in the table size.
 */
void sf_neigh_age(struct sf_neigh *n, uint64_t now, sf_neigh_event_cb cb, void *arg);

/** Visit every entry in use (for dumps and tests). */
void sf_neigh_walk(const struct sf_neigh *n,
		void (*fn)(uint16_t port, uint32_t addr, const struct rte_ether_addr *mac,
			enum sf_neigh_state st, void *arg), void *arg);

/**
 * Turn an ARP request (parsed at l2_len) into the reply for its target, in place:
 * Ethernet and ARP addresses rewritten, VLAN tag kept.
 */
void sf_neigh_arp_reply(struct rte_mbuf *m, uint16_t l2_len, const struct rte_ether_addr *our_mac);

/**
 * Build an ARP request for @p target from (@p src_mac, @p src_ip) into an empty mbuf.
 * @return 0, or -ENOSPC when the mbuf has no room
 */
int sf_neigh_arp_request(struct rte_mbuf *m, const struct rte_ether_addr *src_mac, uint32_t src_ip,
		uint32_t target);

/**
 * Turn an ICMP echo request into its echo reply, in place: MACs and IPs swapped,
 * type 0, TTL reset to 64, both checksums updated incrementally.
 */
void sf_neigh_icmp_echo_reply(struct rte_mbuf *m, uint16_t l2_len, uint16_t l3_len);

#endif /* SF_NEIGH_H */
