/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "sf_log.h"
#include "sf_neigh.h"
#include "sf_pkt.h"

RTE_LOG_REGISTER(sf_neigh_logtype, synfront.neigh, INFO);

struct sf_neigh_entry {
	uint32_t addr;              /**< network order; key with port */
	uint16_t port;
	uint8_t state;              /**< enum sf_neigh_state */
	uint8_t tries;              /**< ARP requests sent while INCOMPLETE */
	struct rte_ether_addr mac;
	uint64_t deadline;          /**< REACHABLE: expiry; INCOMPLETE: next retry */
	struct rte_mbuf *hold;
};

struct sf_neigh {
	uint32_t mask;
	uint32_t used;
	uint64_t reachable_tsc;
	uint64_t retry_tsc;
	uint8_t retries;
	struct sf_neigh_entry e[];
};

static inline uint32_t neigh_hash(uint16_t port, uint32_t addr)
{
	uint32_t h = addr ^ ((uint32_t)port << 24);

	h ^= h >> 16;
	h *= 0x7feb352dU;
	h ^= h >> 15;
	h *= 0x846ca68bU;
	h ^= h >> 16;
	return h;
}

struct sf_neigh *sf_neigh_create(const struct sf_neigh_params *p)
{
	struct sf_neigh *n;
	uint32_t size;

	if (p == NULL || p->size == 0 || p->size > (1u << 20) || p->retries == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	size = rte_align32pow2(p->size < 16 ? 16 : p->size);
	n = rte_zmalloc_socket("sf_neigh", sizeof(*n) + size * sizeof(n->e[0]),
			RTE_CACHE_LINE_SIZE, p->socket);
	if (n == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	n->mask = size - 1;
	n->reachable_tsc = p->reachable_tsc;
	n->retry_tsc = p->retry_tsc;
	n->retries = p->retries;
	return n;
}

void sf_neigh_free(struct sf_neigh *n)
{
	if (n == NULL)
		return;
	for (uint32_t i = 0; i <= n->mask; i++)
		rte_pktmbuf_free(n->e[i].hold);
	rte_free(n);
}

static struct sf_neigh_entry *neigh_find(const struct sf_neigh *n, uint16_t port, uint32_t addr)
{
	for (uint32_t i = neigh_hash(port, addr) & n->mask;; i = (i + 1) & n->mask) {
		const struct sf_neigh_entry *e = &n->e[i];

		if (e->state == SF_NEIGH_FREE)
			return NULL;
		if (e->addr == addr && e->port == port)
			return (struct sf_neigh_entry *)(uintptr_t)e;
	}
}

/* Insert a new key; the table keeps one slot free so probes always end. */
static struct sf_neigh_entry *neigh_insert(struct sf_neigh *n, uint16_t port, uint32_t addr)
{
	uint32_t i;

	if (n->used + 1 >= n->mask + 1)
		return NULL;
	for (i = neigh_hash(port, addr) & n->mask; n->e[i].state != SF_NEIGH_FREE; i = (i + 1) & n->mask)
		;
	memset(&n->e[i], 0, sizeof(n->e[i]));
	n->e[i].addr = addr;
	n->e[i].port = port;
	n->used++;
	return &n->e[i];
}

/* Backward-shift deletion keeps linear probing chains intact without tombstones. */
static void neigh_remove(struct sf_neigh *n, struct sf_neigh_entry *e)
{
	uint32_t i = (uint32_t)(e - n->e), j = i;

	for (;;) {
		j = (j + 1) & n->mask;
		if (n->e[j].state == SF_NEIGH_FREE)
			break;
		uint32_t home = neigh_hash(n->e[j].port, n->e[j].addr) & n->mask;
		/* Move e[j] into the hole at i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			n->e[i] = n->e[j];
			i = j;
		}
	}
	memset(&n->e[i], 0, sizeof(n->e[i]));
	n->used--;
}

int sf_neigh_static_add(struct sf_neigh *n, uint16_t port, uint32_t addr,
		const struct rte_ether_addr *mac)
{
	struct sf_neigh_entry *e = neigh_find(n, port, addr);

	if (e == NULL && (e = neigh_insert(n, port, addr)) == NULL)
		return -ENOSPC;
	rte_pktmbuf_free(e->hold);
	e->hold = NULL;
	e->state = SF_NEIGH_STATIC;
	e->mac = *mac;
	return 0;
}

const struct rte_ether_addr *sf_neigh_lookup(const struct sf_neigh *n, uint16_t port, uint32_t addr)
{
	const struct sf_neigh_entry *e = neigh_find(n, port, addr);

	if (e == NULL || e->state == SF_NEIGH_INCOMPLETE)
		return NULL;
	return &e->mac;
}

enum sf_neigh_state sf_neigh_state_get(const struct sf_neigh *n, uint16_t port, uint32_t addr)
{
	const struct sf_neigh_entry *e = neigh_find(n, port, addr);

	return e == NULL ? SF_NEIGH_FREE : (enum sf_neigh_state)e->state;
}

enum sf_neigh_resolve_result sf_neigh_resolve(struct sf_neigh *n, uint16_t port, uint32_t addr,
		struct rte_mbuf *m, uint64_t now, struct rte_ether_addr *mac, struct rte_mbuf **dropped)
{
	struct sf_neigh_entry *e = neigh_find(n, port, addr);

	*dropped = NULL;
	if (e != NULL && e->state != SF_NEIGH_INCOMPLETE) {
		*mac = e->mac;
		return SF_NEIGH_KNOWN;
	}
	if (e != NULL) {
		if (m != NULL) {
			*dropped = e->hold;
			e->hold = m;
		}
		return SF_NEIGH_HELD;
	}
	e = neigh_insert(n, port, addr);
	if (e == NULL)
		return SF_NEIGH_FULL;
	e->state = SF_NEIGH_INCOMPLETE;
	e->tries = 1;
	e->deadline = now + n->retry_tsc;
	e->hold = m;
	return SF_NEIGH_SEND_REQUEST;
}

bool sf_neigh_learn(struct sf_neigh *n, uint16_t port, uint32_t addr,
		const struct rte_ether_addr *mac, bool create, uint64_t now, struct rte_mbuf **held)
{
	struct sf_neigh_entry *e = neigh_find(n, port, addr);

	*held = NULL;
	if (e == NULL) {
		if (!create || (e = neigh_insert(n, port, addr)) == NULL)
			return false;
	} else if (e->state == SF_NEIGH_STATIC) {
		return false;
	}
	if (e->state == SF_NEIGH_REACHABLE && !rte_is_same_ether_addr(&e->mac, mac))
		SF_LOG_RATELIMIT(neigh, NOTICE, "port %u: " SF_IPV4_FMT " moved to " RTE_ETHER_ADDR_PRT_FMT,
				port, SF_IPV4_BYTES(addr), RTE_ETHER_ADDR_BYTES(mac));
	e->state = SF_NEIGH_REACHABLE;
	e->mac = *mac;
	e->tries = 0;
	e->deadline = now + n->reachable_tsc;
	*held = e->hold;
	e->hold = NULL;
	return true;
}

void sf_neigh_age(struct sf_neigh *n, uint64_t now, sf_neigh_event_cb cb, void *arg)
{
	for (uint32_t i = 0; i <= n->mask; i++) {
		struct sf_neigh_entry *e = &n->e[i];
		uint16_t port = e->port;
		uint32_t addr = e->addr;

		if (e->state != SF_NEIGH_INCOMPLETE && e->state != SF_NEIGH_REACHABLE)
			continue;
		if ((int64_t)(now - e->deadline) < 0)
			continue;
		if (e->state == SF_NEIGH_REACHABLE) {
			neigh_remove(n, e);
			cb(SF_NEIGH_EV_EXPIRED, port, addr, NULL, arg);
		} else if (e->tries < n->retries) {
			e->tries++;
			e->deadline = now + n->retry_tsc;
			cb(SF_NEIGH_EV_RETRY, port, addr, NULL, arg);
		} else {
			struct rte_mbuf *held = e->hold;

			e->hold = NULL;
			neigh_remove(n, e);
			cb(SF_NEIGH_EV_FAILED, port, addr, held, arg);
		}
		/* Removal may have shifted a later entry into this slot: look again. */
		if (n->e[i].state != SF_NEIGH_FREE && (n->e[i].addr != addr || n->e[i].port != port))
			i--;
	}
}

void sf_neigh_walk(const struct sf_neigh *n,
		void (*fn)(uint16_t port, uint32_t addr, const struct rte_ether_addr *mac,
			enum sf_neigh_state st, void *arg), void *arg)
{
	for (uint32_t i = 0; i <= n->mask; i++)
		if (n->e[i].state != SF_NEIGH_FREE)
			fn(n->e[i].port, n->e[i].addr, &n->e[i].mac, n->e[i].state, arg);
}

void sf_neigh_arp_reply(struct rte_mbuf *m, uint16_t l2_len, const struct rte_ether_addr *our_mac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, l2_len);
	uint32_t target = arp->arp_data.arp_tip;

	eth->dst_addr = arp->arp_data.arp_sha;
	eth->src_addr = *our_mac;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = *our_mac;
	arp->arp_data.arp_sip = target;
	/* Drop Ethernet padding and anything past the ARP body. */
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (l2_len + sizeof(*arp)));
}

int sf_neigh_arp_request(struct rte_mbuf *m, const struct rte_ether_addr *src_mac, uint32_t src_ip,
		uint32_t target)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (eth == NULL)
		return -ENOSPC;
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = *src_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = *src_mac;
	arp->arp_data.arp_sip = src_ip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = target;
	return 0;
}

void sf_neigh_icmp_echo_reply(struct rte_mbuf *m, uint16_t l2_len, uint16_t l3_len)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2_len);
	struct rte_icmp_hdr *icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, l2_len + l3_len);
	struct rte_ether_addr tmac = eth->src_addr;
	uint32_t taddr = ip->src_addr;
	uint16_t old, new;

	eth->src_addr = eth->dst_addr;
	eth->dst_addr = tmac;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = taddr;
	/* TTL shares a 16-bit word with the protocol. */
	memcpy(&old, &ip->time_to_live, sizeof(old));
	ip->time_to_live = 64;
	memcpy(&new, &ip->time_to_live, sizeof(new));
	ip->hdr_checksum = sf_pkt_cksum_adjust16(ip->hdr_checksum, old, new);
	memcpy(&old, &icmp->icmp_type, sizeof(old));
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&new, &icmp->icmp_type, sizeof(new));
	icmp->icmp_cksum = sf_pkt_cksum_adjust16(icmp->icmp_cksum, old, new);
	/* Drop Ethernet padding past the IP datagram. */
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (l2_len + rte_be_to_cpu_16(ip->total_length)));
}
