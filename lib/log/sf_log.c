/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "sf_log.h"

static const char *const level_names[] = {
	[RTE_LOG_EMERG] = "emerg", [RTE_LOG_ALERT] = "alert", [RTE_LOG_CRIT] = "crit",
	[RTE_LOG_ERR] = "err", [RTE_LOG_WARNING] = "warning", [RTE_LOG_NOTICE] = "notice",
	[RTE_LOG_INFO] = "info", [RTE_LOG_DEBUG] = "debug",
};

int sf_log_level_parse(const char *name)
{
	for (unsigned int i = RTE_LOG_EMERG; i <= RTE_LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int sf_log_set_level(uint32_t level)
{
	if (level < RTE_LOG_EMERG || level > RTE_LOG_DEBUG)
		return -EINVAL;
	return rte_log_set_level_pattern("synfront.*", level) < 0 ? -EINVAL : 0;
}
