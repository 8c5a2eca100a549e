/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "tw_test.h"

bool tw_test_fail_alloc;

void *__wrap_rte_zmalloc_socket(const char *type, size_t size, unsigned int align, int socket);
void __wrap_rte_free(void *ptr);

void *__wrap_rte_zmalloc_socket(const char *type, size_t size, unsigned int align, int socket)
{
	void *p;

	(void)type;
	(void)socket;
	if (tw_test_fail_alloc) {
		tw_test_fail_alloc = false;
		return NULL;
	}
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

void __wrap_rte_free(void *ptr)
{
	free(ptr);
}

struct sf_timerwheel *tw_test_wheel(uint64_t start_tsc)
{
	struct sf_timerwheel_params p = {
		.name = "test",
		.socket_id = -1,
		.tsc_hz = 1000,
		.tick_us = 1000,
		.start_tsc = start_tsc,
	};

	return sf_timerwheel_create(&p);
}

/* Upper end of each level's delays and its granularity, from the table in sf_timerwheel.h. */
static const uint64_t level_end[8] = {
	63, 504, 4032, 32256, 258048, 2064384, 16515072, 132120576,
};
static const uint64_t level_gran[8] = {
	1, 8, 64, 512, 4096, 32768, 262144, 2097152,
};

unsigned int tw_test_level(uint64_t d)
{
	unsigned int l = 0;

	while (l < 7 && d > level_end[l])
		l++;
	return l;
}

uint64_t tw_test_latest(uint64_t e, uint64_t clk_lb, uint64_t now)
{
	uint64_t latest = now + 1;

	if (e >= clk_lb) {
		uint64_t l = e + level_gran[tw_test_level(e - clk_lb)] - 1;

		if (l > latest)
			latest = l;
	}
	return latest;
}
