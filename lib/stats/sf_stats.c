/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>

#include "sf_stats.h"

struct sf_stats_lcore sf_stats[RTE_MAX_LCORE];

static const char *const names[SF_STAT_MAX] = {
#define SF_STATS_X_NAME(n, d) [SF_STAT_##n] = #n,
	SF_STATS_CORE_LIST(SF_STATS_X_NAME)
#undef SF_STATS_X_NAME
#define SF_STATS_X_CNAME(e, n, d) [SF_STAT_cookie_invalid_##n] = "cookie_invalid_" #n,
	SF_COOKIE_INVALID_LIST(SF_STATS_X_CNAME)
#undef SF_STATS_X_CNAME
#define SF_STATS_X_DNAME(n, d) [SF_STAT_PKT_DROP(SF_PKT_DROP_##n)] = "drop_" #n,
	SF_PKT_DROP_LIST(SF_STATS_X_DNAME)
#undef SF_STATS_X_DNAME
};

static const char *const descs[SF_STAT_MAX] = {
#define SF_STATS_X_DESC(n, d) [SF_STAT_##n] = d,
	SF_STATS_CORE_LIST(SF_STATS_X_DESC)
#undef SF_STATS_X_DESC
#define SF_STATS_X_CDESC(e, n, d) [SF_STAT_cookie_invalid_##n] = "ACKs refused: " d,
	SF_COOKIE_INVALID_LIST(SF_STATS_X_CDESC)
#undef SF_STATS_X_CDESC
#define SF_STATS_X_DDESC(n, d) [SF_STAT_PKT_DROP(SF_PKT_DROP_##n)] = d,
	SF_PKT_DROP_LIST(SF_STATS_X_DDESC)
#undef SF_STATS_X_DDESC
};

const char *sf_stats_name(enum sf_stat_id id)
{
	return (unsigned int)id < SF_STAT_MAX ? names[id] : "";
}

const char *sf_stats_desc(enum sf_stat_id id)
{
	return (unsigned int)id < SF_STAT_MAX ? descs[id] : "";
}

uint64_t sf_stats_read(unsigned int lcore, enum sf_stat_id id)
{
	return __atomic_load_n(&sf_stats[lcore].v[id], __ATOMIC_RELAXED);
}

void sf_stats_sum(struct sf_stats_lcore *out)
{
	for (unsigned int id = 0; id < SF_STAT_MAX; id++) {
		uint64_t t = 0;
		for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
			t += sf_stats_read(l, id);
		out->v[id] = t;
	}
}

void sf_stats_print(FILE *f, int all)
{
	struct sf_stats_lcore t;

	sf_stats_sum(&t);
	for (unsigned int id = 0; id < SF_STAT_MAX; id++)
		if (all || t.v[id] != 0)
			fprintf(f, "%-24s %" PRIu64 "\n", names[id], t.v[id]);
}
