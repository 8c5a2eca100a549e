/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synfront-gen: counters, latency percentiles, the progress line and the final report.
 *
 * Latencies are kept as TSC cycles in a reservoir of up to GEN_LAT_CAP samples per
 * measure (uniform sampling beyond that, Vitter's algorithm R); min, max and mean are
 * over every sample, percentiles over the reservoir (nearest rank).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>

#include "gen.h"

int gen_lat_init(struct gen_lat *l, uint64_t cap)
{
	memset(l, 0, sizeof(*l));
	l->v = malloc(cap * sizeof(*l->v));
	if (l->v == NULL)
		return -ENOMEM;
	l->cap = cap;
	return 0;
}

void gen_lat_free(struct gen_lat *l)
{
	free(l->v);
	l->v = NULL;
}

void gen_lat_add(struct gen *g, struct gen_lat *l, uint64_t cycles)
{
	if (l->seen == 0 || cycles < l->min)
		l->min = cycles;
	l->seen++;
	l->sum += cycles;
	if (cycles > l->max)
		l->max = cycles;
	if (l->n < l->cap) {
		l->v[l->n++] = cycles;
	} else {
		uint64_t j = gen_rand(g) % l->seen;

		if (j < l->cap)
			l->v[j] = cycles;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* @return microseconds, to 0.1 */
static double us(const struct gen *g, uint64_t cycles)
{
	return (double)(uint64_t)((double)cycles * 1e7 / (double)g->hz + 0.5) / 10;
}

/* {"samples", "min", "p50", "p90", "p99", "max", "mean"} in microseconds; null values when empty. */
static json_t *lat_json(const struct gen *g, struct gen_lat *l)
{
	static const struct { const char *name; double p; } pct[] = {
		{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99},
	};
	json_t *o = json_object();

	json_object_set_new(o, "samples", json_integer((json_int_t)l->seen));
	if (l->seen == 0) {
		json_object_set_new(o, "min", json_null());
		for (unsigned int i = 0; i < RTE_DIM(pct); i++)
			json_object_set_new(o, pct[i].name, json_null());
		json_object_set_new(o, "max", json_null());
		json_object_set_new(o, "mean", json_null());
		return o;
	}
	qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
	json_object_set_new(o, "min", json_real(us(g, l->min)));
	for (unsigned int i = 0; i < RTE_DIM(pct); i++) {
		uint64_t rank = (uint64_t)(pct[i].p * (double)l->n + 0.999999);

		rank = rank == 0 ? 1 : rank;
		json_object_set_new(o, pct[i].name, json_real(us(g, l->v[rank - 1])));
	}
	json_object_set_new(o, "max", json_real(us(g, l->max)));
	json_object_set_new(o, "mean", json_real(us(g, l->sum / l->seen)));
	return o;
}

const char *const gen_mode_names[GEN_MODE_NB] = {
	[GEN_MODE_SYN] = "syn", [GEN_MODE_ACK] = "ack", [GEN_MODE_RST] = "rst",
	[GEN_MODE_FIN] = "fin", [GEN_MODE_GARBAGE] = "garbage", [GEN_MODE_STORM] = "storm",
};

const char *const gen_opts_names[GEN_OPTS_NB] = {
	[GEN_OPTS_LINUX] = "linux", [GEN_OPTS_NONE] = "none", [GEN_OPTS_MSS] = "mss",
	[GEN_OPTS_RANDOM] = "random",
};

void gen_progress(struct gen *g, uint64_t now)
{
	static uint64_t last_t, last_sent, last_rcvd, last_hs;
	double t = (double)(now - g->t_start) / (double)g->hz;
	double dt = last_t != 0 ? (double)(now - last_t) / (double)g->hz : t;

	if (dt <= 0)
		dt = 1;
	if (g->cfg.mode == GEN_MODE_STORM)
		fprintf(stderr, "[%6.1fs] sent %" PRIu64 " rcvd %" PRIu64 " | conns %" PRIu64
				" handshakes %" PRIu64 " (%.0f/s) replies %" PRIu64 " completed %" PRIu64
				" failed %" PRIu64 " active %u\n", t, g->st.sent, g->st.received,
				g->st.conn_started, g->st.handshakes,
				(double)(g->st.handshakes - last_hs) / dt, g->st.replies, g->st.completed,
				g->st.fail_rst + g->st.fail_synack_timeout + g->st.fail_reply_timeout +
				g->st.fail_close_timeout, gen_storm_active(g));
	else
		fprintf(stderr, "[%6.1fs] sent %" PRIu64 " (%.0f pps) rcvd %" PRIu64 " (%.0f pps)"
				" synack valid %" PRIu64 " invalid %" PRIu64 " rst %" PRIu64 "\n", t,
				g->st.sent, (double)(g->st.sent - last_sent) / dt, g->st.received,
				(double)(g->st.received - last_rcvd) / dt, g->st.synack_valid,
				g->st.synack_invalid, g->st.rst_received);
	last_t = now;
	last_sent = g->st.sent;
	last_rcvd = g->st.received;
	last_hs = g->st.handshakes;
}

static char *addr_str(char *buf, size_t sz, uint32_t host)
{
	snprintf(buf, sz, "%u.%u.%u.%u", host >> 24, (host >> 16) & 0xff, (host >> 8) & 0xff,
			host & 0xff);
	return buf;
}

int gen_report(struct gen *g, uint64_t now)
{
	const struct gen_cfg *c = &g->cfg;
	double send_s = (double)(g->t_send_end - g->t_start) / (double)g->hz;
	double total_s = (double)(now - g->t_start) / (double)g->hz;
	char a[32], b[64];
	json_t *r = json_object(), *st = json_object(), *fail;
	int ret = 0;

	json_object_set_new(r, "mode", json_string(gen_mode_names[c->mode]));
	json_object_set_new(r, "options", json_string(gen_opts_names[c->opts]));
	json_object_set_new(r, "port", json_string(c->port_name));
	snprintf(b, sizeof(b), "%s/%u", addr_str(a, sizeof(a), c->src_net), c->src_plen);
	json_object_set_new(r, "src", json_string(b));
	snprintf(b, sizeof(b), "%s:%u", addr_str(a, sizeof(a), rte_be_to_cpu_32(c->dst_ip)), c->dst_port);
	json_object_set_new(r, "dst", json_string(b));
	json_object_set_new(r, "count", json_integer((json_int_t)c->count));
	json_object_set_new(r, "rate_target", json_integer((json_int_t)c->rate));
	json_object_set_new(r, "duration_s", json_real((double)(uint64_t)(total_s * 1000 + 0.5) / 1000));
	json_object_set_new(r, "send_s", json_real((double)(uint64_t)(send_s * 1000 + 0.5) / 1000));

#define GEN_X_JSON(n, d) json_object_set_new(st, #n, json_integer((json_int_t)g->st.n));
	GEN_STAT_LIST(GEN_X_JSON)
#undef GEN_X_JSON
	/* the headline numbers at the top level, the full list under "counters" */
	json_object_set_new(r, "sent", json_integer((json_int_t)g->st.sent));
	json_object_set_new(r, "received", json_integer((json_int_t)g->st.received));
	json_object_set_new(r, "synack_valid", json_integer((json_int_t)g->st.synack_valid));
	json_object_set_new(r, "synack_invalid", json_integer((json_int_t)g->st.synack_invalid));
	json_object_set_new(r, "rate_pps", json_integer(send_s > 0 ? (json_int_t)((double)g->st.sent / send_s) : 0));
	if (c->mode == GEN_MODE_STORM) {
		json_object_set_new(r, "connections", json_integer((json_int_t)g->st.conn_started));
		json_object_set_new(r, "handshakes", json_integer((json_int_t)g->st.handshakes));
		json_object_set_new(r, "replies", json_integer((json_int_t)g->st.replies));
		json_object_set_new(r, "reply_bytes", json_integer((json_int_t)g->st.reply_bytes));
		json_object_set_new(r, "completed", json_integer((json_int_t)g->st.completed));
		fail = json_object();
		json_object_set_new(fail, "rst", json_integer((json_int_t)g->st.fail_rst));
		json_object_set_new(fail, "synack_timeout", json_integer((json_int_t)g->st.fail_synack_timeout));
		json_object_set_new(fail, "reply_timeout", json_integer((json_int_t)g->st.fail_reply_timeout));
		json_object_set_new(fail, "close_timeout", json_integer((json_int_t)g->st.fail_close_timeout));
		json_object_set_new(fail, "unfinished", json_integer((json_int_t)g->st.unfinished));
		json_object_set_new(r, "failed", fail);
		json_object_set_new(r, "rate_cps", json_integer(total_s > 0 ?
				(json_int_t)((double)g->st.handshakes / total_s) : 0));
		json_object_set_new(r, "reply_latency_us", lat_json(g, &g->lat_reply));
	}
	json_object_set_new(r, "handshake_latency_us", lat_json(g, &g->lat_hs));
	json_object_set_new(r, "counters", st);

	json_dumpf(r, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	fputc('\n', stdout);
	fflush(stdout);
	if (c->json_file != NULL && json_dump_file(r, c->json_file,
			JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) != 0) {
		fprintf(stderr, "synfront-gen: cannot write %s: %s\n", c->json_file, strerror(errno));
		ret = -EIO;
	}
	json_decref(r);
	return ret;
}

void gen_stats_doc(FILE *f)
{
	fprintf(f, "| counter | meaning |\n|---|---|\n");
#define GEN_X_DOC(n, d) fprintf(f, "| `%s` | %s |\n", #n, d);
	GEN_STAT_LIST(GEN_X_DOC)
#undef GEN_X_DOC
}
