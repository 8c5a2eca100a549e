/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Logging: one registered DPDK logtype per library, named "synfront.<lib>".
 *
 * A library declares its logtype once in one .c file:
 *     RTE_LOG_REGISTER(sf_neigh_logtype, synfront.neigh, INFO);
 * and declares "extern int sf_neigh_logtype;" in its private header
 * and logs with SF_LOG(neigh, INFO, "fmt", ...), which prefixes "neigh: ".
 * Never log per packet; anything a packet can trigger goes through SF_LOG_RATELIMIT.
 */
#ifndef SF_LOG_H
#define SF_LOG_H

#include <stdint.h>
#include <rte_log.h>
#include <rte_cycles.h>

#define SF_LOG(lib, level, fmt, ...) \
	rte_log(RTE_LOG_##level, sf_##lib##_logtype, #lib ": " fmt "\n", ##__VA_ARGS__)

/**
 * Log at most once per second per call site (per thread), for messages a packet can trigger.
 */
#define SF_LOG_RATELIMIT(lib, level, fmt, ...) do { \
	static RTE_DEFINE_PER_LCORE(uint64_t, sf_log_next_); \
	uint64_t now_ = rte_get_tsc_cycles(); \
	if (now_ >= RTE_PER_LCORE(sf_log_next_)) { \
		RTE_PER_LCORE(sf_log_next_) = now_ + rte_get_tsc_hz(); \
		SF_LOG(lib, level, fmt, ##__VA_ARGS__); \
	} \
} while (0)

/** printf format and arguments for an IPv4 address held in network order. */
#define SF_IPV4_FMT "%u.%u.%u.%u"
#define SF_IPV4_BYTES(a) \
	((const uint8_t *)&(a))[0], ((const uint8_t *)&(a))[1], \
	((const uint8_t *)&(a))[2], ((const uint8_t *)&(a))[3]

/**
 * Set the level of every "synfront.*" logtype.
 * @param level RTE_LOG_EMERG .. RTE_LOG_DEBUG
 * @return 0, or -EINVAL for a level out of range
 */
int sf_log_set_level(uint32_t level);

/**
 * Map a level name ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug").
 * @return RTE_LOG_* value, or -EINVAL for an unknown name
 */
int sf_log_level_parse(const char *name);

#endif /* SF_LOG_H */
