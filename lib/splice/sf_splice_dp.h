/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Inline lookups of the splice tables, used per packet by the workers.
 */
#ifndef SF_SPLICE_DP_H
#define SF_SPLICE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "sf_splice.h"

#define SF_SPLICE_SVC_FREE 0xffff

/* sf_splice_owned.kind bits */
#define SF_SPLICE_OWN_PORT 0x1     /**< the port's own address */
#define SF_SPLICE_OWN_VIP 0x2      /**< a service address */
#define SF_SPLICE_OWN_SOURCE 0x4   /**< a source address towards backends */

struct sf_splice_owned {
	uint32_t addr;         /**< network order; 0 = free slot */
	uint8_t port;
	uint8_t kind;          /**< SF_SPLICE_OWN_* */
};

struct sf_splice_tables {
	uint32_t svc_mask;
	uint32_t owned_mask;
	struct sf_splice_svc *svc;        /**< svc_mask + 1 slots, open addressing */
	struct sf_splice_owned *owned;    /**< owned_mask + 1 slots, open addressing */
};

static __rte_always_inline uint32_t sf_splice_hash(uint32_t a, uint32_t b)
{
	uint32_t h = a * 0x9e3779b1u ^ b * 0x85ebca6bu;

	return h ^ (h >> 15);
}

/** @return the service listening on (vip, vport), or NULL. */
static __rte_always_inline const struct sf_splice_svc *
sf_splice_svc_lookup(const struct sf_splice_tables *t, uint32_t vip, uint16_t vport)
{
	for (uint32_t i = sf_splice_hash(vip, vport) & t->svc_mask;; i = (i + 1) & t->svc_mask) {
		const struct sf_splice_svc *s = &t->svc[i];

		if (s->index == SF_SPLICE_SVC_FREE)
			return NULL;
		if (s->vip == vip && s->vport == vport)
			return s;
	}
}

/**
 * @return what the appliance owns at @p addr on port @p port (SF_SPLICE_OWN_* bits, 0 when
 * nothing): the port's address, a VIP of a service on that port, or a source address of a
 * service whose backends are behind that port.
 */
static __rte_always_inline unsigned int
sf_splice_addr_kind(const struct sf_splice_tables *t, uint16_t port, uint32_t addr)
{
	for (uint32_t i = sf_splice_hash(addr, port) & t->owned_mask;; i = (i + 1) & t->owned_mask) {
		const struct sf_splice_owned *o = &t->owned[i];

		if (o->addr == 0)
			return 0;
		if (o->addr == addr && o->port == port)
			return o->kind;
	}
}

/** @return whether the appliance owns @p addr on port @p port (any kind). */
static __rte_always_inline bool
sf_splice_addr_owned(const struct sf_splice_tables *t, uint16_t port, uint32_t addr)
{
	return sf_splice_addr_kind(t, port, addr) != 0;
}

#endif /* SF_SPLICE_DP_H */
