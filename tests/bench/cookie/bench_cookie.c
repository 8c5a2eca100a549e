/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-cookie: TSC cycles per packet to mint a cookie (SYN -> SYN-ACK
 * fields) and to check one (ACK), one packet per call and in bursts of 32.
 * Each figure is the median of 5 runs. Prints a table, then one line
 * "RESULT {json}" for scripts. Needs no EAL.
 *
 *   bench-cookie [packets per run, default 4194304]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "sf_cookie.h"

#define RUNS 5
#define BURST 32
#define POOL 4096            /* distinct packets, cycled (a worker's data is hot) */
#define NOW UINT64_C(1700000000000)

static struct sf_cookie_syn syn[POOL];
static struct sf_cookie_synack synack[POOL];
static struct sf_cookie_ack ack[POOL];
static struct sf_cookie_ack forged[POOL];
static struct sf_cookie_result res[POOL];

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

enum mode { ENCODE, CHECK, CHECK_FORGED };

static volatile uint64_t sink;

/* Cycles per packet for one run of @p total packets in calls of @p burst. */
static double
run(const struct sf_cookie_ctx *ctx, enum mode m, unsigned int burst, uint64_t total)
{
	uint64_t done = 0, acc = 0, t0, t1;

	t0 = rte_rdtsc_precise();
	while (done < total) {
		for (unsigned int i = 0; i < POOL; i += burst) {
			switch (m) {
			case ENCODE:
				acc += sf_cookie_syn_encode_bulk(ctx, &syn[i], &synack[i], burst, NOW);
				break;
			case CHECK:
				acc += sf_cookie_ack_check_bulk(ctx, &ack[i], &res[i], burst, NOW + 1000);
				break;
			case CHECK_FORGED:
				acc += sf_cookie_ack_check_bulk(ctx, &forged[i], &res[i], burst, NOW + 1000);
				break;
			}
		}
		done += POOL;
	}
	t1 = rte_rdtsc_precise();
	sink = acc;
	return (double)(t1 - t0) / (double)done;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const struct sf_cookie_ctx *ctx, enum mode m, unsigned int burst, uint64_t total)
{
	double v[RUNS];

	run(ctx, m, burst, total / 8);   /* warm caches and branch predictors */
	for (unsigned int r = 0; r < RUNS; r++)
		v[r] = run(ctx, m, burst, total);
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	return v[RUNS / 2];
}

/* TSC rate, measured against CLOCK_MONOTONIC over 200 ms. */
static double
tsc_hz(void)
{
	struct timespec a, b;
	uint64_t c0, c1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	c0 = rte_rdtsc_precise();
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 200000000L);
	c1 = rte_rdtsc_precise();
	return (double)(c1 - c0) * 1e9 /
		(double)((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec));
}

int
main(int argc, char **argv)
{
	uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 0) : UINT64_C(1) << 22;
	struct sf_cookie_ctx *ctx = sf_cookie_ctx_create(NULL);
	double enc1, enc32, chk1, chk32, forged32, hz;
	unsigned int ok;

	if (ctx == NULL || total < POOL) {
		fprintf(stderr, "bench-cookie: cannot create a cookie context\n");
		return 1;
	}
	for (unsigned int i = 0; i < POOL; i++) {
		uint64_t x = rng();

		syn[i] = (struct sf_cookie_syn){
			.saddr = (uint32_t)x, .daddr = 0x640012c6u,
			.sport = (uint16_t)(x >> 32), .dport = 80, .isn = (uint32_t)rng(),
			.mss = (uint16_t)(536 + (x >> 48) % 1000), .wscale = 7,
			.opts = (x >> 60) & 1 ? SF_COOKIE_OPT_WS | SF_COOKIE_OPT_SACK | SF_COOKIE_OPT_TS :
				SF_COOKIE_OPT_WS | SF_COOKIE_OPT_SACK,
		};
	}
	sf_cookie_syn_encode_bulk(ctx, syn, synack, POOL, NOW);
	for (unsigned int i = 0; i < POOL; i++) {
		ack[i] = (struct sf_cookie_ack){
			.saddr = syn[i].saddr, .daddr = syn[i].daddr,
			.sport = syn[i].sport, .dport = syn[i].dport,
			.seq = syn[i].isn + 1, .ack = synack[i].isn + 1,
			.tsecr = synack[i].tsval, .has_ts = (synack[i].opts & SF_COOKIE_OPT_TS) != 0,
		};
		forged[i] = ack[i];
		forged[i].ack = (uint32_t)rng();
		forged[i].has_ts = 0;
	}
	ok = sf_cookie_ack_check_bulk(ctx, ack, res, POOL, NOW + 1000);
	if (ok != POOL) {
		fprintf(stderr, "bench-cookie: %u of %u cookies failed to check\n", POOL - ok, POOL);
		return 1;
	}

	hz = tsc_hz();
	enc1 = median(ctx, ENCODE, 1, total);
	enc32 = median(ctx, ENCODE, BURST, total);
	chk1 = median(ctx, CHECK, 1, total);
	chk32 = median(ctx, CHECK, BURST, total);
	forged32 = median(ctx, CHECK_FORGED, BURST, total);

	printf("cookie: TSC cycles per packet, median of %d runs of %" PRIu64 " packets "
		"(TSC %.2f GHz)\n", RUNS, total, hz / 1e9);
	printf("  %-34s %10s %10s\n", "operation", "burst 1", "burst 32");
	printf("  %-34s %10.1f %10.1f\n", "encode (SYN -> cookie, TSval)", enc1, enc32);
	printf("  %-34s %10.1f %10.1f\n", "check (valid ACK)", chk1, chk32);
	printf("  %-34s %10s %10.1f\n", "check (random forged ACK)", "-", forged32);
	printf("RESULT {\"bench\":\"cookie\",\"unit\":\"tsc_cycles_per_packet\",\"runs\":%d,"
		"\"packets_per_run\":%" PRIu64 ",\"tsc_hz\":%.0f,"
		"\"encode_burst1\":%.1f,\"encode_burst32\":%.1f,"
		"\"check_burst1\":%.1f,\"check_burst32\":%.1f,\"check_forged_burst32\":%.1f}\n",
		RUNS, total, hz, enc1, enc32, chk1, chk32, forged32);
	sf_cookie_ctx_free(ctx);
	return 0;
}
