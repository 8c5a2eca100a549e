/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timer wheel behaviour: deadlines and per-level lateness, cancel before and during expiry,
 * re-arm from callbacks, the 32-bit tick wrap, the per-call cap, clamping, TSC conversion.
 * Wheels here count one TSC cycle per tick, so a TSC value is a tick in 64 bits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_errno.h>

#include "tw_test.h"

/* A timer and what its callback saw. */
struct probe {
	struct sf_timerwheel_timer t;
	unsigned int fired;
	uint32_t fired_at;          /* sf_timerwheel_now() in the callback */
	bool pending_in_cb;
	unsigned int seq;           /* global firing order */
	struct probe *cancel;       /* cancel this one from the callback */
	struct probe *arm_other;    /* arm this one from the callback ... */
	uint32_t arm_other_delta;   /* ... with this delay */
	unsigned int rearm_times;   /* re-arm itself this many times ... */
	uint32_t rearm_delta;       /* ... with this delay */
	bool cancel_result;
};

static unsigned int fire_seq;

static void probe_cb(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t, void *arg)
{
	struct probe *p = arg;

	assert_ptr_equal(&p->t, t);
	p->fired++;
	p->fired_at = sf_timerwheel_now(tw);
	p->pending_in_cb = sf_timerwheel_timer_pending(t);
	p->seq = ++fire_seq;
	if (p->cancel != NULL)
		p->cancel_result = sf_timerwheel_timer_cancel(tw, &p->cancel->t);
	if (p->arm_other != NULL)
		sf_timerwheel_timer_arm(tw, &p->arm_other->t, p->arm_other_delta);
	if (p->rearm_times > 0) {
		p->rearm_times--;
		sf_timerwheel_timer_arm(tw, t, p->rearm_delta);
	}
}

static void probe_init(struct probe *p)
{
	memset(p, 0, sizeof(*p));
	sf_timerwheel_timer_init(&p->t, probe_cb, p);
}

/* Step the wheel one tick at a time from tsc+1 to end; return the last tick. */
static uint64_t step_to(struct sf_timerwheel *tw, uint64_t tsc, uint64_t end)
{
	while (tsc < end)
		sf_timerwheel_manage(tw, ++tsc, 0);
	return tsc;
}

static void test_create_errors(void **state)
{
	struct sf_timerwheel_params p = { .name = "x", .socket_id = -1, .tsc_hz = 1000,
					  .tick_us = 1000, .start_tsc = 1 };
	struct sf_timerwheel *tw;

	(void)state;
	rte_errno = 0;
	assert_null(sf_timerwheel_create(NULL));
	assert_int_equal(rte_errno, EINVAL);
	p.name = NULL;
	rte_errno = 0;
	assert_null(sf_timerwheel_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.name = "x";
	p.tick_us = SF_TIMERWHEEL_TICK_US_MAX + 1;
	rte_errno = 0;
	assert_null(sf_timerwheel_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.tick_us = 1;          /* 1 us at 1 kHz: shorter than a TSC cycle */
	rte_errno = 0;
	assert_null(sf_timerwheel_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.tick_us = 0;          /* default 1 ms */
	tw_test_fail_alloc = true;
	rte_errno = 0;
	assert_null(sf_timerwheel_create(&p));
	assert_int_equal(rte_errno, ENOMEM);
	tw = sf_timerwheel_create(&p);
	assert_non_null(tw);
	assert_int_equal(sf_timerwheel_tick_us(tw), SF_TIMERWHEEL_TICK_US_DEFAULT);
	assert_int_equal(sf_timerwheel_now(tw), 1);
	assert_int_equal(sf_timerwheel_stats_get(tw, NULL), -EINVAL);
	assert_int_equal(sf_timerwheel_stats_get(NULL, &(struct sf_timerwheel_stats){0}), -EINVAL);
	sf_timerwheel_free(tw);
	sf_timerwheel_free(NULL);
}

/* Level 0: every delay 1..63 fires exactly at its tick, with the timer already disarmed. */
static void test_level0_exact(void **state)
{
	struct sf_timerwheel *tw = tw_test_wheel(1000);
	struct probe p[64];
	uint64_t tsc = 1000;

	(void)state;
	for (uint32_t d = 1; d < 64; d++) {
		probe_init(&p[d]);
		sf_timerwheel_timer_arm(tw, &p[d].t, d);
		assert_true(sf_timerwheel_timer_pending(&p[d].t));
		assert_int_equal(p[d].t.expires, 1000 + d);
	}
	for (uint32_t d = 1; d < 64; d++) {
		assert_int_equal(sf_timerwheel_manage(tw, ++tsc, 0), 1);
		assert_int_equal(p[d].fired, 1);
		assert_int_equal(p[d].fired_at, 1000 + d);
		assert_false(p[d].pending_in_cb);
		assert_false(sf_timerwheel_timer_pending(&p[d].t));
		if (d < 63)
			assert_int_equal(p[d + 1].fired, 0);
	}
	sf_timerwheel_free(tw);
}

/*
 * Every level, at and around its boundaries and from several clock phases: never before the
 * deadline, never later than the level's granularity allows. Stepped tick by tick for the
 * first four levels, probed with two manage calls (deadline - 1, latest) beyond.
 */
static void test_level_bounds(void **state)
{
	static const uint32_t deltas[] = {
		0, 1, 2, 62, 63, 64, 65, 100, 503, 504, 505, 506, 1000, 4031, 4032, 4033, 4034,
		10000, 32255, 32256, 32257, 32258, 100000, 258048, 258049, 1000000, 2064384,
		2064385, 10000000, 16515072, 16515073, 86400000, SF_TIMERWHEEL_DELTA_MAX - 1,
		SF_TIMERWHEEL_DELTA_MAX,
	};
	static const uint64_t phases[] = { 1, 7, 63, 64, 511, 4095, 32767, 262143, 2097151,
					   2097152 * 5 + 3 };
	unsigned int late_seen = 0;

	(void)state;
	for (size_t ph = 0; ph < RTE_DIM(phases); ph++) {
		for (size_t i = 0; i < RTE_DIM(deltas); i++) {
			uint64_t start = 1000000 + phases[ph], e, latest, tsc;
			struct sf_timerwheel *tw = tw_test_wheel(start);
			struct probe p;

			probe_init(&p);
			sf_timerwheel_timer_arm(tw, &p.t, deltas[i]);
			e = start + deltas[i];
			latest = tw_test_latest(e, start + 1, start);
			if (deltas[i] <= 32256) {
				tsc = start;
				while (p.fired == 0 && tsc < latest + 10)
					sf_timerwheel_manage(tw, ++tsc, 0);
				assert_int_equal(p.fired, 1);
				assert_true(p.fired_at >= (uint32_t)e || deltas[i] == 0);
				assert_true(tsc <= latest);
				late_seen += tsc > e;
			} else {
				sf_timerwheel_manage(tw, e - 1, 0);
				assert_int_equal(p.fired, 0);
				assert_true(sf_timerwheel_timer_pending(&p.t));
				sf_timerwheel_manage(tw, latest, 0);
				assert_int_equal(p.fired, 1);
			}
			sf_timerwheel_manage(tw, latest + 3000000, 0);
			assert_int_equal(p.fired, 1);
			sf_timerwheel_free(tw);
		}
	}
	/* Coarser levels do round up: some timers must have fired after their deadline. */
	assert_true(late_seen > 0);
}

static void test_cancel_before_expiry(void **state)
{
	struct sf_timerwheel *tw = tw_test_wheel(5000);
	struct sf_timerwheel_stats st;
	struct probe a, b, c;

	(void)state;
	probe_init(&a);
	probe_init(&b);
	probe_init(&c);
	assert_false(sf_timerwheel_timer_cancel(tw, &a.t));
	sf_timerwheel_timer_arm(tw, &a.t, 10);
	sf_timerwheel_timer_arm(tw, &b.t, 10);    /* same slot as a */
	sf_timerwheel_timer_arm(tw, &c.t, 5000);  /* another level */
	assert_true(sf_timerwheel_timer_cancel(tw, &a.t));
	assert_false(sf_timerwheel_timer_pending(&a.t));
	assert_false(sf_timerwheel_timer_cancel(tw, &a.t));
	assert_true(sf_timerwheel_timer_cancel(tw, &c.t));
	step_to(tw, 5000, 20000);
	assert_int_equal(a.fired, 0);
	assert_int_equal(b.fired, 1);
	assert_int_equal(c.fired, 0);
	assert_int_equal(sf_timerwheel_stats_get(tw, &st), 0);
	assert_int_equal(st.armed, 3);
	assert_int_equal(st.cancelled, 2);
	assert_int_equal(st.fired, 1);
	assert_int_equal(st.pending, 0);
	/* A cancelled timer can be armed again. */
	sf_timerwheel_timer_arm(tw, &a.t, 3);
	assert_int_equal(sf_timerwheel_manage(tw, 20003, 0), 1);
	assert_int_equal(a.fired, 1);
	sf_timerwheel_free(tw);
}

/*
 * Cancel during expiry: callbacks cancel timers collected in the same tick and not yet run,
 * from the same slot and from a coarser level's slot; those never fire.
 */
static void test_cancel_during_expiry(void **state)
{
	struct sf_timerwheel *tw = tw_test_wheel(10000);
	struct probe a, b, c, d;
	const uint64_t due = 12032;         /* 64 * 188: c's level-2 bucket is due exactly then */

	(void)state;
	probe_init(&a);
	probe_init(&b);
	probe_init(&c);
	probe_init(&d);
	/* c: level 2, due with a and b; fires first (coarser level) and cancels a. */
	sf_timerwheel_timer_arm_at(tw, &c.t, (uint32_t)due);
	c.cancel = &a;
	step_to(tw, 10000, due - 10);
	/* a and b: level 0, same slot; whichever fires first cancels the other. */
	sf_timerwheel_timer_arm_at(tw, &a.t, (uint32_t)due);
	sf_timerwheel_timer_arm_at(tw, &b.t, (uint32_t)due);
	a.cancel = &b;
	b.cancel = &a;
	/* d cancels itself: it is already disarmed, so that is a no-op. */
	sf_timerwheel_timer_arm_at(tw, &d.t, (uint32_t)due);
	d.cancel = &d;
	assert_int_equal(sf_timerwheel_manage(tw, due - 1, 0), 0);
	assert_int_equal(sf_timerwheel_manage(tw, due, 0), 3);
	assert_int_equal(c.fired, 1);
	assert_true(c.cancel_result);
	assert_int_equal(a.fired, 0);
	assert_int_equal(b.fired, 1);
	assert_false(b.cancel_result);
	assert_int_equal(d.fired, 1);
	assert_false(d.cancel_result);
	assert_true(c.seq < b.seq);
	step_to(tw, due, due + 100);
	assert_int_equal(a.fired + b.fired + c.fired + d.fired, 3);
	sf_timerwheel_free(tw);
}

/* A callback re-arms its own timer: periodic firing at exact level-0 ticks. */
static void test_rearm_from_callback(void **state)
{
	struct sf_timerwheel *tw = tw_test_wheel(777);
	struct probe p;
	uint64_t tsc = 777;

	(void)state;
	probe_init(&p);
	p.rearm_times = 4;
	p.rearm_delta = 10;
	sf_timerwheel_timer_arm(tw, &p.t, 10);
	for (unsigned int k = 1; k <= 5; k++) {
		tsc = step_to(tw, tsc, 777 + 10 * k - 1);
		assert_int_equal(p.fired, k - 1);
		sf_timerwheel_manage(tw, ++tsc, 0);
		assert_int_equal(p.fired, k);
		assert_int_equal(p.fired_at, 777 + 10 * k);
	}
	assert_false(sf_timerwheel_timer_pending(&p.t));
	tsc = step_to(tw, tsc, tsc + 1000);
	assert_int_equal(p.fired, 5);

	/* Re-armed with delay 0, a timer fires once per tick, never twice in one. */
	probe_init(&p);
	p.rearm_times = 1000;
	p.rearm_delta = 0;
	sf_timerwheel_timer_arm(tw, &p.t, 1);
	for (unsigned int k = 1; k <= 20; k++) {
		assert_int_equal(sf_timerwheel_manage(tw, ++tsc, 0), 1);
		assert_int_equal(sf_timerwheel_manage(tw, tsc, 0), 0);
		assert_int_equal(p.fired, k);
	}
	sf_timerwheel_timer_cancel(tw, &p.t);
	sf_timerwheel_free(tw);
}

/*
 * A timer collected for firing but not fired yet (carried over by the cap, or later in the same
 * tick's list) is re-armed into the very slot it came from, one rotation later: it must wait for
 * that rotation, not fire with the batch it has left.
 */
static void test_rearm_collected(void **state)
{
	const uint64_t start = 64 * 1000;
	struct sf_timerwheel *tw = tw_test_wheel(start);
	struct probe a, b, c, d;
	const uint64_t due = start + 10;

	(void)state;
	probe_init(&a);
	probe_init(&b);
	sf_timerwheel_timer_arm(tw, &a.t, 10);
	sf_timerwheel_timer_arm(tw, &b.t, 10);
	/* Cap 1: one fires, the other is carried; re-arm that one 64 ticks on, same slot. */
	assert_int_equal(sf_timerwheel_manage(tw, due, 1), 1);
	assert_int_equal(a.fired + b.fired, 1);
	if (a.fired == 0)
		sf_timerwheel_timer_arm(tw, &a.t, 64);
	else
		sf_timerwheel_timer_arm(tw, &b.t, 64);
	assert_int_equal(sf_timerwheel_manage(tw, due, 0), 0);
	assert_int_equal(sf_timerwheel_manage(tw, due + 63, 0), 0);
	assert_int_equal(sf_timerwheel_manage(tw, due + 64, 0), 1);
	assert_int_equal(a.fired + b.fired, 2);

	/* The same from a callback: whichever of c, d fires first moves the other. */
	probe_init(&c);
	probe_init(&d);
	c.arm_other = &d;
	c.arm_other_delta = 64;
	d.arm_other = &c;
	d.arm_other_delta = 64;
	sf_timerwheel_timer_arm(tw, &c.t, 5);
	sf_timerwheel_timer_arm(tw, &d.t, 5);
	assert_int_equal(sf_timerwheel_manage(tw, due + 64 + 5, 0), 1);
	assert_int_equal(sf_timerwheel_manage(tw, due + 64 + 5 + 63, 0), 0);
	assert_int_equal(sf_timerwheel_manage(tw, due + 64 + 5 + 64, 0), 1);
	assert_int_equal(c.fired + d.fired, 2);
	sf_timerwheel_free(tw);
}

/* Re-arming an armed timer moves it, earlier or later, across levels or within its slot. */
static void test_rearm_pending(void **state)
{
	struct sf_timerwheel *tw = tw_test_wheel(100000);
	struct sf_timerwheel_stats st;
	struct probe p;
	uint64_t tsc = 100000;

	(void)state;
	probe_init(&p);
	sf_timerwheel_timer_arm(tw, &p.t, 30000);       /* level 3 */
	sf_timerwheel_timer_arm(tw, &p.t, 50);          /* level 0: earlier */
	tsc = step_to(tw, tsc, 100049);
	assert_int_equal(p.fired, 0);
	sf_timerwheel_timer_arm(tw, &p.t, 2000);        /* later again, level 2 */
	sf_timerwheel_timer_arm(tw, &p.t, 2001);        /* most likely the same slot */
	tsc = step_to(tw, tsc, 100049 + 2000);
	assert_int_equal(p.fired, 0);
	tsc = step_to(tw, tsc, tw_test_latest(100049 + 2001, 100050, 100049));
	assert_int_equal(p.fired, 1);
	assert_true(p.fired_at >= 100049 + 2001);
	assert_int_equal(sf_timerwheel_stats_get(tw, &st), 0);
	assert_int_equal(st.armed, 4);
	assert_int_equal(st.cancelled, 0);
	assert_int_equal(st.fired, 1);
	assert_int_equal(st.pending, 0);
	sf_timerwheel_free(tw);
}

/* Across the 32-bit wrap: deadlines on both sides, and one that computes to the reserved 0. */
static void test_tick_wrap(void **state)
{
	static const uint32_t deltas[] = { 1, 10, 49, 50, 51, 63, 64, 100, 1000, 5000, 100000,
					   3000000 };
	const uint64_t start = (UINT64_C(1) << 32) - 50;
	struct sf_timerwheel *tw = tw_test_wheel(start);
	struct probe p[RTE_DIM(deltas)], z;
	uint64_t tsc = start;

	(void)state;
	assert_int_equal(sf_timerwheel_now(tw), (uint32_t)start);
	for (size_t i = 0; i < RTE_DIM(deltas); i++) {
		probe_init(&p[i]);
		sf_timerwheel_timer_arm(tw, &p[i].t, deltas[i]);
	}
	/* now + 50 is tick 0, which means "never": the timer is due at tick 1 instead. */
	probe_init(&z);
	sf_timerwheel_timer_arm(tw, &z.t, 50);
	assert_int_equal(z.t.expires, 1);
	assert_true(sf_timerwheel_timer_pending(&z.t));
	for (size_t i = 0; i < RTE_DIM(deltas); i++) {
		uint64_t e = start + deltas[i], latest;

		if ((uint32_t)e == 0)
			e++;
		latest = tw_test_latest(e, start + 1, start);
		if (e > tsc + 1)
			tsc = step_to(tw, tsc, e - 1);
		if (tsc < e)
			assert_int_equal(p[i].fired, 0);
		tsc = step_to(tw, tsc, latest);
		assert_int_equal(p[i].fired, 1);
		assert_true(sf_timerwheel_tick_after(p[i].fired_at, (uint32_t)(e - 1)));
	}
	assert_int_equal(z.fired, 1);
	assert_int_equal(z.fired_at, 1);
	assert_true(sf_timerwheel_tick_before(UINT32_MAX, 0));
	assert_true(sf_timerwheel_tick_after(3, UINT32_MAX - 3));
	sf_timerwheel_free(tw);
}

/* The cap: extra due timers are carried to the next call, even within the same tick. */
static void test_cap_and_carry(void **state)
{
	struct sf_timerwheel *tw = tw_test_wheel(3000);
	struct sf_timerwheel_stats st;
	struct probe *p = calloc(100, sizeof(*p));
	unsigned int total = 0, n;

	(void)state;
	assert_non_null(p);
	/* 10 deadlines, 10 timers each, some on level 1. */
	for (unsigned int i = 0; i < 100; i++) {
		probe_init(&p[i]);
		sf_timerwheel_timer_arm(tw, &p[i].t, 20 + (i % 10) * 20);
	}
	fire_seq = 0;
	n = sf_timerwheel_manage(tw, 3000 + 500, 15);
	assert_int_equal(n, 15);
	total += n;
	assert_int_equal(sf_timerwheel_stats_get(tw, &st), 0);
	assert_int_equal(st.carried, 1);
	assert_int_equal(st.pending, 85);
	while ((n = sf_timerwheel_manage(tw, 3000 + 500, 15)) > 0) {
		assert_true(n <= 15);
		total += n;
	}
	assert_int_equal(total, 100);
	assert_int_equal(sf_timerwheel_stats_get(tw, &st), 0);
	assert_int_equal(st.fired, 100);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.carried, 6);
	/* Fired in deadline order, to within a granule. */
	for (unsigned int i = 0; i < 100; i++)
		for (unsigned int j = 0; j < 100; j++)
			if (p[i].t.expires == 0 && p[i].seq < p[j].seq)
				assert_true(20 + (i % 10) * 20 <= 20 + (j % 10) * 20 + 7);
	free(p);
	sf_timerwheel_free(tw);
}

/* Random deadlines, fired by one big manage call: in deadline order within a level's grain. */
static void test_deadline_order(void **state)
{
	enum { N = 5000 };
	struct sf_timerwheel *tw = tw_test_wheel(424242);
	struct probe *p = calloc(N, sizeof(*p));
	uint32_t *e = calloc(N, sizeof(*e));
	struct probe **order = calloc(N, sizeof(*order));
	uint64_t seed = 88172645463325252ULL;

	(void)state;
	assert_non_null(p);
	assert_non_null(e);
	assert_non_null(order);
	for (unsigned int i = 0; i < N; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		probe_init(&p[i]);
		e[i] = (uint32_t)(seed % 50000);
		sf_timerwheel_timer_arm(tw, &p[i].t, e[i]);
	}
	fire_seq = 0;
	assert_int_equal(sf_timerwheel_manage(tw, 424242 + 60000, 0), N);
	for (unsigned int i = 0; i < N; i++) {
		assert_int_equal(p[i].fired, 1);
		order[p[i].seq - 1] = &p[i];
	}
	for (unsigned int k = 1, maxe = 0; k < N; k++) {
		unsigned int i = (unsigned int)(order[k - 1] - p), j = (unsigned int)(order[k] - p);

		if (e[i] > maxe)
			maxe = e[i];
		assert_true(tw_test_latest(e[j], 1, 0) >= maxe);
	}
	free(order);
	free(e);
	free(p);
	sf_timerwheel_free(tw);
}

/* Nothing due: manage returns 0 at once and fires nothing; the clock still follows the TSC. */
static void test_nothing_due(void **state)
{
	struct sf_timerwheel *tw = tw_test_wheel(50);
	struct probe p;

	(void)state;
	probe_init(&p);
	assert_int_equal(sf_timerwheel_manage(tw, 50, 0), 0);
	assert_int_equal(sf_timerwheel_manage(tw, 10000, 0), 0);
	assert_int_equal(sf_timerwheel_now(tw), 10000);
	sf_timerwheel_timer_arm(tw, &p.t, 5);
	assert_int_equal(p.t.expires, 10005);
	assert_int_equal(sf_timerwheel_manage(tw, 10004, 0), 0);
	assert_int_equal(sf_timerwheel_manage(tw, 10004, 0), 0);
	assert_int_equal(sf_timerwheel_manage(tw, 10005, 0), 1);
	assert_int_equal(sf_timerwheel_manage(tw, 10005, 0), 0);
	sf_timerwheel_free(tw);
}

/* Beyond SF_TIMERWHEEL_DELTA_MAX: clamped and counted; a past deadline fires on the next tick. */
static void test_clamp_and_past(void **state)
{
	struct sf_timerwheel *tw = tw_test_wheel(9999);
	struct sf_timerwheel_stats st;
	struct probe a, b, c;
	uint64_t e;

	(void)state;
	probe_init(&a);
	probe_init(&b);
	probe_init(&c);
	sf_timerwheel_timer_arm(tw, &a.t, UINT32_MAX);
	assert_int_equal(a.t.expires, 9999 + SF_TIMERWHEEL_DELTA_MAX);
	sf_timerwheel_timer_arm_at(tw, &b.t, 9999 + SF_TIMERWHEEL_DELTA_MAX + 12345);
	assert_int_equal(b.t.expires, 9999 + SF_TIMERWHEEL_DELTA_MAX);
	sf_timerwheel_timer_arm_at(tw, &c.t, 9999 - 500);
	assert_int_equal(sf_timerwheel_stats_get(tw, &st), 0);
	assert_int_equal(st.clamped, 2);
	assert_int_equal(sf_timerwheel_manage(tw, 10000, 0), 1);
	assert_int_equal(c.fired, 1);
	e = 9999 + SF_TIMERWHEEL_DELTA_MAX;
	sf_timerwheel_manage(tw, e - 1, 0);
	assert_int_equal(a.fired + b.fired, 0);
	sf_timerwheel_manage(tw, tw_test_latest(e, 10000, 9999), 0);
	assert_int_equal(a.fired + b.fired, 2);
	sf_timerwheel_free(tw);
}

/* TSC to ticks, at a realistic TSC rate, and milliseconds to ticks, rounded up. */
static void test_tsc_and_ms(void **state)
{
	const uint64_t hz = 2500000000ULL, tpt = hz / 1000;
	struct sf_timerwheel_params prm = { .name = "tsc", .socket_id = -1, .tsc_hz = hz,
					    .tick_us = 0, .start_tsc = 123456789ULL * tpt + 17 };
	struct sf_timerwheel *tw = sf_timerwheel_create(&prm), *tw3;
	struct probe p;
	uint64_t tsc = prm.start_tsc;

	(void)state;
	assert_non_null(tw);
	assert_int_equal(sf_timerwheel_now(tw), 123456789);
	assert_int_equal(sf_timerwheel_ticks_from_tsc(tw, 5 * tpt - 1), 4);
	assert_int_equal(sf_timerwheel_ms_to_ticks(tw, 250), 250);
	assert_int_equal(sf_timerwheel_ms_to_ticks(tw, UINT32_MAX), SF_TIMERWHEEL_DELTA_MAX);
	probe_init(&p);
	sf_timerwheel_timer_arm(tw, &p.t, sf_timerwheel_ms_to_ticks(tw, 3));
	/* Many calls per tick, as a worker loop makes them. */
	while (tsc < 123456792ULL * tpt - 1) {
		tsc += tpt / 7;
		if (tsc >= 123456792ULL * tpt)
			tsc = 123456792ULL * tpt - 1;
		assert_int_equal(sf_timerwheel_manage(tw, tsc, 0), 0);
	}
	assert_int_equal(sf_timerwheel_manage(tw, 123456792ULL * tpt, 0), 1);
	assert_int_equal(p.fired_at, 123456792);
	/* A long stall: the clock jumps. */
	sf_timerwheel_timer_arm(tw, &p.t, 40);
	assert_int_equal(sf_timerwheel_manage(tw, 123456900ULL * tpt + 5, 0), 1);
	assert_int_equal(sf_timerwheel_now(tw), 123456900);
	sf_timerwheel_free(tw);

	prm.tick_us = 300;
	tw3 = sf_timerwheel_create(&prm);
	assert_non_null(tw3);
	assert_int_equal(sf_timerwheel_ms_to_ticks(tw3, 1), 4);
	assert_int_equal(sf_timerwheel_ms_to_ticks(tw3, 3), 10);
	assert_int_equal(sf_timerwheel_ms_to_ticks(tw3, 0), 0);
	sf_timerwheel_free(tw3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_level0_exact),
		cmocka_unit_test(test_level_bounds),
		cmocka_unit_test(test_cancel_before_expiry),
		cmocka_unit_test(test_cancel_during_expiry),
		cmocka_unit_test(test_rearm_from_callback),
		cmocka_unit_test(test_rearm_pending),
		cmocka_unit_test(test_rearm_collected),
		cmocka_unit_test(test_tick_wrap),
		cmocka_unit_test(test_cap_and_carry),
		cmocka_unit_test(test_deadline_order),
		cmocka_unit_test(test_nothing_due),
		cmocka_unit_test(test_clamp_and_past),
		cmocka_unit_test(test_tsc_and_ms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
