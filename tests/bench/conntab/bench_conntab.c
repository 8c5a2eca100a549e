/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table: the own key index against rte_hash, in the same run, on the
 * same keys. Per implementation and table size: cycles per insert (two keys, as
 * a connection has), per bulk lookup of existing keys (bursts of 32, random
 * order), per bulk lookup of absent keys, per delete; and the bytes the table
 * takes per connection. Every lookup result is checked against the connection
 * it must find, so a broken index cannot post a good number.
 *
 * usage: bench-conntab [EAL options --] [-n CONNS[,CONNS...]] [-r RUNS]
 * Prints a table and one "RESULT {json}" line.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "sf_conntab.h"

#define BURST 32

struct figure {
	double insert, hit, miss, del, bytes;
};

static uint64_t rnd_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;

	rte_malloc_get_socket_stats((int)rte_socket_id(), &st);
	return st.heap_allocsz_bytes;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One run of one implementation at one size; @return 0, or -1 on a wrong answer. */
static int run(unsigned int impl, uint32_t n, struct figure *f)
{
	static unsigned int seq;
	char name[32];
	size_t before = heap_used();
	struct sf_conntab *t;
	struct sf_conn **conns = malloc(sizeof(*conns) * n);
	struct sf_conntab_key *keys = malloc(sizeof(*keys) * 2 * n);
	const struct sf_conntab_key *kp[BURST];
	struct sf_conn *out[BURST];
	uint8_t half[BURST];
	uint64_t t0, lookups = 4u * 1024 * 1024, c;
	int ret = -1;

	snprintf(name, sizeof(name), "bench_ct_%u", seq++);
	t = sf_conntab_create(&(struct sf_conntab_params){
		.name = name, .capacity = n, .socket = (int)rte_socket_id(), .impl = impl,
	});
	if (t == NULL || conns == NULL || keys == NULL) {
		fprintf(stderr, "bench-conntab: cannot create a table of %u\n", n);
		goto out;
	}
	f->bytes = (double)(heap_used() - before) / n;
	/* Connections with random client and backend tuples; their keys. */
	for (uint32_t i = 0; i < n; i++) {
		struct sf_conn *cn = sf_conntab_conn_alloc(t);
		uint64_t r = rnd();

		cn->c_addr = (uint32_t)r;
		cn->vip = 0x640012c6;  /* 198.18.0.100 */
		cn->c_port = (uint16_t)(r >> 32);
		cn->vport = 80;
		cn->b_addr = 0x010112c6;
		cn->s_addr = 0x640112c6;
		cn->b_port = 8080;
		cn->s_port = (uint16_t)(r >> 48);
		cn->state = SF_CONN_ESTABLISHED;
		sf_conn_key(cn, SF_CONN_CLIENT, &keys[2 * i]);
		sf_conn_key(cn, SF_CONN_BACKEND, &keys[2 * i + 1]);
		conns[i] = cn;
	}
	t0 = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++) {
		/* A random tuple may repeat: such a connection gets no second entry. */
		if (sf_conntab_add(t, &keys[2 * i], conns[i], SF_CONN_CLIENT) != 0 ||
		    sf_conntab_add(t, &keys[2 * i + 1], conns[i], SF_CONN_BACKEND) != 0)
			conns[i] = NULL;
	}
	f->insert = (double)(rte_rdtsc() - t0) / (2.0 * n);

	/* Hits: random existing keys, bursts of 32. */
	c = 0;
	for (uint64_t done = 0; done < lookups; done += BURST) {
		uint32_t idx[BURST];
		uint64_t s, hits;

		for (unsigned int i = 0; i < BURST; i++) {
			do
				idx[i] = (uint32_t)(rnd() % n);
			while (conns[idx[i]] == NULL);
			kp[i] = &keys[2 * idx[i] + (i & 1)];
		}
		s = rte_rdtsc();
		hits = sf_conntab_lookup_bulk(t, kp, BURST, out, half);
		c += rte_rdtsc() - s;
		for (unsigned int i = 0; i < BURST; i++) {
			if (!(hits & (1ull << i)) || out[i] != conns[idx[i]] || half[i] != (i & 1)) {
				fprintf(stderr, "bench-conntab: impl %u: wrong answer for key %u\n", impl, idx[i]);
				goto out;
			}
		}
	}
	f->hit = (double)c / lookups;

	/* Misses: keys no connection has. */
	c = 0;
	for (uint64_t done = 0; done < lookups; done += BURST) {
		struct sf_conntab_key mk[BURST];
		uint64_t s, hits;

		for (unsigned int i = 0; i < BURST; i++) {
			mk[i] = (struct sf_conntab_key){(uint32_t)rnd(), 0x650012c6, 1, 1};
			kp[i] = &mk[i];
		}
		s = rte_rdtsc();
		hits = sf_conntab_lookup_bulk(t, kp, BURST, out, half);
		c += rte_rdtsc() - s;
		if (hits != 0) {
			fprintf(stderr, "bench-conntab: impl %u: a key no one has was found\n", impl);
			goto out;
		}
	}
	f->miss = (double)c / lookups;

	t0 = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++) {
		if (conns[i] == NULL)
			continue;
		if (sf_conntab_del(t, &keys[2 * i]) != 0 || sf_conntab_del(t, &keys[2 * i + 1]) != 0) {
			fprintf(stderr, "bench-conntab: impl %u: delete failed\n", impl);
			goto out;
		}
	}
	f->del = (double)(rte_rdtsc() - t0) / (2.0 * n);
	kp[0] = &keys[0];
	if (sf_conntab_lookup_bulk(t, kp, 1, out, half) != 0) {
		fprintf(stderr, "bench-conntab: impl %u: deleted key still found\n", impl);
		goto out;
	}
	ret = 0;
out:
	sf_conntab_free(t);
	free(conns);
	free(keys);
	return ret;
}

int main(int argc, char **argv)
{
	static char *def[] = {"bench-conntab", "--no-huge", "-m", "3072", "--no-pci", "--no-telemetry",
		"-l", "0", "--file-prefix", NULL, NULL};
	static const char *const names[] = {"own", "rte_hash"};
	char prefix[48];
	uint32_t sizes[8] = {1000, 1000000};
	unsigned int nb_sizes = 2, runs = 5;
	int ret, opt;
	bool first = true;

	snprintf(prefix, sizeof(prefix), "bench-conntab-%d", getpid());
	def[9] = prefix;
	bool eal_args = false;

	for (int i = 1; i < argc; i++)
		eal_args |= strcmp(argv[i], "--") == 0;
	ret = eal_args ? rte_eal_init(argc, argv) : rte_eal_init(10, def);
	if (ret < 0) {
		fprintf(stderr, "bench-conntab: EAL init failed\n");
		return 1;
	}
	if (eal_args) {
		argc -= ret;
		argv += ret;
	}
	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n') {
			char *s = optarg;

			for (nb_sizes = 0; nb_sizes < 8 && *s != '\0'; nb_sizes++) {
				sizes[nb_sizes] = (uint32_t)strtoul(s, &s, 10);
				if (*s == ',')
					s++;
			}
		} else if (opt == 'r') {
			runs = (unsigned int)atoi(optarg);
		}
	}
	if (runs < 1 || runs > 31)
		runs = 5;
	printf("connection table: own index vs rte_hash, same keys, same run; median of %u runs; TSC %.3f GHz\n",
			runs, rte_get_tsc_hz() / 1e9);
	printf("  %-9s %10s %10s %12s %12s %10s %10s\n", "impl", "conns", "insert", "lookup hit",
			"lookup miss", "delete", "bytes/conn");
	char json[4096];
	size_t off = (size_t)snprintf(json, sizeof(json), "{\"bench\":\"conntab\",\"unit\":\"tsc_cycles_per_key\","
			"\"burst\":%d,\"runs\":%u,\"tsc_hz\":%" PRIu64 ",\"results\":[", BURST, runs, rte_get_tsc_hz());
	for (unsigned int s = 0; s < nb_sizes; s++) {
		for (unsigned int impl = SF_CONNTAB_OWN; impl <= SF_CONNTAB_RTE_HASH; impl++) {
			double ins[31], hit[31], miss[31], del[31], bytes = 0;
			struct figure f;

			for (unsigned int r = 0; r < runs; r++) {
				if (run(impl, sizes[s], &f) != 0)
					return 1;
				ins[r] = f.insert;
				hit[r] = f.hit;
				miss[r] = f.miss;
				del[r] = f.del;
				bytes = f.bytes;
			}
			qsort(ins, runs, sizeof(double), cmp_double);
			qsort(hit, runs, sizeof(double), cmp_double);
			qsort(miss, runs, sizeof(double), cmp_double);
			qsort(del, runs, sizeof(double), cmp_double);
			printf("  %-9s %10u %10.1f %12.1f %12.1f %10.1f %10.1f\n", names[impl], sizes[s],
					ins[runs / 2], hit[runs / 2], miss[runs / 2], del[runs / 2], bytes);
			off += (size_t)snprintf(json + off, sizeof(json) - off,
					"%s{\"impl\":\"%s\",\"conns\":%u,\"insert\":%.1f,\"lookup_hit\":%.1f,"
					"\"lookup_miss\":%.1f,\"delete\":%.1f,\"bytes_per_conn\":%.1f}",
					first ? "" : ",", names[impl], sizes[s], ins[runs / 2], hit[runs / 2],
					miss[runs / 2], del[runs / 2], bytes);
			first = false;
		}
	}
	printf("  (cycles per key; bytes/conn = the table's heap per connection, pool included)\n");
	printf("RESULT %s]}\n", json);
	rte_eal_cleanup();
	return 0;
}
