/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the timer wheel unit tests: rte_zmalloc_socket/rte_free stand-ins (linked
 * with -Wl,--wrap, so no EAL is needed), a wheel whose TSC counts ticks, and the expected
 * lateness bound of each level, written out from the table in sf_timerwheel.h rather than taken
 * from the library.
 */
#ifndef TW_TEST_H
#define TW_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "sf_timerwheel_dp.h"

/** Make the next rte_zmalloc_socket() fail. */
extern bool tw_test_fail_alloc;

/** A wheel with one TSC cycle per tick (tsc_hz 1000, tick 1000 us), clock at start_tsc. */
struct sf_timerwheel *tw_test_wheel(uint64_t start_tsc);

/**
 * Latest tick a timer armed for deadline e may fire at, given that the wheel's clock had
 * collected every tick before clk_lb (at least) and that the arm happened at wheel tick now.
 * 64-bit virtual ticks, so tests can run across the 32-bit wrap.
 */
uint64_t tw_test_latest(uint64_t e, uint64_t clk_lb, uint64_t now);

/** Expected level of a delay d from the header's table. */
unsigned int tw_test_level(uint64_t d);

#endif /* TW_TEST_H */
