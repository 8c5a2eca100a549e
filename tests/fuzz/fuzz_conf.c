/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: sf_conf_parse() on arbitrary text. Every problem it reports
 * must carry a position inside the text (or none, for whole-file errors), and a
 * configuration it accepts must satisfy the invariants the data path relies on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sf_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_conf conf;
	static struct sf_conf_errors errs;

	if (sf_conf_parse((const char *)data, size, &conf, &errs) != 0) {
		if (errs.count == 0 || errs.stored > errs.count)
			abort();
		for (unsigned int i = 0; i < errs.stored; i++)
			if (errs.e[i].line < 0 || errs.e[i].column < 0 ||
			    (errs.e[i].line == 0 && errs.e[i].column != 0 && errs.e[i].path[0] != '\0'))
				abort();
		return 0;
	}
	if (conf.nb_ports == 0 || conf.nb_ports > SF_CONF_MAX_PORTS ||
	    conf.nb_services > SF_CONF_MAX_SERVICES)
		abort();
	for (unsigned int s = 0; s < conf.nb_services; s++) {
		const struct sf_conf_service *sv = &conf.services[s];

		if (sv->port >= conf.nb_ports || sv->backend_port >= conf.nb_ports ||
		    sv->nb_backends == 0 || sv->nb_backends > SF_CONF_MAX_BACKENDS ||
		    sv->nb_sources == 0 || sv->nb_sources > SF_CONF_MAX_SOURCES)
			abort();
	}
	return 0;
}
