/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control commands, answered on the main lcore (docs/control.md).
 *
 * Counters are read directly (relaxed loads of the workers' blocks). Anything in
 * a worker's own tables (connections, per-backend state) is asked of the worker
 * through its control ring, and the reply is deferred until every worker has
 * answered. Configuration changes are checked by parsing the whole effective
 * configuration again, with the same rules and messages as the file, and reach
 * the workers as a new generation they switch to between two bursts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "app.h"
#include "sf_log.h"

/* ------------------------------------------------------------- helpers */

static json_t *ipv4_port(uint32_t addr, uint16_t port)
{
	char buf[32];

	snprintf(buf, sizeof(buf), SF_IPV4_FMT ":%u", SF_IPV4_BYTES(addr), port);
	return json_string(buf);
}

static int service_find(const struct sf_conf *conf, const char *name)
{
	for (uint16_t s = 0; s < conf->nb_services; s++)
		if (strcmp(conf->services[s].name, name) == 0)
			return s;
	return -1;
}

static int parse_ip_port(const char *s, uint32_t *addr, uint16_t *port)
{
	char ip[20];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long p;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p == 0 || p > 65535 || inet_pton(AF_INET, ip, addr) != 1)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* A free slot for a request waiting on the workers, or NULL. */
static struct sf_app_pending *pending_new(struct app *a, unsigned int kind)
{
	for (unsigned int i = 0; i < SF_APP_PENDING_MAX; i++) {
		struct sf_app_pending *p = &a->pending[i];

		if (p->msgs != NULL)
			continue;
		p->msgs = rte_zmalloc("sf_ctl_msgs", sizeof(p->msgs[0]) * a->nb_workers, 0);
		if (p->msgs == NULL)
			return NULL;
		p->kind = kind;
		p->internal = false;
		p->nb_msgs = a->nb_workers;
		p->waiting = 0;
		p->old_conf = NULL;
		p->request = NULL;
		return p;
	}
	return NULL;
}

static void pending_free(struct sf_app_pending *p)
{
	for (unsigned int i = 0; i < p->nb_msgs; i++) {
		rte_free(p->msgs[i].snap);
		rte_free(p->msgs[i].be);
	}
	rte_free(p->msgs);
	p->msgs = NULL;
	json_decref(p->request);
	p->request = NULL;
}

/* Send one message to every worker; the reply is deferred. */
static int pending_send(struct app *a, struct sf_app_pending *p, struct sf_ctl_err *err)
{
	p->ticket = p->internal ? 0 : sf_ctl_defer(a->ctl);
	if (p->ticket == 0 && !p->internal) {
		pending_free(p);
		return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "cannot defer the reply");
	}
	for (unsigned int i = 0; i < a->nb_workers; i++) {
		p->msgs[i].type = p->kind;
		p->msgs[i].pending = (unsigned int)(p - a->pending);
		if (rte_ring_sp_enqueue(a->workers[i].ctl_in, &p->msgs[i]) == 0)
			p->waiting++;
	}
	return SF_CTL_DEFERRED;
}

/* -------------------------------------------------------------- stats */

static json_t *counters_json(const struct sf_stats_lcore *s)
{
	json_t *o = json_object();

	for (unsigned int id = 0; id < SF_STAT_MAX; id++)
		json_object_set_new(o, sf_stats_name(id), json_integer((json_int_t)s->v[id]));
	return o;
}

static json_t *gauges_json(struct app *a)
{
	json_t *g = json_object(), *states = json_object();
	uint64_t total = 0, inuse = 0, cap = 0;

	for (unsigned int st = SF_CONN_SYN_SENT; st < SF_CONN_STATE_MAX; st++) {
		uint64_t n = 0;

		for (unsigned int i = 0; i < a->nb_workers; i++)
			n += __atomic_load_n(&a->workers[i].splice.nb_state[st], __ATOMIC_RELAXED);
		json_object_set_new(states, sf_conn_state_name(st), json_integer((json_int_t)n));
		total += n;
	}
	for (unsigned int i = 0; i < a->nb_workers; i++)
		cap += a->conf_cur->limits.connections_per_lcore;
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (a->pools[s] != NULL)
			inuse += rte_mempool_in_use_count(a->pools[s]);
	json_object_set_new(g, "connections", json_integer((json_int_t)total));
	json_object_set_new(g, "connections_capacity", json_integer((json_int_t)cap));
	json_object_set_new(g, "states", states);
	json_object_set_new(g, "mbufs_in_use", json_integer((json_int_t)inuse));
	return g;
}

/* The device's extended counters, by the names the PMD gives them. */
static json_t *xstats_json(uint16_t port_id)
{
	int n = rte_eth_xstats_get_names(port_id, NULL, 0);
	json_t *o = json_object();
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *vals;

	if (n <= 0)
		return o;
	names = calloc((size_t)n, sizeof(*names));
	vals = calloc((size_t)n, sizeof(*vals));
	if (names != NULL && vals != NULL && rte_eth_xstats_get_names(port_id, names, (unsigned int)n) == n &&
	    rte_eth_xstats_get(port_id, vals, (unsigned int)n) == n)
		for (int i = 0; i < n; i++)
			json_object_set_new(o, names[vals[i].id].name, json_integer((json_int_t)vals[i].value));
	free(names);
	free(vals);
	return o;
}

static json_t *ports_json(struct app *a)
{
	json_t *arr = json_array();

	for (uint16_t p = 0; p < a->conf_cur->nb_ports; p++) {
		struct rte_eth_stats es;
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(a->conf_cur->ports[p].name));
		json_object_set_new(o, "device", json_string(a->conf_cur->ports[p].device));
		if (rte_eth_stats_get(a->ports[p].port_id, &es) == 0) {
			json_object_set_new(o, "ipackets", json_integer((json_int_t)es.ipackets));
			json_object_set_new(o, "opackets", json_integer((json_int_t)es.opackets));
			json_object_set_new(o, "ibytes", json_integer((json_int_t)es.ibytes));
			json_object_set_new(o, "obytes", json_integer((json_int_t)es.obytes));
			json_object_set_new(o, "imissed", json_integer((json_int_t)es.imissed));
			json_object_set_new(o, "ierrors", json_integer((json_int_t)es.ierrors));
			json_object_set_new(o, "oerrors", json_integer((json_int_t)es.oerrors));
			json_object_set_new(o, "rx_nombuf", json_integer((json_int_t)es.rx_nombuf));
		}
		json_object_set_new(o, "xstats", xstats_json(a->ports[p].port_id));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *services_json(struct app *a, const struct sf_app_pending *p)
{
	const struct sf_conf *conf = a->conf_cur;
	json_t *arr = json_array();

	for (uint16_t s = 0; s < conf->nb_services; s++) {
		const struct sf_conf_service *cs = &conf->services[s];
		json_t *o = json_object(), *bes = json_array();

		json_object_set_new(o, "name", json_string(cs->name));
		json_object_set_new(o, "listen", ipv4_port(cs->vip, cs->vport));
#define SF_APP_X_SVC(n, d) { \
			uint64_t t = 0; \
			for (unsigned int w = 0; p != NULL && w < a->nb_workers; w++) \
				t += p->msgs[w].svc[s].n; \
			json_object_set_new(o, #n, json_integer((json_int_t)t)); \
		}
		SF_SPLICE_SVC_STATS_LIST(SF_APP_X_SVC)
#undef SF_APP_X_SVC
		for (uint16_t b = 0; b < cs->nb_backends; b++) {
			uint64_t active = 0, conns = 0, failed = 0;
			unsigned int down = 0;
			json_t *bo = json_object();

			for (unsigned int w = 0; p != NULL && w < a->nb_workers; w++) {
				const struct sf_worker_backend_stats *bs = &p->msgs[w].be[s][b];

				active += bs->active;
				conns += bs->conns;
				failed += bs->connect_failed;
				down += bs->down;
			}
			json_object_set_new(bo, "address", ipv4_port(cs->backends[b].addr, cs->backends[b].port));
			json_object_set_new(bo, "weight", json_integer(cs->backends[b].weight));
			json_object_set_new(bo, "state", json_string(cs->backends[b].weight == 0 ? "drained" :
					down != 0 ? "down" : "up"));
			json_object_set_new(bo, "active", json_integer((json_int_t)active));
			json_object_set_new(bo, "total", json_integer((json_int_t)conns));
			json_object_set_new(bo, "connect_failed", json_integer((json_int_t)failed));
			json_array_append_new(bes, bo);
		}
		json_object_set_new(o, "backends", bes);
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *stats_json(struct app *a, bool per_lcore, const struct sf_app_pending *p)
{
	struct sf_stats_lcore total;
	json_t *r = json_object();

	sf_stats_sum(&total);
	json_object_set_new(r, "total", counters_json(&total));
	if (per_lcore) {
		json_t *lc = json_object();

		for (unsigned int i = 0; i < a->nb_workers; i++) {
			struct sf_stats_lcore one;
			char id[16];

			for (unsigned int c = 0; c < SF_STAT_MAX; c++)
				one.v[c] = sf_stats_read(a->workers[i].lcore_id, c);
			snprintf(id, sizeof(id), "%u", a->workers[i].lcore_id);
			json_object_set_new(lc, id, counters_json(&one));
		}
		json_object_set_new(r, "lcores", lc);
	}
	json_object_set_new(r, "gauges", gauges_json(a));
	json_object_set_new(r, "ports", ports_json(a));
	json_object_set_new(r, "services", services_json(a, p));
	json_object_set_new(r, "uptime_ms", json_integer((json_int_t)(sf_cookie_now_ms() - a->started_ms)));
	return r;
}

static int stats_request(struct app *a, bool per_lcore, bool internal, struct sf_ctl_err *err)
{
	struct sf_app_pending *p = pending_new(a, SF_WORKER_MSG_STATS);

	if (p == NULL)
		return sf_ctl_err_set(err, SF_CTL_E_BUSY, "too many requests waiting on the workers");
	p->internal = internal;
	p->request = json_pack("{s:b}", "per_lcore", per_lcore);
	for (unsigned int i = 0; i < a->nb_workers; i++) {
		p->msgs[i].be = rte_zmalloc("sf_ctl_be", sizeof(*p->msgs[i].be) * SF_CONF_MAX_SERVICES, 0);
		if (p->msgs[i].be == NULL) {
			pending_free(p);
			return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "out of memory");
		}
	}
	return pending_send(a, p, err);
}

int sf_app_stats_refresh(struct app *a)
{
	struct sf_ctl_err err;

	for (unsigned int i = 0; i < SF_APP_PENDING_MAX; i++)
		if (a->pending[i].msgs != NULL && a->pending[i].internal)
			return -EBUSY;
	return stats_request(a, true, true, &err) == SF_CTL_DEFERRED ? 0 : -ENOMEM;
}

static const struct sf_ctl_arg stats_args[] = {
	{"per_lcore", SF_CTL_ARG_BOOLEAN, false, 0, 0},
	{NULL, 0, false, 0, 0},
};

static int cmd_stats(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	(void)result;
	return stats_request(arg, json_is_true(json_object_get(args, "per_lcore")), false, err);
}

/* -------------------------------------------------------------- conns */

static const struct sf_ctl_arg conns_args[] = {
	{"state", SF_CTL_ARG_STRING, false, 0, 0},
	{"service", SF_CTL_ARG_STRING, false, 0, 0},
	{"backend", SF_CTL_ARG_STRING, false, 0, 0},
	{"client", SF_CTL_ARG_STRING, false, 0, 0},
	{"limit", SF_CTL_ARG_INTEGER, false, 1, 100000},
	{NULL, 0, false, 0, 0},
};

static int cmd_conns(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	struct app *a = arg;
	struct sf_splice_conn_filter f = {.state = 0xff, .svc = 0xffff};
	const char *state = json_string_value(json_object_get(args, "state"));
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *be = json_string_value(json_object_get(args, "backend"));
	const char *client = json_string_value(json_object_get(args, "client"));
	json_t *lim = json_object_get(args, "limit");
	uint32_t limit = lim != NULL ? (uint32_t)json_integer_value(lim) : 100;
	struct sf_app_pending *p;

	(void)result;
	if (state != NULL) {
		for (unsigned int st = SF_CONN_SYN_SENT; st < SF_CONN_STATE_MAX; st++)
			if (strcasecmp(state, sf_conn_state_name(st)) == 0)
				f.state = (uint8_t)st;
		if (f.state == 0xff)
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"argument \"state\": unknown state \"%s\" (SYN_SENT, ESTABLISHED, "
					"FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK, TIME_WAIT)", state);
	}
	if (svc != NULL) {
		int s = service_find(a->conf_cur, svc);

		if (s < 0)
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"argument \"service\": no service \"%s\"", svc);
		f.svc = (uint16_t)s;
	}
	if (be != NULL && parse_ip_port(be, &f.b_addr, &f.b_port) != 0)
		return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
				"argument \"backend\": \"%s\" is not ip:port", be);
	if (client != NULL) {
		char ip[20];
		const char *slash = strchr(client, '/');
		unsigned long len = 32;
		size_t n = slash ? (size_t)(slash - client) : strlen(client);

		if (slash != NULL) {
			char *end;

			len = strtoul(slash + 1, &end, 10);
			if (*end != '\0' || slash[1] == '\0' || len > 32)
				n = sizeof(ip);
		}
		if (n >= sizeof(ip))
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"argument \"client\": \"%s\" is not an IPv4 address or prefix", client);
		memcpy(ip, client, n);
		ip[n] = '\0';
		if (inet_pton(AF_INET, ip, &f.c_net) != 1)
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"argument \"client\": \"%s\" is not an IPv4 address or prefix", client);
		f.c_mask = len == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - len));
		f.c_net &= f.c_mask;
	}
	p = pending_new(a, SF_WORKER_MSG_CONNS);
	if (p == NULL)
		return sf_ctl_err_set(err, SF_CTL_E_BUSY, "too many requests waiting on the workers");
	p->request = json_pack("{s:i}", "limit", (json_int_t)limit);
	for (unsigned int i = 0; i < a->nb_workers; i++) {
		p->msgs[i].filter = f;
		p->msgs[i].limit = limit;
		p->msgs[i].snap = rte_malloc("sf_ctl_snap", sizeof(*p->msgs[i].snap) * limit, 0);
		if (p->msgs[i].snap == NULL) {
			pending_free(p);
			return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "out of memory for %u entries", limit);
		}
	}
	return pending_send(a, p, err);
}

static json_t *conns_json(struct app *a, const struct sf_app_pending *p)
{
	uint32_t limit = (uint32_t)json_integer_value(json_object_get(p->request, "limit"));
	json_t *r = json_object(), *arr = json_array();
	uint64_t matched = 0;

	for (unsigned int w = 0; w < a->nb_workers; w++) {
		const struct sf_worker_msg *m = &p->msgs[w];

		matched += m->matched;
		for (uint32_t i = 0; i < RTE_MIN(m->matched, m->limit); i++) {
			const struct sf_splice_conn_snap *c = &m->snap[i];
			json_t *o;

			if (json_array_size(arr) >= limit)
				break;
			o = json_object();
			json_object_set_new(o, "client", ipv4_port(c->c_addr, c->c_port));
			json_object_set_new(o, "service", json_string(a->conf_cur->services[c->svc].name));
			json_object_set_new(o, "vip", ipv4_port(c->vip, c->vport));
			json_object_set_new(o, "source", ipv4_port(c->s_addr, c->s_port));
			json_object_set_new(o, "backend", ipv4_port(c->b_addr, c->b_port));
			json_object_set_new(o, "state", json_string(sf_conn_state_name(c->state)));
			json_object_set_new(o, "lcore", json_integer(a->workers[c->worker].lcore_id));
			json_object_set_new(o, "idle_ms", json_integer(c->idle_ms));
			json_object_set_new(o, "timestamps", json_boolean(c->flags & SF_CONN_F_TS_B));
			json_object_set_new(o, "sack", json_boolean(c->flags & SF_CONN_F_SACK_B));
			json_object_set_new(o, "window_scaling", json_boolean(c->flags & SF_CONN_F_WS_B));
			json_array_append_new(arr, o);
		}
	}
	json_object_set_new(r, "matched", json_integer((json_int_t)matched));
	json_object_set_new(r, "connections", arr);
	return r;
}

/* ------------------------------------------------- configuration changes */

/* Re-validate the effective configuration with a change; apply it as a new generation. */
static int conf_change(struct app *a, json_t *candidate, struct sf_ctl_err *err)
{
	static struct sf_conf_errors errs;
	struct sf_app_pending *p;
	struct sf_conf *nc;
	char *text = json_dumps(candidate, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int ret;

	if (text == NULL) {
		json_decref(candidate);
		return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "cannot encode the configuration");
	}
	nc = rte_zmalloc("sf_conf", sizeof(*nc), 0);
	if (nc == NULL) {
		free(text);
		json_decref(candidate);
		return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "out of memory");
	}
	ret = sf_conf_parse(text, strlen(text), nc, &errs);
	free(text);
	if (ret != 0) {
		char msg[SF_CTL_ERR_MSG_MAX];
		size_t off = 0;

		for (unsigned int i = 0; i < errs.stored && off < sizeof(msg) - 1; i++)
			off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s%s: %s", i ? "; " : "",
					errs.e[i].path, errs.e[i].message);
		rte_free(nc);
		json_decref(candidate);
		return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT, "%s", msg);
	}
	p = pending_new(a, SF_WORKER_MSG_APPLY);
	if (p == NULL) {
		rte_free(nc);
		json_decref(candidate);
		return sf_ctl_err_set(err, SF_CTL_E_BUSY, "too many requests waiting on the workers");
	}
	for (unsigned int i = 0; i < a->nb_workers; i++)
		p->msgs[i].conf = nc;
	p->old_conf = a->conf_cur == &a->conf ? NULL : a->conf_cur;
	a->conf_cur = nc;
	a->conf_gen++;
	json_decref(a->conf_json);
	a->conf_json = candidate;
	sf_log_set_level((uint32_t)nc->log.level);
	SF_LOG(app, NOTICE, "configuration generation %u applied", a->conf_gen);
	return pending_send(a, p, err);
}

/* Keys that may change while running, as "section.key". */
static const char *const tunables[] = {
	"tcp.syn_retries", "tcp.rto_initial_ms", "tcp.rto_max_ms", "tcp.msl_ms",
	"tcp.fin_wait2_timeout_ms", "tcp.idle_timeout_ms", "tcp.half_open_timeout_ms",
	"tcp.orphan_retries", "tcp.time_wait_reuse", "cookies.invalid_action",
	"cookies.no_service_action", "log.level",
};

static json_t *tunables_json(struct app *a)
{
	const struct sf_conf *c = a->conf_cur;

	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:s, s:s, s:s}",
			"tcp.syn_retries", (json_int_t)c->tcp.syn_retries,
			"tcp.rto_initial_ms", (json_int_t)c->tcp.rto_initial_ms,
			"tcp.rto_max_ms", (json_int_t)c->tcp.rto_max_ms,
			"tcp.msl_ms", (json_int_t)c->tcp.msl_ms,
			"tcp.fin_wait2_timeout_ms", (json_int_t)c->tcp.fin_wait2_timeout_ms,
			"tcp.idle_timeout_ms", (json_int_t)c->tcp.idle_timeout_ms,
			"tcp.half_open_timeout_ms", (json_int_t)c->tcp.half_open_timeout_ms,
			"tcp.orphan_retries", (json_int_t)c->tcp.orphan_retries,
			"tcp.time_wait_reuse", (int)c->tcp.time_wait_reuse,
			"cookies.invalid_action", sf_conf_action_str(c->cookies.invalid_action),
			"cookies.no_service_action", sf_conf_action_str(c->cookies.no_service_action),
			"log.level", sf_conf_log_level_str(c->log.level));
}

static int cmd_tunables_get(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	(void)args;
	(void)err;
	*result = tunables_json(arg);
	return 0;
}

static int cmd_tunables_set(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	struct app *a = arg;
	json_t *cand, *value;
	const char *key;

	(void)result;
	if (json_object_size(args) == 0)
		return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
				"give one or more tunables, e.g. {\"tcp.msl_ms\": 1000}; see tunables.get");
	cand = json_deep_copy(a->conf_json);
	json_object_foreach((json_t *)args, key, value) {
		char section[32];
		const char *dot = strchr(key, '.');
		bool known = false;
		json_t *sec;

		for (unsigned int i = 0; i < RTE_DIM(tunables); i++)
			known |= strcmp(key, tunables[i]) == 0;
		if (!known || dot == NULL || (size_t)(dot - key) >= sizeof(section)) {
			json_decref(cand);
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"\"%s\" cannot change at runtime (tunables: see tunables.get; "
					"other keys need a restart)", key);
		}
		memcpy(section, key, (size_t)(dot - key));
		section[dot - key] = '\0';
		sec = json_object_get(cand, section);
		if (sec == NULL) {
			sec = json_object();
			json_object_set_new(cand, section, sec);
		}
		json_object_set(sec, dot + 1, value);
	}
	return conf_change(a, cand, err);
}

static int cmd_config_get(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	struct app *a = arg;

	(void)args;
	(void)err;
	*result = json_pack("{s:i, s:O}", "generation", (json_int_t)a->conf_gen, "config", a->conf_json);
	return 0;
}

/* ------------------------------------------------------------ backends */

static const struct sf_ctl_arg backend_args[] = {
	{"service", SF_CTL_ARG_STRING, true, 0, 0},
	{"address", SF_CTL_ARG_STRING, true, 0, 0},
	{"weight", SF_CTL_ARG_INTEGER, false, 0, 1000},
	{NULL, 0, false, 0, 0},
};

enum backend_op { BE_ADD, BE_REMOVE, BE_DRAIN, BE_UNDRAIN };

static int backend_op(struct app *a, const json_t *args, struct sf_ctl_err *err, enum backend_op op)
{
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *addr = json_string_value(json_object_get(args, "address"));
	json_t *w = json_object_get(args, "weight");
	json_t *cand, *bes, *svcs;
	int s = service_find(a->conf_cur, svc);
	size_t idx = SIZE_MAX, i;
	uint32_t ip;
	uint16_t port;

	if (s < 0)
		return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT, "argument \"service\": no service \"%s\"", svc);
	if (parse_ip_port(addr, &ip, &port) != 0)
		return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
				"argument \"address\": \"%s\" is not ip:port", addr);
	cand = json_deep_copy(a->conf_json);
	svcs = json_object_get(cand, "services");
	bes = json_object_get(json_array_get(svcs, (size_t)s), "backends");
	for (i = 0; i < json_array_size(bes); i++) {
		uint32_t bip;
		uint16_t bport;
		const char *ba = json_string_value(json_object_get(json_array_get(bes, i), "address"));

		if (ba != NULL && parse_ip_port(ba, &bip, &bport) == 0 && bip == ip && bport == port)
			idx = i;
	}
	if (op == BE_ADD) {
		if (idx != SIZE_MAX) {
			json_decref(cand);
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"service \"%s\" has backend %s already", svc, addr);
		}
		json_array_append_new(bes, json_pack("{s:s, s:I}", "address", addr, "weight",
				w != NULL ? json_integer_value(w) : (json_int_t)1));
		return conf_change(a, cand, err);
	}
	if (idx == SIZE_MAX) {
		json_decref(cand);
		return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT, "service \"%s\" has no backend %s",
				svc, addr);
	}
	if (op == BE_REMOVE) {
		json_array_remove(bes, idx);
	} else {
		json_int_t weight = op == BE_DRAIN ? 0 : w != NULL ? json_integer_value(w) : 1;

		json_object_set_new(json_array_get(bes, idx), "weight", json_integer(weight));
	}
	return conf_change(a, cand, err);
}

static int cmd_backend_add(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	(void)result;
	return backend_op(arg, args, err, BE_ADD);
}

static int cmd_backend_remove(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	(void)result;
	return backend_op(arg, args, err, BE_REMOVE);
}

static int cmd_backend_drain(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	(void)result;
	return backend_op(arg, args, err, BE_DRAIN);
}

static int cmd_backend_undrain(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	(void)result;
	return backend_op(arg, args, err, BE_UNDRAIN);
}

/* -------------------------------------------------------------- cookies */

static int cmd_cookie_rotate(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	int ret = sf_app_cookie_rotate(arg);

	(void)args;
	if (ret == -EBUSY)
		return sf_ctl_err_set(err, SF_CTL_E_BUSY,
				"the previous rotation's key does not mint yet; retry in a few seconds");
	if (ret != 0)
		return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "rotation failed: %s", strerror(-ret));
	*result = json_pack("{s:b}", "rotated", 1);
	return 0;
}

/* ----------------------------------------------------------- the replies */

void sf_app_replies_poll(struct app *a)
{
	struct sf_worker_msg *msg;

	while (rte_ring_sc_dequeue(a->replies, (void **)&msg) == 0) {
		struct sf_app_pending *p = &a->pending[msg->pending];
		json_t *result = NULL;

		if (p->msgs == NULL || --p->waiting != 0)
			continue;
		switch (p->kind) {
		case SF_WORKER_MSG_CONNS:
			result = conns_json(a, p);
			break;
		case SF_WORKER_MSG_STATS:
			result = stats_json(a, json_is_true(json_object_get(p->request, "per_lcore")), p);
			break;
		case SF_WORKER_MSG_APPLY:
			/* Every worker runs the new generation: the old one can go. */
			rte_free(p->old_conf);
			result = json_pack("{s:i, s:o}", "generation", (json_int_t)a->conf_gen,
					"tunables", tunables_json(a));
			break;
		}
		if (p->internal) {
			sf_app_http_publish(a, result);
			json_decref(result);
		} else {
			sf_ctl_complete(a->ctl, p->ticket, result, NULL);
		}
		pending_free(p);
	}
}

/* --------------------------------------------------------- registration */

int sf_app_commands_register(struct app *a)
{
	const struct sf_ctl_cmd cmds[] = {
		{"stats", "counters (total, per lcore), gauges, ports, services and backends",
			NULL, cmd_stats, a, stats_args},
		{"conns", "live connections, filtered by state, service, backend (ip:port) or client prefix",
			NULL, cmd_conns, a, conns_args},
		{"config.get", "the effective configuration (the file plus runtime changes)",
			NULL, cmd_config_get, a, sf_ctl_no_args},
		{"tunables.get", "the keys that can change at runtime, with their values",
			NULL, cmd_tunables_get, a, sf_ctl_no_args},
		{"tunables.set", "change tunables, e.g. {\"tcp.msl_ms\": 1000}: validated, then applied "
			"by every worker", "<tunable>: value, ...", cmd_tunables_set, a, NULL},
		{"backend.add", "add a backend to a service", NULL, cmd_backend_add, a, backend_args},
		{"backend.remove", "remove a backend (its connections stay until they close)",
			NULL, cmd_backend_remove, a, backend_args},
		{"backend.drain", "no new connections to a backend (weight 0)", NULL, cmd_backend_drain, a,
			backend_args},
		{"backend.undrain", "give a drained backend a weight again (default 1)", NULL,
			cmd_backend_undrain, a, backend_args},
		{"cookie.rotate", "rotate the SYN-cookie key now (hitless)", NULL, cmd_cookie_rotate, a,
			sf_ctl_no_args},
	};

	for (unsigned int i = 0; i < RTE_DIM(cmds); i++) {
		int ret = sf_ctl_register(a->ctl, &cmds[i]);

		if (ret != 0)
			return ret;
	}
	return 0;
}
