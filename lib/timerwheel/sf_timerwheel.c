/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timer wheel control path and manage. The arm/cancel fast path is in sf_timerwheel_dp.h.
 *
 * Invariants (clk is the first tick whose slots have not been collected):
 *  - a timer in level n's slot s has its bucket tick B * 8^n (B & 63 == s) in
 *    [clk, clk + 64 * 8^n): the slot's first collection at or after clk is the right one, so
 *    manage may jump clk forward to any tick up to the earliest bucket;
 *  - a level's bit is set exactly when its slot list is non-empty;
 *  - clk <= next_due <= every bucket tick (arm lowers next_due, cancel leaves it early).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>

#include "sf_timerwheel_dp.h"

RTE_LOG_REGISTER(sf_timerwheel_logtype, synfront.timerwheel, INFO);

#define TW_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, sf_timerwheel_logtype, "timerwheel: " fmt "\n", ##__VA_ARGS__)

/* next_due of a wheel with nothing armed: far, yet within the signed-compare range. */
#define TW_IDLE_HORIZON (UINT32_C(1) << 30)

struct sf_timerwheel *sf_timerwheel_create(const struct sf_timerwheel_params *params)
{
	struct sf_timerwheel *tw;
	uint64_t tsc_hz, tpt;
	uint32_t tick_us;

	if (params == NULL || params->name == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	tick_us = params->tick_us != 0 ? params->tick_us : SF_TIMERWHEEL_TICK_US_DEFAULT;
	tsc_hz = params->tsc_hz != 0 ? params->tsc_hz : rte_get_tsc_hz();
	if (tick_us > SF_TIMERWHEEL_TICK_US_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	tpt = tsc_hz * tick_us / 1000000;
	if (tpt == 0) {
		TW_LOG(ERR, "%s: a tick of %u us is shorter than one TSC cycle at %" PRIu64 " Hz",
		       params->name, tick_us, tsc_hz);
		rte_errno = EINVAL;
		return NULL;
	}
	tw = rte_zmalloc_socket("sf_timerwheel", sizeof(*tw), RTE_CACHE_LINE_SIZE,
				params->socket_id);
	if (tw == NULL) {
		TW_LOG(ERR, "%s: no memory for the wheel on socket %d", params->name,
		       params->socket_id);
		rte_errno = ENOMEM;
		return NULL;
	}
	rte_strlcpy(tw->name, params->name, sizeof(tw->name));
	tw->socket_id = params->socket_id;
	tw->tick_us = tick_us;
	tw->tsc_per_tick = tpt;
	tw->tick64 = (params->start_tsc != 0 ? params->start_tsc : rte_rdtsc()) / tpt;
	tw->next_tick_tsc = (tw->tick64 + 1) * tpt;
	tw->now = (uint32_t)tw->tick64;
	tw->clk = tw->now + 1;
	tw->next_due = tw->clk + TW_IDLE_HORIZON;
	TW_LOG(DEBUG, "%s: created, tick %u us (%" PRIu64 " TSC cycles), now %u", tw->name,
	       tick_us, tpt, tw->now);
	return tw;
}

void sf_timerwheel_free(struct sf_timerwheel *tw)
{
	if (tw == NULL)
		return;
	TW_LOG(DEBUG, "%s: freed with %" PRIu64 " timers armed", tw->name, tw->stats.pending);
	rte_free(tw);
}

void sf_timerwheel_timer_init(struct sf_timerwheel_timer *t, sf_timerwheel_cb_t cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->expires = SF_TIMERWHEEL_TICK_NEVER;
	t->cb = cb;
	t->arg = arg;
}

uint32_t sf_timerwheel_ticks_from_tsc(const struct sf_timerwheel *tw, uint64_t tsc)
{
	return (uint32_t)(tsc / tw->tsc_per_tick);
}

uint32_t sf_timerwheel_ms_to_ticks(const struct sf_timerwheel *tw, uint32_t ms)
{
	uint64_t ticks = ((uint64_t)ms * 1000 + tw->tick_us - 1) / tw->tick_us;

	return ticks > SF_TIMERWHEEL_DELTA_MAX ? SF_TIMERWHEEL_DELTA_MAX : (uint32_t)ticks;
}

uint32_t sf_timerwheel_tick_us(const struct sf_timerwheel *tw)
{
	return tw->tick_us;
}

int sf_timerwheel_stats_get(const struct sf_timerwheel *tw, struct sf_timerwheel_stats *stats)
{
	if (tw == NULL || stats == NULL)
		return -EINVAL;
#define TW_X_LOAD(n, d) stats->n = __atomic_load_n(&tw->stats.n, __ATOMIC_RELAXED);
	SF_TIMERWHEEL_COUNTER_LIST(TW_X_LOAD)
#undef TW_X_LOAD
	stats->pending = __atomic_load_n(&tw->stats.pending, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Earliest bucket tick at or after clk, from the occupancy bitmaps alone.
 * @return false when no timer is armed in the slots
 */
static bool tw_next_bucket(const struct sf_timerwheel *tw, uint32_t *tick)
{
	uint32_t clk = tw->clk, best = 0, best_d = UINT32_MAX;

	for (unsigned int lvl = 0; lvl < SF_TIMERWHEEL_LEVELS; lvl++) {
		uint64_t bm = tw->bitmap[lvl], rot;
		unsigned int shift = lvl * SF_TIMERWHEEL_LEVEL_SHIFT, start;
		uint32_t c, at;

		if (bm == 0)
			continue;
		/* First granule boundary at or after clk, and its slot. */
		c = (clk + ((UINT32_C(1) << shift) - 1)) >> shift;
		start = c & (SF_TIMERWHEEL_SLOTS - 1);
		rot = (bm >> start) |
		      (bm << ((SF_TIMERWHEEL_SLOTS - start) & (SF_TIMERWHEEL_SLOTS - 1)));
		at = (c + (uint32_t)__builtin_ctzll(rot)) << shift;
		if (at - clk < best_d) {
			best_d = at - clk;
			best = at;
		}
	}
	*tick = best;
	return best_d != UINT32_MAX;
}

/* Move every slot that comes due at tick t (level 0, and level n when 8^n divides t). */
static void tw_collect(struct sf_timerwheel *tw, uint32_t t)
{
	uint32_t c = t;

	for (unsigned int lvl = 0; lvl < SF_TIMERWHEEL_LEVELS; lvl++) {
		unsigned int s = c & (SF_TIMERWHEEL_SLOTS - 1);
		unsigned int idx = (lvl << SF_TIMERWHEEL_SLOT_BITS) | s;
		struct sf_timerwheel_timer *first = tw->slots[idx];

		if (first != NULL) {
			/* Manage collects only once everything collected before has fired. */
			RTE_ASSERT(tw->expiring[lvl] == NULL);
			tw->expiring[lvl] = first;
			first->pprev = &tw->expiring[lvl];
			tw->slots[idx] = NULL;
			tw->bitmap[lvl] &= ~(UINT64_C(1) << s);
			tw->exp_mask |= (uint8_t)(1u << lvl);
		}
		if (c & ((UINT32_C(1) << SF_TIMERWHEEL_LEVEL_SHIFT) - 1))
			break;
		c >>= SF_TIMERWHEEL_LEVEL_SHIFT;
	}
}

/*
 * Fire collected timers, coarser levels first (their deadlines lie earlier), until none is left
 * or budget callbacks have run.
 */
static unsigned int tw_fire(struct sf_timerwheel *tw, unsigned int budget)
{
	unsigned int n = 0;

	while (tw->exp_mask != 0) {
		unsigned int lvl = 31 - (unsigned int)__builtin_clz(tw->exp_mask);
		struct sf_timerwheel_timer *t = tw->expiring[lvl], *next;

		if (t == NULL) {
			tw->exp_mask &= (uint8_t)~(1u << lvl);
			continue;
		}
		if (n == budget)
			break;
		next = t->next;
		tw->expiring[lvl] = next;
		if (next != NULL)
			next->pprev = &tw->expiring[lvl];
		t->expires = SF_TIMERWHEEL_TICK_NEVER;
		tw->stats.pending--;
		tw->stats.fired++;
		n++;
		t->cb(tw, t, t->arg);
	}
	return n;
}

/*
 * Collect and fire every slot due up to tw->now, within budget. next_due may be early (its timer
 * was cancelled); collecting a tick with nothing due is harmless, since the window invariant
 * means a slot due at that tick can only hold timers for that tick.
 */
static unsigned int tw_run(struct sf_timerwheel *tw, unsigned int budget)
{
	unsigned int fired = 0;
	uint32_t t;

	if (tw->exp_mask != 0) {
		fired = tw_fire(tw, budget);
		if (tw->exp_mask != 0)
			goto carry;
	}
	while (!sf_timerwheel_tick_before(tw->now, tw->next_due)) {
		if (fired == budget) {
			/* Carry only what is really due. */
			if (!tw_next_bucket(tw, &tw->next_due))
				tw->next_due = tw->clk + TW_IDLE_HORIZON;
			if (sf_timerwheel_tick_before(tw->now, tw->next_due))
				break;
			goto carry;
		}
		t = tw->next_due;
		tw_collect(tw, t);
		tw->clk = t + 1;
		if (!tw_next_bucket(tw, &tw->next_due))
			tw->next_due = tw->clk + TW_IDLE_HORIZON;
		fired += tw_fire(tw, budget - fired);
		if (tw->exp_mask != 0)
			goto carry;
	}
	/* Every tick up to now is done and no slot is due before next_due. */
	tw->clk = tw->now + 1;
	tw->carry = 0;
	return fired;
carry:
	tw->carry = 1;
	tw->stats.carried++;
	return fired;
}

unsigned int sf_timerwheel_manage(struct sf_timerwheel *tw, uint64_t now_tsc,
				  unsigned int max_fire)
{
	if (now_tsc >= tw->next_tick_tsc) {
		if (now_tsc - tw->next_tick_tsc < tw->tsc_per_tick)
			tw->tick64++;
		else
			tw->tick64 = now_tsc / tw->tsc_per_tick;
		tw->next_tick_tsc = (tw->tick64 + 1) * tw->tsc_per_tick;
		tw->now = (uint32_t)tw->tick64;
	} else if (likely(!tw->carry)) {
		return 0;
	}
	if (likely(sf_timerwheel_tick_before(tw->now, tw->next_due) && tw->exp_mask == 0)) {
		tw->clk = tw->now + 1;
		tw->carry = 0;
		return 0;
	}
	return tw_run(tw, max_fire != 0 ? max_fire : UINT_MAX);
}
