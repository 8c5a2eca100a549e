/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet parsing: Ethernet (+ one 802.1Q tag), ARP, IPv4, ICMP and TCP with
 * every option, with all the length and checksum checks a packet from the wire needs.
 *
 * sf_pkt_parse() works on a flat buffer (the first segment of an mbuf, or a test
 * vector) and never reads outside [data, data + len). A packet it refuses comes back
 * with a drop reason from SF_PKT_DROP_LIST, which the caller counts by name.
 * It allocates nothing, keeps no state and is safe to call from any lcore.
 *
 * Checks are made in this order, and the first that fails gives the verdict:
 * Ethernet length, VLAN tag, EtherType; then for ARP its length and fixed fields;
 * for IPv4: length, version, IHL, total length, header checksum, fragment, source
 * address, protocol; for ICMP: length, checksum; for TCP: length, data offset,
 * checksum, ports, flags, options.
 *
 * The inline helpers behind it (unaligned loads, checksum sums) are in sf_pkt_dp.h.
 */
#ifndef SF_PKT_H
#define SF_PKT_H

#include <stdbool.h>
#include <stdint.h>

/**
 * Drop reasons, one X(name, description) each. The name becomes the counter
 * "drop_<name>" in the statistics (see lib/stats), so keep names stable.
 */
#define SF_PKT_DROP_LIST(X) \
	X(eth_runt,        "frame shorter than an Ethernet header") \
	X(vlan_runt,       "frame ends inside the 802.1Q tag") \
	X(vlan_nested,     "more than one VLAN tag") \
	X(l3_unsupported,  "EtherType neither IPv4 nor ARP") \
	X(arp_malformed,   "ARP not Ethernet/IPv4, or truncated") \
	X(ip_runt,         "shorter than an IPv4 header") \
	X(ip_version,      "IP version is not 4") \
	X(ip_hdr_len,      "IPv4 IHL below 5 or beyond the frame") \
	X(ip_total_len,    "IPv4 total length below header or beyond the frame") \
	X(ip_checksum,     "IPv4 header checksum wrong") \
	X(ip_fragment,     "IPv4 fragment (TCP/ICMP fragments are not reassembled)") \
	X(ip_bad_src,      "source is multicast, broadcast, loopback or zero") \
	X(l4_unsupported,  "IPv4 protocol neither TCP nor ICMP") \
	X(icmp_runt,       "shorter than an ICMP header") \
	X(icmp_checksum,   "ICMP checksum wrong") \
	X(tcp_runt,        "shorter than a TCP header") \
	X(tcp_data_offset, "TCP data offset below 5 or beyond the segment") \
	X(tcp_checksum,    "TCP checksum wrong") \
	X(tcp_opt_overrun, "TCP option runs past the header") \
	X(tcp_opt_len,     "TCP option with a wrong length for its kind") \
	X(tcp_bad_flags,   "TCP flag combination never valid (SYN+RST, SYN+FIN, none)") \
	X(tcp_bad_port,    "TCP source or destination port zero")

enum sf_pkt_verdict {
	SF_PKT_OK = 0,
#define SF_PKT_X_ENUM(n, d) SF_PKT_DROP_##n,
	SF_PKT_DROP_LIST(SF_PKT_X_ENUM)
#undef SF_PKT_X_ENUM
	SF_PKT_DROP_MAX
};

/** What the packet is, once parsed. */
enum sf_pkt_type {
	SF_PKT_TYPE_ARP = 1,
	SF_PKT_TYPE_ICMP = 2,
	SF_PKT_TYPE_TCP = 3,
};

/* TCP flags, as in the header's 13th byte. */
#define SF_TCP_FIN 0x01
#define SF_TCP_SYN 0x02
#define SF_TCP_RST 0x04
#define SF_TCP_PSH 0x08
#define SF_TCP_ACK 0x10
#define SF_TCP_URG 0x20
#define SF_TCP_ECE 0x40
#define SF_TCP_CWR 0x80

/* TCP option kinds (IANA). */
#define SF_TCPOPT_EOL 0
#define SF_TCPOPT_NOP 1
#define SF_TCPOPT_MSS 2
#define SF_TCPOPT_WS 3
#define SF_TCPOPT_SACK_PERM 4
#define SF_TCPOPT_SACK 5
#define SF_TCPOPT_TS 8

#define SF_TCP_MAX_SACK 4   /**< at most 4 blocks fit in 40 option bytes */

/* sf_tcp_opts.present bits */
#define SF_TCPO_MSS       0x01
#define SF_TCPO_WS        0x02
#define SF_TCPO_SACK_PERM 0x04
#define SF_TCPO_SACK      0x08
#define SF_TCPO_TS        0x10
#define SF_TCPO_UNKNOWN   0x20   /**< at least one option of another kind was skipped */

/**
 * Parsed TCP options. Offsets are from the start of the TCP header. When a kind
 * appears more than once, the last occurrence wins (its value and its offset).
 * Fields of options not in @c present are zero, except sack[], of which only the
 * first nb_sack entries are written.
 */
struct sf_tcp_opts {
	uint8_t present;      /**< SF_TCPO_* bits */
	uint8_t wscale;       /**< as sent; values > 14 are kept as sent, callers clamp (RFC 7323 2.3) */
	uint8_t nb_sack;      /**< SACK blocks, 0..SF_TCP_MAX_SACK */
	uint8_t ts_off;       /**< offset of the TS option's kind byte, 0 if absent */
	uint8_t sack_off;     /**< offset of the SACK option's kind byte, 0 if absent */
	uint8_t mss_off;      /**< offset of the MSS option's kind byte, 0 if absent */
	uint16_t mss;         /**< host order */
	uint32_t tsval;       /**< host order */
	uint32_t tsecr;       /**< host order */
	uint32_t sack[SF_TCP_MAX_SACK][2];  /**< left, right edges, host order */
};

/**
 * Everything the worker needs from one packet, filled by sf_pkt_parse().
 * All fields are zeroed first (but opts.sack[], see struct sf_tcp_opts); on a drop,
 * those filled are the ones read before the failing check. @c type is set as soon
 * as the EtherType (ARP) or the IPv4 protocol (TCP, ICMP) is known.
 */
struct sf_pkt_info {
	uint8_t type;         /**< enum sf_pkt_type */
	uint8_t has_vlan;
	uint16_t vlan_tci;    /**< host order, valid when has_vlan */
	uint16_t l2_len;      /**< Ethernet (+ VLAN) header bytes */
	uint16_t l3_len;      /**< IPv4 header bytes (IHL * 4); ARP: 28 */
	uint16_t l4_len;      /**< TCP header incl. options, or ICMP header (8); 0 for ARP */
	uint16_t payload_len; /**< TCP/ICMP payload bytes per the IPv4 total length */
	uint16_t ip_len;      /**< IPv4 total length */
	uint8_t ttl;
	uint8_t tcp_flags;    /**< SF_TCP_* */
	uint32_t src;         /**< IPv4 source (ARP: sender), network order */
	uint32_t dst;         /**< IPv4 destination (ARP: target), network order */
	uint16_t sport;       /**< TCP ports, host order */
	uint16_t dport;
	uint32_t seq;         /**< TCP, host order */
	uint32_t ack;
	uint16_t win;         /**< TCP raw window, host order */
	uint16_t arp_op;      /**< ARP operation, host order */
	uint8_t icmp_type;    /**< any type is accepted; the caller picks echo requests */
	uint8_t icmp_code;
	struct sf_tcp_opts opts;
};

/** The caller already knows the checksums are right (NIC offload flags). */
#define SF_PKT_F_IP_CKSUM_GOOD 0x1
#define SF_PKT_F_L4_CKSUM_GOOD 0x2

/**
 * Parse one frame.
 *
 * Accepted: Ethernet II with at most one 802.1Q tag (TPID 0x8100) carrying ARP
 * (Ethernet/IPv4, any operation) or IPv4 (options allowed and skipped) carrying
 * ICMP or TCP. A second tag (0x8100 or 0x88a8) after the first, or an 802.1ad
 * S-tag (0x88a8) as the outer tag, is vlan_nested. Lengths after the IPv4 header
 * come from the IPv4 total length, so bytes beyond it (Ethernet padding) are
 * ignored. The DF bit is accepted; MF or a non-zero fragment offset is not.
 *
 * @param data   first byte of the Ethernet header
 * @param len    bytes available at data (the frame; trailing Ethernet padding allowed)
 * @param flags  SF_PKT_F_* to skip checksum checks the hardware already made
 * @param pi     filled with what was parsed (partially on a drop)
 * @return SF_PKT_OK, or the SF_PKT_DROP_* reason of the first failing check
 */
enum sf_pkt_verdict sf_pkt_parse(const uint8_t *data, uint32_t len, unsigned int flags,
		struct sf_pkt_info *pi);

/**
 * Parse a TCP option list.
 *
 * EOL ends the list (whatever follows it is ignored); NOP is skipped. Every other
 * option needs a length byte of at least 2 that keeps it inside the list. Lengths
 * are fixed per kind: MSS 4, WS 3, SACK-permitted 2, TS 10, SACK 2 + 8n with n in
 * 1..SF_TCP_MAX_SACK. Unknown kinds with a sane length are skipped and flagged
 * SF_TCPO_UNKNOWN. A kind seen twice: the last one wins.
 *
 * @param opt   first option byte (just past the 20-byte TCP header)
 * @param len   option bytes (data offset * 4 - 20), 0..40
 * @param off0  offset of @p opt from the TCP header start, used for the *_off fields (20)
 * @param o     filled (zeroed first but for sack[]; partially on an error)
 * @return SF_PKT_OK;
 *   SF_PKT_DROP_tcp_opt_overrun when the length byte is missing or the option runs
 *   past @p len (checked before the kind's own length);
 *   SF_PKT_DROP_tcp_opt_len when the length is below 2 or wrong for the kind
 */
enum sf_pkt_verdict sf_pkt_tcp_opts_parse(const uint8_t *opt, uint32_t len, uint32_t off0,
		struct sf_tcp_opts *o);

/**
 * @return the description of a drop reason ("" for SF_PKT_OK, "unknown" for a value
 *   outside the enum).
 */
const char *sf_pkt_verdict_str(enum sf_pkt_verdict v);

/**
 * @return the counter name of a drop reason ("eth_runt", ...), "" for SF_PKT_OK,
 *   "unknown" for a value outside the enum.
 */
const char *sf_pkt_verdict_name(enum sf_pkt_verdict v);

/*
 * Internet checksum helpers (RFC 1071, incremental update per RFC 1624).
 * All work on values in network order and return a checksum in network order,
 * i.e. a value to memcpy() into the header as is.
 */

/**
 * IPv4 header checksum over @p hdr_len bytes as they are.
 *
 * @param iphdr    IPv4 header (any alignment)
 * @param hdr_len  IHL * 4
 * @return with the checksum field zeroed, the value to store there; over a received
 *   header, 0 when its checksum is right
 */
uint16_t sf_pkt_ipv4_cksum(const void *iphdr, uint32_t hdr_len);

/**
 * TCP/UDP checksum of a segment with its IPv4 pseudo header; for IPPROTO_ICMP (1)
 * the pseudo header is not part of the sum (RFC 792) and @p src, @p dst are ignored.
 *
 * @param src, dst  IPv4 addresses, network order
 * @param proto     IP protocol number
 * @param l4        segment (header and payload, any alignment)
 * @param l4_len    segment bytes, at most 65535
 * @return with the checksum field zeroed, the value to store there; over a received
 *   segment, 0 when its checksum is right
 */
uint16_t sf_pkt_l4_cksum(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, uint32_t l4_len);

/**
 * Adjust checksum @p cksum for a 16-bit field changing from @p old to @p new (RFC 1624 eqn 3).
 * All three in the same byte order: as loaded from the packet, or all host order.
 *
 * @return the new checksum
 */
static inline uint16_t sf_pkt_cksum_adjust16(uint16_t cksum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~cksum + (uint16_t)~old + (uint32_t)new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/**
 * Adjust checksum @p cksum for a 32-bit field changing from @p old to @p new.
 * All three in the same byte order: the checksum and the field as loaded from the
 * packet (network order), or both converted to host order.
 *
 * @return the new checksum
 */
static inline uint16_t sf_pkt_cksum_adjust32(uint16_t cksum, uint32_t old, uint32_t new)
{
	cksum = sf_pkt_cksum_adjust16(cksum, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
	return sf_pkt_cksum_adjust16(cksum, (uint16_t)old, (uint16_t)new);
}

#endif /* SF_PKT_H */
