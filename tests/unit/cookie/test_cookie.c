/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/cookie unit tests (no EAL): SipHash vectors and the cookie format,
 * encode/check round trips over every option combination, the lifetime
 * window, hitless key rotation, shared key files, tampering and blind
 * forgery odds, and that no key ever reaches the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_errno.h>
#include <rte_log.h>

#include "sf_cookie.h"
#include "cookie_private.h"

#define T0 UINT64_C(1700000000000)   /* a wall-clock time, ms; a multiple of 8000 */
#define TICK 8000u                   /* default tick for the default 120 s lifetime */
#define MAX_AGE 120000u

static char tmpdir[64];

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static struct sf_cookie_ctx *
ctx_new(uint32_t max_age, uint32_t tick, uint32_t flags, const char *key_file)
{
	struct sf_cookie_params p = {
		.max_age_ms = max_age, .tick_ms = tick, .flags = flags, .key_file = key_file,
	};
	struct sf_cookie_ctx *ctx = sf_cookie_ctx_create(&p);

	assert_non_null(ctx);
	return ctx;
}

static struct sf_cookie_syn
syn_make(uint32_t i)
{
	struct sf_cookie_syn s = {
		.saddr = 0x010012c6u + (i << 24),   /* 198.18.0.1 + i, network order */
		.daddr = 0x640012c6u,               /* 198.18.0.100 */
		.sport = (uint16_t)(32768 + i),
		.dport = 80,
		.isn = 0x12345678u * (i + 1),
		.mss = 1460,
		.wscale = 7,
		.opts = SF_COOKIE_OPT_WS | SF_COOKIE_OPT_SACK | SF_COOKIE_OPT_TS,
	};
	return s;
}

static struct sf_cookie_ack
ack_for(const struct sf_cookie_syn *s, const struct sf_cookie_synack *sa)
{
	struct sf_cookie_ack a = {
		.saddr = s->saddr, .daddr = s->daddr, .sport = s->sport, .dport = s->dport,
		.seq = s->isn + 1, .ack = sa->isn + 1,
		.tsecr = sa->tsval, .has_ts = (sa->opts & SF_COOKIE_OPT_TS) != 0,
	};
	return a;
}

static struct sf_cookie_synack
encode1(const struct sf_cookie_ctx *ctx, const struct sf_cookie_syn *s, uint64_t now)
{
	struct sf_cookie_synack sa;

	assert_int_equal(sf_cookie_syn_encode_bulk(ctx, s, &sa, 1, now), 1);
	return sa;
}

static int
check1(const struct sf_cookie_ctx *ctx, const struct sf_cookie_ack *a, uint64_t now,
		struct sf_cookie_result *res)
{
	struct sf_cookie_result r;
	unsigned int ok = sf_cookie_ack_check_bulk(ctx, a, &r, 1, now);

	assert_int_equal(ok, r.verdict == SF_COOKIE_OK);
	if (res != NULL)
		*res = r;
	return r.verdict;
}

#define NO_TS 0x80000000u  /* mint_check(): a SYN without timestamps */

/* Mint at mint_ms and check at check_ms with the same (or another) context. */
static int
mint_check(const struct sf_cookie_ctx *minter, const struct sf_cookie_ctx *checker,
		uint32_t i, uint64_t mint_ms, uint64_t check_ms)
{
	struct sf_cookie_syn s = syn_make(i & ~NO_TS);
	struct sf_cookie_synack sa;

	if (i & NO_TS)
		s.opts &= (uint8_t)~SF_COOKIE_OPT_TS;
	sa = encode1(minter, &s, mint_ms);
	struct sf_cookie_ack a = ack_for(&s, &sa);

	return check1(checker, &a, check_ms, NULL);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static const char *
key_path(const char *name, const char *text)
{
	static char paths[8][128];
	static unsigned int n;
	char *p = paths[n++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, name);
	write_file(p, text, 0600);
	return p;
}

/* ---- SipHash and the cookie format ---- */

/* Reference vectors (SipHash paper, key 00..0f, message 00..len-1), little-endian output. */
static void
test_siphash_vectors(void **state)
{
	static const struct { size_t len; uint8_t out[8]; } v[] = {
		{ 0, { 0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72 } },
		{ 8, { 0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93 } },
		{ 15, { 0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1 } },
		{ 16, { 0xdb, 0x9b, 0xc2, 0x57, 0x7f, 0xcc, 0x2a, 0x3f } },
		{ 20, { 0x98, 0xee, 0xa2, 0x1a, 0xf2, 0x5c, 0xd6, 0xbe } },
		{ 21, { 0xc7, 0x67, 0x3b, 0x2e, 0xb0, 0xcb, 0xf2, 0xd0 } },
		{ 24, { 0x94, 0xaf, 0x49, 0xf6, 0xc6, 0x50, 0xad, 0xb8 } },
	};
	uint8_t msg[64];
	const uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;

	(void)state;
	for (unsigned int i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (unsigned int i = 0; i < RTE_DIM(v); i++) {
		uint64_t want = 0;

		for (unsigned int b = 0; b < 8; b++)
			want |= (uint64_t)v[i].out[b] << (8 * b);
		assert_true(cookie_siphash24(k0, k1, msg, v[i].len) == want);
	}
}

static void
le_put(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * The cookie is SipHash-2-4 of the documented 21-byte string under the key
 * file's key: pins the format appliances sharing a key must agree on.
 */
static void
test_cookie_format(void **state)
{
	const char *path = key_path("format.key", "000102030405060708090a0b0c0d0e0f\n");
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, path);
	const uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
	const uint64_t now = T0 + 12345;
	const uint32_t tick = (uint32_t)(now / TICK);

	(void)state;
	for (uint32_t i = 0; i < 64; i++) {
		struct sf_cookie_syn s = syn_make(i);
		struct sf_cookie_synack sa;
		uint8_t m[COOKIE_MSG_LEN];
		uint32_t idx;

		s.mss = sf_cookie_mss_table()[i % SF_COOKIE_MSS_NB];
		if (i & 1)
			s.opts = 0;
		idx = i % SF_COOKIE_MSS_NB;
		sa = encode1(ctx, &s, now);
		le_put(m, s.saddr, 4);
		le_put(m + 4, s.daddr, 4);
		le_put(m + 8, s.sport, 2);
		le_put(m + 10, s.dport, 2);
		le_put(m + 12, s.isn, 4);
		le_put(m + 16, tick, 4);
		m[20] = (uint8_t)(idx | ((i & 1) ? 0 : COOKIE_FLAG_TS));
		uint64_t h = cookie_siphash24(k0, k1, m, sizeof(m));
		uint32_t want = (uint32_t)(h >> 40) << 8 | (tick & 31) << 3 | idx;

		assert_int_equal(sa.isn, want);
	}
	sf_cookie_ctx_free(ctx);
}

/* ---- round trip ---- */

static void
test_roundtrip_all_options(void **state)
{
	/* Every table value, values between them, no MSS, tiny and jumbo MSS. */
	static const uint16_t mss_in[] = {
		0, 1, 215, 216, 535, 536, 1199, 1200, 1299, 1300, 1359, 1360,
		1439, 1440, 1452, 1459, 1460, 1461, 8960, 65535,
	};
	const uint16_t *tab = sf_cookie_mss_table();
	enum { NB_WS = 17 };  /* absent, 0..14, 15 (clamped to 14) */
	const unsigned int n = RTE_DIM(mss_in) * NB_WS * 16;
	struct sf_cookie_syn *syn = calloc(n, sizeof(*syn));
	struct sf_cookie_synack *sa = calloc(n, sizeof(*sa));
	struct sf_cookie_ack *ack = calloc(n, sizeof(*ack));
	struct sf_cookie_result *res = calloc(n, sizeof(*res));
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, NULL);
	const uint64_t mint = T0 + 3333, check = mint + MAX_AGE - 5000;
	unsigned int i = 0, seen_idx = 0;

	(void)state;
	assert_non_null(syn);
	assert_non_null(res);
	for (unsigned int m = 0; m < RTE_DIM(mss_in); m++)
		for (unsigned int w = 0; w < NB_WS; w++)
			for (unsigned int o = 0; o < 16; o++, i++) {
				syn[i] = syn_make(i);
				syn[i].mss = mss_in[m];
				syn[i].opts = (uint8_t)o;  /* every subset of WS, SACK, TS, ECN */
				if (w == 0) {
					syn[i].opts &= (uint8_t)~SF_COOKIE_OPT_WS;
					syn[i].wscale = 0;
				} else {
					syn[i].opts |= SF_COOKIE_OPT_WS;
					syn[i].wscale = (uint8_t)(w - 1);
				}
			}
	assert_int_equal(i, n);
	/* One call across many chunks; a few single calls must agree with it. */
	assert_int_equal(sf_cookie_syn_encode_bulk(ctx, syn, sa, n, mint), n);
	for (i = 0; i < n; i += 97) {
		struct sf_cookie_synack one = encode1(ctx, &syn[i], mint);

		assert_memory_equal(&one, &sa[i], sizeof(one));
	}
	for (i = 0; i < n; i++)
		ack[i] = ack_for(&syn[i], &sa[i]);
	assert_int_equal(sf_cookie_ack_check_bulk(ctx, ack, res, n, check), n);

	for (i = 0; i < n; i++) {
		const struct sf_cookie_syn *s = &syn[i];
		uint16_t mss = s->mss == 0 ? 536 : s->mss;
		unsigned int want_idx = 0;
		bool ts = (s->opts & SF_COOKIE_OPT_TS) != 0;
		uint8_t want_opts = ts ? s->opts : 0;
		uint8_t want_ws = (ts && (s->opts & SF_COOKIE_OPT_WS)) ?
			RTE_MIN(s->wscale, (uint8_t)14) : 0;

		while (want_idx + 1 < SF_COOKIE_MSS_NB && tab[want_idx + 1] <= mss)
			want_idx++;
		seen_idx |= 1u << want_idx;
		assert_int_equal(res[i].verdict, SF_COOKIE_OK);
		assert_int_equal(res[i].mss_idx, want_idx);
		assert_int_equal(res[i].mss, tab[want_idx]);
		assert_int_equal(sa[i].mss, tab[want_idx]);
		assert_true(res[i].mss <= mss || mss < tab[0]);
		assert_int_equal(res[i].opts, want_opts);
		assert_int_equal(sa[i].opts, want_opts);   /* advertise only what comes back */
		assert_int_equal(res[i].wscale, want_ws);
		if (ts) {
			/* TSval never ahead of the TS clock and at most 63 ms behind it. */
			uint32_t behind = (uint32_t)mint - sa[i].tsval;

			assert_true(behind < 64);
		}
	}
	assert_int_equal(seen_idx, (1u << SF_COOKIE_MSS_NB) - 1);
	print_message("round trip: %u SYNs, every MSS index x wscale x SACK x ECN x TS\n", n);
	sf_cookie_ctx_free(ctx);
	free(syn);
	free(sa);
	free(ack);
	free(res);
}

/* With SF_COOKIE_F_NO_TS nothing rides in TSval: SYN-ACKs carry MSS only. */
static void
test_no_timestamps(void **state)
{
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, SF_COOKIE_F_NO_TS, NULL);
	struct sf_cookie_syn s = syn_make(1);
	struct sf_cookie_synack sa;
	struct sf_cookie_ack a;
	struct sf_cookie_result r;

	(void)state;
	s.opts |= SF_COOKIE_OPT_ECN;
	sa = encode1(ctx, &s, T0);
	assert_int_equal(sa.opts, 0);
	assert_int_equal(sa.tsval, 0);
	a = ack_for(&s, &sa);
	assert_int_equal(check1(ctx, &a, T0 + 1000, &r), SF_COOKIE_OK);
	assert_int_equal(r.opts, 0);
	assert_int_equal(r.mss, 1460);
	/* A client sending timestamps anyway is not believed about options. */
	a.has_ts = 1;
	a.tsecr = 0x12345678;
	assert_int_equal(check1(ctx, &a, T0 + 1000, &r), SF_COOKIE_OK);
	assert_int_equal(r.opts, 0);
	sf_cookie_ctx_free(ctx);
}

/* ---- lifetime ---- */

static void
test_counter_window(void **state)
{
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, NULL);   /* 120 s, tick 8 s */
	const uint64_t start = T0, end = T0 + TICK - 1;          /* first and last ms of a tick */

	(void)state;
	/* Minted at the last ms of a tick: valid at exactly max_age, expired 1 ms later. */
	assert_int_equal(mint_check(ctx, ctx, 1, end, end), SF_COOKIE_OK);
	assert_int_equal(mint_check(ctx, ctx, 1, end, end + MAX_AGE), SF_COOKIE_OK);
	assert_int_equal(mint_check(ctx, ctx, 1, end, end + MAX_AGE + 1), SF_COOKIE_TOO_OLD);
	/* Minted at the first ms: valid until max_age + tick - 1. */
	assert_int_equal(mint_check(ctx, ctx, 2, start, start + MAX_AGE + TICK - 1), SF_COOKIE_OK);
	assert_int_equal(mint_check(ctx, ctx, 2, start, start + MAX_AGE + TICK), SF_COOKIE_TOO_OLD);
	/* Reported as too old while the counter bits can tell (30 ticks)... */
	assert_int_equal(mint_check(ctx, ctx, 3, start, start + 30 * TICK), SF_COOKIE_TOO_OLD);
	/*
	 * ...then the low bits come round: the TSecr is too old for any live
	 * cookie, and without timestamps the full counter in the MAC refuses it.
	 */
	assert_int_equal(mint_check(ctx, ctx, 3, start, start + 31 * TICK), SF_COOKIE_BAD_TS);
	assert_int_equal(mint_check(ctx, ctx, 3, start, start + 32 * TICK), SF_COOKIE_BAD_TS);
	assert_int_equal(mint_check(ctx, ctx, 3 | NO_TS, start, start + 31 * TICK), SF_COOKIE_BAD_MAC);
	assert_int_equal(mint_check(ctx, ctx, 3 | NO_TS, start, start + 32 * TICK), SF_COOKIE_BAD_MAC);
	assert_int_equal(mint_check(ctx, ctx, 3 | NO_TS, start, start + 33 * TICK), SF_COOKIE_BAD_MAC);
	assert_int_equal(mint_check(ctx, ctx, 3 | NO_TS, start, start + 1000 * TICK), SF_COOKIE_BAD_MAC);
	/* A peer up to a tick ahead is accepted; two ticks ahead is not. */
	assert_int_equal(mint_check(ctx, ctx, 4, start, start - 1), SF_COOKIE_OK);
	assert_int_equal(mint_check(ctx, ctx, 4, start, start - TICK), SF_COOKIE_OK);
	assert_int_equal(mint_check(ctx, ctx, 4, start, start - TICK - 1), SF_COOKIE_TOO_OLD);
	sf_cookie_ctx_free(ctx);

	/* An explicit tick: 10 s lifetime in 1 s ticks. */
	ctx = ctx_new(10000, 1000, 0, NULL);
	assert_int_equal(mint_check(ctx, ctx, 5, T0 + 999, T0 + 999 + 10000), SF_COOKIE_OK);
	assert_int_equal(mint_check(ctx, ctx, 5, T0 + 999, T0 + 999 + 10001), SF_COOKIE_TOO_OLD);
	assert_int_equal(mint_check(ctx, ctx, 5, T0, T0 + 10999), SF_COOKIE_OK);
	assert_int_equal(mint_check(ctx, ctx, 5, T0, T0 + 11000), SF_COOKIE_TOO_OLD);
	sf_cookie_ctx_free(ctx);
}

static void
test_params(void **state)
{
	struct sf_cookie_params p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.max_age_ms = SF_COOKIE_MAX_AGE_MIN_MS - 1;
	assert_null(sf_cookie_ctx_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.max_age_ms = SF_COOKIE_MAX_AGE_MAX_MS + 1;
	assert_null(sf_cookie_ctx_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.max_age_ms = 120000;
	p.tick_ms = 7999;              /* 16 ticks: more than the counter bits can tell */
	assert_null(sf_cookie_ctx_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.tick_ms = 120001;            /* longer than the lifetime */
	assert_null(sf_cookie_ctx_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.tick_ms = 0;
	p.flags = 0x80;
	assert_null(sf_cookie_ctx_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.flags = 0;
	p.key_file = "/nonexistent/synfront.key";
	assert_null(sf_cookie_ctx_create(&p));
	assert_int_equal(rte_errno, ENOENT);
	/* NULL parameters: the defaults (checked by behaviour in test_counter_window). */
	struct sf_cookie_ctx *ctx = sf_cookie_ctx_create(NULL);

	assert_non_null(ctx);
	assert_int_equal(mint_check(ctx, ctx, 1, T0 + TICK - 1, T0 + TICK - 1 + MAX_AGE), SF_COOKIE_OK);
	assert_int_equal(mint_check(ctx, ctx, 1, T0 + TICK - 1, T0 + TICK + MAX_AGE), SF_COOKIE_TOO_OLD);
	sf_cookie_ctx_free(ctx);
	sf_cookie_ctx_free(NULL);
}

/* ---- timestamps ---- */

static void
test_timestamps(void **state)
{
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, NULL);
	struct sf_cookie_syn s = syn_make(9);
	struct sf_cookie_synack sa;
	struct sf_cookie_ack a, b;
	struct sf_cookie_result r;
	const uint64_t now = T0 + 777;

	(void)state;
	s.opts |= SF_COOKIE_OPT_ECN;
	s.wscale = 9;
	sa = encode1(ctx, &s, now);
	assert_int_equal(sa.opts, SF_COOKIE_OPT_WS | SF_COOKIE_OPT_SACK | SF_COOKIE_OPT_TS |
		SF_COOKIE_OPT_ECN);
	a = ack_for(&s, &sa);
	assert_int_equal(check1(ctx, &a, now + 100000, &r), SF_COOKIE_OK);
	assert_int_equal(r.wscale, 9);
	/* TSecr that is not a TSval of the cookie's lifetime. */
	b = a;
	b.tsecr = sa.tsval + 3 * TICK;           /* from the future */
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_TS);
	b.tsecr = sa.tsval - 200000;             /* older than any live cookie */
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_TS);
	b.tsecr = sa.tsval ^ 0x80000000u;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_TS);
	/* The timestamp flag is under the MAC: dropping or adding the option fails. */
	b = a;
	b.has_ts = 0;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	s.opts = SF_COOKIE_OPT_WS;
	sa = encode1(ctx, &s, now);
	assert_int_equal(sa.opts, 0);            /* no timestamps: MSS only */
	b = ack_for(&s, &sa);
	assert_int_equal(check1(ctx, &b, now, &r), SF_COOKIE_OK);
	assert_int_equal(r.opts, 0);
	b.has_ts = 1;
	b.tsecr = (uint32_t)now - 10;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	/* The TS clock wraps: a cookie minted across 2^32 ms still checks. */
	uint64_t wrap = (T0 | 0xffffffffULL) - 20;

	s = syn_make(10);
	sa = encode1(ctx, &s, wrap);
	a = ack_for(&s, &sa);
	assert_int_equal(check1(ctx, &a, wrap + 60000, NULL), SF_COOKIE_OK);
	sf_cookie_ctx_free(ctx);
}

/* ---- tampering and forgery ---- */

static void
test_tampering(void **state)
{
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, NULL);
	struct sf_cookie_syn s = syn_make(3);
	struct sf_cookie_synack sa;
	struct sf_cookie_ack a, b;
	const uint64_t now = T0 + 4242;

	(void)state;
	s.mss = 536;
	sa = encode1(ctx, &s, now);
	a = ack_for(&s, &sa);
	assert_int_equal(check1(ctx, &a, now, NULL), SF_COOKIE_OK);
	/* A larger MSS index: the index is under the MAC. */
	b = a;
	b.ack = a.ack + 5;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	b.ack = a.ack + 6;                      /* index 7: reserved */
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MSS);
	for (unsigned int bit = 8; bit < 32; bit++) {
		b = a;
		b.ack = ((a.ack - 1) ^ (1u << bit)) + 1;
		assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	}
	b = a;
	b.seq++;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	b = a;
	b.sport++;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	b = a;
	b.dport++;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	b = a;
	b.saddr ^= 1u << 24;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	b = a;
	b.daddr ^= 1;
	assert_int_equal(check1(ctx, &b, now, NULL), SF_COOKIE_BAD_MAC);
	/* Another appliance with its own random key refuses it. */
	struct sf_cookie_ctx *other = ctx_new(0, 0, 0, NULL);

	assert_int_equal(check1(other, &a, now, NULL), SF_COOKIE_BAD_MAC);
	sf_cookie_ctx_free(other);
	sf_cookie_ctx_free(ctx);
}

#define FORGE_N (UINT32_C(1) << 24)   /* 16.8M forged ACKs */
#define FORGE_BURST 32

/*
 * A blind attacker who knows the layout gets the counter and MSS bits right
 * and must guess 24 MAC bits: each ACK passes with probability 2^-24.
 */
static void
test_forged_acks(void **state)
{
	/* A fixed key (and a fixed PRNG seed) make the count the same on every run. */
	const char *path = key_path("forge.key", "5ec2e7b1a5ed0f5ca1ab1e0dd0c0ffee\n");
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, path);
	struct sf_cookie_ack a[FORGE_BURST];
	struct sf_cookie_result r[FORGE_BURST];
	const uint64_t now = T0 + 55555;
	const uint32_t low = (uint32_t)(now / TICK) & 31;
	uint64_t accepted = 0, bad_mac = 0;
	const uint64_t bound = (uint64_t)FORGE_N * 5 / (1u << 24) + 3;

	(void)state;
	for (unsigned int j = 0; j < FORGE_BURST; j++) {
		struct sf_cookie_syn s = syn_make(77);

		a[j] = (struct sf_cookie_ack){
			.saddr = s.saddr, .daddr = s.daddr, .sport = s.sport, .dport = s.dport,
			.seq = s.isn + 1,
		};
	}
	for (uint32_t i = 0; i < FORGE_N; i += FORGE_BURST) {
		for (unsigned int j = 0; j < FORGE_BURST; j++) {
			uint64_t x = rng();

			a[j].ack = ((uint32_t)(x >> 40) << 8 | low << 3 | (uint32_t)(x % 7)) + 1;
		}
		accepted += sf_cookie_ack_check_bulk(ctx, a, r, FORGE_BURST, now);
		for (unsigned int j = 0; j < FORGE_BURST; j++)
			bad_mac += r[j].verdict == SF_COOKIE_BAD_MAC;
	}
	print_message("forged ACKs: %u tried, %" PRIu64 " accepted (expected %.2f, bound %" PRIu64 ")\n",
		FORGE_N, accepted, (double)FORGE_N / (1u << 24), bound);
	assert_int_equal(accepted + bad_mac, FORGE_N);   /* every one reached the MAC */
	assert_true(accepted <= bound);

	/* Fully random ACKs: about half are refused before hashing. */
	uint64_t v[SF_COOKIE_VERDICT_MAX] = { 0 };
	const unsigned int nr = 1u << 20;

	for (uint32_t i = 0; i < nr; i += FORGE_BURST) {
		for (unsigned int j = 0; j < FORGE_BURST; j++) {
			uint64_t x = rng();

			a[j].ack = (uint32_t)x;
			a[j].seq = (uint32_t)(x >> 32);
		}
		sf_cookie_ack_check_bulk(ctx, a, r, FORGE_BURST, now);
		for (unsigned int j = 0; j < FORGE_BURST; j++)
			v[r[j].verdict]++;
	}
	print_message("random ACKs: %u: bad_mss %" PRIu64 ", too_old %" PRIu64 ", bad_mac %"
		PRIu64 ", ok %" PRIu64 "\n", nr, v[SF_COOKIE_BAD_MSS], v[SF_COOKIE_TOO_OLD],
		v[SF_COOKIE_BAD_MAC], v[SF_COOKIE_OK]);
	assert_true(v[SF_COOKIE_OK] <= 3);
	/* 1/8 reserved index; of the rest, 15 of 32 counter values out of the window. */
	assert_true(v[SF_COOKIE_BAD_MSS] > nr / 8 - nr / 100 && v[SF_COOKIE_BAD_MSS] < nr / 8 + nr / 100);
	assert_true(v[SF_COOKIE_TOO_OLD] > nr * 7 / 8 * 15 / 32 - nr / 100 &&
		v[SF_COOKIE_TOO_OLD] < nr * 7 / 8 * 15 / 32 + nr / 100);
	sf_cookie_ctx_free(ctx);
}

/* ---- rotation ---- */

static void
test_rotation_hitless(void **state)
{
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, NULL);
	const uint64_t t = T0;

	(void)state;
	/* A cookie minted before three rotations still checks inside its lifetime. */
	struct sf_cookie_syn s = syn_make(1);
	struct sf_cookie_synack sa = encode1(ctx, &s, t);
	struct sf_cookie_ack a = ack_for(&s, &sa);

	assert_int_equal(sf_cookie_key_rotate(ctx, t), 0);
	assert_int_equal(sf_cookie_key_rotate(ctx, t + 1), -EBUSY);     /* not minting yet */
	assert_int_equal(sf_cookie_key_rotate(ctx, t + TICK), -EBUSY);
	assert_int_equal(sf_cookie_key_rotate(ctx, t + 2 * TICK), 0);
	assert_int_equal(sf_cookie_key_rotate(ctx, t + 4 * TICK), 0);
	assert_int_equal(check1(ctx, &a, t + 4 * TICK, NULL), SF_COOKIE_OK);
	assert_int_equal(check1(ctx, &a, t + MAX_AGE + TICK - 1, NULL), SF_COOKIE_OK);
	assert_int_equal(check1(ctx, &a, t + MAX_AGE + TICK, NULL), SF_COOKIE_TOO_OLD);
	sf_cookie_ctx_free(ctx);
}

/*
 * Rotate as often as allowed for 300 ticks (the key ring wraps several
 * times), minting cookies around every rotation; every cookie must check for
 * its whole lifetime and be refused after it.
 */
static void
test_rotation_stress(void **state)
{
	enum { TICKS = 300, PER_TICK = 4, KEEP = 40 };
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, NULL);
	static struct sf_cookie_ack acks[TICKS][PER_TICK];
	static uint64_t minted[TICKS][PER_TICK];
	unsigned int rotations = 0, checks = 0;

	(void)state;
	for (unsigned int i = 0; i < TICKS; i++) {
		uint64_t base = T0 + (uint64_t)i * TICK;

		for (unsigned int j = 0; j < PER_TICK; j++) {
			uint64_t now = base + j * (TICK / PER_TICK) + rng() % (TICK / PER_TICK);
			struct sf_cookie_syn s = syn_make(i * PER_TICK + j);
			struct sf_cookie_synack sa;

			s.isn = (uint32_t)rng();
			if (j & 1)
				s.opts = 0;
			sa = encode1(ctx, &s, now);
			acks[i][j] = ack_for(&s, &sa);
			minted[i][j] = now;
			if (j == 1) {
				int ret = sf_cookie_key_rotate(ctx, now);

				assert_int_equal(ret, (i & 1) ? -EBUSY : 0);
				rotations += ret == 0;
			}
			/* Check everything minted in the last KEEP ticks, at this time. */
			for (unsigned int k = i >= KEEP ? i - KEEP : 0; k <= i; k++)
				for (unsigned int m = 0; m < PER_TICK; m++) {
					int want;
					uint64_t age_ticks;

					if (minted[k][m] == 0 || minted[k][m] > now)
						continue;
					age_ticks = now / TICK - minted[k][m] / TICK;
					if (age_ticks <= 15)
						want = SF_COOKIE_OK;
					else if (age_ticks <= 30)
						want = SF_COOKIE_TOO_OLD;
					else if (acks[k][m].has_ts)
						want = SF_COOKIE_BAD_TS;
					else
						want = SF_COOKIE_BAD_MAC;
					assert_int_equal(check1(ctx, &acks[k][m], now, NULL), want);
					checks++;
				}
		}
	}
	print_message("rotation: %u rotations, %u checks\n", rotations, checks);
	assert_int_equal(rotations, TICKS / 2);
	sf_cookie_ctx_free(ctx);
}

/* ---- key files ---- */

static void
test_key_file_shared(void **state)
{
	const char *k1 = key_path("k1.key", "# synfront cookie key\n\n"
		"  00112233445566778899AABBCCDDEEFF  \r\n");
	const char *k1b = key_path("k1b.key", "00112233445566778899aabbccddeeff");
	const char *k2 = key_path("k2.key", "ffeeddccbbaa99887766554433221100\n");
	struct sf_cookie_ctx *a = ctx_new(0, 0, 0, k1);
	struct sf_cookie_ctx *b = ctx_new(0, 0, 0, k1b);
	struct sf_cookie_ctx *c = ctx_new(0, 0, 0, k2);
	struct sf_cookie_ctx *r = ctx_new(0, 0, 0, NULL);
	const uint64_t t = T0 + 1000;

	(void)state;
	/* Same key: each validates the other's cookies, even a tick apart in clock. */
	for (uint32_t i = 0; i < 32; i++) {
		assert_int_equal(mint_check(a, b, i, t, t + 60000), SF_COOKIE_OK);
		assert_int_equal(mint_check(b, a, i, t, t + 60000), SF_COOKIE_OK);
		assert_int_equal(mint_check(a, b, i, t + TICK, t), SF_COOKIE_OK);
		assert_int_equal(mint_check(a, c, i, t, t), SF_COOKIE_BAD_MAC);
		assert_int_equal(mint_check(c, a, i, t, t), SF_COOKIE_BAD_MAC);
		assert_int_equal(mint_check(a, r, i, t, t), SF_COOKIE_BAD_MAC);
	}
	/* Rotating with an unchanged file keeps the key (and allows another at once). */
	assert_int_equal(sf_cookie_key_rotate(a, t), 0);
	assert_int_equal(sf_cookie_key_rotate(a, t), 0);
	assert_int_equal(mint_check(a, b, 1, t + 4 * TICK, t + 4 * TICK), SF_COOKIE_OK);
	/* a switches to k2 now: b still checks a's cookies until the switch, c after it. */
	assert_int_equal(sf_cookie_key_load(a, k2, t), 0);
	assert_int_equal(mint_check(a, b, 2, t + TICK, t + TICK), SF_COOKIE_OK);
	assert_int_equal(mint_check(a, b, 2, t + 2 * TICK, t + 2 * TICK), SF_COOKIE_BAD_MAC);
	assert_int_equal(mint_check(a, c, 2, t + 2 * TICK, t + 2 * TICK), SF_COOKIE_OK);
	/* ...and a still checks its own k1 cookies for their lifetime. */
	assert_int_equal(mint_check(b, a, 3, t + TICK, t + TICK + MAX_AGE), SF_COOKIE_OK);
	/* A rotation re-reads the file last loaded. */
	write_file(k2, "0123456789abcdef0123456789abcdef\n", 0600);
	assert_int_equal(sf_cookie_key_rotate(a, t + TICK), -EBUSY);
	assert_int_equal(sf_cookie_key_rotate(a, t + 2 * TICK), 0);
	assert_int_equal(mint_check(a, c, 4, t + 4 * TICK, t + 4 * TICK), SF_COOKIE_BAD_MAC);
	sf_cookie_ctx_free(a);
	sf_cookie_ctx_free(b);
	sf_cookie_ctx_free(c);
	sf_cookie_ctx_free(r);
}

static void
test_key_file_errors(void **state)
{
	static const char *const bad[] = {
		"",                                               /* no key */
		"# only a comment\n\n",
		"00112233445566778899aabbccddeef\n",              /* 31 digits */
		"00112233445566778899aabbccddeeff0\n",            /* 33 digits */
		"00112233445566778899aabbccddeegg\n",             /* not hex */
		"0011223344556677 8899aabbccddeeff\n",
		"00112233445566778899aabbccddeeff\n"
		"ffeeddccbbaa99887766554433221100\n",             /* two keys */
		"00000000000000000000000000000000\n",             /* all zeros */
	};
	struct sf_cookie_ctx *ctx = ctx_new(0, 0, 0, NULL);
	struct sf_cookie_params p = { 0 };

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		p.key_file = key_path("bad.key", bad[i]);
		assert_null(sf_cookie_ctx_create(&p));
		assert_int_equal(rte_errno, EINVAL);
		assert_int_equal(sf_cookie_key_load(ctx, p.key_file, T0), -EINVAL);
	}
	assert_int_equal(sf_cookie_key_load(ctx, "/nonexistent/k", T0), -ENOENT);
	assert_int_equal(sf_cookie_key_load(ctx, "", T0), -EINVAL);
	/* A failed load leaves the key in use, and random rotation still works. */
	assert_int_equal(mint_check(ctx, ctx, 1, T0, T0 + 1000), SF_COOKIE_OK);
	assert_int_equal(sf_cookie_key_rotate(ctx, T0), 0);
	sf_cookie_ctx_free(ctx);
}

/* ---- the key never reaches the log ---- */

static void
test_key_not_logged(void **state)
{
	static const char *const key_lc = "c0ffee0123456789abcdef0011223344";
	static const char *const key_uc = "C0FFEE0123456789ABCDEF0011223344";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sf_cookie_ctx *ctx;
	const char *path;
	char text[64];

	(void)state;
	assert_non_null(f);
	assert_int_equal(rte_openlog_stream(f), 0);
	snprintf(text, sizeof(text), "%s\n", key_lc);
	path = key_path("secret.key", text);
	ctx = ctx_new(0, 0, 0, path);
	assert_int_equal(sf_cookie_key_rotate(ctx, T0), 0);            /* unchanged: no-op */
	write_file(path, "0123456789abcdef0123456789abcdef\n", 0644);  /* warns about the mode */
	assert_int_equal(sf_cookie_key_rotate(ctx, T0), 0);
	/* A malformed line that looks like a key is not echoed either. */
	snprintf(text, sizeof(text), "%sZ\n", key_lc);
	assert_int_equal(sf_cookie_key_load(ctx, key_path("bad2.key", text), T0 + 2 * TICK), -EINVAL);
	sf_cookie_ctx_free(ctx);
	ctx = ctx_new(0, 0, 0, NULL);
	assert_int_equal(sf_cookie_key_rotate(ctx, T0), 0);
	sf_cookie_ctx_free(ctx);
	rte_openlog_stream(NULL);
	fclose(f);

	assert_non_null(buf);
	/* The log is there (so the test can fail)... */
	assert_non_null(strstr(buf, "key generation 0"));
	assert_non_null(strstr(buf, "key generation 1"));
	assert_non_null(strstr(buf, "should be 0600"));
	assert_non_null(strstr(buf, "expected 32 hexadecimal digits"));
	/* ...and holds no key, in either case, nor any 8-digit piece of it. */
	assert_null(strstr(buf, key_lc));
	assert_null(strstr(buf, key_uc));
	assert_null(strstr(buf, "0123456789abcdef"));
	for (unsigned int i = 0; i + 8 <= 32; i += 4) {
		char piece[9];

		memcpy(piece, key_lc + i, 8);
		piece[8] = '\0';
		assert_null(strstr(buf, piece));
	}
	free(buf);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(sf_cookie_verdict_name(SF_COOKIE_OK), "ok");
	assert_string_equal(sf_cookie_verdict_name(SF_COOKIE_BAD_MAC), "bad_mac");
	assert_string_equal(sf_cookie_verdict_name(SF_COOKIE_TOO_OLD), "too_old");
	assert_string_equal(sf_cookie_verdict_name(SF_COOKIE_BAD_MSS), "bad_mss");
	assert_string_equal(sf_cookie_verdict_name(SF_COOKIE_BAD_TS), "bad_ts");
	assert_string_equal(sf_cookie_verdict_name(SF_COOKIE_VERDICT_MAX), "unknown");
	assert_true(strlen(sf_cookie_verdict_str(SF_COOKIE_BAD_TS)) > 0);
	/* The MSS table ascends, floors at 216, tops at 1460. */
	const uint16_t *tab = sf_cookie_mss_table();

	assert_int_equal(tab[0], 216);
	assert_int_equal(tab[SF_COOKIE_MSS_NB - 1], 1460);
	for (unsigned int i = 1; i < SF_COOKIE_MSS_NB; i++)
		assert_true(tab[i] > tab[i - 1]);
	/* The clock helper is wall time in ms. */
	uint64_t now = sf_cookie_now_ms();

	assert_true(now > T0 && now < T0 + UINT64_C(100) * 365 * 86400 * 1000);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sf-cookie-test-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	static const char *const names[] = {
		"format.key", "forge.key", "k1.key", "k1b.key", "k2.key", "bad.key", "bad2.key", "secret.key",
	};
	char p[128];

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_cookie_format),
		cmocka_unit_test(test_roundtrip_all_options),
		cmocka_unit_test(test_no_timestamps),
		cmocka_unit_test(test_counter_window),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_forged_acks),
		cmocka_unit_test(test_rotation_hitless),
		cmocka_unit_test(test_rotation_stress),
		cmocka_unit_test(test_key_file_shared),
		cmocka_unit_test(test_key_file_errors),
		cmocka_unit_test(test_key_not_logged),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
