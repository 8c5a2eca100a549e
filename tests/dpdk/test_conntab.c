/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table against a plain reference, under EAL (--no-huge): random
 * inserts, lookups (bulk, hits and misses mixed), deletes and re-inserts, in a
 * small table so that buckets fill and spill; both key indexes (own, rte_hash)
 * must give the same answers as the reference at every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <errno.h>
#include <rte_eal.h>

#include "sf_conntab.h"

#define CAP 4096
#define OPS 400000

static uint64_t rs = 88172645463325252ull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* Tuples drawn from a small space, so that re-inserts and duplicates happen. */
static void tuple(struct sf_conn *c)
{
	uint64_t r = rnd();

	c->c_addr = 0x000012c6 | (uint32_t)((r & 0x3ff) << 16);
	c->vip = 0x640012c6;
	c->c_port = (uint16_t)(1024 + ((r >> 10) & 0xfff));
	c->vport = 80;
	c->b_addr = 0x010112c6;
	c->s_addr = 0x640112c6;
	c->b_port = 8080;
	c->s_port = (uint16_t)(1024 + ((r >> 22) & 0x3fff));
}

static void check_impl(unsigned int impl)
{
	struct sf_conntab *t = sf_conntab_create(&(struct sf_conntab_params){
		.name = impl ? "test_ct_rh" : "test_ct_own", .capacity = CAP, .socket = 0, .impl = impl,
	});
	struct sf_conn *live[CAP];
	unsigned int nb = 0;
	uint64_t spills_seen = 0;

	assert_non_null(t);
	for (unsigned int op = 0; op < OPS; op++) {
		unsigned int what = (unsigned int)(rnd() % 10);

		if (what < 4 && nb < CAP) {
			/* Insert: both halves, or neither when a tuple is taken. */
			struct sf_conn *c = sf_conntab_conn_alloc(t);
			struct sf_conntab_key kc, kb;
			int r1, r2;

			assert_non_null(c);
			tuple(c);
			c->state = SF_CONN_ESTABLISHED;
			sf_conn_key(c, SF_CONN_CLIENT, &kc);
			sf_conn_key(c, SF_CONN_BACKEND, &kb);
			r1 = sf_conntab_add(t, &kc, c, SF_CONN_CLIENT);
			if (r1 != 0) {
				/* rte_hash may refuse before it holds 2 x capacity keys; the own index never. */
				assert_true(r1 == -EEXIST || (impl == SF_CONNTAB_RTE_HASH && r1 == -ENOSPC));
				sf_conntab_conn_free(t, c);
				continue;
			}
			r2 = sf_conntab_add(t, &kb, c, SF_CONN_BACKEND);
			if (r2 != 0) {
				assert_true(r2 == -EEXIST || (impl == SF_CONNTAB_RTE_HASH && r2 == -ENOSPC));
				assert_int_equal(sf_conntab_del(t, &kc), 0);
				sf_conntab_conn_free(t, c);
				continue;
			}
			live[nb++] = c;
		} else if (what < 6 && nb > 0) {
			/* Delete a random live connection. */
			unsigned int i = (unsigned int)(rnd() % nb);
			struct sf_conntab_key k;

			sf_conn_key(live[i], SF_CONN_CLIENT, &k);
			assert_int_equal(sf_conntab_del(t, &k), 0);
			assert_int_equal(sf_conntab_del(t, &k), -ENOENT);
			sf_conn_key(live[i], SF_CONN_BACKEND, &k);
			assert_int_equal(sf_conntab_del(t, &k), 0);
			sf_conntab_conn_free(t, live[i]);
			live[i] = live[--nb];
		} else {
			/* A burst of 32 lookups, live keys and absent ones mixed. */
			struct sf_conntab_key keys[32];
			const struct sf_conntab_key *kp[32];
			struct sf_conn *want[32], *got[32];
			uint8_t want_half[32], half[32];
			uint64_t hits, want_hits = 0;

			for (unsigned int i = 0; i < 32; i++) {
				if (nb > 0 && (rnd() & 1)) {
					struct sf_conn *c = live[rnd() % nb];

					want_half[i] = (uint8_t)(rnd() & 1);
					sf_conn_key(c, want_half[i], &keys[i]);
					want[i] = c;
					want_hits |= 1ull << i;
				} else {
					struct sf_conn tmp = {0};

					tuple(&tmp);
					tmp.c_port = 7;   /* never used by tuple() */
					sf_conn_key(&tmp, SF_CONN_CLIENT, &keys[i]);
					want[i] = NULL;
				}
				kp[i] = &keys[i];
			}
			hits = sf_conntab_lookup_bulk(t, kp, 32, got, half);
			assert_int_equal(hits, want_hits);
			for (unsigned int i = 0; i < 32; i++) {
				assert_ptr_equal(got[i], want[i]);
				if (want[i] != NULL)
					assert_int_equal(half[i], want_half[i]);
			}
		}
		assert_int_equal(sf_conntab_count(t), nb);
		spills_seen += nb > CAP * 3 / 4;
	}
	/* The run must have filled the table well past the point where buckets spill. */
	assert_true(spills_seen > 0);
	sf_conntab_free(t);
}

static void test_own(void **state)
{
	(void)state;
	check_impl(SF_CONNTAB_OWN);
}

static void test_rte_hash(void **state)
{
	(void)state;
	check_impl(SF_CONNTAB_RTE_HASH);
}

static void test_full_pool(void **state)
{
	struct sf_conntab *t = sf_conntab_create(&(struct sf_conntab_params){
		.name = "test_ct_full", .capacity = 1024, .socket = 0,
	});

	(void)state;
	assert_non_null(t);
	for (unsigned int i = 0; i < 1024; i++)
		assert_non_null(sf_conntab_conn_alloc(t));
	/* The pool is exhausted: allocation fails cleanly, nothing is allocated on the side. */
	assert_null(sf_conntab_conn_alloc(t));
	assert_int_equal(sf_conntab_count(t), 1024);
	sf_conntab_free(t);
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = {argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-telemetry", "-l", "0",
		"--file-prefix", prefix, "--log-level", "lib.eal:error", NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own),
		cmocka_unit_test(test_rte_hash),
		cmocka_unit_test(test_full_pool),
	};

	(void)argc;
	snprintf(prefix, sizeof(prefix), "test-conntab-%d", getpid());
	if (rte_eal_init(12, eal) < 0) {
		fprintf(stderr, "EAL init failed (needs root for --no-huge)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
