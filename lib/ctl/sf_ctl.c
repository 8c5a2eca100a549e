/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: one poll() loop on the main lcore, no threads, no
 * blocking call after sf_ctl_create().
 *
 * Each connection owns a slot with two buffers:
 *
 *   in   bytes read and not yet handled. It grows up to request_max_bytes + 1:
 *        holding that many bytes without a newline proves the line too long;
 *        the client gets request_too_large at once and the rest of the line is
 *        discarded as it arrives ("discarding"), so the connection stays usable.
 *   out  replies not yet written. A reply is appended whole; what send() does
 *        not take waits for POLLOUT. A client that lets more than
 *        output_max_bytes pile up (it sends but does not read) is closed.
 *
 * Lines are handled in order. A deferred request (sf_ctl_defer) holds the
 * lines behind it in the in buffer until its reply is queued, so replies
 * always leave in request order.
 *
 * A connection is closed when the client hangs up (after its last complete
 * request is answered and the replies are written), on a socket error, when it
 * exceeds the output bound, or when nothing moved in either direction for
 * idle_timeout_ms. Closing is decided while handling and done afterwards
 * ("doomed"), so no code path touches a freed slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>

#include "sf_ctl.h"
#include "sf_log.h"

RTE_LOG_REGISTER(sf_ctl_logtype, synfront.ctl, INFO);

#ifndef SF_VERSION
#define SF_VERSION "unknown"
#endif

#define CTL_NAME_MAX 64                 /* longest command name */
#define CTL_IN_INITIAL 4096             /* first size of a connection's in buffer */
#define CTL_OUT_MAX_DEFAULT (16u << 20) /* output_max_bytes when 0 */
#define CTL_ACCEPT_BURST 64             /* connections accepted per poll */
#define CTL_BACKLOG 128
#define CTL_WARN_INTERVAL_MS 10000      /* rate limit of warnings clients can cause */
#define CTL_ACCEPT_PAUSE_MS 100         /* pause of accept() when out of descriptors */

enum ctl_doom {
	CTL_LIVE = 0,
	CTL_DOOM_PEER,  /* hung up or socket error */
	CTL_DOOM_SLOW,  /* output bound exceeded */
	CTL_DOOM_IDLE,
};

struct ctl_client {
	int fd;                   /* -1: free slot */
	enum ctl_doom doom;
	bool eof;                 /* the client shut down its sending side */
	bool discarding;          /* dropping the rest of a too long line */
	bool in_process;          /* client_process() runs for it */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap;
	uint64_t last_ms;         /* last byte moved in either direction */
	uint64_t ticket;          /* deferred request waiting, 0: none */
	json_t *ticket_id;        /* its "id", NULL: none */
	uint64_t ticket_deadline;
};

struct ctl_cmd {
	char *name;
	char *help;
	char *args_help;
	sf_ctl_handler_t handler;
	void *arg;
	const struct sf_ctl_arg *args;
};

struct sf_ctl {
	int fd;
	dev_t dev;                /* identity of the socket file, removed only if unchanged */
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned int max_clients;
	uint32_t req_max;
	uint32_t idle_ms;
	size_t out_max;
	struct ctl_client *clients;     /* max_clients slots */
	struct pollfd *pfds;            /* listening socket + one per slot */
	unsigned int *pfd_slot;
	struct ctl_cmd *cmds;           /* sorted by name */
	unsigned int nb_cmds, cap_cmds;
	struct sf_ctl_stats st;
	struct ctl_client *running;     /* client whose handler runs, for sf_ctl_defer */
	const json_t *running_id;
	uint64_t running_ticket;        /* ticket sf_ctl_defer gave during this handler */
	uint64_t next_ticket;
	uint64_t warn_ms;
	uint64_t accept_resume_ms;      /* out of descriptors: accept nothing before this */
};

static const char *const err_names[SF_CTL_E_MAX] = {
#define SF_CTL_X_NAME(e, n, d) [SF_CTL_E_##e] = #n,
	SF_CTL_ERR_LIST(SF_CTL_X_NAME)
#undef SF_CTL_X_NAME
};

const struct sf_ctl_arg sf_ctl_no_args[] = {
	{NULL, SF_CTL_ARG_ANY, false, 0, 0},
};

static const char *const arg_type_names[] = {
	[SF_CTL_ARG_ANY] = "any",
	[SF_CTL_ARG_STRING] = "string",
	[SF_CTL_ARG_INTEGER] = "integer",
	[SF_CTL_ARG_NUMBER] = "number",
	[SF_CTL_ARG_BOOLEAN] = "boolean",
	[SF_CTL_ARG_OBJECT] = "object",
	[SF_CTL_ARG_ARRAY] = "array",
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Warnings a client can trigger: at most one per CTL_WARN_INTERVAL_MS. */
static bool warn_allowed(struct sf_ctl *c, uint64_t now)
{
	if (c->warn_ms != 0 && now - c->warn_ms < CTL_WARN_INTERVAL_MS)
		return false;
	c->warn_ms = now;
	return true;
}

/* ---- errors and argument checks ---- */

const char *sf_ctl_err_name(enum sf_ctl_errcode code)
{
	return (unsigned int)code < SF_CTL_E_MAX ? err_names[code] : err_names[SF_CTL_E_INTERNAL];
}

int sf_ctl_err_set(struct sf_ctl_err *err, enum sf_ctl_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = (unsigned int)code < SF_CTL_E_MAX ? code : SF_CTL_E_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
	default:
		return "null";
	}
}

static bool arg_type_ok(enum sf_ctl_arg_type t, const json_t *v)
{
	switch (t) {
	case SF_CTL_ARG_STRING:
		return json_is_string(v);
	case SF_CTL_ARG_INTEGER:
		return json_is_integer(v);
	case SF_CTL_ARG_NUMBER:
		return json_is_number(v);
	case SF_CTL_ARG_BOOLEAN:
		return json_is_boolean(v);
	case SF_CTL_ARG_OBJECT:
		return json_is_object(v);
	case SF_CTL_ARG_ARRAY:
		return json_is_array(v);
	case SF_CTL_ARG_ANY:
	default:
		return true;
	}
}

static const char *arg_type_name(enum sf_ctl_arg_type t)
{
	return (unsigned int)t < RTE_DIM(arg_type_names) ? arg_type_names[t] : "any";
}

int sf_ctl_args_describe(const struct sf_ctl_arg *spec, char *buf, size_t size)
{
	size_t len = 0;

	if (buf == NULL && size > 0)
		return -EINVAL;
	if (size > 0)
		buf[0] = '\0';
	for (const struct sf_ctl_arg *a = spec; a != NULL && a->name != NULL; a++) {
		char one[160];
		int n;

		if (a->type == SF_CTL_ARG_INTEGER && a->min < a->max)
			n = snprintf(one, sizeof(one), "%s%s%s: integer %lld..%lld",
					a == spec ? "" : ", ", a->name, a->required ? "" : "?",
					(long long)a->min, (long long)a->max);
		else
			n = snprintf(one, sizeof(one), "%s%s%s: %s", a == spec ? "" : ", ", a->name,
					a->required ? "" : "?", arg_type_name(a->type));
		if (n < 0)
			return -EINVAL;
		if ((size_t)n >= sizeof(one))
			n = sizeof(one) - 1;
		if (len + 1 < size) {
			size_t room = size - len - 1;

			memcpy(buf + len, one, (size_t)n < room ? (size_t)n : room);
			buf[len + ((size_t)n < room ? (size_t)n : room)] = '\0';
		}
		len += (size_t)n;
	}
	return (int)len;
}

int sf_ctl_args_check(const json_t *args, const struct sf_ctl_arg *spec, struct sf_ctl_err *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(args))
		return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT, "args must be an object");
	json_object_foreach((json_t *)args, key, v) {
		const struct sf_ctl_arg *a = spec;

		while (a != NULL && a->name != NULL && strcmp(a->name, key) != 0)
			a++;
		if (a == NULL || a->name == NULL) {
			char accepted[SF_CTL_ERR_MSG_MAX / 2];

			if (spec == NULL || spec->name == NULL)
				return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
						"unknown argument \"%.64s\": the command takes no arguments", key);
			sf_ctl_args_describe(spec, accepted, sizeof(accepted));
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"unknown argument \"%.64s\" (accepted: %s)", key, accepted);
		}
		if (!arg_type_ok(a->type, v))
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"argument \"%s\" must be of type %s, not %s", a->name,
					arg_type_name(a->type), json_type_name(v));
		if (a->type == SF_CTL_ARG_INTEGER && a->min < a->max &&
				(json_integer_value(v) < a->min || json_integer_value(v) > a->max))
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"argument \"%s\" is %" JSON_INTEGER_FORMAT ", out of range %lld..%lld",
					a->name, json_integer_value(v), (long long)a->min, (long long)a->max);
	}
	for (const struct sf_ctl_arg *a = spec; a != NULL && a->name != NULL; a++)
		if (a->required && json_object_get(args, a->name) == NULL)
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"argument \"%s\" is required", a->name);
	return 0;
}

/* ---- command registry ---- */

static bool cmd_name_valid(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p != '\0'; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				*p == '_' || *p == '.' || *p == '-'))
			return false;
	return n > 0 && n <= CTL_NAME_MAX;
}

/* Index of the command named name, or of where it would be inserted (*found false). */
static unsigned int cmd_find(const struct sf_ctl *c, const char *name, size_t len, bool *found)
{
	unsigned int lo = 0, hi = c->nb_cmds;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const char *m = c->cmds[mid].name;
		int d = strncmp(m, name, len);

		if (d == 0 && m[len] != '\0')
			d = 1;
		if (d == 0) {
			*found = true;
			return mid;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void cmd_release(struct ctl_cmd *k)
{
	free(k->name);
	free(k->help);
	free(k->args_help);
}

int sf_ctl_register(struct sf_ctl *c, const struct sf_ctl_cmd *cmd)
{
	struct ctl_cmd k = {0};
	char described[512];
	unsigned int at;
	bool found;

	if (c == NULL || cmd == NULL || cmd->name == NULL || !cmd_name_valid(cmd->name) ||
			cmd->help == NULL || cmd->handler == NULL)
		return -EINVAL;
	at = cmd_find(c, cmd->name, strlen(cmd->name), &found);
	if (found)
		return -EEXIST;
	if (c->nb_cmds == c->cap_cmds) {
		unsigned int cap = c->cap_cmds ? c->cap_cmds * 2 : 16;
		struct ctl_cmd *n = realloc(c->cmds, sizeof(*n) * cap);

		if (n == NULL)
			return -ENOMEM;
		c->cmds = n;
		c->cap_cmds = cap;
	}
	if (cmd->args_help == NULL)
		sf_ctl_args_describe(cmd->args, described, sizeof(described));
	k.name = strdup(cmd->name);
	k.help = strdup(cmd->help);
	k.args_help = strdup(cmd->args_help != NULL ? cmd->args_help : described);
	k.handler = cmd->handler;
	k.arg = cmd->arg;
	k.args = cmd->args;
	if (k.name == NULL || k.help == NULL || k.args_help == NULL) {
		cmd_release(&k);
		return -ENOMEM;
	}
	memmove(&c->cmds[at + 1], &c->cmds[at], sizeof(*c->cmds) * (c->nb_cmds - at));
	c->cmds[at] = k;
	c->nb_cmds++;
	SF_LOG(ctl, DEBUG, "command \"%s\" registered", k.name);
	return 0;
}

/* ---- built-in commands ---- */

static json_t *cmd_describe(const struct ctl_cmd *k)
{
	return json_pack("{s:s, s:s, s:s}", "name", k->name, "help", k->help, "args", k->args_help);
}

static const struct sf_ctl_arg help_args[] = {
	{"command", SF_CTL_ARG_STRING, false, 0, 0},
	{NULL, 0, false, 0, 0},
};

static int cmd_help(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	struct sf_ctl *c = arg;
	const json_t *one = json_object_get(args, "command");
	json_t *list = json_array();

	if (list == NULL)
		return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "out of memory");
	if (one != NULL) {
		bool found;
		unsigned int i = cmd_find(c, json_string_value(one), json_string_length(one), &found);

		if (!found) {
			json_decref(list);
			return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT,
					"argument \"command\": no command \"%.64s\"", json_string_value(one));
		}
		json_array_append_new(list, cmd_describe(&c->cmds[i]));
	} else {
		for (unsigned int i = 0; i < c->nb_cmds; i++)
			json_array_append_new(list, cmd_describe(&c->cmds[i]));
	}
	*result = list;
	return 0;
}

static int cmd_version(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	*result = json_pack("{s:s, s:s}", "name", "synfront", "version", SF_VERSION);
	return *result != NULL ? 0 : sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "out of memory");
}

static int cmd_ctl_stats(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	struct sf_ctl_stats st;
	json_t *o = json_object(), *e = json_object();

	if (o == NULL || e == NULL) {
		json_decref(o);
		json_decref(e);
		return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "out of memory");
	}
	sf_ctl_stats_get(arg, &st);
#define SF_CTL_X_JSON(n, d) json_object_set_new(o, #n, json_integer((json_int_t)st.n));
	SF_CTL_STATS_LIST(SF_CTL_X_JSON)
#undef SF_CTL_X_JSON
	for (unsigned int i = 0; i < SF_CTL_E_MAX; i++)
		json_object_set_new(e, err_names[i], json_integer((json_int_t)st.errors[i]));
	json_object_set_new(o, "errors", e);
	json_object_set_new(o, "clients", json_integer(st.clients));
	json_object_set_new(o, "commands", json_integer(st.commands));
	*result = o;
	return 0;
}

/* ---- output ---- */

static void client_queue(struct sf_ctl *c, struct ctl_client *cl, const char *data, size_t len)
{
	size_t pending;

	if (cl->doom != CTL_LIVE)
		return;
	if (cl->out_off > 0) {
		memmove(cl->out, cl->out + cl->out_off, cl->out_len - cl->out_off);
		cl->out_len -= cl->out_off;
		cl->out_off = 0;
	}
	pending = cl->out_len;
	if (pending + len > c->out_max) {
		cl->doom = CTL_DOOM_SLOW;
		return;
	}
	if (pending + len > cl->out_cap) {
		size_t cap = cl->out_cap ? cl->out_cap : 4096;
		char *n;

		while (cap < pending + len)
			cap *= 2;
		n = realloc(cl->out, cap);
		if (n == NULL) {
			cl->doom = CTL_DOOM_PEER;
			return;
		}
		cl->out = n;
		cl->out_cap = cap;
	}
	memcpy(cl->out + cl->out_len, data, len);
	cl->out_len += len;
}

/*
 * Queue one reply: result (stolen) when err is NULL, the error otherwise.
 * id (borrowed) is echoed when not NULL.
 */
static void reply_send(struct sf_ctl *c, struct ctl_client *cl, const json_t *id,
		json_t *result, const struct sf_ctl_err *err)
{
	static const char oom[] = "{\"ok\":false,\"error\":{\"code\":\"internal\","
		"\"message\":\"out of memory\"}}\n";
	struct sf_ctl_err big;
	json_t *r;
	char *line = NULL;
	size_t len = 0;

	if (err != NULL) {
		json_decref(result);
		result = NULL;
		r = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code",
				sf_ctl_err_name(err->code), "message", err->message);
	} else {
		r = json_pack("{s:b, s:o}", "ok", 1, "result", result != NULL ? result : json_null());
	}
	if (r != NULL && id != NULL)
		json_object_set(r, "id", (json_t *)id);
	if (r != NULL)
		line = json_dumps(r, JSON_COMPACT);
	if (line != NULL)
		len = strlen(line);
	if (line != NULL && err == NULL && len + 1 > c->out_max) {
		/* One reply larger than a client may hold: answer with an error. */
		free(line);
		json_decref(r);
		sf_ctl_err_set(&big, SF_CTL_E_INTERNAL,
				"reply of %zu bytes exceeds the limit of %zu bytes; narrow the request",
				len + 1, c->out_max);
		reply_send(c, cl, id, NULL, &big);
		return;
	}
	json_decref(r);
	if (line == NULL) {
		c->st.replies_error++;
		c->st.errors[SF_CTL_E_INTERNAL]++;
		client_queue(c, cl, oom, sizeof(oom) - 1);
		return;
	}
	if (err != NULL) {
		c->st.replies_error++;
		c->st.errors[err->code < SF_CTL_E_MAX ? err->code : SF_CTL_E_INTERNAL]++;
		SF_LOG(ctl, DEBUG, "fd %d: %s: %s", cl->fd, sf_ctl_err_name(err->code), err->message);
	} else {
		c->st.replies_ok++;
	}
	line[len] = '\n';  /* the NUL becomes the line's end; it is not sent as a string */
	client_queue(c, cl, line, len + 1);
	free(line);
}

static void reply_error(struct sf_ctl *c, struct ctl_client *cl, const json_t *id,
		enum sf_ctl_errcode code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void reply_error(struct sf_ctl *c, struct ctl_client *cl, const json_t *id,
		enum sf_ctl_errcode code, const char *fmt, ...)
{
	struct sf_ctl_err err = {.code = code};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	reply_send(c, cl, id, NULL, &err);
}

/* ---- requests ---- */

static bool line_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static void request_run(struct sf_ctl *c, struct ctl_client *cl, const struct ctl_cmd *k,
		const json_t *args, const json_t *id)
{
	struct sf_ctl_err err = {.code = SF_CTL_E_MAX};
	json_t *result = NULL;
	int ret;

	if (k->args != NULL && sf_ctl_args_check(args, k->args, &err) != 0) {
		reply_send(c, cl, id, NULL, &err);
		return;
	}
	c->running = cl;
	c->running_id = id;
	c->running_ticket = 0;
	ret = k->handler(args, &result, &err, k->arg);
	c->running = NULL;
	c->running_id = NULL;
	if (ret == SF_CTL_DEFERRED && c->running_ticket != 0) {
		json_decref(result);
		return;
	}
	if (c->running_ticket != 0 && cl->ticket == c->running_ticket) {
		/* Deferred, yet answered now: the ticket is void. */
		cl->ticket = 0;
		json_decref(cl->ticket_id);
		cl->ticket_id = NULL;
	}
	if (ret == 0) {
		reply_send(c, cl, id, result, NULL);
		return;
	}
	json_decref(result);
	if (ret == SF_CTL_DEFERRED)
		sf_ctl_err_set(&err, SF_CTL_E_INTERNAL,
				"command \"%s\" deferred its reply without sf_ctl_defer()", k->name);
	else if (err.code == SF_CTL_E_MAX)
		sf_ctl_err_set(&err, SF_CTL_E_INTERNAL, "command \"%s\" failed", k->name);
	reply_send(c, cl, id, NULL, &err);
}

static void request_handle(struct sf_ctl *c, struct ctl_client *cl, const char *line, size_t len)
{
	json_error_t je;
	json_t *req, *id, *cmd, *args, *v;
	const struct ctl_cmd *k;
	const char *key;
	unsigned int at;
	bool found;

	if (line_blank(line, len))
		return;
	c->st.requests++;
	req = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (req == NULL) {
		reply_error(c, cl, NULL, SF_CTL_E_PARSE_ERROR, "invalid JSON at line %d, column %d: %s",
				je.line, je.column, je.text);
		return;
	}
	if (!json_is_object(req)) {
		reply_error(c, cl, NULL, SF_CTL_E_INVALID_REQUEST,
				"a request is a JSON object such as {\"cmd\":\"help\"}, not %s",
				json_type_name(req));
		goto out;
	}
	id = json_object_get(req, "id");
	if (id != NULL && !json_is_string(id) && !json_is_integer(id)) {
		reply_error(c, cl, NULL, SF_CTL_E_INVALID_REQUEST,
				"\"id\" must be a string or an integer, not %s", json_type_name(id));
		goto out;
	}
	json_object_foreach(req, key, v) {
		if (strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0 && strcmp(key, "id") != 0) {
			reply_error(c, cl, id, SF_CTL_E_INVALID_REQUEST,
					"unknown key \"%.64s\": a request has \"cmd\", \"args\" and \"id\"", key);
			goto out;
		}
	}
	cmd = json_object_get(req, "cmd");
	if (cmd == NULL) {
		reply_error(c, cl, id, SF_CTL_E_INVALID_REQUEST, "\"cmd\" is missing");
		goto out;
	}
	if (!json_is_string(cmd)) {
		reply_error(c, cl, id, SF_CTL_E_INVALID_REQUEST, "\"cmd\" must be a string, not %s",
				json_type_name(cmd));
		goto out;
	}
	args = json_object_get(req, "args");
	if (args != NULL && !json_is_object(args)) {
		reply_error(c, cl, id, SF_CTL_E_INVALID_REQUEST, "\"args\" must be an object, not %s",
				json_type_name(args));
		goto out;
	}
	at = cmd_find(c, json_string_value(cmd), json_string_length(cmd), &found);
	if (!found || strlen(json_string_value(cmd)) != json_string_length(cmd)) {
		reply_error(c, cl, id, SF_CTL_E_UNKNOWN_COMMAND,
				"unknown command \"%.64s\"; \"help\" lists the commands",
				json_string_value(cmd));
		goto out;
	}
	k = &c->cmds[at];
	SF_LOG(ctl, DEBUG, "fd %d: %s", cl->fd, k->name);
	if (args == NULL) {
		args = json_object();
		if (args == NULL) {
			reply_error(c, cl, id, SF_CTL_E_INTERNAL, "out of memory");
			goto out;
		}
		json_object_set_new(req, "args", args);
	}
	request_run(c, cl, k, args, id);
out:
	json_decref(req);
}

/*
 * Handle the complete lines buffered for a client, stopping at a deferred
 * request. At end of input, a last line without a newline is a request too.
 */
static void client_process(struct sf_ctl *c, struct ctl_client *cl)
{
	size_t start = 0;

	if (cl->in_process)
		return;
	cl->in_process = true;
	while (cl->ticket == 0 && cl->doom == CTL_LIVE && start < cl->in_len) {
		char *p = cl->in + start;
		char *nl = memchr(p, '\n', cl->in_len - start);
		size_t len;

		if (nl == NULL)
			break;
		len = (size_t)(nl - p);
		if (cl->discarding) {
			cl->discarding = false;
		} else if (len > c->req_max) {
			c->st.requests++;
			reply_error(c, cl, NULL, SF_CTL_E_REQUEST_TOO_LARGE,
					"request line of %zu bytes exceeds the limit of %u bytes", len, c->req_max);
		} else {
			request_handle(c, cl, p, len);
		}
		start += len + 1;
	}
	if (start > 0) {
		memmove(cl->in, cl->in + start, cl->in_len - start);
		cl->in_len -= start;
	}
	if (cl->ticket == 0 && cl->doom == CTL_LIVE) {
		if (cl->discarding) {
			cl->in_len = 0;
		} else if (cl->in_len > c->req_max) {
			c->st.requests++;
			reply_error(c, cl, NULL, SF_CTL_E_REQUEST_TOO_LARGE,
					"request line exceeds the limit of %u bytes", c->req_max);
			cl->discarding = true;
			cl->in_len = 0;
		} else if (cl->eof && cl->in_len > 0) {
			size_t len = cl->in_len;

			cl->in_len = 0;
			request_handle(c, cl, cl->in, len);
		}
	}
	cl->in_process = false;
}

/* ---- connections ---- */

static void client_close(struct sf_ctl *c, struct ctl_client *cl)
{
	switch (cl->doom) {
	case CTL_DOOM_IDLE:
		c->st.clients_closed_idle++;
		SF_LOG(ctl, DEBUG, "fd %d: closed after %u ms idle", cl->fd, c->idle_ms);
		break;
	case CTL_DOOM_SLOW:
		c->st.clients_closed_slow++;
		if (warn_allowed(c, now_ms()))
			SF_LOG(ctl, NOTICE, "closed a client that left over %zu bytes of replies unread",
					c->out_max);
		break;
	default:
		c->st.clients_closed++;
		SF_LOG(ctl, DEBUG, "fd %d: closed", cl->fd);
		break;
	}
	close(cl->fd);
	free(cl->in);
	free(cl->out);
	json_decref(cl->ticket_id);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	c->st.clients--;
}

static void client_flush(struct sf_ctl *c, struct ctl_client *cl, uint64_t now)
{
	while (cl->doom == CTL_LIVE && cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
				MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			cl->out_off += (size_t)n;
			c->st.bytes_out += (uint64_t)n;
			cl->last_ms = now;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			cl->doom = CTL_DOOM_PEER;
		}
	}
	if (cl->out_off == cl->out_len)
		cl->out_off = cl->out_len = 0;
}

static void client_read(struct sf_ctl *c, struct ctl_client *cl, uint64_t now)
{
	size_t want = (size_t)c->req_max + 1;
	ssize_t n;

	if (cl->in_len == cl->in_cap && cl->in_cap < want) {
		size_t cap = cl->in_cap ? cl->in_cap * 2 : CTL_IN_INITIAL;
		char *p;

		if (cap > want)
			cap = want;
		p = realloc(cl->in, cap);
		if (p == NULL) {
			cl->doom = CTL_DOOM_PEER;
			return;
		}
		cl->in = p;
		cl->in_cap = cap;
	}
	if (cl->in_len == cl->in_cap)
		return;
	n = recv(cl->fd, cl->in + cl->in_len, cl->in_cap - cl->in_len, MSG_DONTWAIT);
	if (n > 0) {
		cl->in_len += (size_t)n;
		c->st.bytes_in += (uint64_t)n;
		cl->last_ms = now;
	} else if (n == 0) {
		cl->eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		cl->doom = CTL_DOOM_PEER;
	}
}

/* After handling: write what can be written and close what must be closed. */
static void client_settle(struct sf_ctl *c, struct ctl_client *cl, uint64_t now)
{
	client_flush(c, cl, now);
	if (cl->doom == CTL_LIVE && cl->eof && cl->ticket == 0 && cl->out_len == 0)
		cl->doom = CTL_DOOM_PEER;
	if (cl->doom != CTL_LIVE)
		client_close(c, cl);
}

static void client_refuse(struct sf_ctl *c, int fd, uint64_t now)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "{\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":"
			"\"%u control connections are open (control.max_clients); try again later\"}}\n",
			c->max_clients);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		c->st.bytes_out += (uint64_t)n;
	close(fd);
	c->st.clients_refused++;
	c->st.errors[SF_CTL_E_BUSY]++;
	if (warn_allowed(c, now))
		SF_LOG(ctl, WARNING, "refusing control connections: %u are open (control.max_clients)",
				c->max_clients);
}

static void clients_accept(struct sf_ctl *c, uint64_t now)
{
	for (unsigned int burst = 0; burst < CTL_ACCEPT_BURST; burst++) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned int i;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* EMFILE and the like: the connection waits in the backlog; do not spin on it. */
			c->accept_resume_ms = now + CTL_ACCEPT_PAUSE_MS;
			if (warn_allowed(c, now))
				SF_LOG(ctl, WARNING, "accept on %s: %s", c->path, strerror(errno));
			return;
		}
		if (c->st.clients >= c->max_clients) {
			client_refuse(c, fd, now);
			continue;
		}
		for (i = 0; c->clients[i].fd >= 0; i++)
			;
		c->clients[i].fd = fd;
		c->clients[i].last_ms = now;
		c->st.clients++;
		c->st.clients_accepted++;
		SF_LOG(ctl, DEBUG, "fd %d: connected (%u open)", fd, c->st.clients);
	}
}

/* Close idle connections and time out deferred requests. */
static void clients_expire(struct sf_ctl *c, uint64_t now)
{
	for (unsigned int i = 0; i < c->max_clients; i++) {
		struct ctl_client *cl = &c->clients[i];

		if (cl->fd < 0)
			continue;
		if (cl->ticket != 0) {
			json_t *id = cl->ticket_id;

			if (now < cl->ticket_deadline)
				continue;
			cl->ticket = 0;
			cl->ticket_id = NULL;
			c->st.deferred_timeout++;
			reply_error(c, cl, id, SF_CTL_E_INTERNAL, "no answer within %u ms", c->idle_ms);
			json_decref(id);
			cl->last_ms = now;
			client_process(c, cl);
			client_settle(c, cl, now);
		} else if (now - cl->last_ms >= c->idle_ms) {
			cl->doom = CTL_DOOM_IDLE;
			client_close(c, cl);
		}
	}
}

int sf_ctl_poll(struct sf_ctl *c, int timeout_ms)
{
	uint64_t now;
	nfds_t n = 1;
	int wait = timeout_ms, ret;

	if (c == NULL)
		return -EINVAL;
	now = now_ms();
	c->pfds[0].fd = c->fd;
	c->pfds[0].events = POLLIN;
	c->pfds[0].revents = 0;
	if (now < c->accept_resume_ms) {
		c->pfds[0].fd = -1;
		if (wait < 0 || c->accept_resume_ms - now < (uint64_t)wait)
			wait = (int)(c->accept_resume_ms - now);
	}
	for (unsigned int i = 0; i < c->max_clients; i++) {
		struct ctl_client *cl = &c->clients[i];
		uint64_t deadline;
		short ev = 0;

		if (cl->fd < 0)
			continue;
		if (!cl->eof && (cl->in_len < cl->in_cap || cl->in_cap < (size_t)c->req_max + 1))
			ev |= POLLIN;
		if (cl->out_len > cl->out_off)
			ev |= POLLOUT;
		deadline = cl->ticket != 0 ? cl->ticket_deadline : cl->last_ms + c->idle_ms;
		if (deadline <= now)
			wait = 0;
		else if (wait < 0 || deadline - now < (uint64_t)wait)
			wait = (int)(deadline - now);
		/* Even with nothing wanted, POLLHUP tells that the client left. */
		c->pfds[n].fd = cl->fd;
		c->pfds[n].events = ev;
		c->pfds[n].revents = 0;
		c->pfd_slot[n] = i;
		n++;
	}
	ret = poll(c->pfds, n, wait);
	if (ret < 0)
		return -errno;
	now = now_ms();
	for (nfds_t k = 1; k < n; k++) {
		struct ctl_client *cl = &c->clients[c->pfd_slot[k]];
		short re = c->pfds[k].revents;

		if (re == 0 || cl->fd < 0)
			continue;
		if (re & (POLLHUP | POLLERR)) {
			/* Gone both ways (a half-closed client gets POLLIN only): nobody to answer. */
			cl->doom = CTL_DOOM_PEER;
		} else {
			if (re & POLLOUT)
				client_flush(c, cl, now);
			if (re & POLLIN)
				client_read(c, cl, now);
		}
		client_process(c, cl);
		client_settle(c, cl, now);
	}
	if (c->pfds[0].revents & POLLIN)
		clients_accept(c, now);
	clients_expire(c, now);
	return ret;
}

/* ---- deferred replies ---- */

uint64_t sf_ctl_defer(struct sf_ctl *c)
{
	struct ctl_client *cl;

	if (c == NULL || c->running == NULL) {
		rte_errno = EINVAL;
		return 0;
	}
	cl = c->running;
	if (c->running_ticket != 0) {
		rte_errno = EALREADY;
		return 0;
	}
	cl->ticket = ++c->next_ticket;
	cl->ticket_id = json_incref((json_t *)c->running_id);
	cl->ticket_deadline = now_ms() + c->idle_ms;
	c->running_ticket = cl->ticket;
	c->st.deferred++;
	return cl->ticket;
}

int sf_ctl_complete(struct sf_ctl *c, uint64_t ticket, json_t *result,
		const struct sf_ctl_err *err)
{
	struct ctl_client *cl = NULL;
	json_t *id;
	uint64_t now;

	if (c == NULL || ticket == 0) {
		json_decref(result);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < c->max_clients && cl == NULL; i++)
		if (c->clients[i].fd >= 0 && c->clients[i].ticket == ticket)
			cl = &c->clients[i];
	if (cl == NULL) {
		json_decref(result);
		return -ENOENT;
	}
	id = cl->ticket_id;
	cl->ticket = 0;
	cl->ticket_id = NULL;
	reply_send(c, cl, id, result, err);
	json_decref(id);
	now = now_ms();
	cl->last_ms = now;
	if (c->running == cl)
		return 0;  /* answered inside its own handler: the caller goes on */
	client_process(c, cl);
	if (!cl->in_process)
		client_settle(c, cl, now);
	return 0;
}

/* ---- life cycle ---- */

int sf_ctl_stats_get(const struct sf_ctl *c, struct sf_ctl_stats *st)
{
	if (c == NULL || st == NULL)
		return -EINVAL;
	*st = c->st;
	st->commands = c->nb_cmds;
	return 0;
}

const char *sf_ctl_path(const struct sf_ctl *c)
{
	return c != NULL ? c->path : NULL;
}

/* Create the missing directories above path, mode 0755. */
static int dirs_create(const char *path)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	for (slash = strchr(buf + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(buf, 0755) == 0) {
			if (chmod(buf, 0755) != 0)
				return -errno;
			SF_LOG(ctl, INFO, "created directory %s", buf);
		} else if (errno != EEXIST) {
			return -errno;
		}
		*slash = '/';
	}
	return 0;
}

/*
 * A file at the path: a socket nobody answers on is left over by a crashed
 * instance and removed; anything else is refused.
 */
static int stale_remove(const struct sockaddr_un *sa)
{
	struct stat sb;
	int fd, ret, e;

	if (lstat(sa->sun_path, &sb) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (ret == 0 || e == EAGAIN || e == EINPROGRESS)
		return -EADDRINUSE;
	if (e == ENOENT)
		return 0;
	if (e != ECONNREFUSED)
		return -e;
	if (unlink(sa->sun_path) != 0 && errno != ENOENT)
		return -errno;
	SF_LOG(ctl, NOTICE, "removed stale socket %s", sa->sun_path);
	return 0;
}

static int listen_open(struct sf_ctl *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat sb;
	mode_t old;
	int ret, e;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	ret = dirs_create(c->path);
	if (ret != 0) {
		SF_LOG(ctl, ERR, "directory of %s: %s", c->path, strerror(-ret));
		return ret;
	}
	ret = stale_remove(&sa);
	if (ret == -EADDRINUSE) {
		SF_LOG(ctl, ERR, "%s: another instance answers on this socket", c->path);
		return ret;
	} else if (ret == -EEXIST) {
		SF_LOG(ctl, ERR, "%s: exists and is not a socket; not removed", c->path);
		return ret;
	} else if (ret != 0) {
		SF_LOG(ctl, ERR, "%s: %s", c->path, strerror(-ret));
		return ret;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	old = umask(0177);
	ret = bind(c->fd, (const struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old);
	if (ret != 0) {
		SF_LOG(ctl, ERR, "bind %s: %s", c->path, strerror(e));
		return -e;
	}
	if (chmod(c->path, 0600) != 0 || lstat(c->path, &sb) != 0) {
		e = errno;
		unlink(c->path);
		return -e;
	}
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	if (listen(c->fd, CTL_BACKLOG) != 0) {
		e = errno;
		unlink(c->path);
		return -e;
	}
	return 0;
}

struct sf_ctl *sf_ctl_create(const struct sf_ctl_params *p)
{
	static const struct sf_ctl_cmd builtins[] = {
		{"help", "list the commands, or describe one", NULL, cmd_help, NULL, help_args},
		{"version", "name and version of the appliance", NULL, cmd_version, NULL,
			sf_ctl_no_args},
		{"ctl.stats", "counters of the control socket itself", NULL, cmd_ctl_stats, NULL,
			sf_ctl_no_args},
	};
	struct sf_ctl *c;
	int ret = -EINVAL;

	if (p == NULL || p->socket_path == NULL || p->socket_path[0] == '\0' ||
			p->max_clients == 0 || p->request_max_bytes < 64 || p->idle_timeout_ms == 0 ||
			p->idle_timeout_ms > INT_MAX)
		goto fail;
	if (strlen(p->socket_path) >= sizeof(c->path)) {
		ret = -ENAMETOOLONG;
		goto fail;
	}
	ret = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", p->socket_path);
	c->max_clients = p->max_clients;
	c->req_max = p->request_max_bytes;
	c->idle_ms = p->idle_timeout_ms;
	c->out_max = p->output_max_bytes != 0 ? p->output_max_bytes : CTL_OUT_MAX_DEFAULT;
	c->clients = calloc(c->max_clients, sizeof(*c->clients));
	c->pfds = calloc(c->max_clients + 1, sizeof(*c->pfds));
	c->pfd_slot = calloc(c->max_clients + 1, sizeof(*c->pfd_slot));
	if (c->clients == NULL || c->pfds == NULL || c->pfd_slot == NULL)
		goto fail_free;
	for (unsigned int i = 0; i < c->max_clients; i++)
		c->clients[i].fd = -1;
	for (unsigned int i = 0; i < RTE_DIM(builtins); i++) {
		struct sf_ctl_cmd b = builtins[i];

		b.arg = c;
		ret = sf_ctl_register(c, &b);
		if (ret != 0)
			goto fail_free;
	}
	ret = listen_open(c);
	if (ret != 0)
		goto fail_free;
	SF_LOG(ctl, INFO, "listening on %s (max %u clients, requests up to %u bytes)", c->path,
			c->max_clients, c->req_max);
	return c;

fail_free:
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->path[0] = '\0';
	sf_ctl_free(c);
fail:
	rte_errno = -ret;
	errno = -ret;
	return NULL;
}

void sf_ctl_free(struct sf_ctl *c)
{
	struct stat sb;

	if (c == NULL)
		return;
	for (unsigned int i = 0; c->clients != NULL && i < c->max_clients; i++)
		if (c->clients[i].fd >= 0) {
			c->clients[i].doom = CTL_DOOM_PEER;
			client_close(c, &c->clients[i]);
		}
	if (c->fd >= 0) {
		close(c->fd);
		if (lstat(c->path, &sb) == 0 && sb.st_dev == c->dev && sb.st_ino == c->ino)
			unlink(c->path);
		SF_LOG(ctl, INFO, "closed %s", c->path);
	}
	for (unsigned int i = 0; i < c->nb_cmds; i++)
		cmd_release(&c->cmds[i]);
	free(c->cmds);
	free(c->clients);
	free(c->pfds);
	free(c->pfd_slot);
	free(c);
}
