/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synfront: SYN-flood front proxy.
 *
 *   synfront [EAL options] -- -c FILE [--check]
 *
 * Start-up runs the module steps of one table in order and unwinds the ones
 * done in reverse on failure or at shutdown. The main lcore runs no packets:
 * it waits for a signal (and, in later versions, serves the control plane).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <rte_ring.h>

#include "sf_conf.h"
#include "sf_ctl.h"
#include "sf_cookie.h"
#include "sf_log.h"
#include "sf_splice.h"
#include "sf_stats.h"
#include "sf_steer.h"
#include "app.h"
#include "worker.h"

RTE_LOG_REGISTER(sf_app_logtype, synfront.app, INFO);


static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_signal = sig;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- -c FILE [--check]\n"
		"  -c, --config FILE   configuration (JSON, see docs/config.md)\n"
		"      --check         validate the configuration, print every problem, exit 0/1\n"
		"      --counters      list every counter with its meaning (markdown table) and exit\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n", prog);
}

/* Parse the application's own arguments (after "--"). @return 0, 1 to exit 0, -1 to exit 1. */
static int app_args(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"counters", no_argument, NULL, 'C'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->conf_file = optarg;
			break;
		case 'k':
			a->check_only = true;
			break;
		case 'C':
			printf("| counter | meaning |\n|---|---|\n");
			for (unsigned int id = 0; id < SF_STAT_MAX; id++)
				printf("| `%s` | %s |\n", sf_stats_name(id), sf_stats_desc(id));
			return 1;
		case 'V':
			printf("synfront %s\n", SF_VERSION);
			return 1;
		case 'h':
			usage(stdout, argv[0]);
			return 1;
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", argv[0], argv[optind]);
		return -1;
	}
	if (a->conf_file == NULL) {
		fprintf(stderr, "%s: -c FILE is required\n", argv[0]);
		usage(stderr, argv[0]);
		return -1;
	}
	return 0;
}

static int conf_load(struct app *a)
{
	static struct sf_conf_errors errs;
	int ret = sf_conf_load(a->conf_file, &a->conf, &errs);

	if (ret != 0) {
		sf_conf_errors_print(&errs, a->conf_file, stderr);
		fprintf(stderr, "%s: configuration refused (%u problem%s)\n", a->conf_file, errs.count,
				errs.count == 1 ? "" : "s");
		return -EINVAL;
	}
	a->conf_cur = &a->conf;
	return 0;
}

/* ---- start-up steps, unwound in reverse ---- */

static int step_pools_init(struct app *a)
{
	unsigned int lcore;
	bool need[RTE_MAX_NUMA_NODES] = {false};

	uint16_t mtu = RTE_ETHER_MTU, buf_size;

	/* One segment holds a whole frame of the largest MTU, VLAN tag included: the parser
	 * and the splice read headers and lengths from the first segment. */
	for (uint16_t i = 0; i < a->conf.nb_ports; i++)
		mtu = RTE_MAX(mtu, a->conf.ports[i].mtu);
	buf_size = (uint16_t)RTE_MAX((unsigned int)RTE_MBUF_DEFAULT_BUF_SIZE,
			(unsigned int)(RTE_PKTMBUF_HEADROOM + mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN +
				RTE_ETHER_CRC_LEN));
	RTE_LCORE_FOREACH_WORKER(lcore)
		need[rte_lcore_to_socket_id(lcore)] = true;
	for (uint16_t i = 0; i < a->conf.nb_ports; i++)
		need[a->ports[i].socket] = true;
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		char name[RTE_MEMPOOL_NAMESIZE];

		if (!need[s])
			continue;
		snprintf(name, sizeof(name), "sf_mbuf_%u", s);
		a->pools[s] = rte_pktmbuf_pool_create(name, a->conf.limits.mbufs,
				a->conf.limits.mbuf_cache, 0, buf_size, (int)s);
		if (a->pools[s] == NULL) {
			SF_LOG(app, ERR, "mbuf pool of %u on socket %u: %s (limits.mbufs; more memory: -m)",
					a->conf.limits.mbufs, s, rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
}

static void step_pools_term(struct app *a)
{
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(a->pools[s]);
		a->pools[s] = NULL;
	}
}

static int step_ports_find(struct app *a)
{
	return sf_steer_ports_find(&a->conf, a->ports);
}

static int step_ports_start(struct app *a)
{
	return sf_steer_ports_start(&a->conf, a->ports, (uint16_t)a->nb_workers, a->pools);
}

static void step_ports_stop(struct app *a)
{
	sf_steer_ports_stop(&a->conf, a->ports);
}

static int step_tables_init(struct app *a)
{
	a->tables = sf_splice_tables_create(&a->conf);
	return a->tables == NULL ? -rte_errno : 0;
}

static void step_tables_term(struct app *a)
{
	sf_splice_tables_free(a->tables);
	a->tables = NULL;
}

static int step_cookie_init(struct app *a)
{
	struct sf_cookie_params p = {
		.max_age_ms = a->conf.cookies.max_age_ms,
		.flags = a->conf.cookies.timestamps ? 0 : SF_COOKIE_F_NO_TS,
		.key_file = a->conf.cookies.key_file,
	};

	a->cookie = sf_cookie_ctx_create(&p);
	if (a->cookie == NULL) {
		SF_LOG(app, ERR, "cookies: %s%s%s", rte_strerror(rte_errno),
				p.key_file[0] ? " (cookies.key_file " : "", p.key_file[0] ? p.key_file : "");
		if (p.key_file[0])
			SF_LOG(app, ERR, "cookies.key_file must hold one key of 32 hex digits");
		return -rte_errno;
	}
	a->next_rotate_ms = sf_cookie_now_ms() + a->conf.cookies.rotate_interval_ms;
	return 0;
}

static void step_cookie_term(struct app *a)
{
	sf_cookie_ctx_free(a->cookie);
	a->cookie = NULL;
}

int sf_app_cookie_rotate(struct app *a)
{
	uint64_t now = sf_cookie_now_ms();
	int ret = sf_cookie_key_rotate(a->cookie, now);

	if (ret == 0) {
		a->next_rotate_ms = now + a->conf_cur->cookies.rotate_interval_ms;
		SF_LOG(app, NOTICE, "cookie key rotated");
	}
	return ret;
}

/* Main lcore, periodically: rotate the cookie key (hitless; see lib/cookie). */
static void cookie_tick(struct app *a)
{
	uint64_t now = sf_cookie_now_ms();
	int ret;

	if (got_hup) {
		/* SIGHUP: rotate now (and re-read cookies.key_file when one is configured). */
		got_hup = 0;
		a->next_rotate_ms = now;
		SF_LOG(app, NOTICE, "SIGHUP: rotating the cookie key");
	}
	if (now < a->next_rotate_ms)
		return;
	ret = sf_cookie_key_rotate(a->cookie, now);
	if (ret == -EBUSY) {
		a->next_rotate_ms = now + 1000;
		return;
	}
	if (ret != 0)
		SF_LOG(app, WARNING, "cookie key rotation failed: %s; the current key stays", strerror(-ret));
	a->next_rotate_ms = now + a->conf_cur->cookies.rotate_interval_ms;
}

static int step_workers_init(struct app *a)
{
	unsigned int lcore, i = 0;
	int ret;

	a->workers = rte_zmalloc("sf_workers", sizeof(*a->workers) * a->nb_workers, RTE_CACHE_LINE_SIZE);
	if (a->workers == NULL)
		return -ENOMEM;
	/* Answers to control messages: room for every message in flight. */
	a->replies = rte_ring_create("sf_ctl_replies",
			rte_align32pow2(SF_APP_PENDING_MAX * a->nb_workers + 1), SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (a->replies == NULL)
		return -rte_errno;
	/* Backend packets that land on another worker's queue reach their owner through these. */
	RTE_LCORE_FOREACH_WORKER(lcore) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "sf_handoff_%u", i);
		a->handoff[i] = rte_ring_create(name, 4096, (int)rte_lcore_to_socket_id(lcore),
				RING_F_SC_DEQ);
		if (a->handoff[i] == NULL)
			return -rte_errno;
		a->workers[i].ctl_out = a->replies;
		snprintf(name, sizeof(name), "sf_ctl_%u", i);
		a->workers[i].ctl_in = rte_ring_create(name, SF_APP_PENDING_MAX,
				(int)rte_lcore_to_socket_id(lcore), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (a->workers[i].ctl_in == NULL)
			return -rte_errno;
		i++;
	}
	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct sf_worker *w = &a->workers[i];

		w->lcore_id = lcore;
		w->index = i++;
		ret = sf_worker_setup(w, &a->conf, a->ports, a->pools[rte_lcore_to_socket_id(lcore)],
				a->tables, a->cookie, a->nb_workers, a->handoff);
		if (ret != 0) {
			SF_LOG(app, ERR, "worker %u: setup failed: %s", w->index, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void step_workers_term(struct app *a)
{
	if (a->workers == NULL)
		return;
	for (unsigned int i = 0; i < a->nb_workers; i++) {
		struct rte_mbuf *m;

		sf_worker_teardown(&a->workers[i]);
		while (a->handoff[i] != NULL && rte_ring_dequeue(a->handoff[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(a->handoff[i]);
		a->handoff[i] = NULL;
		rte_ring_free(a->workers[i].ctl_in);
	}
	rte_ring_free(a->replies);
	a->replies = NULL;
	rte_free(a->workers);
	a->workers = NULL;
}

static int step_workers_launch(struct app *a)
{
	sf_worker_quit = false;
	for (unsigned int i = 0; i < a->nb_workers; i++) {
		int ret = rte_eal_remote_launch(sf_worker_main, &a->workers[i], a->workers[i].lcore_id);

		if (ret != 0) {
			sf_worker_quit = true;
			rte_eal_mp_wait_lcore();
			return ret;
		}
	}
	a->launched = true;
	return 0;
}

static void step_workers_stop(struct app *a)
{
	sf_worker_quit = true;
	rte_eal_mp_wait_lcore();
	a->launched = false;
}

static int step_ctl_init(struct app *a)
{
	const struct sf_conf_control *cc = &a->conf.control;
	json_error_t jerr;
	int ret;

	a->conf_json = json_load_file(a->conf_file, JSON_REJECT_DUPLICATES, &jerr);
	if (a->conf_json == NULL) {
		SF_LOG(app, ERR, "%s: %s", a->conf_file, jerr.text);
		return -EINVAL;
	}
	a->ctl = sf_ctl_create(&(struct sf_ctl_params){
		.socket_path = cc->socket, .max_clients = cc->max_clients,
		.request_max_bytes = cc->request_max_bytes, .idle_timeout_ms = cc->idle_timeout_ms,
	});
	if (a->ctl == NULL) {
		ret = rte_errno ? rte_errno : errno;
		SF_LOG(app, ERR, "control socket %s: %s", cc->socket, strerror(ret));
		return -ret;
	}
	return sf_app_commands_register(a);
}

static int step_export_init(struct app *a)
{
	int ret = sf_app_telemetry_register(a);

	if (ret != 0) {
		SF_LOG(app, ERR, "cannot register the /synfront telemetry commands");
		return ret;
	}
	/* Lets dpdk-dumpcap capture the ports as a secondary process. */
	ret = rte_pdump_init();
	if (ret != 0)
		SF_LOG(app, WARNING, "packet capture unavailable: rte_pdump_init: %s",
				rte_strerror(rte_errno));
	return sf_app_http_start(a);
}

static void step_export_term(struct app *a)
{
	sf_app_http_stop(a);
	rte_pdump_uninit();
}

static void step_ctl_term(struct app *a)
{
	sf_ctl_free(a->ctl);
	a->ctl = NULL;
	json_decref(a->conf_json);
	a->conf_json = NULL;
	if (a->conf_cur != &a->conf)
		rte_free(a->conf_cur);
	a->conf_cur = &a->conf;
}

static bool requests_pending(const struct app *a)
{
	for (unsigned int i = 0; i < SF_APP_PENDING_MAX; i++)
		if (a->pending[i].msgs != NULL)
			return true;
	return false;
}

static const struct {
	const char *name;
	int (*init)(struct app *a);
	void (*term)(struct app *a);
} steps[] = {
	{"ports",   step_ports_find,     NULL},
	{"mempool", step_pools_init,     step_pools_term},
	{"tables",  step_tables_init,    step_tables_term},
	{"cookie",  step_cookie_init,    step_cookie_term},
	{"workers", step_workers_init,   step_workers_term},
	{"ethdev",  step_ports_start,    step_ports_stop},
	{"launch",  step_workers_launch, step_workers_stop},
	{"control", step_ctl_init,       step_ctl_term},
	{"export",  step_export_init,    step_export_term},
};

static void steps_unwind(struct app *a, int done)
{
	while (done-- > 0)
		if (steps[done].term != NULL)
			steps[done].term(a);
}

int main(int argc, char **argv)
{
	static struct app a;
	int sep, ret, done = 0;

	/* The application's arguments follow "--"; --check needs no EAL at all. */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep < argc) {
		argv[sep] = argv[0];
		ret = app_args(&a, argc - sep, &argv[sep]);
	} else {
		ret = app_args(&a, 1, argv);
	}
	if (ret != 0)
		return ret > 0 ? 0 : 1;
	if (conf_load(&a) != 0)
		return 1;
	if (a.check_only) {
		printf("%s: configuration valid (%u port%s, %u service%s)\n", a.conf_file,
				a.conf.nb_ports, a.conf.nb_ports == 1 ? "" : "s",
				a.conf.nb_services, a.conf.nb_services == 1 ? "" : "s");
		return 0;
	}

	ret = rte_eal_init(sep, argv);
	if (ret < 0) {
		fprintf(stderr, "synfront: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	sf_log_set_level((uint32_t)a.conf.log.level);
	a.nb_workers = rte_lcore_count() - 1;
	if (a.nb_workers == 0) {
		SF_LOG(app, ERR, "no worker lcore: give at least two lcores (e.g. -l 0,1); "
				"the main lcore runs no packets");
		rte_eal_cleanup();
		return 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	for (done = 0; done < (int)RTE_DIM(steps); done++) {
		ret = steps[done].init(&a);
		if (ret != 0) {
			SF_LOG(app, ERR, "start-up step \"%s\" failed: %s", steps[done].name,
					strerror(ret < 0 ? -ret : ret));
			break;
		}
	}
	if (done == (int)RTE_DIM(steps)) {
		SF_LOG(app, NOTICE, "ready: %u worker%s, %u port%s, %u service%s", a.nb_workers,
				a.nb_workers == 1 ? "" : "s", a.conf.nb_ports, a.conf.nb_ports == 1 ? "" : "s",
				a.conf.nb_services, a.conf.nb_services == 1 ? "" : "s");
		a.started_ms = sf_cookie_now_ms();
		while (!got_signal) {
			sf_ctl_poll(a.ctl, requests_pending(&a) ? 1 : 50);
			sf_app_replies_poll(&a);
			cookie_tick(&a);
			if (a.http != NULL && sf_cookie_now_ms() >= a.next_publish_ms) {
				a.next_publish_ms = sf_cookie_now_ms() + 1000;
				sf_app_stats_refresh(&a);
			}
		}
		SF_LOG(app, NOTICE, "signal %d: shutting down", (int)got_signal);
		ret = 0;
	}
	steps_unwind(&a, done);
	printf("synfront: final counters\n");
	sf_stats_print(stdout, 0);
	fflush(stdout);
	rte_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
