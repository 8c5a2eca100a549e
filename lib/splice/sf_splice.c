/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "sf_log.h"
#include "sf_splice_dp.h"
#include "splice_private.h"

RTE_LOG_REGISTER(sf_splice_logtype, synfront.splice, INFO);

static void owned_add(struct sf_splice_tables *t, uint16_t port, uint32_t addr, uint8_t kind)
{
	uint32_t i;

	for (i = sf_splice_hash(addr, port) & t->owned_mask; t->owned[i].addr != 0;
			i = (i + 1) & t->owned_mask) {
		if (t->owned[i].addr == addr && t->owned[i].port == port) {
			t->owned[i].kind |= kind;
			return;
		}
	}
	t->owned[i].addr = addr;
	t->owned[i].port = (uint8_t)port;
	t->owned[i].kind = kind;
}

struct sf_splice_tables *sf_splice_tables_create(const struct sf_conf *conf)
{
	uint32_t nb_owned = conf->nb_ports, nsvc, nown;
	struct sf_splice_tables *t;

	for (uint16_t s = 0; s < conf->nb_services; s++)
		nb_owned += 1u + conf->services[s].nb_sources;
	/* At most half full, so probes stay short and always end on a free slot. */
	nsvc = rte_align32pow2(2u * conf->nb_services + 2);
	nown = rte_align32pow2(2u * nb_owned + 2);
	t = rte_zmalloc("sf_splice_tables", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		goto nomem;
	t->svc = rte_zmalloc("sf_splice_svc", nsvc * sizeof(t->svc[0]), RTE_CACHE_LINE_SIZE);
	t->owned = rte_zmalloc("sf_splice_owned", nown * sizeof(t->owned[0]), RTE_CACHE_LINE_SIZE);
	if (t->svc == NULL || t->owned == NULL)
		goto nomem;
	t->svc_mask = nsvc - 1;
	t->owned_mask = nown - 1;
	for (uint32_t i = 0; i < nsvc; i++)
		t->svc[i].index = SF_SPLICE_SVC_FREE;

	for (uint16_t p = 0; p < conf->nb_ports; p++)
		owned_add(t, p, conf->ports[p].addr, SF_SPLICE_OWN_PORT);
	for (uint16_t s = 0; s < conf->nb_services; s++) {
		const struct sf_conf_service *cs = &conf->services[s];
		uint32_t i;

		for (i = sf_splice_hash(cs->vip, cs->vport) & t->svc_mask;
				t->svc[i].index != SF_SPLICE_SVC_FREE; i = (i + 1) & t->svc_mask)
			;
		t->svc[i] = (struct sf_splice_svc){
			.vip = cs->vip, .vport = cs->vport, .mss = cs->mss, .wscale = cs->wscale,
			.port = cs->port, .index = s,
		};
		owned_add(t, cs->port, cs->vip, SF_SPLICE_OWN_VIP);
		for (uint16_t a = 0; a < cs->nb_sources; a++)
			owned_add(t, cs->backend_port, cs->sources[a], SF_SPLICE_OWN_SOURCE);
	}
	return t;
nomem:
	sf_splice_tables_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

void sf_splice_tables_free(struct sf_splice_tables *t)
{
	if (t == NULL)
		return;
	rte_free(t->svc);
	rte_free(t->owned);
	rte_free(t);
}
