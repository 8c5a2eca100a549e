/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table.
 *
 * Two interchangeable key indexes, chosen at creation (sf_conntab_params.impl):
 *
 *  - SF_CONNTAB_OWN (default): buckets of one cache line, 7 slots of a 32-bit hash
 *    tag and a 32-bit connection index (its half in the top bit). The key itself is
 *    not stored: a tag match is confirmed against the connection's own tuple, which
 *    the packet needs next anyway. A lookup is therefore one bucket line and one
 *    connection line, and a burst pipelines them: hash and prefetch every bucket,
 *    then match tags and prefetch every candidate connection, then confirm. A full
 *    bucket spills into the next one and marks itself so lookups follow (sticky; at
 *    the table's size, a bucket is rarely full). 32 bytes of index per connection.
 *
 *  - SF_CONNTAB_RTE_HASH: DPDK's rte_hash with the 16-byte key and the connection
 *    pointer as data (a bucket line, a key-store line, then the connection). Kept
 *    for the side-by-side benchmark (tests/bench/conntab) that justifies the default.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "sf_conntab.h"

static_assert(sizeof(struct sf_conntab_key) == 16, "rte_hash's 16-byte key compare");
static_assert(sizeof(struct sf_conn) <= 128, "a connection fits two cache lines");

#define SLOTS 7
#define EMPTY UINT32_MAX
#define HALF_BIT 0x80000000u
#define F_SPILLED 0x1u     /* some key of this bucket lives in a later bucket */

struct bucket {
	uint32_t tag[SLOTS];       /* 0 = free slot */
	uint32_t flags;
	uint32_t idx[SLOTS];       /* connection index, half in bit 31 */
	uint32_t reserved;
} __rte_cache_aligned;

static_assert(sizeof(struct bucket) == RTE_CACHE_LINE_SIZE, "one line per bucket");

struct sf_conntab {
	unsigned int impl;
	uint32_t capacity;
	uint32_t nb_free;
	uint32_t mask;             /* buckets - 1 */
	struct bucket *b;
	struct rte_hash *h;
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

static inline uint32_t key_hash(const struct sf_conntab_key *k)
{
	uint32_t h = rte_hash_crc_8byte(((const uint64_t *)k)[0], 0x9e3779b9u);

	h = rte_hash_crc_4byte(((const uint32_t *)k)[2], h);
	return h != 0 ? h : 1;     /* 0 marks a free slot */
}

static inline uint32_t bucket_of(const struct sf_conntab *t, uint32_t h)
{
	/* The tag is h; the bucket takes the high bits of a multiplicative mix of it. */
	return (uint32_t)(((uint64_t)(h * 0x9e3779b1u) * (t->mask + 1)) >> 32);
}

static inline bool key_is(const struct sf_conn *c, uint32_t half, const struct sf_conntab_key *k)
{
	struct sf_conntab_key ck;

	sf_conn_key(c, half, &ck);
	return memcmp(&ck, k, 12) == 0;
}

struct sf_conntab *sf_conntab_create(const struct sf_conntab_params *p)
{
	struct sf_conntab *t;

	if (p->capacity == 0 || p->capacity > (1u << 26) || p->impl > SF_CONNTAB_RTE_HASH) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("sf_conntab", sizeof(*t), RTE_CACHE_LINE_SIZE, p->socket);
	if (t == NULL)
		goto nomem;
	t->impl = p->impl;
	t->capacity = p->capacity;
	t->conns = rte_zmalloc_socket("sf_conns", (size_t)p->capacity * sizeof(t->conns[0]),
			RTE_CACHE_LINE_SIZE, p->socket);
	t->free = rte_malloc_socket("sf_conn_free", (size_t)p->capacity * sizeof(t->free[0]), 0,
			p->socket);
	if (t->conns == NULL || t->free == NULL)
		goto nomem;
	if (p->impl == SF_CONNTAB_OWN) {
		/* Two keys a connection, buckets at most 4/7 full when the pool is. */
		uint32_t nb = rte_align32pow2((uint32_t)(((uint64_t)p->capacity * 2 * 7 / 4 + SLOTS - 1) /
				SLOTS));

		t->mask = nb - 1;
		t->b = rte_malloc_socket("sf_conntab_buckets", (size_t)nb * sizeof(*t->b),
				RTE_CACHE_LINE_SIZE, p->socket);
		if (t->b == NULL)
			goto nomem;
		memset(t->b, 0, (size_t)nb * sizeof(*t->b));
	} else {
		struct rte_hash_parameters hp = {
			.name = p->name,
			.entries = 2 * p->capacity,
			.key_len = sizeof(struct sf_conntab_key),
			.hash_func = rte_hash_crc,
			.socket_id = p->socket,
		};

		t->h = rte_hash_create(&hp);
		if (t->h == NULL) {
			int err = rte_errno;

			sf_conntab_free(t);
			rte_errno = err;
			return NULL;
		}
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
	rte_free(t->b);
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

/* Find the slot of a key in the own index: @return true with bi and si set. */
static bool own_find(const struct sf_conntab *t, const struct sf_conntab_key *k, uint32_t h,
		uint32_t *bi, unsigned int *si)
{
	uint32_t b = bucket_of(t, h);

	for (uint32_t n = 0; n <= t->mask; n++, b = (b + 1) & t->mask) {
		const struct bucket *bk = &t->b[b];

		for (unsigned int s = 0; s < SLOTS; s++) {
			uint32_t idx = bk->idx[s];

			if (bk->tag[s] == h &&
			    key_is(&t->conns[idx & ~HALF_BIT], idx >> 31, k)) {
				*bi = b;
				*si = s;
				return true;
			}
		}
		if (!(bk->flags & F_SPILLED))
			return false;
	}
	return false;
}

int sf_conntab_add(struct sf_conntab *t, const struct sf_conntab_key *k, struct sf_conn *c,
		unsigned int half)
{
	uint32_t h, b, bi;
	unsigned int si;

	if (t->impl == SF_CONNTAB_RTE_HASH) {
		if (rte_hash_lookup(t->h, k) >= 0)
			return -EEXIST;
		return rte_hash_add_key_data(t->h, k, (void *)((uintptr_t)c | half)) == 0 ? 0 : -ENOSPC;
	}
	h = key_hash(k);
	if (own_find(t, k, h, &bi, &si))
		return -EEXIST;
	b = bucket_of(t, h);
	for (uint32_t n = 0; n <= t->mask; n++, b = (b + 1) & t->mask) {
		struct bucket *bk = &t->b[b];

		for (unsigned int s = 0; s < SLOTS; s++) {
			if (bk->tag[s] != 0)
				continue;
			bk->tag[s] = h;
			bk->idx[s] = (uint32_t)(c - t->conns) | (half ? HALF_BIT : 0);
			return 0;
		}
		bk->flags |= F_SPILLED;
	}
	return -ENOSPC;
}

int sf_conntab_del(struct sf_conntab *t, const struct sf_conntab_key *k)
{
	uint32_t bi;
	unsigned int si;

	if (t->impl == SF_CONNTAB_RTE_HASH)
		return rte_hash_del_key(t->h, k) >= 0 ? 0 : -ENOENT;
	if (!own_find(t, k, key_hash(k), &bi, &si))
		return -ENOENT;
	t->b[bi].tag[si] = 0;
	t->b[bi].idx[si] = EMPTY;
	return 0;
}

static uint64_t rh_lookup_bulk(const struct sf_conntab *t, const struct sf_conntab_key **keys,
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

uint64_t sf_conntab_lookup_bulk(const struct sf_conntab *t, const struct sf_conntab_key **keys,
		unsigned int n, struct sf_conn **conn, uint8_t *half)
{
	uint32_t h[64], b[64], cand[64];
	uint64_t hits = 0;

	if (t->impl == SF_CONNTAB_RTE_HASH)
		return rh_lookup_bulk(t, keys, n, conn, half);
	/* Stage 1: hash every key, start every bucket's miss. */
	for (unsigned int i = 0; i < n; i++) {
		h[i] = key_hash(keys[i]);
		b[i] = bucket_of(t, h[i]);
		rte_prefetch0(&t->b[b[i]]);
	}
	/* Stage 2: match tags, start every candidate connection's miss. */
	for (unsigned int i = 0; i < n; i++) {
		const struct bucket *bk = &t->b[b[i]];

		cand[i] = EMPTY;
		for (unsigned int s = 0; s < SLOTS; s++) {
			if (bk->tag[s] == h[i]) {
				cand[i] = bk->idx[s];
				rte_prefetch0(&t->conns[cand[i] & ~HALF_BIT]);
				break;
			}
		}
	}
	/* Stage 3: confirm against the connection's tuple; rare cases take the slow walk. */
	for (unsigned int i = 0; i < n; i++) {
		uint32_t idx = cand[i];
		uint32_t bi;
		unsigned int si;

		conn[i] = NULL;
		if (likely(idx != EMPTY) && key_is(&t->conns[idx & ~HALF_BIT], idx >> 31, keys[i])) {
			conn[i] = &t->conns[idx & ~HALF_BIT];
			half[i] = (uint8_t)(idx >> 31);
		} else if ((idx != EMPTY || (t->b[b[i]].flags & F_SPILLED)) &&
			   own_find(t, keys[i], h[i], &bi, &si)) {
			/* A second tag match in the bucket, or a key spilled to a later bucket. */
			idx = t->b[bi].idx[si];
			conn[i] = &t->conns[idx & ~HALF_BIT];
			half[i] = (uint8_t)(idx >> 31);
		}
		if (conn[i] != NULL)
			hits |= 1ull << i;
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
