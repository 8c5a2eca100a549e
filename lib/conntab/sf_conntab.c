/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "sf_conntab.h"

static_assert(sizeof(struct sf_conntab_key) == 12, "key is three 32-bit words");
static_assert(sizeof(struct sf_conn) <= 128, "a connection fits two cache lines");

struct sf_conntab {
	struct rte_hash *h;
	uint32_t capacity;
	uint32_t nb_free;
	struct sf_conn **free;     /**< stack of free connections */
	struct sf_conn *conns;     /**< the pool */
};

static const char *const state_names[] = {
#define SF_CONN_X_NAME(n) #n,
	SF_CONN_STATE_LIST(SF_CONN_X_NAME)
#undef SF_CONN_X_NAME
};

const char *sf_conn_state_name(unsigned int state)
{
	return state < SF_CONN_STATE_MAX ? state_names[state] : "UNKNOWN";
}

struct sf_conntab *sf_conntab_create(const struct sf_conntab_params *p)
{
	struct rte_hash_parameters hp = {
		.name = p->name,
		.entries = 2 * p->capacity,
		.key_len = sizeof(struct sf_conntab_key),
		.hash_func = rte_hash_crc,
		.socket_id = p->socket,
	};
	struct sf_conntab *t;

	if (p->capacity == 0 || p->capacity > (1u << 26)) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("sf_conntab", sizeof(*t), RTE_CACHE_LINE_SIZE, p->socket);
	if (t == NULL)
		goto nomem;
	t->capacity = p->capacity;
	t->conns = rte_zmalloc_socket("sf_conns", (size_t)p->capacity * sizeof(t->conns[0]),
			RTE_CACHE_LINE_SIZE, p->socket);
	t->free = rte_malloc_socket("sf_conn_free", (size_t)p->capacity * sizeof(t->free[0]), 0,
			p->socket);
	if (t->conns == NULL || t->free == NULL)
		goto nomem;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL) {
		int err = rte_errno;

		sf_conntab_free(t);
		rte_errno = err;
		return NULL;
	}
	/* Stack the pool so the first allocations come from its start (warm pages). */
	for (uint32_t i = 0; i < p->capacity; i++)
		t->free[i] = &t->conns[p->capacity - 1 - i];
	t->nb_free = p->capacity;
	return t;
nomem:
	sf_conntab_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

void sf_conntab_free(struct sf_conntab *t)
{
	if (t == NULL)
		return;
	if (t->conns != NULL)
		for (uint32_t i = 0; i < t->capacity; i++)
			if (t->conns[i].state != SF_CONN_CLOSED)
				rte_pktmbuf_free(t->conns[i].held);
	rte_hash_free(t->h);
	rte_free(t->free);
	rte_free(t->conns);
	rte_free(t);
}

struct sf_conn *sf_conntab_conn_alloc(struct sf_conntab *t)
{
	struct sf_conn *c;

	if (unlikely(t->nb_free == 0))
		return NULL;
	c = t->free[--t->nb_free];
	memset(c, 0, sizeof(*c));
	return c;
}

void sf_conntab_conn_free(struct sf_conntab *t, struct sf_conn *c)
{
	c->state = SF_CONN_CLOSED;
	t->free[t->nb_free++] = c;
}

int sf_conntab_add(struct sf_conntab *t, const struct sf_conntab_key *k, struct sf_conn *c,
		unsigned int half)
{
	int ret;

	if (rte_hash_lookup(t->h, k) >= 0)
		return -EEXIST;
	ret = rte_hash_add_key_data(t->h, k, (void *)((uintptr_t)c | half));
	return ret == 0 ? 0 : -ENOSPC;
}

int sf_conntab_del(struct sf_conntab *t, const struct sf_conntab_key *k)
{
	return rte_hash_del_key(t->h, k) >= 0 ? 0 : -ENOENT;
}

uint64_t sf_conntab_lookup_bulk(const struct sf_conntab *t, const struct sf_conntab_key **keys,
		unsigned int n, struct sf_conn **conn, uint8_t *half)
{
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t hits = 0, mask;
	unsigned int done = 0;

	while (done < n) {
		unsigned int k = RTE_MIN(n - done, (unsigned int)RTE_HASH_LOOKUP_BULK_MAX);

		mask = 0;
		rte_hash_lookup_bulk_data(t->h, (const void **)(keys + done), k, &mask, data);
		for (unsigned int i = 0; i < k; i++) {
			if (mask & (1ull << i)) {
				uintptr_t v = (uintptr_t)data[i];

				conn[done + i] = (struct sf_conn *)(v & ~(uintptr_t)1);
				half[done + i] = (uint8_t)(v & 1);
			} else {
				conn[done + i] = NULL;
			}
		}
		hits |= mask << done;
		done += k;
	}
	return hits;
}

uint32_t sf_conntab_count(const struct sf_conntab *t)
{
	return t->capacity - t->nb_free;
}

uint32_t sf_conntab_capacity(const struct sf_conntab *t)
{
	return t->capacity;
}

void sf_conntab_walk(const struct sf_conntab *t, void (*fn)(const struct sf_conn *c, void *arg),
		void *arg)
{
	for (uint32_t i = 0; i < t->capacity; i++)
		if (t->conns[i].state != SF_CONN_CLOSED)
			fn(&t->conns[i], arg);
}
