/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Inline fast-path helpers of lib/pkt: unaligned big-endian loads and stores, and the
 * one's complement sum behind every Internet checksum. The parser uses them; so can
 * code that rewrites packets in place (SYN-ACK from a SYN, sequence translation).
 *
 * Checksum arithmetic: the one's complement sum does not depend on byte order
 * (RFC 1071 2.B), so buffers are summed as native 64-bit words and the folded result
 * is already in network order, ready to be stored into a header as is.
 */
#ifndef SF_PKT_DP_H
#define SF_PKT_DP_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "sf_pkt.h"

/** @return the big-endian 16-bit value at @p p (any alignment), in host order. */
static __rte_always_inline uint16_t sf_pkt_be16_load(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

/** @return the big-endian 32-bit value at @p p (any alignment), in host order. */
static __rte_always_inline uint32_t sf_pkt_be32_load(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

/** @return the 32-bit value at @p p (any alignment) as stored, i.e. network order. */
static __rte_always_inline uint32_t sf_pkt_ne32_load(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/** Store host-order @p v at @p p (any alignment) in big-endian order. */
static __rte_always_inline void sf_pkt_be16_store(uint8_t *p, uint16_t v)
{
	uint16_t w = rte_cpu_to_be_16(v);

	memcpy(p, &w, sizeof(w));
}

/** Store host-order @p v at @p p (any alignment) in big-endian order. */
static __rte_always_inline void sf_pkt_be32_store(uint8_t *p, uint32_t v)
{
	uint32_t w = rte_cpu_to_be_32(v);

	memcpy(p, &w, sizeof(w));
}

/** @return @p sum + @p x with the carry out of bit 63 added back in (end-around carry). */
static __rte_always_inline uint64_t sf_pkt_cksum_add64(uint64_t sum, uint64_t x)
{
	sum += x;
	return sum + (sum < x);
}

/**
 * Add @p len bytes at @p buf to a running one's complement sum. The buffer is taken
 * as 16-bit words from its first byte; an odd last byte is padded with a zero byte.
 * Sums of consecutive buffers stay correct only while every buffer but the last has
 * an even length.
 *
 * @return the new running sum (fold it with sf_pkt_cksum_fold())
 */
static __rte_always_inline uint64_t sf_pkt_cksum_sum(uint64_t sum, const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	uint64_t w8;
	uint32_t w4;
	uint16_t w2;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w8, p, 8);
		sum = sf_pkt_cksum_add64(sum, w8);
	}
	if (len & 4) {
		memcpy(&w4, p, 4);
		sum = sf_pkt_cksum_add64(sum, w4);
		p += 4;
	}
	if (len & 2) {
		memcpy(&w2, p, 2);
		sum = sf_pkt_cksum_add64(sum, w2);
		p += 2;
	}
	if (len & 1) {
		w2 = 0;
		memcpy(&w2, p, 1);
		sum = sf_pkt_cksum_add64(sum, w2);
	}
	return sum;
}

/** @return the running sum @p sum folded to 16 bits (not complemented). */
static __rte_always_inline uint16_t sf_pkt_cksum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * Running sum of the TCP/UDP pseudo header (RFC 793 3.1).
 *
 * @param src, dst  IPv4 addresses, network order
 * @param proto     IP protocol number
 * @param l4_len    segment length (header and payload), host order
 * @return the running sum, to be continued with sf_pkt_cksum_sum() over the segment
 */
static __rte_always_inline uint64_t sf_pkt_cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
		uint32_t l4_len)
{
	return (uint64_t)src + dst + rte_cpu_to_be_16((uint16_t)proto) +
		rte_cpu_to_be_16((uint16_t)l4_len);
}

#endif /* SF_PKT_DP_H */
