/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Timer wheel fast path: arm, re-arm and cancel, inlined into the packet path.
 * See sf_timerwheel.h for the tick arithmetic, the levels and their error bounds.
 *
 * The wheel's layout is visible here only so these functions can be inlined; its fields are
 * private to lib/timerwheel.
 */
#ifndef SF_TIMERWHEEL_DP_H
#define SF_TIMERWHEEL_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_debug.h>

#include "sf_timerwheel.h"

/** Farthest slot distance level 7 holds; arm positions past it are shortened to it. */
#define SF_TIMERWHEEL_SPAN_MAX SF_TIMERWHEEL_LEVEL_SPAN(SF_TIMERWHEEL_LEVELS - 1)

struct sf_timerwheel {
	/* First cache line: what arm, cancel and the "nothing due" check touch. */
	uint32_t now;          /**< current tick: the one of the last manage call */
	uint32_t clk;          /**< first tick whose slots have not been collected yet */
	uint32_t next_due;     /**< no slot is due before this tick (a lower bound) */
	uint8_t exp_mask;      /**< levels whose expiring list may be non-empty */
	uint8_t carry;         /**< the last manage call left due timers behind */
	uint16_t reserved;
	struct sf_timerwheel_stats stats;
	/* Second cache line: slot occupancy, one bit per slot. */
	uint64_t bitmap[SF_TIMERWHEEL_LEVELS] __rte_cache_aligned;
	/* Collected slots whose timers are being fired, one list per level. */
	struct sf_timerwheel_timer *expiring[SF_TIMERWHEEL_LEVELS] __rte_cache_aligned;
	uint64_t tsc_per_tick; /**< TSC cycles per tick */
	uint64_t tick64;       /**< current tick, not truncated */
	uint64_t next_tick_tsc;/**< TSC at which tick64 + 1 begins */
	uint32_t tick_us;      /**< tick length, microseconds */
	int socket_id;
	char name[SF_TIMERWHEEL_NAMESIZE];
	/* Slot list heads, level-major. */
	struct sf_timerwheel_timer *slots[SF_TIMERWHEEL_LEVELS * SF_TIMERWHEEL_SLOTS]
		__rte_cache_aligned;
};

/** Level for a distance d <= SF_TIMERWHEEL_SPAN_MAX: the finest whose span holds d. */
static __rte_always_inline unsigned int
__sf_timerwheel_level(uint32_t d)
{
	/* Branch-free: the arm path sees all distances mixed. */
	return (d > SF_TIMERWHEEL_LEVEL_SPAN(0)) + (d > SF_TIMERWHEEL_LEVEL_SPAN(1)) +
	       (d > SF_TIMERWHEEL_LEVEL_SPAN(2)) + (d > SF_TIMERWHEEL_LEVEL_SPAN(3)) +
	       (d > SF_TIMERWHEEL_LEVEL_SPAN(4)) + (d > SF_TIMERWHEEL_LEVEL_SPAN(5)) +
	       (d > SF_TIMERWHEEL_LEVEL_SPAN(6));
}

/** Take an armed timer off its list; clear the slot's bit when the slot empties. */
static __rte_always_inline void
__sf_timerwheel_timer_unlink(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t)
{
	struct sf_timerwheel_timer *next = t->next;

	*t->pprev = next;
	if (next != NULL)
		next->pprev = t->pprev;
	/*
	 * t->idx still names the slot a timer came from after manage moved the slot to an
	 * expiring list; clearing the bit of an empty slot is right either way.
	 */
	if (tw->slots[t->idx] == NULL)
		tw->bitmap[t->idx >> SF_TIMERWHEEL_SLOT_BITS] &=
			~(UINT64_C(1) << (t->idx & (SF_TIMERWHEEL_SLOTS - 1)));
}

/** Arm or re-arm t for tick expires, already within SF_TIMERWHEEL_DELTA_MAX of now. */
static __rte_always_inline void
__sf_timerwheel_timer_arm(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t,
			  uint32_t expires)
{
	struct sf_timerwheel_timer **head, *first;
	uint32_t d, b, bucket;
	unsigned int lvl, shift, idx;

	expires += (expires == SF_TIMERWHEEL_TICK_NEVER);
	d = expires - tw->clk;
	if ((int32_t)d < 0)
		d = 0;          /* already reached: the next tick collects it */
	else if (unlikely(d > SF_TIMERWHEEL_SPAN_MAX)) {
		d = SF_TIMERWHEEL_SPAN_MAX;
		tw->stats.clamped++;
	}
	lvl = __sf_timerwheel_level(d);
	shift = lvl * SF_TIMERWHEEL_LEVEL_SHIFT;
	/* Round up to the level's granularity: late by less than a granule, never early. */
	b = (tw->clk + d + ((UINT32_C(1) << shift) - 1)) >> shift;
	idx = (lvl << SF_TIMERWHEEL_SLOT_BITS) | (b & (SF_TIMERWHEEL_SLOTS - 1));
	tw->stats.armed++;
	if (t->expires != SF_TIMERWHEEL_TICK_NEVER) {
		/*
		 * Same slot: only the deadline changes (idle timers re-armed per packet). Not while
		 * manage holds collected slots, since t->idx may then name a slot t has left.
		 */
		if (idx == t->idx && tw->exp_mask == 0) {
			t->expires = expires;
			return;
		}
		__sf_timerwheel_timer_unlink(tw, t);
	} else {
		tw->stats.pending++;
	}
	t->expires = expires;
	t->idx = (uint16_t)idx;
	head = &tw->slots[idx];
	first = *head;
	t->next = first;
	if (first != NULL)
		first->pprev = &t->next;
	t->pprev = head;
	*head = t;
	tw->bitmap[lvl] |= UINT64_C(1) << (b & (SF_TIMERWHEEL_SLOTS - 1));
	bucket = b << shift;
	if (sf_timerwheel_tick_before(bucket, tw->next_due))
		tw->next_due = bucket;
}

/**
 * Arm t to fire delta ticks after the wheel's current tick, or move it there if it is armed
 * already. O(1), no allocation. Owner lcore only.
 * @param tw the wheel
 * @param t an initialised timer, armed or not, on this wheel or on none
 * @param delta delay in ticks; 0 fires on the next tick; above SF_TIMERWHEEL_DELTA_MAX it is
 *   shortened to SF_TIMERWHEEL_DELTA_MAX and counted in "clamped"
 */
static __rte_always_inline void
sf_timerwheel_timer_arm(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t, uint32_t delta)
{
	RTE_ASSERT(t->cb != NULL);
	if (unlikely(delta > SF_TIMERWHEEL_DELTA_MAX)) {
		delta = SF_TIMERWHEEL_DELTA_MAX;
		tw->stats.clamped++;
	}
	__sf_timerwheel_timer_arm(tw, t, tw->now + delta);
}

/**
 * Arm t to fire at tick expires, or move it there if it is armed already. Owner lcore only.
 * @param tw the wheel
 * @param t an initialised timer, armed or not, on this wheel or on none
 * @param expires deadline tick; one already reached fires on the next tick; one more than
 *   SF_TIMERWHEEL_DELTA_MAX ahead of sf_timerwheel_now() is brought back to that and counted in
 *   "clamped"; SF_TIMERWHEEL_TICK_NEVER stands for tick 1
 */
static __rte_always_inline void
sf_timerwheel_timer_arm_at(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t,
			   uint32_t expires)
{
	RTE_ASSERT(t->cb != NULL);
	if (unlikely((int32_t)(expires - tw->now) > (int32_t)SF_TIMERWHEEL_DELTA_MAX)) {
		expires = tw->now + SF_TIMERWHEEL_DELTA_MAX;
		tw->stats.clamped++;
	}
	__sf_timerwheel_timer_arm(tw, t, expires);
}

/**
 * Cancel t if it is armed. O(1). Owner lcore only; callbacks may cancel any timer, including
 * one collected in the same manage call and not fired yet, which then does not fire.
 * @param tw the wheel t is armed on
 * @param t an initialised timer
 * @return true if t was armed and now is not, false if it was not armed
 */
static __rte_always_inline bool
sf_timerwheel_timer_cancel(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t)
{
	if (t->expires == SF_TIMERWHEEL_TICK_NEVER)
		return false;
	__sf_timerwheel_timer_unlink(tw, t);
	t->expires = SF_TIMERWHEEL_TICK_NEVER;
	tw->stats.pending--;
	tw->stats.cancelled++;
	return true;
}

/**
 * @param t an initialised timer
 * @return true while t is armed; false once it fired (inside its callback too) or was cancelled
 */
static __rte_always_inline bool
sf_timerwheel_timer_pending(const struct sf_timerwheel_timer *t)
{
	return t->expires != SF_TIMERWHEEL_TICK_NEVER;
}

/**
 * @param tw the wheel
 * @return the wheel's current tick, the one of the last manage call (or of start_tsc);
 *   delays passed to sf_timerwheel_timer_arm() count from it
 */
static __rte_always_inline uint32_t
sf_timerwheel_now(const struct sf_timerwheel *tw)
{
	return tw->now;
}

#endif /* SF_TIMERWHEEL_DP_H */
