/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timer wheel benchmark, side by side with DPDK's rte_timer in the same process.
 *
 *   bench-timerwheel [EAL options] -- [--rounds R] [--sizes N,N,...] [--rte-max N]
 *   e.g. bench-timerwheel --no-huge -m 512 --lcores 0 --no-pci -- --rounds 5
 *
 * For each number N of timers, in TSC cycles per operation (median of R rounds):
 *   arm     arm N idle timers, delays log-uniform from 1 ms to 1 day (all levels)
 *   rearm   move each of the N armed timers to a delay 1 h .. 1 day ahead
 *   cancel  cancel the N armed timers, in array order
 *   expire  N timers due within 1000 ticks, armed in shuffled order (so that, as with real
 *           connections, deadline order is not memory order), fired by one manage call
 *   tick    one manage call per new tick with the N timers armed 1 h .. 1 day ahead
 *           (nothing due: the per-tick cost); for rte_timer, one rte_timer_manage() call
 *   same    one manage call within the same tick (what most worker loop passes cost)
 *   steady  timer wheel only: N timers, delays uniform in 1 .. 60,000 ticks, each re-armed
 *           from its callback; cycles per tick and per fired timer over 3,000 ticks
 * For N <= 1000 each pass repeats until it has done about a million operations.
 * rte_timer runs up to --rte-max timers (default 1,000,000): its skip list makes each
 * operation a walk through cache misses at 10 M and the run would outgrow its time budget.
 * Prints a table and one line "RESULT {json}" for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memory.h>
#include <rte_timer.h>

#include "sf_timerwheel_dp.h"

#define MAX_SIZES 8
#define MAX_ROUNDS 31
#define TICK_US 1000
#define DAY_TICKS 86400000u
#define HOUR_TICKS 3600000u
#define EXPIRE_SPAN 1000u
#define IDLE_CALLS 10000u
#define STEADY_SPAN 60000u
#define STEADY_TICKS 3000u
#define OPS_TARGET 1000000u
#define STEADY_TABLE (1u << 20)

enum metric { M_ARM, M_REARM, M_CANCEL, M_EXPIRE, M_TICK, M_SAME, M_STEADY_TICK, M_STEADY_FIRE,
	      M_MAX };
static const char *const metric_name[M_MAX] = {
	"arm", "rearm", "cancel", "expire", "tick", "same", "steady_tick", "steady_fire",
};

struct result {
	uint64_t n;
	bool has_rte;
	double tw[M_MAX], rte[M_MAX];
	double steady_fires_per_tick;
};

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static volatile uint64_t fired_count;
static uint32_t *steady_delta;  /* random delays for re-arms from callbacks */
static uint32_t *perm;          /* shuffled timer order for the expiry pass */
static uint64_t steady_next;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

/* Roughly log-uniform from 1 to DAY_TICKS. */
static uint32_t delay_any(void)
{
	uint64_t d = 1 + (rnd() & ((UINT64_C(1) << (rnd() % 27)) - 1));

	return d > DAY_TICKS ? DAY_TICKS : (uint32_t)d;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void tw_cb(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t, void *arg)
{
	(void)tw;
	(void)t;
	(void)arg;
	fired_count++;
}

static void tw_steady_cb(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t, void *arg)
{
	(void)arg;
	fired_count++;
	sf_timerwheel_timer_arm(tw, t, steady_delta[steady_next++ & (STEADY_TABLE - 1)]);
}

static void rte_cb(struct rte_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	fired_count++;
}

/* One round of the timer wheel passes; m[] gets cycles per operation. */
static int run_tw(uint64_t n, uint64_t tsc_hz, const uint32_t *d1, const uint32_t *dfar,
		  const uint32_t *dexp, double *m)
{
	struct sf_timerwheel_params p = { .name = "bench", .socket_id = SOCKET_ID_ANY,
					  .tsc_hz = tsc_hz, .tick_us = TICK_US };
	uint64_t reps = n >= OPS_TARGET ? 1 : OPS_TARGET / n, tsc, t0, c_arm = 0, c_re = 0,
		 c_can = 0, c_exp = 0, nfired = 0, tpt = tsc_hz * TICK_US / 1000000, fires;
	struct sf_timerwheel_timer *tm;
	struct sf_timerwheel *tw;

	tm = aligned_alloc(64, RTE_ALIGN_CEIL(n * sizeof(*tm), 64));
	if (tm == NULL)
		return -ENOMEM;
	p.start_tsc = rte_rdtsc();
	tw = sf_timerwheel_create(&p);
	if (tw == NULL) {
		free(tm);
		return -rte_errno;
	}
	tsc = p.start_tsc;
	for (uint64_t i = 0; i < n; i++)
		sf_timerwheel_timer_init(&tm[i], tw_cb, NULL);

	for (uint64_t r = 0; r < reps; r++) {
		t0 = rte_rdtsc_precise();
		for (uint64_t i = 0; i < n; i++)
			sf_timerwheel_timer_arm(tw, &tm[i], d1[i]);
		c_arm += rte_rdtsc_precise() - t0;
		t0 = rte_rdtsc_precise();
		for (uint64_t i = 0; i < n; i++)
			sf_timerwheel_timer_arm(tw, &tm[i], dfar[i]);
		c_re += rte_rdtsc_precise() - t0;
		if (r == 0) {
			/* Per-tick cost with n timers armed 1 h .. 1 day ahead. */
			t0 = rte_rdtsc_precise();
			for (unsigned int k = 0; k < IDLE_CALLS; k++) {
				tsc += tpt;
				sf_timerwheel_manage(tw, tsc, 0);
			}
			m[M_TICK] = (double)(rte_rdtsc_precise() - t0) / IDLE_CALLS;
			t0 = rte_rdtsc_precise();
			for (unsigned int k = 0; k < IDLE_CALLS; k++)
				sf_timerwheel_manage(tw, tsc, 0);
			m[M_SAME] = (double)(rte_rdtsc_precise() - t0) / IDLE_CALLS;
		}
		t0 = rte_rdtsc_precise();
		for (uint64_t i = 0; i < n; i++)
			sf_timerwheel_timer_cancel(tw, &tm[i]);
		c_can += rte_rdtsc_precise() - t0;
	}
	m[M_ARM] = (double)c_arm / (double)(n * reps);
	m[M_REARM] = (double)c_re / (double)(n * reps);
	m[M_CANCEL] = (double)c_can / (double)(n * reps);

	/* Expiry: n timers due within EXPIRE_SPAN ticks, one manage call fires them all. */
	for (uint64_t r = 0; r < reps; r++) {
		for (uint64_t i = 0; i < n; i++)
			sf_timerwheel_timer_arm(tw, &tm[perm[i]], dexp[i]);
		tsc += (EXPIRE_SPAN + 64) * tpt; /* past the level-2 round-up */
		fired_count = 0;
		t0 = rte_rdtsc_precise();
		fires = sf_timerwheel_manage(tw, tsc, 0);
		c_exp += rte_rdtsc_precise() - t0;
		nfired += fires;
		if (fires != n || fired_count != n) {
			fprintf(stderr, "timer wheel fired %" PRIu64 " of %" PRIu64 "\n", fires, n);
			sf_timerwheel_free(tw);
			free(tm);
			return -EIO;
		}
	}
	m[M_EXPIRE] = (double)c_exp / (double)nfired;

	/* Steady state: each fired timer re-arms itself, uniform in 1 .. STEADY_SPAN ticks. */
	for (uint64_t i = 0; i < n; i++) {
		sf_timerwheel_timer_init(&tm[i], tw_steady_cb, NULL);
		sf_timerwheel_timer_arm(tw, &tm[i], 1 + (uint32_t)(rnd() % STEADY_SPAN));
	}
	fired_count = 0;
	t0 = rte_rdtsc_precise();
	for (unsigned int k = 0; k < STEADY_TICKS; k++) {
		tsc += tpt;
		sf_timerwheel_manage(tw, tsc, 0);
	}
	m[M_STEADY_TICK] = (double)(rte_rdtsc_precise() - t0) / STEADY_TICKS;
	m[M_STEADY_FIRE] = fired_count ? m[M_STEADY_TICK] * STEADY_TICKS / (double)fired_count : 0;
	steady_next = fired_count; /* vary the re-arm delays between rounds */
	sf_timerwheel_free(tw);
	free(tm);
	return (int)(fired_count / STEADY_TICKS);
}

/* One round of rte_timer passes, same delays (ticks converted to TSC cycles). */
static int run_rte(uint64_t n, uint64_t tsc_hz, const uint32_t *d1, const uint32_t *dfar,
		   const uint32_t *dexp, double *m)
{
	uint64_t reps = n >= OPS_TARGET ? 1 : OPS_TARGET / n, t0, c_arm = 0, c_re = 0, c_can = 0,
		 c_exp = 0, tpt = tsc_hz * TICK_US / 1000000;
	unsigned int lcore = rte_lcore_id();
	struct rte_timer *tm;

	tm = aligned_alloc(64, RTE_ALIGN_CEIL(n * sizeof(*tm), 64));
	if (tm == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		rte_timer_init(&tm[i]);

	for (uint64_t r = 0; r < reps; r++) {
		t0 = rte_rdtsc_precise();
		for (uint64_t i = 0; i < n; i++)
			rte_timer_reset(&tm[i], d1[i] * tpt, SINGLE, lcore, rte_cb, NULL);
		c_arm += rte_rdtsc_precise() - t0;
		t0 = rte_rdtsc_precise();
		for (uint64_t i = 0; i < n; i++)
			rte_timer_reset(&tm[i], dfar[i] * tpt, SINGLE, lcore, rte_cb, NULL);
		c_re += rte_rdtsc_precise() - t0;
		if (r == 0) {
			t0 = rte_rdtsc_precise();
			for (unsigned int k = 0; k < IDLE_CALLS; k++)
				rte_timer_manage();
			m[M_TICK] = (double)(rte_rdtsc_precise() - t0) / IDLE_CALLS;
			m[M_SAME] = m[M_TICK];
		}
		t0 = rte_rdtsc_precise();
		for (uint64_t i = 0; i < n; i++)
			rte_timer_stop(&tm[i]);
		c_can += rte_rdtsc_precise() - t0;
	}
	m[M_ARM] = (double)c_arm / (double)(n * reps);
	m[M_REARM] = (double)c_re / (double)(n * reps);
	m[M_CANCEL] = (double)c_can / (double)(n * reps);

	/*
	 * Expiry: due 1 .. EXPIRE_SPAN TSC cycles after arming, so all are due once armed; one
	 * rte_timer_manage() fires them all. Armed in the same shuffled order as the wheel's.
	 */
	for (uint64_t r = 0; r < reps; r++) {
		uint64_t end;

		for (uint64_t i = 0; i < n; i++)
			rte_timer_reset(&tm[perm[i]], dexp[i], SINGLE, lcore, rte_cb, NULL);
		end = rte_rdtsc() + 2 * EXPIRE_SPAN;
		while (rte_rdtsc() < end)
			rte_pause();
		fired_count = 0;
		t0 = rte_rdtsc_precise();
		rte_timer_manage();
		c_exp += rte_rdtsc_precise() - t0;
		if (fired_count != n) {
			fprintf(stderr, "rte_timer fired %" PRIu64 " of %" PRIu64 "\n",
				(uint64_t)fired_count, n);
			free(tm);
			return -EIO;
		}
	}
	m[M_EXPIRE] = (double)c_exp / (double)(n * reps);
	m[M_STEADY_TICK] = m[M_STEADY_FIRE] = 0;
	free(tm);
	return 0;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && c != NULL) {
			snprintf(buf, len, "%s", c + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [EAL options] -- [--rounds R] [--sizes N,N,...] "
		"[--rte-max N]\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "sizes", required_argument, NULL, 's' },
		{ "rte-max", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t sizes[MAX_SIZES] = { 1000, 1000000, 10000000 }, rte_max = 1000000, tsc_hz, maxn = 0;
	unsigned int nsizes = 3, rounds = 5;
	struct result res[MAX_SIZES];
	uint32_t *d1, *dfar, *dexp;
	char cpu[128];
	int ret, c;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rounds = (unsigned int)strtoul(optarg, NULL, 0);
			if (rounds == 0 || rounds > MAX_ROUNDS)
				rounds = 5;
			break;
		case 's': {
			char *s = optarg, *end;

			nsizes = 0;
			while (*s != '\0' && nsizes < MAX_SIZES) {
				sizes[nsizes++] = strtoull(s, &end, 0);
				s = *end == ',' ? end + 1 : end;
				if (end == s && *s != '\0')
					break;
			}
			break;
		}
		case 'm':
			rte_max = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (rte_timer_subsystem_init() < 0) {
		fprintf(stderr, "rte_timer_subsystem_init failed\n");
		return 1;
	}
	tsc_hz = rte_get_tsc_hz();
	cpu_model(cpu, sizeof(cpu));
	for (unsigned int s = 0; s < nsizes; s++)
		maxn = RTE_MAX(maxn, sizes[s]);
	d1 = malloc(maxn * sizeof(*d1));
	perm = malloc(maxn * sizeof(*perm));
	dfar = malloc(maxn * sizeof(*dfar));
	dexp = malloc(maxn * sizeof(*dexp));
	steady_delta = malloc(STEADY_TABLE * sizeof(*steady_delta));
	if (d1 == NULL || perm == NULL || dfar == NULL || dexp == NULL || steady_delta == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (uint64_t i = 0; i < maxn; i++) {
		d1[i] = delay_any();
		dfar[i] = HOUR_TICKS + (uint32_t)(rnd() % (DAY_TICKS - HOUR_TICKS));
		dexp[i] = 1 + (uint32_t)(rnd() % EXPIRE_SPAN);
	}
	for (unsigned int i = 0; i < STEADY_TABLE; i++)
		steady_delta[i] = 1 + (uint32_t)(rnd() % STEADY_SPAN);

	printf("timer wheel vs rte_timer, %s, TSC %.3f GHz, %u rounds (median), cycles per op\n",
	       cpu, (double)tsc_hz / 1e9, rounds);
	for (unsigned int s = 0; s < nsizes; s++) {
		double v[M_MAX][MAX_ROUNDS], vr[M_MAX][MAX_ROUNDS], m[M_MAX], fpt[MAX_ROUNDS];
		uint64_t n = sizes[s];

		res[s].n = n;
		res[s].has_rte = n <= rte_max;
		for (uint64_t i = 0; i < n; i++)
			perm[i] = (uint32_t)i;
		for (uint64_t i = n - 1; i > 0; i--) {
			uint64_t j = rnd() % (i + 1);
			uint32_t x = perm[i];

			perm[i] = perm[j];
			perm[j] = x;
		}
		for (unsigned int r = 0; r < rounds; r++) {
			ret = run_tw(n, tsc_hz, d1, dfar, dexp, m);
			if (ret < 0) {
				fprintf(stderr, "timer wheel, %" PRIu64 " timers: %s\n", n,
					strerror(-ret));
				return 1;
			}
			fpt[r] = ret;
			for (unsigned int k = 0; k < M_MAX; k++)
				v[k][r] = m[k];
			if (!res[s].has_rte)
				continue;
			ret = run_rte(n, tsc_hz, d1, dfar, dexp, m);
			if (ret < 0) {
				fprintf(stderr, "rte_timer, %" PRIu64 " timers: %s\n", n,
					strerror(-ret));
				return 1;
			}
			for (unsigned int k = 0; k < M_MAX; k++)
				vr[k][r] = m[k];
		}
		for (unsigned int k = 0; k < M_MAX; k++) {
			res[s].tw[k] = median(v[k], rounds);
			res[s].rte[k] = res[s].has_rte ? median(vr[k], rounds) : 0;
		}
		res[s].steady_fires_per_tick = median(fpt, rounds);
	}

	printf("\n%-10s %-8s %10s %10s %10s %10s\n", "timers", "op", "timerwheel", "rte_timer",
	       "ratio", "");
	for (unsigned int s = 0; s < nsizes; s++) {
		for (unsigned int k = 0; k <= M_SAME; k++) {
			if (res[s].has_rte)
				printf("%-10" PRIu64 " %-8s %10.1f %10.1f %9.1fx\n", res[s].n,
				       metric_name[k], res[s].tw[k], res[s].rte[k],
				       res[s].rte[k] / res[s].tw[k]);
			else
				printf("%-10" PRIu64 " %-8s %10.1f %10s %10s\n", res[s].n,
				       metric_name[k], res[s].tw[k], "-", "-");
		}
		printf("%-10" PRIu64 " %-8s %10.1f cycles/tick, %.1f cycles per fired timer, "
		       "%.0f fired per tick\n", res[s].n, "steady", res[s].tw[M_STEADY_TICK],
		       res[s].tw[M_STEADY_FIRE], res[s].steady_fires_per_tick);
	}

	printf("RESULT {\"bench\":\"timerwheel\",\"cpu\":\"%s\",\"tsc_hz\":%" PRIu64
	       ",\"rounds\":%u,\"tick_us\":%u,\"results\":[", cpu, tsc_hz, rounds, TICK_US);
	for (unsigned int s = 0; s < nsizes; s++) {
		printf("%s{\"timers\":%" PRIu64 ",\"timerwheel\":{", s ? "," : "", res[s].n);
		for (unsigned int k = 0; k < M_MAX; k++)
			printf("%s\"%s\":%.1f", k ? "," : "", metric_name[k], res[s].tw[k]);
		printf(",\"steady_fired_per_tick\":%.0f}", res[s].steady_fires_per_tick);
		if (res[s].has_rte) {
			printf(",\"rte_timer\":{");
			for (unsigned int k = 0; k < M_STEADY_TICK; k++)
				printf("%s\"%s\":%.1f", k ? "," : "", metric_name[k], res[s].rte[k]);
			printf("}");
		}
		printf("}");
	}
	printf("]}\n");
	free(d1);
	free(perm);
	free(dfar);
	free(dexp);
	free(steady_delta);
	rte_timer_subsystem_finalize();
	rte_eal_cleanup();
	return 0;
}
