/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters for the monitoring ecosystem: rte_telemetry commands (for
 * dpdk-telemetry.py and telegraf's inputs.dpdk) and an HTTP endpoint with
 * GET /stats (the control socket's stats JSON) and GET /metrics (Prometheus
 * text format).
 *
 * Telemetry callbacks run in DPDK's telemetry thread and read only the
 * per-lcore counters and gauges, with relaxed loads. The HTTP server runs in
 * libmicrohttpd's own thread and serves texts the main lcore renders once a
 * second from a complete stats snapshot (backends included); a mutex between
 * those two control-plane threads guards the texts. Workers are never touched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <rte_telemetry.h>

#include "app.h"
#include "sf_log.h"

static struct app *tel_app;

/* ------------------------------------------------------------ telemetry */

static void tel_counters(struct rte_tel_data *d, const struct sf_stats_lcore *s)
{
	rte_tel_data_start_dict(d);
	for (unsigned int id = 0; id < SF_STAT_MAX; id++)
		rte_tel_data_add_dict_u64(d, sf_stats_name(id), s->v[id]);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sf_stats_lcore t;

	sf_stats_sum(&t);
	tel_counters(d, &t);
	return 0;
}

static int tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (unsigned int i = 0; i < tel_app->nb_workers; i++)
		rte_tel_data_add_array_int(d, (int)tel_app->workers[i].lcore_id);
	return 0;
}

static int tel_lcore(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sf_stats_lcore s;
	char *end;
	unsigned long id;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	for (unsigned int i = 0; i < tel_app->nb_workers; i++) {
		if (tel_app->workers[i].lcore_id != id)
			continue;
		for (unsigned int c = 0; c < SF_STAT_MAX; c++)
			s.v[c] = sf_stats_read((unsigned int)id, c);
		tel_counters(d, &s);
		return 0;
	}
	return -EINVAL;
}

static int tel_states(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (unsigned int st = SF_CONN_SYN_SENT; st < SF_CONN_STATE_MAX; st++) {
		uint64_t n = 0;

		for (unsigned int i = 0; i < tel_app->nb_workers; i++)
			n += __atomic_load_n(&tel_app->workers[i].splice.nb_state[st], __ATOMIC_RELAXED);
		rte_tel_data_add_dict_u64(d, sf_conn_state_name(st), n);
	}
	return 0;
}

int sf_app_telemetry_register(struct app *a)
{
	tel_app = a;
	if (rte_telemetry_register_cmd("/synfront/stats", tel_stats,
			"synfront counters summed over the workers. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/synfront/lcores", tel_lcores,
			"lcore ids of synfront's workers. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/synfront/lcore", tel_lcore,
			"counters of one worker. Parameter: lcore id") != 0 ||
	    rte_telemetry_register_cmd("/synfront/states", tel_states,
			"connections by TCP state. No parameters") != 0)
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- HTTP */

static pthread_mutex_t http_lock = PTHREAD_MUTEX_INITIALIZER;
static char *http_stats;      /* JSON of the last snapshot */
static char *http_metrics;    /* Prometheus text of the last snapshot */

/* Append to a growing buffer; on allocation failure the text is cut short. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room && b->p != NULL) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 16384;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (np == NULL)
			return;
		b->p = np;
		b->cap = cap;
	}
}

/* Label values: escape backslash, quote and newline (Prometheus text format). */
static const char *esc(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s != '\0' && o + 2 < size; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			buf[o++] = '\\';
			buf[o++] = *s == '\n' ? 'n' : *s;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

static char *metrics_render(const json_t *stats)
{
	json_t *lcores = json_object_get(stats, "lcores"), *g = json_object_get(stats, "gauges");
	struct sbuf b = {0};
	const char *lid, *name;
	json_t *lv, *v;
	size_t i;

	for (unsigned int id = 0; id < SF_STAT_MAX; id++) {
		sb_printf(&b, "# HELP synfront_%s_total %s\n# TYPE synfront_%s_total counter\n",
				sf_stats_name(id), sf_stats_desc(id), sf_stats_name(id));
		json_object_foreach(lcores, lid, lv)
			sb_printf(&b, "synfront_%s_total{lcore=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
					sf_stats_name(id), lid,
					json_integer_value(json_object_get(lv, sf_stats_name(id))));
	}
	sb_printf(&b, "# HELP synfront_connections connections by TCP state\n"
			"# TYPE synfront_connections gauge\n");
	json_object_foreach(json_object_get(g, "states"), name, v)
		sb_printf(&b, "synfront_connections{state=\"%s\"} %" JSON_INTEGER_FORMAT "\n", name,
				json_integer_value(v));
	sb_printf(&b, "# HELP synfront_connections_capacity connection table capacity over all workers\n"
			"# TYPE synfront_connections_capacity gauge\nsynfront_connections_capacity %"
			JSON_INTEGER_FORMAT "\n", json_integer_value(json_object_get(g, "connections_capacity")));
	sb_printf(&b, "# HELP synfront_mbufs_in_use packet buffers in use\n"
			"# TYPE synfront_mbufs_in_use gauge\nsynfront_mbufs_in_use %" JSON_INTEGER_FORMAT "\n",
			json_integer_value(json_object_get(g, "mbufs_in_use")));

	static const struct {
		const char *name, *help;
	} sm[] = {
#define SF_APP_X_SM(n, d) {#n, d},
		SF_SPLICE_SVC_STATS_LIST(SF_APP_X_SM)
#undef SF_APP_X_SM
	};
	for (unsigned int k = 0; k < RTE_DIM(sm); k++) {
		sb_printf(&b, "# HELP synfront_service_%s_total %s\n# TYPE synfront_service_%s_total counter\n",
				sm[k].name, sm[k].help, sm[k].name);
		json_array_foreach(json_object_get(stats, "services"), i, v) {
			char s1[64];

			sb_printf(&b, "synfront_service_%s_total{service=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
					sm[k].name, esc(json_string_value(json_object_get(v, "name")), s1, sizeof(s1)),
					json_integer_value(json_object_get(v, sm[k].name)));
		}
	}

	static const struct {
		const char *key, *metric, *type, *help;
	} bm[] = {
		{"active", "synfront_backend_active", "gauge", "live connections to the backend"},
		{"total", "synfront_backend_connections_total", "counter", "connections opened to the backend"},
		{"connect_failed", "synfront_backend_connect_failed_total", "counter",
			"connects the backend refused or never answered"},
		{"weight", "synfront_backend_weight", "gauge", "configured weight (0 = drained)"},
	};
	for (unsigned int k = 0; k < RTE_DIM(bm); k++) {
		sb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", bm[k].metric, bm[k].help, bm[k].metric,
				bm[k].type);
		json_array_foreach(json_object_get(stats, "services"), i, v) {
			size_t j;
			json_t *be;
			char s1[64], s2[64];

			json_array_foreach(json_object_get(v, "backends"), j, be)
				sb_printf(&b, "%s{service=\"%s\",backend=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
						bm[k].metric,
						esc(json_string_value(json_object_get(v, "name")), s1, sizeof(s1)),
						esc(json_string_value(json_object_get(be, "address")), s2, sizeof(s2)),
						json_integer_value(json_object_get(be, bm[k].key)));
		}
	}
	sb_printf(&b, "# HELP synfront_backend_up 1 when the backend takes new connections\n"
			"# TYPE synfront_backend_up gauge\n");
	json_array_foreach(json_object_get(stats, "services"), i, v) {
		size_t j;
		json_t *be;
		char s1[64], s2[64];

		json_array_foreach(json_object_get(v, "backends"), j, be)
			sb_printf(&b, "synfront_backend_up{service=\"%s\",backend=\"%s\"} %d\n",
					esc(json_string_value(json_object_get(v, "name")), s1, sizeof(s1)),
					esc(json_string_value(json_object_get(be, "address")), s2, sizeof(s2)),
					strcmp(json_string_value(json_object_get(be, "state")), "up") == 0);
	}
	return b.p;
}

void sf_app_http_publish(struct app *a, const json_t *stats)
{
	char *js = json_dumps(stats, JSON_COMPACT), *mt = metrics_render(stats);

	(void)a;
	pthread_mutex_lock(&http_lock);
	free(http_stats);
	free(http_metrics);
	http_stats = js;
	http_metrics = mt;
	pthread_mutex_unlock(&http_lock);
}

static enum MHD_Result http_reply(struct MHD_Connection *conn, unsigned int status,
		const char *type, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
			MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_handler(void *cls, struct MHD_Connection *conn, const char *url,
		const char *method, const char *version, const char *upload_data,
		size_t *upload_data_size, void **req_cls)
{
	char **text;
	enum MHD_Result ret;

	if (strcmp(method, "GET") != 0)
		return http_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "only GET\n");
	if (strcmp(url, "/stats") == 0)
		text = &http_stats;
	else if (strcmp(url, "/metrics") == 0)
		text = &http_metrics;
	else
		return http_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "try /stats or /metrics\n");
	pthread_mutex_lock(&http_lock);
	if (*text == NULL)
		ret = http_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "starting\n");
	else
		ret = http_reply(conn, MHD_HTTP_OK, text == &http_stats ? "application/json" :
				"text/plain; version=0.0.4", *text);
	pthread_mutex_unlock(&http_lock);
	return ret;
}

int sf_app_http_start(struct app *a)
{
	const char *listen = a->conf.control.http_listen;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	char ip[20];
	const char *colon = strrchr(listen, ':');
	unsigned long port;

	if (listen[0] == '\0')
		return 0;
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, listen, (size_t)(colon - listen));
	ip[colon - listen] = '\0';
	port = strtoul(colon + 1, NULL, 10);
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1 || port == 0 || port > 65535)
		return -EINVAL;
	sin.sin_port = htons((uint16_t)port);
	a->http = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			http_handler, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)a->conf.control.max_clients,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)(a->conf.control.idle_timeout_ms / 1000),
			MHD_OPTION_END);
	if (a->http == NULL) {
		SF_LOG(app, ERR, "control.http_listen %s: cannot listen", listen);
		return -EADDRINUSE;
	}
	SF_LOG(app, INFO, "HTTP /stats and /metrics on %s", listen);
	return 0;
}

void sf_app_http_stop(struct app *a)
{
	if (a->http != NULL)
		MHD_stop_daemon(a->http);
	a->http = NULL;
	pthread_mutex_lock(&http_lock);
	free(http_stats);
	free(http_metrics);
	http_stats = http_metrics = NULL;
	pthread_mutex_unlock(&http_lock);
}
