/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies
 * ===========
 *
 * synfront answers every SYN to a service without keeping any state: the
 * SYN-ACK's initial sequence number (ISN) is a cookie, a keyed MAC over the
 * connection, and the client's ACK must echo it (ack = cookie + 1). Only an
 * ACK carrying a valid cookie makes the worker open a connection to a backend.
 * A SYN flood thus costs one MAC and one transmitted SYN-ACK per SYN, and no
 * memory. This is D. J. Bernstein's construction (1996, RFC 4987 section 3.6)
 * with a modern MAC; docs/design/cookies.md says the same for operators.
 *
 * Threat model
 * ------------
 * 1. SYN flood from spoofed sources. Handled by statelessness: per SYN, one
 *    MAC (~40 cycles amortised in a burst) and no memory.
 * 2. Blind ACK forgery: an attacker who cannot see our SYN-ACKs (spoofed
 *    source, off path) sends ACKs hoping one passes, to make us open backend
 *    connections for an address that never handshook. The counter and MSS
 *    bits of the ISN are not secret, so the attacker can always get those
 *    right; the 24 MAC bits are the whole barrier. One forged ACK passes with
 *    probability 2^-24 (6.0e-8); 1 Mpps of forged ACKs buys one bogus
 *    connection per 16.8 s, each bounded by the half-open timeout. Each
 *    attempt is a fresh guess: the MAC covers the client ISN (the ACK's
 *    seq - 1), so varying seq yields nothing reusable.
 * 3. ACK flood to burn CPU: a check costs what a generation costs, and
 *    about half of random ACKs are refused before any hashing (reserved MSS
 *    index: 1/8; counter out of the window: 15/32 of the rest). Not processing ACKs under load is no answer:
 *    an attacker would then flood SYNs and ACKs together.
 * 4. Key recovery: the MAC is SipHash-2-4, a pseudorandom function with a
 *    128-bit key. The attacker sees 24-bit truncations of its outputs on
 *    inputs of their choosing (they pick tuple and ISN); that is exactly
 *    the setting a PRF withstands. Keys come from getrandom(2) or from a file
 *    the operator guards; no log line, counter or API returns them. Logs show
 *    a key id: SipHash under the key of a constant whose length (15 bytes)
 *    differs from every cookie input (21 bytes), so it tells nothing about
 *    cookies.
 * 5. Replay: a client (or anyone on the path) who saw the SYN-ACK can send
 *    the ACK again, inside the lifetime. That is the same handshake; the
 *    connection table, not the cookie, makes the second one a duplicate.
 *    Cookies prove the peer receives at its address, not good intent.
 *
 * What cookies give up: SYN-ACKs are not retransmitted (a lost SYN-ACK is
 * repaired by the client's SYN retransmission, answered with the same cookie
 * within the tick); options that do not fit the bits below are lost.
 *
 * The bits
 * --------
 *     31                                   8 7         3 2     0
 *    +--------------------------------------+-----------+-------+
 *    |      MAC: SipHash-2-4 bits 63..40    | counter   |  MSS  |
 *    |              (24 bits)               | mod 32 (5)| idx(3)|
 *    +--------------------------------------+-----------+-------+
 *
 * The MAC input is 21 bytes (cookie_msg_w0..w2 in cookie_private.h):
 * saddr, daddr, sport, dport, client ISN, the full 32-bit counter, and one
 * byte holding the MSS index and whether the handshake uses timestamps.
 * SipHash takes it as three 64-bit words: 3 compression and 4 finalisation
 * rounds in all, no more than for 16 bytes. Each field is there to stop an
 * attack: the tuple binds the cookie to the connection, the client ISN to
 * this SYN, the full counter to its time (the ISN holds only 5 bits of it;
 * an expired cookie whose low bits come round again still fails the MAC),
 * the index and the timestamp flag to the options so they cannot be edited.
 *
 * Time
 * ----
 * The counter is wall time (CLOCK_REALTIME ms, passed in by the caller) in
 * ticks of tick_ms, so appliances sharing a key agree on it. With M =
 * ceil(max_age_ms / tick_ms) (at most SF_COOKIE_TICKS_MAX = 15), a cookie
 * minted at tick c is accepted at tick n when n - c is 0..M, or -1: a peer
 * whose clock is up to a tick ahead. Hence every cookie is accepted for at
 * least max_age_ms when M * tick_ms == max_age_ms, and none after
 * (M + 1) * tick_ms. Defaults: tick 8 s, M = 15: accepted for 120 s,
 * refused from 128 s at the latest. Differences M+1..30 are reported as
 * too old; older cookies alias to a valid difference and fail the MAC.
 * A random ACK passes the counter test with probability (M + 2) / 32.
 *
 * The MSS table
 * -------------
 * Three bits index SF_COOKIE_MSS_NB = 7 values; the client's MSS is rounded
 * down to one of them, so we never send segments larger than it accepts.
 * S. Alcock, R. Nelson, "An Analysis of TCP Maximum Segment Sizes" (2011),
 * as read by FreeBSD (tcp_syncache.c) and Linux (syncookies.c): 1460 is
 * the most announced value (30..46 %), 1440..1459 (PPPoE, tunnels) about
 * 35 %, 1300..1399 (VPNs, IPv6 tunnels) 12..20 %, 537..1299 under 1.5 %,
 * under 536 about 0.2 %, above 1460 0.04 %.
 *   216   floor; an MSS under 216 is taken as 216 (FreeBSD's tcp_minmss:
 *         tiny segments are an attack tool, cf. CVE-2019-11479)
 *   536   RFC 9293 3.7.1 default; also a SYN without an MSS option
 *   1200  IPv6 minimum MTU 1280 less headers, rounded
 *   1300  Linux's entry for the 1300..1349 group
 *   1360  tunnels and VPNs, 1360..1439
 *   1440  PPPoE (1452) and tunnels, 1440..1459
 *   1460  Ethernet, the mode
 * Index 7 is reserved (a jumbo 8960 may take it without a new layout);
 * an ACK naming it is refused before hashing (SF_COOKIE_BAD_MSS).
 *
 * Options in TSval
 * ----------------
 * When the SYN carries timestamps, the SYN-ACK's TSval carries, in its low
 * 6 bits, the client's window scale (4 bits, 0xf: none), SACK-permitted and
 * ECN setup; the ACK's TSecr brings them back. TSval is the TS clock
 * (wall-clock ms, mod 2^32) with those 6 bits replaced and, when that would
 * move it ahead, 64 ms taken off: it never runs ahead of the clock, so later
 * TSvals taken from the clock are never older than it (RFC 7323 5.4). The
 * ACK's TSecr must be a TSval we could have sent inside the cookie lifetime
 * (SF_COOKIE_BAD_TS otherwise). The timestamp flag is in the MAC: an ACK
 * without the option for a SYN-ACK that had it (or the reverse) fails.
 *
 * Without client timestamps the cookie keeps the MSS only: the SYN-ACK
 * offers no window scale, no SACK-permitted and no ECN, because the ACK
 * could not tell us what the client asked for, and an option we advertise
 * must be one we can honour. Window scaling then stays off in both
 * directions (RFC 7323 2.2: it needs both SYNs) and the connection is
 * correct, only limited to 64 KiB windows and go-back-N recovery. The other
 * choice, FreeBSD's, spends ISN bits on window scale and SACK and keeps no
 * counter; here every bit is taken by the 24-bit MAC bound and the age
 * window, and a bound on cookie age is a requirement.
 *
 * Keys and threads
 * ----------------
 * Keys sit in a ring of COOKIE_KEY_SLOTS slots, newest at gen % slots. Each
 * key mints cookies from its first_tick on; the key for tick t is the newest
 * slot whose first_tick <= t (the oldest held when none is). Minting and
 * checking use that one mapping, so a cookie is checked with exactly the key
 * that minted it: one MAC per ACK, and the 2^-24 bound holds. (Trying the
 * current and the previous key would double the odds of a forgery.)
 *
 * A rotation writes the slot after the newest, with first_tick = now + 2
 * ticks, and publishes it with a release store of gen; workers load gen
 * with acquire once per burst and never take a lock. The two ticks of lead
 * make the switch safe against a worker whose clock reads up to a tick
 * ahead of the control thread's: no cookie can have been minted for a tick
 * that a later rotation gives to another key. A slot is overwritten only
 * when a newer key starts at or before the oldest tick any caller can still
 * accept (now - 1 - M); until then rotation answers -EBUSY. So no cookie
 * inside its lifetime loses its key: rotation is hitless. A rotation while
 * the previous one has not taken effect yet is also -EBUSY, so keys change
 * at most every two ticks (16 s by default) and at most M / 2 + 3 = 10
 * slots are ever in use: the ring of 64 never fills.
 *
 * Sharing a key
 * -------------
 * Appliances given the same key file, max_age_ms and tick_ms, and clocks in
 * step within a tick, validate each other's cookies: the file's key covers
 * every tick from load time on. To change a shared key, replace the file on
 * every appliance and rotate (or wait for the rotation timer, which reads
 * the file again); cookies minted in the tick or two around the change may
 * be refused by a peer that switched a tick later.
 *
 * References: D. J. Bernstein, "SYN cookies", cr.yp.to/syncookies.html;
 * RFC 4987; FreeBSD sys/netinet/tcp_syncache.c (SipHash MAC, MSS and window
 * scale tables); Linux net/ipv4/syncookies.c (options in TSval, msstab);
 * J.-P. Aumasson, D. J. Bernstein, "SipHash: a fast short-input PRF" (2012).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "sf_log.h"
#include "sf_cookie.h"
#include "cookie_private.h"

RTE_LOG_REGISTER(sf_cookie_logtype, synfront.cookie, INFO);

/* Source and reasons: see "The MSS table" above. Ascending. */
static const uint16_t cookie_msstab[SF_COOKIE_MSS_NB] = {
	216, 536, 1200, 1300, 1360, 1440, 1460,
};

#define COOKIE_MSS_DEFAULT 536     /* RFC 9293 3.7.1: no MSS option */
#define COOKIE_KEY_FILE_MAX 4096   /* bytes; a key file is one line */
#define COOKIE_LANES 4             /* MACs computed interleaved */
#define COOKIE_CHUNK 64            /* packets staged at a time */

static const char cookie_key_id_msg[] = "synfront key id";  /* 15 bytes */

const uint16_t *
sf_cookie_mss_table(void)
{
	return cookie_msstab;
}

static const char *const cookie_verdict_names[SF_COOKIE_VERDICT_MAX] = {
	[SF_COOKIE_OK] = "ok",
#define SF_COOKIE_X_NAME(e, n, d) [SF_COOKIE_##e] = #n,
	SF_COOKIE_INVALID_LIST(SF_COOKIE_X_NAME)
#undef SF_COOKIE_X_NAME
};

static const char *const cookie_verdict_strs[SF_COOKIE_VERDICT_MAX] = {
	[SF_COOKIE_OK] = "valid cookie",
#define SF_COOKIE_X_STR(e, n, d) [SF_COOKIE_##e] = d,
	SF_COOKIE_INVALID_LIST(SF_COOKIE_X_STR)
#undef SF_COOKIE_X_STR
};

const char *
sf_cookie_verdict_name(enum sf_cookie_verdict v)
{
	return (unsigned int)v < SF_COOKIE_VERDICT_MAX ? cookie_verdict_names[v] : "unknown";
}

const char *
sf_cookie_verdict_str(enum sf_cookie_verdict v)
{
	return (unsigned int)v < SF_COOKIE_VERDICT_MAX ? cookie_verdict_strs[v] : "unknown";
}

uint64_t
sf_cookie_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- data path ---- */

/*
 * Scalar code: GCC's vectoriser turns the lanes below into SSE2, whose
 * 64-bit rotates take three instructions each, and bench-cookie measured
 * that 40 % slower than scalar rotates (55 against 39 cycles per cookie).
 */
#ifndef __clang__
#pragma GCC push_options
#pragma GCC optimize("no-tree-vectorize")
#endif

/* Index of the largest table value <= mss (a missing MSS counts as 536). */
static __rte_always_inline uint32_t
cookie_mss_idx(uint16_t mss)
{
	uint32_t idx = 0;

	if (mss == 0)
		mss = COOKIE_MSS_DEFAULT;
	for (unsigned int i = 1; i < SF_COOKIE_MSS_NB; i++)
		idx += mss >= cookie_msstab[i];
	return idx;
}

static __rte_always_inline uint32_t
cookie_keys_held(uint32_t gen)
{
	return gen < COOKIE_KEY_SLOTS ? gen + 1 : COOKIE_KEY_SLOTS;
}

/* The key that mints (and so checks) cookies of tick @p tick. */
static __rte_always_inline const struct cookie_key *
cookie_key_find(const struct sf_cookie_ctx *ctx, uint32_t gen, uint32_t tick)
{
	uint32_t held = cookie_keys_held(gen);
	const struct cookie_key *k;

	for (uint32_t i = 0;; i++) {
		k = &ctx->keys[(gen - i) & (COOKIE_KEY_SLOTS - 1)];
		if ((int32_t)(tick - k->first_tick) >= 0 || i + 1 == held)
			return k;
	}
}

/* MAC inputs staged for up to COOKIE_CHUNK packets, padded to a lane multiple. */
struct cookie_stage {
	uint64_t k0[COOKIE_CHUNK];
	uint64_t k1[COOKIE_CHUNK];
	uint64_t w0[COOKIE_CHUNK];
	uint64_t w1[COOKIE_CHUNK];
	uint64_t w2[COOKIE_CHUNK];
	uint64_t h[COOKIE_CHUNK];
};

/*
 * SipHash-2-4 of @p lanes three-word messages at once (a constant after
 * inlining): the lanes are independent, so their rounds overlap in the
 * pipeline where one hash alone would wait on its own dependency chain.
 */
static __rte_always_inline void
cookie_mac_lanes(struct cookie_stage *s, unsigned int o, const unsigned int lanes)
{
	uint64_t v0[COOKIE_LANES], v1[COOKIE_LANES], v2[COOKIE_LANES], v3[COOKIE_LANES];
	unsigned int l;

	for (l = 0; l < lanes; l++) {
		v0[l] = s->k0[o + l] ^ COOKIE_SIP_C0;
		v1[l] = s->k1[o + l] ^ COOKIE_SIP_C1;
		v2[l] = s->k0[o + l] ^ COOKIE_SIP_C2;
		v3[l] = s->k1[o + l] ^ COOKIE_SIP_C3 ^ s->w0[o + l];
	}
	for (l = 0; l < lanes; l++) {
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		v0[l] ^= s->w0[o + l];
		v3[l] ^= s->w1[o + l];
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		v0[l] ^= s->w1[o + l];
		v3[l] ^= s->w2[o + l];
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		v0[l] ^= s->w2[o + l];
		v2[l] ^= 0xff;
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		COOKIE_SIPROUND(v0[l], v1[l], v2[l], v3[l]);
		s->h[o + l] = v0[l] ^ v1[l] ^ v2[l] ^ v3[l];
	}
}

#if defined(RTE_ARCH_X86_64) && (defined(__GNUC__) || defined(__clang__))
/*
 * The same four lanes in the four 64-bit lanes of an AVX2 register: one
 * instruction does the work of four. AVX2 has no 64-bit rotate: rotations by 32
 * and 16 are shuffles, the others two shifts and an or. Chosen at run time
 * (cookie_avx2), so the build needs no -mavx2; results are bit-identical to the
 * scalar lanes (the unit tests pin the cookie format with a fixed key).
 */
#include <immintrin.h>

static bool cookie_avx2;

RTE_INIT(cookie_simd_init)
{
	__builtin_cpu_init();
	cookie_avx2 = __builtin_cpu_supports("avx2");
}

#define COOKIE_V_ROTL(x, b) \
	_mm256_or_si256(_mm256_slli_epi64((x), (b)), _mm256_srli_epi64((x), 64 - (b)))
#define COOKIE_V_ROTL32(x) _mm256_shuffle_epi32((x), 0xb1)
#define COOKIE_V_ROTL16(x) _mm256_shuffle_epi8((x), rot16)

#define COOKIE_V_SIPROUND(v0, v1, v2, v3) do { \
	v0 = _mm256_add_epi64(v0, v1); v1 = COOKIE_V_ROTL(v1, 13); v1 = _mm256_xor_si256(v1, v0); \
	v0 = COOKIE_V_ROTL32(v0); \
	v2 = _mm256_add_epi64(v2, v3); v3 = COOKIE_V_ROTL16(v3); v3 = _mm256_xor_si256(v3, v2); \
	v0 = _mm256_add_epi64(v0, v3); v3 = COOKIE_V_ROTL(v3, 21); v3 = _mm256_xor_si256(v3, v0); \
	v2 = _mm256_add_epi64(v2, v1); v1 = COOKIE_V_ROTL(v1, 17); v1 = _mm256_xor_si256(v1, v2); \
	v2 = COOKIE_V_ROTL32(v2); \
} while (0)

/* MACs of messages [0, nb) four at a time; @return how many were done (a multiple of 4). */
__attribute__((target("avx2"))) static unsigned int
cookie_mac_avx2(struct cookie_stage *s, unsigned int nb)
{
	/* Byte shuffle rotating each 64-bit lane left by 16 bits. */
	const __m256i rot16 = _mm256_setr_epi8(6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13,
			6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13);
	const __m256i c0 = _mm256_set1_epi64x((long long)COOKIE_SIP_C0);
	const __m256i c1 = _mm256_set1_epi64x((long long)COOKIE_SIP_C1);
	const __m256i c2 = _mm256_set1_epi64x((long long)COOKIE_SIP_C2);
	const __m256i c3 = _mm256_set1_epi64x((long long)COOKIE_SIP_C3);
	const __m256i ff = _mm256_set1_epi64x(0xff);
	unsigned int i;

	for (i = 0; i + 4 <= nb; i += 4) {
		__m256i k0 = _mm256_loadu_si256((const __m256i *)&s->k0[i]);
		__m256i k1 = _mm256_loadu_si256((const __m256i *)&s->k1[i]);
		__m256i w0 = _mm256_loadu_si256((const __m256i *)&s->w0[i]);
		__m256i w1 = _mm256_loadu_si256((const __m256i *)&s->w1[i]);
		__m256i w2 = _mm256_loadu_si256((const __m256i *)&s->w2[i]);
		__m256i v0 = _mm256_xor_si256(k0, c0), v1 = _mm256_xor_si256(k1, c1);
		__m256i v2 = _mm256_xor_si256(k0, c2), v3 = _mm256_xor_si256(_mm256_xor_si256(k1, c3), w0);

		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		v0 = _mm256_xor_si256(v0, w0);
		v3 = _mm256_xor_si256(v3, w1);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		v0 = _mm256_xor_si256(v0, w1);
		v3 = _mm256_xor_si256(v3, w2);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		v0 = _mm256_xor_si256(v0, w2);
		v2 = _mm256_xor_si256(v2, ff);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		COOKIE_V_SIPROUND(v0, v1, v2, v3);
		_mm256_storeu_si256((__m256i *)&s->h[i],
				_mm256_xor_si256(_mm256_xor_si256(v0, v1), _mm256_xor_si256(v2, v3)));
	}
	return i;
}
#define COOKIE_HAVE_AVX2 1
#endif

/* MACs of the @p nb staged messages: four lanes at a time, then the rest. */
static __rte_always_inline void
cookie_mac_stage(struct cookie_stage *s, unsigned int nb)
{
	unsigned int i = 0;

#ifdef COOKIE_HAVE_AVX2
	if (likely(cookie_avx2))
		i = cookie_mac_avx2(s, nb);
#endif
	for (; i + COOKIE_LANES <= nb; i += COOKIE_LANES)
		cookie_mac_lanes(s, i, COOKIE_LANES);
	if (i + 2 <= nb) {
		cookie_mac_lanes(s, i, 2);
		i += 2;
	}
	if (i < nb)
		cookie_mac_lanes(s, i, 1);
}

static __rte_always_inline uint32_t
cookie_mac24(uint64_t h)
{
	return (uint32_t)(h >> (64 - COOKIE_MAC_BITS));
}

#ifdef RTE_ENABLE_ASSERT
/* Debug builds: decode(encode(x)) == x for every SYN answered. */
static void
cookie_assert_roundtrip(const struct sf_cookie_ctx *ctx, const struct sf_cookie_syn *q,
		const struct sf_cookie_synack *r, uint64_t now_ms)
{
	const struct sf_cookie_ack a = {
		.saddr = q->saddr, .daddr = q->daddr, .sport = q->sport, .dport = q->dport,
		.seq = q->isn + 1, .ack = r->isn + 1,
		.tsecr = r->tsval, .has_ts = (r->opts & SF_COOKIE_OPT_TS) != 0,
	};
	struct sf_cookie_result res;

	RTE_VERIFY(sf_cookie_ack_check_bulk(ctx, &a, &res, 1, now_ms) == 1);
	RTE_VERIFY(res.mss == r->mss && res.opts == r->opts);
	RTE_VERIFY(!(res.opts & SF_COOKIE_OPT_WS) ||
		res.wscale == RTE_MIN(q->wscale, (uint8_t)COOKIE_WS_MAX));
}
#endif

unsigned int
sf_cookie_syn_encode_bulk(const struct sf_cookie_ctx *ctx, const struct sf_cookie_syn *syn,
		struct sf_cookie_synack *out, unsigned int n, uint64_t now_ms)
{
	const uint32_t tick = (uint32_t)(now_ms / ctx->tick_ms);
	const uint32_t ts_now = (uint32_t)now_ms;
	const uint32_t gen = __atomic_load_n(&ctx->gen, __ATOMIC_ACQUIRE);
	const struct cookie_key *k = cookie_key_find(ctx, gen, tick);
	const uint8_t ts_allowed = (ctx->flags & SF_COOKIE_F_NO_TS) ? 0 : SF_COOKIE_OPT_TS;
	const uint32_t low = (tick & COOKIE_CNT_MASK) << COOKIE_CNT_SHIFT;
	struct cookie_stage s;

	for (unsigned int base = 0; base < n; base += COOKIE_CHUNK) {
		unsigned int nb = RTE_MIN(n - base, (unsigned int)COOKIE_CHUNK);

		for (unsigned int i = 0; i < nb; i++) {
			const struct sf_cookie_syn *q = &syn[base + i];
			struct sf_cookie_synack *r = &out[base + i];
			uint32_t idx = cookie_mss_idx(q->mss);
			uint32_t flags = idx;

			r->mss = cookie_msstab[idx];
			r->reserved = 0;
			if (q->opts & ts_allowed) {
				uint32_t bits = (q->opts & SF_COOKIE_OPT_WS) ?
					RTE_MIN(q->wscale, (uint8_t)COOKIE_WS_MAX) : COOKIE_TS_WS_NONE;

				if (q->opts & SF_COOKIE_OPT_SACK)
					bits |= COOKIE_TS_SACK;
				if (q->opts & SF_COOKIE_OPT_ECN)
					bits |= COOKIE_TS_ECN;
				r->tsval = cookie_tsval_encode(ts_now, bits);
				r->opts = q->opts & (SF_COOKIE_OPT_WS | SF_COOKIE_OPT_SACK |
						SF_COOKIE_OPT_TS | SF_COOKIE_OPT_ECN);
				flags |= COOKIE_FLAG_TS;
			} else {
				r->tsval = 0;
				r->opts = 0;
			}
			r->isn = low | idx;
			s.k0[i] = k->k0;
			s.k1[i] = k->k1;
			s.w0[i] = cookie_msg_w0(q->saddr, q->daddr);
			s.w1[i] = cookie_msg_w1(q->sport, q->dport, q->isn);
			s.w2[i] = cookie_msg_w2(tick, flags);
		}
		cookie_mac_stage(&s, nb);
		for (unsigned int i = 0; i < nb; i++)
			out[base + i].isn |= cookie_mac24(s.h[i]) << COOKIE_MAC_SHIFT;
#ifdef RTE_ENABLE_ASSERT
		for (unsigned int i = 0; i < nb; i++)
			cookie_assert_roundtrip(ctx, &syn[base + i], &out[base + i], now_ms);
#endif
	}
	return n;
}

unsigned int
sf_cookie_ack_check_bulk(const struct sf_cookie_ctx *ctx, const struct sf_cookie_ack *ack,
		struct sf_cookie_result *out, unsigned int n, uint64_t now_ms)
{
	const uint32_t tick = (uint32_t)(now_ms / ctx->tick_ms);
	const uint32_t ts_now = (uint32_t)now_ms;
	const uint32_t gen = __atomic_load_n(&ctx->gen, __ATOMIC_ACQUIRE);
	const bool ts_allowed = !(ctx->flags & SF_COOKIE_F_NO_TS);
	const uint32_t max_ticks = ctx->max_ticks;
	unsigned int nb_ok = 0;
	struct cookie_stage s;
	uint32_t mac[COOKIE_CHUNK];
	uint8_t pend[COOKIE_CHUNK];

	for (unsigned int base = 0; base < n; base += COOKIE_CHUNK) {
		unsigned int nb = RTE_MIN(n - base, (unsigned int)COOKIE_CHUNK);
		unsigned int np = 0;

		/* Refuse what needs no MAC; stage the rest. */
		for (unsigned int i = 0; i < nb; i++) {
			const struct sf_cookie_ack *a = &ack[base + i];
			struct sf_cookie_result *r = &out[base + i];
			uint32_t cookie = a->ack - 1;
			uint32_t idx = cookie & COOKIE_IDX_MASK;
			uint32_t diff = (tick - (cookie >> COOKIE_CNT_SHIFT)) & COOKIE_CNT_MASK;
			uint32_t counter, flags = idx;

			memset(r, 0, sizeof(*r));
			if (unlikely(idx >= SF_COOKIE_MSS_NB)) {
				r->verdict = SF_COOKIE_BAD_MSS;
				continue;
			}
			if (likely(diff <= max_ticks)) {
				counter = tick - diff;
			} else if (diff == COOKIE_CNT_AHEAD) {
				counter = tick + 1;
			} else {
				r->verdict = SF_COOKIE_TOO_OLD;
				continue;
			}
			if (a->has_ts && ts_allowed) {
				int32_t age = (int32_t)(ts_now - a->tsecr);

				if (unlikely(age < ctx->ts_age_min || age > ctx->ts_age_max)) {
					r->verdict = SF_COOKIE_BAD_TS;
					continue;
				}
				r->opts = cookie_tsecr_decode(a->tsecr, &r->wscale);
				flags |= COOKIE_FLAG_TS;
			}
			r->mss = cookie_msstab[idx];
			r->mss_idx = (uint8_t)idx;
			r->verdict = SF_COOKIE_BAD_MAC;

			const struct cookie_key *k = cookie_key_find(ctx, gen, counter);

			s.k0[np] = k->k0;
			s.k1[np] = k->k1;
			s.w0[np] = cookie_msg_w0(a->saddr, a->daddr);
			s.w1[np] = cookie_msg_w1(a->sport, a->dport, a->seq - 1);
			s.w2[np] = cookie_msg_w2(counter, flags);
			mac[np] = cookie >> COOKIE_MAC_SHIFT;
			pend[np++] = (uint8_t)i;
		}
		if (np == 0)
			continue;
		cookie_mac_stage(&s, np);
		for (unsigned int j = 0; j < np; j++) {
			if (cookie_mac24(s.h[j]) == mac[j]) {
				out[base + pend[j]].verdict = SF_COOKIE_OK;
				nb_ok++;
			}
		}
	}
	return nb_ok;
}

#ifndef __clang__
#pragma GCC pop_options
#endif

/* ---- control path ---- */

static uint32_t
cookie_key_id(uint64_t k0, uint64_t k1)
{
	return (uint32_t)cookie_siphash24(k0, k1, cookie_key_id_msg, sizeof(cookie_key_id_msg) - 1);
}

static uint64_t
cookie_le64(const uint8_t *b)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static int
cookie_key_random(uint64_t *k0, uint64_t *k1)
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;

			SF_LOG(cookie, ERR, "getrandom: %s", strerror(err));
			explicit_bzero(b, sizeof(b));
			return -err;
		}
		got += (size_t)r;
	}
	*k0 = cookie_le64(b);
	*k1 = cookie_le64(b + 8);
	explicit_bzero(b, sizeof(b));
	return 0;
}

static int
cookie_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse a key file's text; messages name lines, never their contents. */
static int
cookie_key_parse(const char *path, char *text, uint64_t *k0, uint64_t *k1)
{
	uint8_t b[16];
	unsigned int line = 0, keys = 0;
	char *p = text, *eol;
	int ret = 0;

	for (; p != NULL && *p != '\0'; p = eol) {
		char *s = p, *e;

		eol = strchr(p, '\n');
		if (eol != NULL)
			*eol++ = '\0';
		line++;
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e == s || *s == '#')
			continue;
		if (keys++ > 0) {
			SF_LOG(cookie, ERR, "key file %s:%u: more than one key", path, line);
			ret = -EINVAL;
			break;
		}
		if (e - s != 32) {
			SF_LOG(cookie, ERR, "key file %s:%u: expected 32 hexadecimal digits", path, line);
			ret = -EINVAL;
			break;
		}
		for (unsigned int i = 0; i < 16; i++) {
			int hi = cookie_hexval(s[2 * i]), lo = cookie_hexval(s[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				SF_LOG(cookie, ERR, "key file %s:%u: expected 32 hexadecimal digits",
					path, line);
				ret = -EINVAL;
				break;
			}
			b[i] = (uint8_t)(hi << 4 | lo);
		}
		if (ret != 0)
			break;
	}
	if (ret == 0 && keys == 0) {
		SF_LOG(cookie, ERR, "key file %s: no key", path);
		ret = -EINVAL;
	}
	if (ret == 0) {
		*k0 = cookie_le64(b);
		*k1 = cookie_le64(b + 8);
		if ((*k0 | *k1) == 0) {
			SF_LOG(cookie, ERR, "key file %s: the key is all zeros", path);
			ret = -EINVAL;
		}
	}
	explicit_bzero(b, sizeof(b));
	return ret;
}

static int
cookie_key_file_read(const char *path, uint64_t *k0, uint64_t *k1)
{
	char buf[COOKIE_KEY_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		SF_LOG(cookie, ERR, "key file %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		SF_LOG(cookie, WARNING, "key file %s: group or others have access (mode %04o); "
			"it should be 0600", path, (unsigned int)(st.st_mode & 07777));
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			SF_LOG(cookie, ERR, "key file %s: %s", path, strerror(-ret));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == sizeof(buf)) {
			SF_LOG(cookie, ERR, "key file %s: longer than %u bytes", path,
				COOKIE_KEY_FILE_MAX);
			ret = -EINVAL;
			goto out;
		}
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		SF_LOG(cookie, ERR, "key file %s: not a text file", path);
		ret = -EINVAL;
		goto out;
	}
	ret = cookie_key_parse(path, buf, k0, k1);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

/*
 * Install a key minting from now + COOKIE_KEY_LEAD ticks (see "Keys and
 * threads"). The control thread is the only writer of keys and gen.
 */
static int
cookie_key_install(struct sf_cookie_ctx *ctx, uint64_t k0, uint64_t k1, uint64_t now_ms,
		const char *source)
{
	const uint32_t tick = (uint32_t)(now_ms / ctx->tick_ms);
	const uint32_t gen = __atomic_load_n(&ctx->gen, __ATOMIC_RELAXED);
	const uint32_t held = cookie_keys_held(gen);
	const struct cookie_key *newest = &ctx->keys[gen & (COOKIE_KEY_SLOTS - 1)];
	struct cookie_key *slot;

	if (newest->k0 == k0 && newest->k1 == k1)
		return 0;
	if (held > 1) {
		int32_t ahead = (int32_t)(newest->first_tick - tick);

		if (ahead > 0 && ahead <= COOKIE_KEY_LEAD)
			return -EBUSY;
		if (ahead > COOKIE_KEY_LEAD)
			SF_LOG(cookie, WARNING, "the clock went back %d ticks; new key takes over",
				ahead - COOKIE_KEY_LEAD);
	}
	if (held == COOKIE_KEY_SLOTS) {
		/* The oldest slot may go once a newer key covers every tick still accepted. */
		const uint32_t oldest_ok = tick - 1 - ctx->max_ticks;
		bool unused = false;

		for (uint32_t i = 0; i + 1 < held && !unused; i++) {
			const struct cookie_key *k = &ctx->keys[(gen - i) & (COOKIE_KEY_SLOTS - 1)];

			unused = (int32_t)(k->first_tick - oldest_ok) <= 0;
		}
		if (!unused)
			return -EBUSY;
	}
	slot = &ctx->keys[(gen + 1) & (COOKIE_KEY_SLOTS - 1)];
	slot->k0 = k0;
	slot->k1 = k1;
	slot->first_tick = tick + COOKIE_KEY_LEAD;
	slot->id = cookie_key_id(k0, k1);
	__atomic_store_n(&ctx->gen, gen + 1, __ATOMIC_RELEASE);
	SF_LOG(cookie, INFO, "key generation %u (id %08x, %s) mints from tick %u, within %u ms",
		gen + 1, slot->id, source, slot->first_tick, COOKIE_KEY_LEAD * ctx->tick_ms);
	return 0;
}

int
sf_cookie_key_load(struct sf_cookie_ctx *ctx, const char *path, uint64_t now_ms)
{
	uint64_t k0, k1;
	int ret;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(ctx->key_file))
		return -EINVAL;
	ret = cookie_key_file_read(path, &k0, &k1);
	if (ret == 0)
		ret = cookie_key_install(ctx, k0, k1, now_ms, "key file");
	k0 = k1 = 0;
	if (ret == 0 && ctx->key_file != path)
		memmove(ctx->key_file, path, strlen(path) + 1);
	return ret;
}

int
sf_cookie_key_rotate(struct sf_cookie_ctx *ctx, uint64_t now_ms)
{
	uint64_t k0, k1;
	int ret;

	if (ctx->key_file[0] != '\0')
		return sf_cookie_key_load(ctx, ctx->key_file, now_ms);
	ret = cookie_key_random(&k0, &k1);
	if (ret == 0)
		ret = cookie_key_install(ctx, k0, k1, now_ms, "random");
	k0 = k1 = 0;
	return ret;
}

struct sf_cookie_ctx *
sf_cookie_ctx_create(const struct sf_cookie_params *params)
{
	static const struct sf_cookie_params defaults;
	const struct sf_cookie_params *p = params != NULL ? params : &defaults;
	struct sf_cookie_ctx *ctx;
	uint32_t max_age, tick, max_ticks;
	uint64_t k0, k1;
	int ret;

	max_age = p->max_age_ms != 0 ? p->max_age_ms : SF_COOKIE_MAX_AGE_DEFAULT_MS;
	if (max_age < SF_COOKIE_MAX_AGE_MIN_MS || max_age > SF_COOKIE_MAX_AGE_MAX_MS) {
		SF_LOG(cookie, ERR, "max_age_ms %u out of range %u..%u", max_age,
			SF_COOKIE_MAX_AGE_MIN_MS, SF_COOKIE_MAX_AGE_MAX_MS);
		rte_errno = EINVAL;
		return NULL;
	}
	tick = p->tick_ms != 0 ? p->tick_ms :
		(max_age + SF_COOKIE_TICKS_MAX - 1) / SF_COOKIE_TICKS_MAX;
	max_ticks = (max_age + tick - 1) / tick;
	if (max_ticks > SF_COOKIE_TICKS_MAX || tick > max_age) {
		SF_LOG(cookie, ERR, "tick_ms %u: max_age_ms %u must span 1..%u ticks",
			tick, max_age, SF_COOKIE_TICKS_MAX);
		rte_errno = EINVAL;
		return NULL;
	}
	if ((p->flags & ~SF_COOKIE_F_NO_TS) != 0 ||
			(p->key_file != NULL && strlen(p->key_file) >= PATH_MAX)) {
		rte_errno = EINVAL;
		return NULL;
	}

	ctx = aligned_alloc(RTE_CACHE_LINE_SIZE,
		RTE_ALIGN_CEIL(sizeof(*ctx), RTE_CACHE_LINE_SIZE));
	if (ctx == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->tick_ms = tick;
	ctx->max_ticks = max_ticks;
	ctx->max_age_ms = max_age;
	ctx->flags = p->flags;
	/* A TSval is at most 63 ms behind its minting time; peers may run ahead. */
	ctx->ts_age_min = -2 * (int32_t)tick;
	ctx->ts_age_max = (int32_t)((max_ticks + 1) * tick) + (int32_t)COOKIE_TS_MASK + 1;

	if (p->key_file != NULL && p->key_file[0] != '\0') {
		ret = cookie_key_file_read(p->key_file, &k0, &k1);
		strcpy(ctx->key_file, p->key_file);
	} else {
		ret = cookie_key_random(&k0, &k1);
	}
	if (ret != 0) {
		sf_cookie_ctx_free(ctx);
		rte_errno = -ret;
		return NULL;
	}
	/* The first key covers every tick until a rotation. */
	ctx->keys[0].k0 = k0;
	ctx->keys[0].k1 = k1;
	ctx->keys[0].id = cookie_key_id(k0, k1);
	k0 = k1 = 0;
	SF_LOG(cookie, INFO, "key generation 0 (id %08x, %s); cookies live %u ms, tick %u ms%s",
		ctx->keys[0].id, ctx->key_file[0] != '\0' ? "key file" : "random",
		max_age, tick, (ctx->flags & SF_COOKIE_F_NO_TS) ? ", no timestamps" : "");
	return ctx;
}

void
sf_cookie_ctx_free(struct sf_cookie_ctx *ctx)
{
	if (ctx == NULL)
		return;
	explicit_bzero(ctx, sizeof(*ctx));
	free(ctx);
}
