/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: sf_pkt_parse() on arbitrary frames, with and without the
 * checksum-good flags. Invariants checked on every frame that parses: the lengths
 * add up and lie inside the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sf_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sf_pkt_info pi;

	for (unsigned int flags = 0; flags < 4; flags++) {
		if (sf_pkt_parse(data, (uint32_t)size, flags, &pi) != SF_PKT_OK)
			continue;
		if (pi.type == SF_PKT_TYPE_TCP || pi.type == SF_PKT_TYPE_ICMP) {
			if ((size_t)pi.l2_len + pi.ip_len > size ||
			    (uint32_t)pi.l3_len + pi.l4_len + pi.payload_len != pi.ip_len)
				abort();
		}
		if (pi.type == SF_PKT_TYPE_TCP && pi.opts.nb_sack > SF_TCP_MAX_SACK)
			abort();
	}
	return 0;
}
