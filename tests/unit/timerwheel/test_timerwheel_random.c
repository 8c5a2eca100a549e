/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Randomised run of the timer wheel against a reference model: more than a million arms,
 * re-arms, cancels and manage calls (capped and not, small and large clock steps, across the
 * 32-bit tick wrap), with callbacks that re-arm themselves and arm or cancel other timers.
 *
 * The model keeps each timer's deadline and the latest tick it may fire at (from the level
 * table in tw_test.c), plus a heap sorted by that latest tick. It checks that
 *  - a timer fires only while armed, once, and never before its deadline;
 *  - after a manage call that was not cut short by its cap, no armed timer is past its latest;
 *  - timers fire in deadline order within a granule: everything fired earlier had a deadline
 *    at or before this timer's latest tick;
 *  - cancel reports exactly whether the timer was armed, and the counters and the pending
 *    gauge match the model's.
 * TW_SEED in the environment replays a run.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "tw_test.h"

enum { NT = 4096, OPS = 1200000 };

/* Keep the clock's lag (ticks not yet collected while work is carried) under a level-7 granule. */
#define LAG_LIMIT (UINT64_C(1) << 20)

struct rtimer {
	struct sf_timerwheel_timer t;
	bool armed;
	uint32_t gen;
	uint64_t e;         /* deadline, 64-bit virtual tick */
	uint64_t latest;    /* latest tick it may fire at */
};

struct hent {
	uint64_t latest;
	uint32_t id, gen;
};

static struct rtimer timers[NT];
static struct sf_timerwheel *tw;
static uint64_t now_v;          /* the wheel's tick, 64 bits */
static uint64_t clk_lb;         /* every tick before it has been collected */
static uint64_t max_fired_e;
static uint64_t rng;
static bool cb_actions;
static uint64_t n_armed, n_cancelled, n_fired, n_clamped, n_pending, n_cb_fired;

static struct hent *heap;
static size_t heap_len, heap_cap;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static void heap_push(uint64_t latest, uint32_t id, uint32_t gen)
{
	size_t i;

	if (heap_len == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 1024;
		heap = realloc(heap, heap_cap * sizeof(*heap));
		assert_non_null(heap);
	}
	i = heap_len++;
	while (i > 0 && heap[(i - 1) / 2].latest > latest) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = (struct hent){ latest, id, gen };
}

static void heap_pop(void)
{
	struct hent last = heap[--heap_len];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= heap_len)
			break;
		if (c + 1 < heap_len && heap[c + 1].latest < heap[c].latest)
			c++;
		if (heap[c].latest >= last.latest)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (heap_len > 0)
		heap[i] = last;
}

/* After a complete manage call: nothing armed may be past its latest tick. */
static void heap_check(void)
{
	while (heap_len > 0 && heap[0].latest <= now_v) {
		struct rtimer *r = &timers[heap[0].id];

		if (r->gen == heap[0].gen && r->armed)
			fail_msg("timer %u due by %" PRIu64 " (deadline %" PRIu64 ") not fired at %"
				 PRIu64, heap[0].id, r->latest, r->e, now_v);
		heap_pop();
	}
}

static uint32_t rand_delta(void)
{
	uint64_t r = rnd() % 100;

	if (r < 40)
		return (uint32_t)(rnd() % 100);
	if (r < 85)
		return (uint32_t)(rnd() & ((UINT64_C(1) << (rnd() % 28)) - 1));
	if (r < 95)
		return (uint32_t)((UINT64_C(63) << (3 * (rnd() % 8))) + rnd() % 5 - 2);
	return SF_TIMERWHEEL_DELTA_MAX + (uint32_t)(rnd() % 1000);
}

/* Record an arm for deadline e (64-bit, before the zero bump) in the model. */
static void model_arm(struct rtimer *r, uint64_t e)
{
	if ((uint32_t)e == SF_TIMERWHEEL_TICK_NEVER)
		e++;
	if (!r->armed)
		n_pending++;
	r->armed = true;
	r->gen++;
	r->e = e;
	r->latest = tw_test_latest(e, clk_lb, now_v);
	n_armed++;
	heap_push(r->latest, (uint32_t)(r - timers), r->gen);
	assert_int_equal(r->t.expires, (uint32_t)e);
}

static void op_arm(struct rtimer *r)
{
	uint32_t d = rand_delta();

	sf_timerwheel_timer_arm(tw, &r->t, d);
	if (d > SF_TIMERWHEEL_DELTA_MAX) {
		d = SF_TIMERWHEEL_DELTA_MAX;
		n_clamped++;
	}
	model_arm(r, now_v + d);
}

static void op_arm_at(struct rtimer *r)
{
	int64_t off = (int64_t)(rnd() % 12000) - 2000;
	uint64_t e;

	if (rnd() % 4 == 0)
		off = (int64_t)SF_TIMERWHEEL_DELTA_MAX - 5000 + (int64_t)(rnd() % 10000);
	e = now_v + (uint64_t)off;
	sf_timerwheel_timer_arm_at(tw, &r->t, (uint32_t)e);
	if (off > (int64_t)SF_TIMERWHEEL_DELTA_MAX) {
		e = now_v + SF_TIMERWHEEL_DELTA_MAX;
		n_clamped++;
	}
	model_arm(r, e);
}

static void op_cancel(struct rtimer *r)
{
	bool was = sf_timerwheel_timer_cancel(tw, &r->t);

	assert_int_equal(was, r->armed);
	if (was) {
		r->armed = false;
		r->gen++;
		n_pending--;
		n_cancelled++;
	}
	assert_false(sf_timerwheel_timer_pending(&r->t));
}

static void rt_cb(struct sf_timerwheel *w, struct sf_timerwheel_timer *t, void *arg)
{
	struct rtimer *r = arg;
	uint64_t a;

	assert_ptr_equal(w, tw);
	assert_ptr_equal(&r->t, t);
	if (!r->armed)
		fail_msg("timer %td fired while not armed", r - timers);
	assert_false(sf_timerwheel_timer_pending(t));
	if (now_v < r->e)
		fail_msg("timer %td fired early: deadline %" PRIu64 ", now %" PRIu64, r - timers,
			 r->e, now_v);
	if (r->latest < max_fired_e)
		fail_msg("timer %td (deadline %" PRIu64 ", latest %" PRIu64 ") fired after one "
			 "due at %" PRIu64, r - timers, r->e, r->latest, max_fired_e);
	if (r->e > max_fired_e)
		max_fired_e = r->e;
	r->armed = false;
	r->gen++;
	n_pending--;
	n_fired++;
	n_cb_fired++;
	if (!cb_actions)
		return;
	a = rnd() % 100;
	if (a < 25)
		op_arm(r);
	else if (a < 35)
		op_cancel(&timers[rnd() % NT]);
	else if (a < 45)
		op_arm(&timers[rnd() % NT]);
	else if (a < 48)
		op_arm_at(&timers[rnd() % NT]);
}

static void op_manage(void)
{
	uint64_t r = rnd() % 100, adv;
	unsigned int cap = (rnd() & 1) ? 0 : 1 + (unsigned int)(rnd() % 64), got;

	if (r < 70)
		adv = rnd() % 3;
	else if (r < 96)
		adv = rnd() % 300;
	else
		adv = rnd() % LAG_LIMIT;
	if (now_v + adv + 1 - clk_lb > LAG_LIMIT)
		cap = 0;
	now_v += adv;
	n_cb_fired = 0;
	got = sf_timerwheel_manage(tw, now_v, cap);
	assert_int_equal(got, n_cb_fired);
	assert_int_equal(sf_timerwheel_now(tw), (uint32_t)now_v);
	if (cap == 0 || got < cap) {
		clk_lb = now_v + 1;
		heap_check();
	}
}

static void check_gauges(void)
{
	struct sf_timerwheel_stats st;

	assert_int_equal(sf_timerwheel_stats_get(tw, &st), 0);
	assert_int_equal(st.pending, n_pending);
	assert_int_equal(st.armed, n_armed);
	assert_int_equal(st.cancelled, n_cancelled);
	assert_int_equal(st.fired, n_fired);
	assert_int_equal(st.clamped, n_clamped);
	for (unsigned int i = 0; i < NT; i++)
		assert_int_equal(sf_timerwheel_timer_pending(&timers[i].t), timers[i].armed);
}

static void test_random_against_model(void **state)
{
	const char *s = getenv("TW_SEED");
	uint64_t seed = s != NULL ? strtoull(s, NULL, 0) : 0x5eed0fc0ffeeULL;
	uint64_t ops = 0, cancels = 0, arms = 0, manages = 0, wraps;
	const uint64_t start = (UINT64_C(1) << 32) - (UINT64_C(1) << 16);

	(void)state;
	print_message("TW_SEED=0x%" PRIx64 "\n", seed);
	rng = (seed + 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
	rng = (rng ^ (rng >> 31)) | 1;
	tw = tw_test_wheel(start);
	assert_non_null(tw);
	now_v = start;
	clk_lb = start + 1;
	cb_actions = true;
	for (unsigned int i = 0; i < NT; i++)
		sf_timerwheel_timer_init(&timers[i].t, rt_cb, &timers[i]);

	for (ops = 0; ops < OPS; ops++) {
		uint64_t r = rnd() % 100;
		struct rtimer *t = &timers[rnd() % NT];

		if (r < 40) {
			op_arm(t);
			arms++;
		} else if (r < 45) {
			op_arm_at(t);
			arms++;
		} else if (r < 65) {
			/* Mostly an armed one: look a little way for it. */
			for (unsigned int k = 0; k < 64 && !t->armed; k++)
				t = &timers[(t - timers + 1) % NT];
			op_cancel(t);
			cancels++;
		} else {
			op_manage();
			manages++;
		}
		if ((ops & 4095) == 0)
			check_gauges();
	}
	check_gauges();
	/* Drain: callbacks stop arming, and every armed timer must fire by its latest tick. */
	cb_actions = false;
	for (unsigned int k = 0; n_pending > 0 && k < 400; k++) {
		unsigned int got;

		now_v += LAG_LIMIT;
		n_cb_fired = 0;
		got = sf_timerwheel_manage(tw, now_v, 0);
		assert_int_equal(got, n_cb_fired);
		clk_lb = now_v + 1;
		heap_check();
	}
	assert_int_equal(n_pending, 0);
	check_gauges();
	wraps = (now_v >> 32) - (start >> 32);
	print_message("%" PRIu64 " top-level ops (%" PRIu64 " arms, %" PRIu64 " cancels, %" PRIu64
		      " manage calls), %" PRIu64 " arms in all, %" PRIu64 " cancelled, %" PRIu64
		      " fired, %" PRIu64 " clamped; clock crossed 2^32 %" PRIu64 " times\n",
		      ops, arms, cancels, manages, n_armed, n_cancelled, n_fired, n_clamped, wraps);
	assert_true(n_armed + n_cancelled + manages >= 1000000);
	assert_true(wraps >= 1);
	sf_timerwheel_free(tw);
	free(heap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
