/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Hierarchical timer wheel: one per worker lcore, for the millions of connection timers
 * (backend SYN retransmit, TIME_WAIT, FIN_WAIT_2, idle, half-open) that live at once and are
 * mostly cancelled before they fire.
 *
 * Single owner, no locks: only the lcore that owns a wheel arms, cancels and manages its timers.
 * Timers are intrusive (struct sf_timerwheel_timer sits inside the caller's object), so arming
 * never allocates. Arm, cancel and re-arm are O(1); the cost of a tick does not depend on how
 * many timers are pending.
 *
 * Ticks
 * -----
 * Time is a 32-bit tick count, tick = TSC / (tsc_hz * tick_us / 10^6), truncated to 32 bits.
 * Ticks wrap (every 49.7 days at 1 ms), so two ticks are only ever compared through their signed
 * difference: a is before b when (int32_t)(a - b) < 0 (sf_timerwheel_tick_before()). This is
 * exact while the two are less than 2^31 ticks apart (24.8 days at 1 ms), which every deadline
 * here is. The value 0 (SF_TIMERWHEEL_TICK_NEVER) is reserved for "not armed": a deadline that
 * computes to 0 is moved to tick 1, one tick later, so nothing fires early.
 *
 * Levels
 * ------
 * 8 levels of 64 slots; level n has a granularity of 8^n ticks. A timer goes, once, into the
 * finest level whose 64 slots span its distance d to the wheel's clock (d <= 63 * 8^n), in the
 * slot of its deadline rounded UP to that granularity. There is no cascading: a timer never moves
 * between levels, so arming is O(1) and a cancelled timer has cost nothing but its arm and
 * cancel. The price is precision: a timer fires at the end of its slot, up to one granule late,
 * never early. Relative to the delay asked for, that error is below 8/63 (12.7 %) at every level.
 *
 *  lvl | granularity   | delays d held (ticks)     | at 1 ms ticks  | worst-case lateness
 *  ----+---------------+---------------------------+----------------+-----------------------
 *   0  |         1     |          0 .. 63          |   0 .. 63 ms   | 0 (the exact tick)
 *   1  |         8     |         64 .. 504         |  64 .. 504 ms  |         7 (7 ms)
 *   2  |        64     |        505 .. 4,032       | 0.5 .. 4.0 s   |        63 (63 ms)
 *   3  |       512     |      4,033 .. 32,256      | 4.0 .. 32.3 s  |       511 (0.51 s)
 *   4  |     4,096     |     32,257 .. 258,048     |  32 .. 258 s   |     4,095 (4.1 s)
 *   5  |    32,768     |    258,049 .. 2,064,384   | 4.3 .. 34.4 min|    32,767 (32.8 s)
 *   6  |   262,144     |  2,064,385 .. 16,515,072 |  34 .. 275 min |   262,143 (4.4 min)
 *   7  | 2,097,152     | 16,515,073 .. 132,120,576 | 4.6 .. 36.7 h  | 2,097,151 (35 min)
 *
 * d counts from the first tick not yet processed, sf_timerwheel_now() + 1, so it is one less than
 * the delay given to sf_timerwheel_timer_arm(); reading the table with the delay errs safe.
 *
 * The lateness is counted in ticks of the wheel; on top of it comes the time until the next
 * manage call that sees the deadline's tick (one worker loop pass). A delay is measured from the
 * wheel's current tick, sf_timerwheel_now(), the tick of the last manage call: if the TSC has
 * moved on into the next tick since, the timer may fire up to one tick of wall time before
 * tick_us * delay has elapsed; add one tick where a strict minimum matters.
 *
 * The longest delay accepted is SF_TIMERWHEEL_DELTA_MAX = 62 * 8^7 ticks (36.1 h at 1 ms), one
 * level-7 granule short of what level 7 spans, so that a wheel whose clock lags its current tick
 * (a manage call that hit its cap, see below) still places such a timer correctly. Longer delays
 * are clamped to SF_TIMERWHEEL_DELTA_MAX and counted in the "clamped" counter.
 *
 * Why 8 levels of 64 slots, 8x apart: 64 slots make a level's occupancy one uint64_t, so "is any
 * slot due" and "which slot is next" are a rotate and a count-trailing-zeros; a factor of 8 keeps
 * the error of a no-cascade wheel bounded at 12.5 % (a factor of 16 would double it, a factor of
 * 4 would need 13 levels to reach a day); 8 such levels reach 36 h at 1 ms ticks, beyond the day
 * the longest connection timers need, in 512 list heads (4 KiB) that stay in cache.
 *
 * Manage
 * ------
 * sf_timerwheel_manage() moves the wheel's clock to the tick of the TSC it is given and fires
 * every timer whose slot has come due: tick by tick, skipping empty ticks through the occupancy
 * bitmaps, so timers fire in deadline order to within their level's granularity (in one tick,
 * coarser levels first, since their deadlines lie earlier). It returns at once, without touching
 * the slots, when the tick has not changed or when no slot is due. It runs at most max_fire
 * callbacks per call; the rest stays due and is fired first by the next call, even within the
 * same tick. While such work is carried, the clock lags, and timers armed meanwhile may land one
 * level coarser.
 *
 * Callbacks run on the owner lcore, inside manage, after their timer has been disarmed. They may
 * arm, re-arm or cancel any timer of the wheel, themselves included: a timer re-armed from its
 * own callback for a tick already reached fires on the next tick, never twice in one tick.
 * manage must be called at least once every 2^31 ticks (24.8 days at 1 ms).
 *
 * References: Linux kernel/time/timer.c (non-cascading wheel, round-up rule), HAProxy
 * include/haproxy/ticks.h (32-bit wrap-safe ticks, 0 as "never"), Varghese & Lauck,
 * "Hashed and hierarchical timing wheels", SOSP 1987.
 */
#ifndef SF_TIMERWHEEL_H
#define SF_TIMERWHEEL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

/** Number of levels. */
#define SF_TIMERWHEEL_LEVELS 8
/** log2 of the slots per level. */
#define SF_TIMERWHEEL_SLOT_BITS 6
/** Slots per level: one uint64_t occupancy bitmap each. */
#define SF_TIMERWHEEL_SLOTS (1u << SF_TIMERWHEEL_SLOT_BITS)
/** log2 of the factor between the granularities of two adjacent levels. */
#define SF_TIMERWHEEL_LEVEL_SHIFT 3
/** Granularity of level n, in ticks. */
#define SF_TIMERWHEEL_LEVEL_GRAN(n) (UINT32_C(1) << (SF_TIMERWHEEL_LEVEL_SHIFT * (n)))
/** Longest delay level n holds, in ticks: 63 granules, so a slot is never reused early. */
#define SF_TIMERWHEEL_LEVEL_SPAN(n) ((SF_TIMERWHEEL_SLOTS - 1) * SF_TIMERWHEEL_LEVEL_GRAN(n))
/** Longest delay the wheel accepts, in ticks (130,023,424: 36.1 h at 1 ms); longer ones clamp. */
#define SF_TIMERWHEEL_DELTA_MAX \
	(SF_TIMERWHEEL_LEVEL_SPAN(SF_TIMERWHEEL_LEVELS - 1) - \
	 SF_TIMERWHEEL_LEVEL_GRAN(SF_TIMERWHEEL_LEVELS - 1))
/** Tick value reserved for "not armed" / "never". */
#define SF_TIMERWHEEL_TICK_NEVER UINT32_C(0)
/** Default tick length, in microseconds. */
#define SF_TIMERWHEEL_TICK_US_DEFAULT 1000
/** Longest tick length accepted, in microseconds. */
#define SF_TIMERWHEEL_TICK_US_MAX 1000000
/** Name length kept for logs, terminating NUL included. */
#define SF_TIMERWHEEL_NAMESIZE 32

struct sf_timerwheel;
struct sf_timerwheel_timer;

/**
 * Timer callback. Runs on the wheel's owner lcore inside sf_timerwheel_manage(), after the timer
 * has been disarmed; it may arm, re-arm or cancel any timer of the wheel, t included.
 * @param tw the wheel the timer was armed on
 * @param t the timer that fired
 * @param arg the argument given to sf_timerwheel_timer_init(), usually the owning object
 */
typedef void (*sf_timerwheel_cb_t)(struct sf_timerwheel *tw, struct sf_timerwheel_timer *t,
				   void *arg);

/**
 * A timer, embedded in the object it times (40 bytes). Initialise it once with
 * sf_timerwheel_timer_init(); the fields are private to the wheel except expires, which reads as
 * the deadline tick while the timer is armed and SF_TIMERWHEEL_TICK_NEVER otherwise.
 */
struct sf_timerwheel_timer {
	struct sf_timerwheel_timer *next;    /**< next timer in the slot list */
	struct sf_timerwheel_timer **pprev;  /**< the pointer that points at this timer */
	uint32_t expires;                    /**< deadline tick, SF_TIMERWHEEL_TICK_NEVER if idle */
	uint16_t idx;                        /**< slot: level * 64 + slot */
	uint16_t reserved;
	sf_timerwheel_cb_t cb;               /**< called on expiry */
	void *arg;                           /**< passed to cb */
};

/** Parameters of sf_timerwheel_create(). */
struct sf_timerwheel_params {
	const char *name;      /**< for logs; required */
	int socket_id;         /**< NUMA socket of the wheel's memory, or SOCKET_ID_ANY */
	uint64_t tsc_hz;       /**< TSC frequency; 0: rte_get_tsc_hz() */
	uint32_t tick_us;      /**< tick length in microseconds; 0: SF_TIMERWHEEL_TICK_US_DEFAULT */
	uint64_t start_tsc;    /**< TSC the wheel's clock starts at; 0: rte_rdtsc() */
};

/**
 * X(name, description): the wheel's counters. They only go up; the owner lcore writes them,
 * other lcores read them with sf_timerwheel_stats_get().
 */
#define SF_TIMERWHEEL_COUNTER_LIST(X) \
	X(armed,     "timers armed or re-armed") \
	X(cancelled, "armed timers cancelled before they fired") \
	X(fired,     "timer callbacks run") \
	X(carried,   "manage calls that hit max_fire and left due timers to the next call") \
	X(clamped,   "arms beyond SF_TIMERWHEEL_DELTA_MAX, shortened to it")

/** Counters and gauge of one wheel. */
struct sf_timerwheel_stats {
#define SF_TIMERWHEEL_X_FIELD(n, d) uint64_t n;
	SF_TIMERWHEEL_COUNTER_LIST(SF_TIMERWHEEL_X_FIELD)
#undef SF_TIMERWHEEL_X_FIELD
	uint64_t pending;      /**< gauge: timers armed and not yet fired or cancelled */
};

/** @return true when tick a is before tick b (wrap-safe). */
static inline bool
sf_timerwheel_tick_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/** @return true when tick a is after tick b (wrap-safe). */
static inline bool
sf_timerwheel_tick_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/**
 * Create a wheel, in memory of the given socket (rte_zmalloc_socket, so EAL must be up).
 * Its clock starts at the tick of params->start_tsc.
 * @param params name, socket, TSC frequency, tick length, start TSC
 * @return the wheel, or NULL with rte_errno set to:
 *   - EINVAL: params or its name is NULL, tick_us above SF_TIMERWHEEL_TICK_US_MAX, or a tick
 *     shorter than one TSC cycle (tsc_hz 0 and EAL not initialised, for one)
 *   - ENOMEM: no memory for the wheel
 */
struct sf_timerwheel *sf_timerwheel_create(const struct sf_timerwheel_params *params);

/**
 * Free a wheel. Timers still armed on it are abandoned without being called: initialise them
 * again before any further use. NULL is accepted and does nothing.
 * @param tw the wheel, or NULL
 */
void sf_timerwheel_free(struct sf_timerwheel *tw);

/**
 * Initialise a timer, once, before its first arm. Must not be called on an armed timer.
 * @param t the timer, inside its owner
 * @param cb called on expiry; must not be NULL
 * @param arg passed to cb, usually the owner
 */
void sf_timerwheel_timer_init(struct sf_timerwheel_timer *t, sf_timerwheel_cb_t cb, void *arg);

/**
 * Advance the wheel to the tick of now_tsc and fire what has come due, as described at the top
 * of this file. Owner lcore only. Returns at once when the tick has not changed since the last
 * call and nothing was carried over.
 * @param tw the wheel
 * @param now_tsc the current TSC (rte_rdtsc()); never behind the previous call's
 * @param max_fire at most this many callbacks in this call; 0 for no limit
 * @return the number of callbacks run
 */
unsigned int sf_timerwheel_manage(struct sf_timerwheel *tw, uint64_t now_tsc,
				  unsigned int max_fire);

/**
 * Convert a TSC value to the wheel's ticks.
 * @param tw the wheel
 * @param tsc a TSC value
 * @return the tick (wraps at 2^32; may be SF_TIMERWHEEL_TICK_NEVER, which is also a valid time)
 */
uint32_t sf_timerwheel_ticks_from_tsc(const struct sf_timerwheel *tw, uint64_t tsc);

/**
 * Convert a delay in milliseconds to ticks, rounded up so a timer never fires early.
 * @param tw the wheel
 * @param ms the delay
 * @return the delay in ticks, at most SF_TIMERWHEEL_DELTA_MAX
 */
uint32_t sf_timerwheel_ms_to_ticks(const struct sf_timerwheel *tw, uint32_t ms);

/**
 * @param tw the wheel
 * @return the tick length in microseconds
 */
uint32_t sf_timerwheel_tick_us(const struct sf_timerwheel *tw);

/**
 * Read a wheel's counters and gauge; any lcore may call it (relaxed loads of values the owner
 * keeps writing, so each field is exact but they are not one snapshot).
 * @param tw the wheel
 * @param stats filled in
 * @return 0, or -EINVAL when tw or stats is NULL
 */
int sf_timerwheel_stats_get(const struct sf_timerwheel *tw, struct sf_timerwheel_stats *stats);

#endif /* SF_TIMERWHEEL_H */
