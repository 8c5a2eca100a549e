/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The application's state, shared by main.c (start-up, main loop) and
 * commands.c (the control commands the main lcore answers).
 */
#ifndef SF_APP_H
#define SF_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "sf_conf.h"
#include "sf_cookie.h"
#include "sf_ctl.h"
#include "sf_splice.h"
#include "sf_steer.h"
#include "worker.h"

/** A control request waiting for every worker's answer. */
struct sf_app_pending {
	uint64_t ticket;              /**< sf_ctl_defer() ticket */
	unsigned int waiting;         /**< workers yet to answer */
	unsigned int nb_msgs;
	struct sf_worker_msg *msgs;   /**< one per worker */
	struct sf_conf *old_conf;     /**< configuration generation to free once applied */
	json_t *request;              /**< what the handler needs to build the reply */
	unsigned int kind;            /**< enum sf_worker_msg_type */
	bool internal;                /**< no client waits: the result feeds the HTTP texts */
};

#define SF_APP_PENDING_MAX 16

struct app {
	const char *conf_file;
	bool check_only;
	struct sf_conf conf;          /**< the configuration loaded at start */
	struct sf_conf *conf_cur;     /**< the generation the workers run (starts as &conf) */
	json_t *conf_json;            /**< the effective configuration as JSON (file + runtime changes) */
	uint32_t conf_gen;
	unsigned int nb_workers;
	struct sf_worker *workers;
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	struct sf_steer_port ports[SF_CONF_MAX_PORTS];
	struct sf_splice_tables *tables;
	struct sf_cookie_ctx *cookie;
	struct rte_ring *handoff[RTE_MAX_LCORE];
	struct rte_ring *replies;     /**< workers' answers to control messages */
	struct sf_ctl *ctl;
	struct sf_app_pending pending[SF_APP_PENDING_MAX];
	struct MHD_Daemon *http;      /**< control.http_listen, NULL when off */
	uint64_t next_publish_ms;     /**< next refresh of the HTTP texts */
	uint64_t next_rotate_ms;
	uint64_t started_ms;
	bool launched;
};

/** Register every control command. @return 0 or -errno */
int sf_app_commands_register(struct app *a);

/** Collect the workers' answers and complete deferred requests (main loop). */
void sf_app_replies_poll(struct app *a);

/** Ask the workers for a full stats snapshot that refreshes the HTTP texts. @return 0 or -errno */
int sf_app_stats_refresh(struct app *a);

/** Register the /synfront/... rte_telemetry commands. @return 0 or -EINVAL */
int sf_app_telemetry_register(struct app *a);

/** Start the HTTP endpoint on control.http_listen (no-op when unset). @return 0 or -errno */
int sf_app_http_start(struct app *a);

/** Stop the HTTP endpoint. */
void sf_app_http_stop(struct app *a);

/** Render and publish /stats and /metrics from a stats result (main lcore). */
void sf_app_http_publish(struct app *a, const json_t *stats);

/** Rotate the cookie key now. @return 0 or -errno as sf_cookie_key_rotate() */
int sf_app_cookie_rotate(struct app *a);

#endif /* SF_APP_H */
