/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Stateless SYN cookies: the appliance answers a SYN with a SYN-ACK whose
 * initial sequence number is a keyed MAC over the connection, and keeps no
 * state until the client's ACK proves, by echoing that number, that it saw
 * the SYN-ACK. docs/design/cookies.md and the essay atop sf_cookie.c explain
 * the threat model, the bit layout and the numbers.
 *
 * Threads: any number of workers may call sf_cookie_syn_encode_bulk() and
 * sf_cookie_ack_check_bulk() on one context at the same time while one
 * control thread calls sf_cookie_key_rotate() / sf_cookie_key_load(). The
 * data path takes no lock; see "Keys and threads" in sf_cookie.c.
 *
 * Time: every call takes the time explicitly, as milliseconds of
 * CLOCK_REALTIME since the Unix epoch (sf_cookie_now_ms()). Wall time, not a
 * monotonic clock, so that appliances sharing a key file agree on the cookie
 * counter. All callers on one context must pass times within one tick of
 * each other (a worker's per-burst time is fine).
 *
 * Byte order follows lib/pkt: addresses in network order, ports and
 * sequence numbers in host order.
 *
 * The key never leaves the context: no function returns it, and logs show
 * only a key id (a MAC of a constant, from which the key cannot be learnt).
 */
#ifndef SF_COOKIE_H
#define SF_COOKIE_H

#include <stdint.h>

/** Default cookie lifetime: a cookie is accepted for at least this long. */
#define SF_COOKIE_MAX_AGE_DEFAULT_MS 120000
/** Bounds of sf_cookie_params.max_age_ms. */
#define SF_COOKIE_MAX_AGE_MIN_MS 1000
#define SF_COOKIE_MAX_AGE_MAX_MS 3600000
/** Most ticks a cookie may live: max_age_ms / tick_ms, rounded up, is at most this. */
#define SF_COOKIE_TICKS_MAX 15
/** Entries of the MSS table (sf_cookie_mss_table()). */
#define SF_COOKIE_MSS_NB 7

/** sf_cookie_params.flags: never carry options in TSval; SYN-ACKs then carry MSS only. */
#define SF_COOKIE_F_NO_TS 0x1

/** Context parameters. All zero gives the defaults. */
struct sf_cookie_params {
	uint32_t max_age_ms;   /**< 0 = SF_COOKIE_MAX_AGE_DEFAULT_MS; else 1000..3600000 */
	uint32_t tick_ms;      /**< counter granularity; 0 = max_age_ms / 15, rounded up */
	uint32_t flags;        /**< SF_COOKIE_F_* */
	const char *key_file;  /**< NULL or "": random keys; else the shared key file */
};

/**
 * TCP options a SYN offered (sf_cookie_syn.opts), a SYN-ACK may advertise
 * (sf_cookie_synack.opts) and a checked ACK negotiated (sf_cookie_result.opts).
 */
#define SF_COOKIE_OPT_WS   0x01  /**< window scale; the shift is in .wscale */
#define SF_COOKIE_OPT_SACK 0x02  /**< SACK-permitted */
#define SF_COOKIE_OPT_TS   0x04  /**< timestamps */
#define SF_COOKIE_OPT_ECN  0x08  /**< ECN setup (SYN with ECE and CWR) */

/** One SYN to answer. */
struct sf_cookie_syn {
	uint32_t saddr;    /**< client address, network order */
	uint32_t daddr;    /**< service address, network order */
	uint16_t sport;    /**< client port, host order */
	uint16_t dport;    /**< service port, host order */
	uint32_t isn;      /**< the SYN's sequence number, host order */
	uint16_t mss;      /**< the SYN's MSS option; 0 when absent */
	uint8_t wscale;    /**< the SYN's window scale shift, when opts has SF_COOKIE_OPT_WS */
	uint8_t opts;      /**< SF_COOKIE_OPT_* the SYN offered */
};

/** What to put in the SYN-ACK answering one sf_cookie_syn. */
struct sf_cookie_synack {
	uint32_t isn;      /**< the SYN-ACK's sequence number: the cookie */
	uint32_t tsval;    /**< the SYN-ACK's TSval, when opts has SF_COOKIE_OPT_TS */
	uint16_t mss;      /**< the client's MSS as the cookie keeps it (a table value) */
	uint8_t opts;      /**< SF_COOKIE_OPT_* the SYN-ACK may advertise; nothing else */
	uint8_t reserved;
};

/** One ACK that may complete a cookie handshake. */
struct sf_cookie_ack {
	uint32_t saddr;    /**< client address, network order */
	uint32_t daddr;    /**< service address, network order */
	uint16_t sport;    /**< client port, host order */
	uint16_t dport;    /**< service port, host order */
	uint32_t seq;      /**< the ACK's sequence number (client ISN + 1), host order */
	uint32_t ack;      /**< the ACK's acknowledgement number (cookie + 1), host order */
	uint32_t tsecr;    /**< the ACK's TSecr, when has_ts */
	uint8_t has_ts;    /**< the ACK carries a timestamps option */
	uint8_t reserved[3];
};

/**
 * Why a cookie was refused, one X(ENUM, name, description) each. The name
 * becomes the counter "cookie_invalid_<name>"; keep names stable.
 */
#define SF_COOKIE_INVALID_LIST(X) \
	X(BAD_MSS, bad_mss, "cookie's MSS index is not in the MSS table") \
	X(TOO_OLD, too_old, "cookie older than cookies.max_age_ms, or more than a tick ahead") \
	X(BAD_TS,  bad_ts,  "ACK's TSecr is not a TSval sent within the cookie lifetime") \
	X(BAD_MAC, bad_mac, "cookie's MAC does not match: forged, or from a key not held")

/** Outcome of checking one ACK. */
enum sf_cookie_verdict {
	SF_COOKIE_OK = 0,
#define SF_COOKIE_X_ENUM(e, n, d) SF_COOKIE_##e,
	SF_COOKIE_INVALID_LIST(SF_COOKIE_X_ENUM)
#undef SF_COOKIE_X_ENUM
	SF_COOKIE_VERDICT_MAX
};

/** What a valid cookie says about the connection. */
struct sf_cookie_result {
	uint16_t mss;      /**< the client's MSS, rounded down to the table */
	uint8_t wscale;    /**< the client's window scale shift (0..14), when opts has WS */
	uint8_t opts;      /**< SF_COOKIE_OPT_* in force for the connection */
	uint8_t verdict;   /**< enum sf_cookie_verdict; the other fields are valid only if OK */
	uint8_t mss_idx;   /**< index in sf_cookie_mss_table() */
	uint8_t reserved[2];
};

struct sf_cookie_ctx;

/**
 * Create a cookie context: draw the first key with getrandom(2), or read it
 * from params->key_file.
 *
 * Needs no EAL; the context lives in ordinary memory (a few KiB, read-mostly).
 *
 * @param params  NULL for all defaults
 * @return the context, or NULL with rte_errno set:
 *   - EINVAL: a parameter out of range, or a malformed key file
 *   - ENOMEM: out of memory
 *   - other errno values from open(2)/read(2) on the key file or from getrandom(2)
 */
struct sf_cookie_ctx *sf_cookie_ctx_create(const struct sf_cookie_params *params);

/**
 * Free a context and wipe its keys. No worker may use it any more.
 * @param ctx  NULL is allowed
 */
void sf_cookie_ctx_free(struct sf_cookie_ctx *ctx);

/**
 * Rotate the key: draw a new random key, or, with a key file, read the file
 * again (the shared key changes when the operator changes the file). The new
 * key mints cookies from the next tick on; every key stays until all cookies
 * it minted have expired, so a rotation refuses no valid handshake.
 *
 * Control thread only (one writer per context).
 *
 * @param now_ms  sf_cookie_now_ms()
 * @return
 *   - 0: rotated, or the key file holds the key already in use
 *   - -EBUSY: the key installed by the previous rotation does not mint yet (a new
 *     key mints two ticks after its rotation); retry a tick later
 *   - -EINVAL: malformed key file (the key in use stays)
 *   - other -errno from open(2)/read(2)/getrandom(2) (the key in use stays)
 */
int sf_cookie_key_rotate(struct sf_cookie_ctx *ctx, uint64_t now_ms);

/**
 * Install the key read from @p path, as sf_cookie_key_rotate() installs a new
 * key, and use @p path for later rotations.
 *
 * The file holds one 128-bit key as 32 hexadecimal digits on one line; blank
 * lines and lines starting with '#' are ignored. It should be readable by
 * the appliance only (a warning is logged otherwise). Messages about a
 * malformed file name the line, never its contents.
 *
 * @param now_ms  sf_cookie_now_ms()
 * @return 0, or -EBUSY, -EINVAL, -errno as sf_cookie_key_rotate()
 */
int sf_cookie_key_load(struct sf_cookie_ctx *ctx, const char *path, uint64_t now_ms);

/**
 * Answer a burst of SYNs: compute each SYN-ACK's cookie, TSval and the
 * options it may advertise. The MACs of the burst are computed interleaved.
 *
 * The SYN-ACK may advertise only the options in out[i].opts: with
 * timestamps, the client's window scale, SACK-permitted and ECN setup ride in
 * the low bits of TSval and come back in the ACK's TSecr; without, the
 * cookie keeps the MSS only and the SYN-ACK must offer no window scale, no
 * SACK-permitted and no ECN.
 *
 * @param syn     n SYNs
 * @param out     n results, out[i] for syn[i]
 * @param now_ms  sf_cookie_now_ms(), once per burst
 * @return n
 */
unsigned int sf_cookie_syn_encode_bulk(const struct sf_cookie_ctx *ctx,
		const struct sf_cookie_syn *syn, struct sf_cookie_synack *out,
		unsigned int n, uint64_t now_ms);

/**
 * Check a burst of ACKs against their cookies.
 *
 * @param ack     n ACKs
 * @param out     n results, out[i] for ack[i]; out[i].verdict says whether it is valid
 * @param now_ms  sf_cookie_now_ms(), once per burst
 * @return how many are SF_COOKIE_OK
 */
unsigned int sf_cookie_ack_check_bulk(const struct sf_cookie_ctx *ctx,
		const struct sf_cookie_ack *ack, struct sf_cookie_result *out,
		unsigned int n, uint64_t now_ms);

/**
 * @return the table of the MSS values a cookie can keep (SF_COOKIE_MSS_NB
 *   entries, ascending); sf_cookie_result.mss_idx indexes it.
 */
const uint16_t *sf_cookie_mss_table(void);

/** @return the counter name of a verdict ("bad_mac", ...); "ok" for SF_COOKIE_OK. */
const char *sf_cookie_verdict_name(enum sf_cookie_verdict v);

/** @return the description of a verdict. */
const char *sf_cookie_verdict_str(enum sf_cookie_verdict v);

/** @return CLOCK_REALTIME in milliseconds since the Unix epoch (a vDSO call; once per burst). */
uint64_t sf_cookie_now_ms(void);

#endif /* SF_COOKIE_H */
