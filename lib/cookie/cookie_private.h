/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside lib/cookie: the context layout, SipHash-2-4 and the bit layouts.
 * The essay on why it is built this way is atop sf_cookie.c.
 */
#ifndef COOKIE_PRIVATE_H
#define COOKIE_PRIVATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#include "sf_cookie.h"

extern int sf_cookie_logtype;

/* ISN: [31..8] MAC, [7..3] counter mod 32, [2..0] MSS index. */
#define COOKIE_MAC_BITS 24
#define COOKIE_CNT_BITS 5
#define COOKIE_IDX_BITS 3
#define COOKIE_CNT_SHIFT COOKIE_IDX_BITS
#define COOKIE_CNT_MASK ((1u << COOKIE_CNT_BITS) - 1)
#define COOKIE_IDX_MASK ((1u << COOKIE_IDX_BITS) - 1)
#define COOKIE_MAC_SHIFT (COOKIE_CNT_BITS + COOKIE_IDX_BITS)

/* A counter difference of 31 (mod 32) reads as one tick ahead: a peer's clock. */
#define COOKIE_CNT_AHEAD COOKIE_CNT_MASK

/* MAC input byte 20: MSS index, and whether the handshake carries timestamps. */
#define COOKIE_FLAG_TS 0x08

/* TSval low bits: [5] ECN, [4] SACK-permitted, [3..0] window scale, 0xf = none. */
#define COOKIE_TS_BITS 6
#define COOKIE_TS_MASK ((1u << COOKIE_TS_BITS) - 1)
#define COOKIE_TS_WS_MASK 0x0f
#define COOKIE_TS_WS_NONE 0x0f
#define COOKIE_TS_SACK 0x10
#define COOKIE_TS_ECN 0x20
#define COOKIE_WS_MAX 14          /* RFC 7323 2.3: larger shifts are taken as 14 */

/* Length of the MAC input in bytes; SipHash mixes it into the last word. */
#define COOKIE_MSG_LEN 21

/* A new key mints from this many ticks after the rotation (see the essay). */
#define COOKIE_KEY_LEAD 2

/* Key slots: a ring, newest at gen % COOKIE_KEY_SLOTS. Power of two. */
#define COOKIE_KEY_SLOTS 64

struct cookie_key {
	uint64_t k0;
	uint64_t k1;
	uint32_t first_tick;  /* mints from this tick; older ticks belong to older slots */
	uint32_t id;          /* MAC of a constant under the key, for logs */
};

struct sf_cookie_ctx {
	/* Written by the control thread with a release store, read with acquire. */
	uint32_t gen;
	/* Constant after creation. */
	uint32_t tick_ms;
	uint32_t max_ticks;       /* counter differences 0..max_ticks are valid */
	uint32_t max_age_ms;
	int32_t ts_age_min;       /* TSecr must be this old (negative: ahead) ... */
	int32_t ts_age_max;       /* ... to this old, in ms */
	uint32_t flags;           /* SF_COOKIE_F_* */
	struct cookie_key keys[COOKIE_KEY_SLOTS] __rte_cache_aligned;
	char key_file[PATH_MAX];
};

/* SipHash-2-4 (Aumasson, Bernstein, 2012): the round and the initial state. */
#define COOKIE_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define COOKIE_SIPROUND(v0, v1, v2, v3) do { \
	v0 += v1; v1 = COOKIE_ROTL(v1, 13); v1 ^= v0; v0 = COOKIE_ROTL(v0, 32); \
	v2 += v3; v3 = COOKIE_ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = COOKIE_ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = COOKIE_ROTL(v1, 17); v1 ^= v2; v2 = COOKIE_ROTL(v2, 32); \
} while (0)

#define COOKIE_SIP_C0 0x736f6d6570736575ULL  /* "somepseu" */
#define COOKIE_SIP_C1 0x646f72616e646f6dULL  /* "dorandom" */
#define COOKIE_SIP_C2 0x6c7967656e657261ULL  /* "lygenera" */
#define COOKIE_SIP_C3 0x7465646279746573ULL  /* "tedbytes" */

/*
 * SipHash-2-4 of any byte string, for key ids and tests; the data path uses
 * the fixed three-word form in sf_cookie.c, which gives the same result.
 */
static inline uint64_t
cookie_siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = k0 ^ COOKIE_SIP_C0, v1 = k1 ^ COOKIE_SIP_C1;
	uint64_t v2 = k0 ^ COOKIE_SIP_C2, v3 = k1 ^ COOKIE_SIP_C3;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, full = len & ~(size_t)7;

	for (i = 0; i < full; i += 8) {
		m = 0;
		for (unsigned int j = 0; j < 8; j++)
			m |= (uint64_t)p[i + j] << (8 * j);
		v3 ^= m;
		COOKIE_SIPROUND(v0, v1, v2, v3);
		COOKIE_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (unsigned int j = 0; j < (len & 7); j++)
		b |= (uint64_t)p[full + j] << (8 * j);
	v3 ^= b;
	COOKIE_SIPROUND(v0, v1, v2, v3);
	COOKIE_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (unsigned int r = 0; r < 4; r++)
		COOKIE_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The MAC input as three little-endian words (21 bytes):
 *   bytes  0..3  saddr      4..7  daddr
 *   bytes  8..9  sport     10..11 dport     12..15 client ISN
 *   bytes 16..19 counter   20     MSS index | COOKIE_FLAG_TS
 * The last word also holds the length in its top byte, as SipHash pads.
 */
static __rte_always_inline uint64_t
cookie_msg_w0(uint32_t saddr, uint32_t daddr)
{
	return (uint64_t)saddr | (uint64_t)daddr << 32;
}

static __rte_always_inline uint64_t
cookie_msg_w1(uint16_t sport, uint16_t dport, uint32_t isn)
{
	return (uint64_t)sport | (uint64_t)dport << 16 | (uint64_t)isn << 32;
}

static __rte_always_inline uint64_t
cookie_msg_w2(uint32_t counter, uint32_t flags)
{
	return (uint64_t)counter | (uint64_t)flags << 32 | (uint64_t)COOKIE_MSG_LEN << 56;
}

/* TSval carrying @p bits in its low bits, never later than @p ts_now. */
static __rte_always_inline uint32_t
cookie_tsval_encode(uint32_t ts_now, uint32_t bits)
{
	uint32_t ts = (ts_now & ~COOKIE_TS_MASK) | bits;

	if (bits > (ts_now & COOKIE_TS_MASK))
		ts -= 1u << COOKIE_TS_BITS;
	return ts;
}

/* Options (SF_COOKIE_OPT_*) and window scale from the low bits of a TSecr. */
static __rte_always_inline uint8_t
cookie_tsecr_decode(uint32_t tsecr, uint8_t *wscale)
{
	uint8_t opts = SF_COOKIE_OPT_TS;
	uint32_t ws = tsecr & COOKIE_TS_WS_MASK;

	*wscale = 0;
	if (ws != COOKIE_TS_WS_NONE) {
		opts |= SF_COOKIE_OPT_WS;
		*wscale = (uint8_t)ws;
	}
	if (tsecr & COOKIE_TS_SACK)
		opts |= SF_COOKIE_OPT_SACK;
	if (tsecr & COOKIE_TS_ECN)
		opts |= SF_COOKIE_OPT_ECN;
	return opts;
}

#endif /* COOKIE_PRIVATE_H */
