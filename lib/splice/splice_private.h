/* SPDX-License-Identifier: BSD-3-Clause */
/* Declarations shared by the files of lib/splice only. */
#ifndef SF_SPLICE_PRIVATE_H
#define SF_SPLICE_PRIVATE_H

#include <rte_mbuf.h>

#include "sf_splice.h"

extern int sf_splice_logtype;

/** Count a packet the splice drops under @p why, and free it. */
static inline void drop(struct sf_splice *sp, struct rte_mbuf *m, enum sf_stat_id why)
{
	sf_stats_inc(sp->st, why);
	rte_pktmbuf_free(m);
}

#endif /* SF_SPLICE_PRIVATE_H */
