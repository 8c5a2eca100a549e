/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser micro-benchmark: bursts of 32 frames as a worker sees them during a SYN
 * flood (SYNs with Linux's options) and on established connections (ACKs with
 * NOP NOP TS, with and without payload), each frame in its own buffer at the
 * usual mbuf headroom. Prints TSC cycles per packet, the median of 5 runs, with
 * checksums verified in software and with the NIC's "checksum good" flags.
 *
 *   bench-pkt [iterations]     (default 200000 bursts per run)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "sf_pkt.h"
#include "pkt_frame.h"

#define BURST 32
#define RUNS 5
#define BUF_SIZE 2048
#define HEADROOM 128

struct bench_burst {
	uint8_t *frame[BURST];
	uint32_t len[BURST];
};

static uint8_t bench_mem[3][BURST][BUF_SIZE] __attribute__((aligned(64)));

enum bench_kind { BENCH_SYN, BENCH_ACK, BENCH_MIX };

static void bench_burst_build(struct bench_burst *b, uint8_t (*mem)[BUF_SIZE], enum bench_kind k)
{
	static const uint8_t http[100] = "GET /index.html HTTP/1.1\r\nHost: 198.18.0.100\r\n\r\n";
	uint8_t syn_opts[20], ack_opts[12];

	for (unsigned int i = 0; i < BURST; i++) {
		struct pkt_frame_spec s = {
			.ip_id = (uint16_t)i, .ip_frag = 0x4000, .ttl = 64, .proto = 6,
			.src = 0xc6120001 + (i << 8), .dst = 0xc6120064,
			.sport = (uint16_t)(32768 + i * 97), .dport = 80,
			.seq = 0x6b8b4567u * (i + 1), .win = 64240,
		};
		bool syn = k == BENCH_SYN || (k == BENCH_MIX && (i & 1));

		if (syn) {
			s.tcp_flags = SF_TCP_SYN;
			s.tcp_opts = syn_opts;
			s.tcp_opts_len = (uint8_t)pkt_frame_syn_opts(syn_opts, 1460, 1000 + i, 7);
		} else {
			s.tcp_flags = SF_TCP_ACK;
			s.ack = 0x12345678u + i;
			s.win = 502;
			s.tcp_opts = ack_opts;
			s.tcp_opts_len = (uint8_t)pkt_frame_ack_opts(ack_opts, 2000 + i, 3000 + i);
			if (i % 4 == 0) {      /* a request now and then */
				s.tcp_flags |= SF_TCP_PSH;
				s.payload = http;
				s.payload_len = sizeof(http);
			}
		}
		b->frame[i] = mem[i] + HEADROOM;
		b->len[i] = (uint32_t)pkt_frame_build(b->frame[i], &s);
	}
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void bench_run(const char *name, const struct bench_burst *b, unsigned int flags,
		unsigned long iters)
{
	double cyc[RUNS], ns[RUNS];
	struct sf_pkt_info pi;
	unsigned long bad = 0;
	uint64_t sink = 0;

	for (int r = 0; r < RUNS; r++) {
		double t0 = bench_now_ns();
		uint64_t c0 = rte_rdtsc_precise();

		for (unsigned long it = 0; it < iters; it++) {
			for (unsigned int i = 0; i < BURST; i++) {
				bad += sf_pkt_parse(b->frame[i], b->len[i], flags, &pi) != SF_PKT_OK;
				sink += pi.seq;
			}
		}
		cyc[r] = (double)(rte_rdtsc_precise() - c0) / ((double)iters * BURST);
		ns[r] = (bench_now_ns() - t0) / ((double)iters * BURST);
	}
	qsort(cyc, RUNS, sizeof(cyc[0]), bench_cmp);
	qsort(ns, RUNS, sizeof(ns[0]), bench_cmp);
	printf("%-28s %7.1f cycles/pkt  %6.2f ns/pkt  (min %.1f, max %.1f)%s\n", name,
			cyc[RUNS / 2], ns[RUNS / 2], cyc[0], cyc[RUNS - 1],
			bad ? "  PARSE ERRORS" : "");
	if (sink == 42)   /* keeps the results live */
		printf(" ");
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	struct bench_burst syn, ack, mix;

	bench_burst_build(&syn, bench_mem[0], BENCH_SYN);
	bench_burst_build(&ack, bench_mem[1], BENCH_ACK);
	bench_burst_build(&mix, bench_mem[2], BENCH_MIX);

	printf("sf_pkt_parse, bursts of %d, %lu bursts per run, median of %d runs (TSC cycles)\n",
			BURST, iters, RUNS);
	bench_run("SYN, sw checksums", &syn, 0, iters);
	bench_run("SYN, hw checksums good", &syn,
			SF_PKT_F_IP_CKSUM_GOOD | SF_PKT_F_L4_CKSUM_GOOD, iters);
	bench_run("ACK+TS, sw checksums", &ack, 0, iters);
	bench_run("ACK+TS, hw checksums good", &ack,
			SF_PKT_F_IP_CKSUM_GOOD | SF_PKT_F_L4_CKSUM_GOOD, iters);
	bench_run("mixed, sw checksums", &mix, 0, iters);
	bench_run("mixed, hw checksums good", &mix,
			SF_PKT_F_IP_CKSUM_GOOD | SF_PKT_F_L4_CKSUM_GOOD, iters);
	return 0;
}
