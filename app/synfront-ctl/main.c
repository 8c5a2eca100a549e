/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synfront-ctl: command-line client of the synfront control socket.
 *
 *   synfront-ctl [-s SOCKET] [--json] [--timeout MS] [--args JSON] COMMAND [ARG=VALUE ...]
 *   synfront-ctl [-s SOCKET] top [--interval MS] [--count N] [--counters LIST]
 *
 * Any COMMAND is sent as {"cmd":COMMAND,"args":{...}}; ARG=VALUE pairs become
 * args, VALUE typed as JSON when it is a JSON scalar (10, true, null, "10")
 * and a string otherwise. The reply's result is printed as aligned text, or as
 * JSON with --json. "top" polls "stats" and shows per-second rates per lcore.
 *
 * Exit status: 0 success; 1 the appliance answered with an error, or a usage
 * error; 2 the socket could not be reached or the connection failed.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define PROG "synfront-ctl"
#define DEFAULT_SOCKET "/run/synfront/synfront.sock"
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_TOP_COUNTERS \
	"syn_received,synack_sent,cookie_valid,cookie_invalid,conn_new,drops,rx_packets,tx_packets"
#define TOP_MAX_COLS 32

#ifndef SF_VERSION
#define SF_VERSION "unknown"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* error reply or usage */
	EXIT_CONN = 2,  /* socket unreachable, connection lost, no reply */
};

struct conn {
	const char *path;
	int fd;
	int timeout_ms;
	char *buf;       /* bytes received after the last reply line */
	size_t len, cap;
};

/* ---- connection ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int conn_open(struct conn *cn)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(cn->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, cn->path);
	cn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cn->fd < 0)
		return -errno;
	if (connect(cn->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(cn->fd);
		cn->fd = -1;
		return -e;
	}
	cn->len = 0;
	return 0;
}

static void conn_close(struct conn *cn)
{
	if (cn->fd >= 0)
		close(cn->fd);
	cn->fd = -1;
	cn->len = 0;
}

static void conn_fail(const struct conn *cn, const char *what, int err)
{
	const char *hint = "";

	if (err == ENOENT || err == ECONNREFUSED)
		hint = " (is synfront running? -s SOCKET or SYNFRONT_SOCKET give the path)";
	else if (err == EACCES || err == EPERM)
		hint = " (the socket is mode 0600: run as the user that runs synfront)";
	fprintf(stderr, PROG ": %s %s: %s%s\n", what, cn->path, strerror(err), hint);
}

/*
 * Send one request line and read one reply line.
 * @return 0 with *reply set, -ETIMEDOUT, -ECONNRESET (closed), -EPROTO (not JSON), -errno
 */
static int conn_call(struct conn *cn, const json_t *req, json_t **reply)
{
	char *line = json_dumps(req, JSON_COMPACT);
	size_t len, off = 0;
	uint64_t deadline = mono_ms() + (uint64_t)cn->timeout_ms;

	if (line == NULL)
		return -ENOMEM;
	len = strlen(line);
	line[len++] = '\n';
	while (off < len) {
		ssize_t n = send(cn->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(line);
			return e == EPIPE ? -ECONNRESET : -e;
		}
		off += (size_t)n;
	}
	free(line);
	for (;;) {
		char *nl = cn->len > 0 ? memchr(cn->buf, '\n', cn->len) : NULL;
		struct pollfd pfd = {.fd = cn->fd, .events = POLLIN};
		uint64_t now;
		ssize_t n;
		int r;

		if (nl != NULL) {
			size_t ll = (size_t)(nl - cn->buf);
			json_error_t je;

			*reply = json_loadb(cn->buf, ll, 0, &je);
			memmove(cn->buf, nl + 1, cn->len - ll - 1);
			cn->len -= ll + 1;
			return *reply != NULL && json_is_object(*reply) ? 0 : -EPROTO;
		}
		if (cn->len == cn->cap) {
			size_t cap = cn->cap ? cn->cap * 2 : 65536;
			char *p = realloc(cn->buf, cap);

			if (p == NULL)
				return -ENOMEM;
			cn->buf = p;
			cn->cap = cap;
		}
		now = mono_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(cn->fd, cn->buf + cn->len, cn->cap - cn->len, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		cn->len += (size_t)n;
	}
}

static int call_fail(const struct conn *cn, int ret)
{
	if (ret == -ETIMEDOUT)
		fprintf(stderr, PROG ": no reply from %s within %d ms\n", cn->path, cn->timeout_ms);
	else if (ret == -EPROTO)
		fprintf(stderr, PROG ": %s: the reply is not a JSON object\n", cn->path);
	else if (ret == -ECONNRESET)
		fprintf(stderr, PROG ": %s closed the connection\n", cn->path);
	else
		conn_fail(cn, "talking to", -ret);
	return EXIT_CONN;
}

/* An error reply: print it. @return EXIT_FAIL */
static int reply_error_print(const json_t *reply)
{
	const json_t *e = json_object_get(reply, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	fprintf(stderr, PROG ": %s: %s\n", code != NULL ? code : "error",
			msg != NULL ? msg : "(no message)");
	return EXIT_FAIL;
}

/* ---- text output ---- */

/* A value as text: strings bare, numbers as numbers, containers as compact JSON. */
static char *value_text(const json_t *v)
{
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.10g", json_real_value(v));
		return strdup(buf);
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return strdup("null");
	default:
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

struct table {
	unsigned int ncols, nrows, cap;
	char **cells;          /* (nrows + 1) * ncols, row 0 is the header; NULL shows "-" */
	bool *numeric;         /* right-aligned: every cell a number */
};

static int table_init(struct table *t, unsigned int ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->cap = 16;
	t->cells = calloc((size_t)t->cap * ncols, sizeof(char *));
	t->numeric = calloc(ncols, sizeof(bool));
	if (t->cells == NULL || t->numeric == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < ncols; i++)
		t->numeric[i] = true;
	return 0;
}

/* @return the row's cells (row 0: header), or NULL */
static char **table_row(struct table *t, unsigned int row)
{
	while (row >= t->cap) {
		char **n = realloc(t->cells, (size_t)t->cap * 2 * t->ncols * sizeof(char *));

		if (n == NULL)
			return NULL;
		memset(n + (size_t)t->cap * t->ncols, 0, (size_t)t->cap * t->ncols * sizeof(char *));
		t->cells = n;
		t->cap *= 2;
	}
	if (row > t->nrows)
		t->nrows = row;
	return &t->cells[(size_t)row * t->ncols];
}

static void table_set(struct table *t, unsigned int row, unsigned int col, char *text, bool num)
{
	char **r = table_row(t, row);

	if (r == NULL) {
		free(text);
		return;
	}
	free(r[col]);
	r[col] = text;
	if (row > 0 && text != NULL && !num)
		t->numeric[col] = false;
}

static void table_print(const struct table *t, bool header)
{
	size_t *w = calloc(t->ncols, sizeof(size_t));

	if (w == NULL)
		return;
	for (unsigned int r = header ? 0 : 1; r <= t->nrows; r++)
		for (unsigned int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[(size_t)r * t->ncols + c];
			size_t l = s != NULL ? strlen(s) : 1;

			if (l > w[c])
				w[c] = l;
		}
	for (unsigned int r = header ? 0 : 1; r <= t->nrows; r++) {
		for (unsigned int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[(size_t)r * t->ncols + c];
			bool last = c + 1 == t->ncols;

			if (s == NULL)
				s = "-";
			if (t->numeric[c] && r > 0)
				printf("%*s", (int)w[c], s);
			else if (last)
				printf("%s", s);
			else
				printf("%-*s", (int)w[c], s);
			if (!last)
				printf("  ");
		}
		printf("\n");
	}
	free(w);
}

static void table_free(struct table *t)
{
	if (t->cells != NULL)
		for (size_t i = 0; i < (size_t)t->cap * t->ncols; i++)
			free(t->cells[i]);
	free(t->cells);
	free(t->numeric);
}

static bool array_of_objects(const json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return false;
	json_array_foreach(a, i, v)
		if (!json_is_object(v))
			return false;
	return true;
}

/* An array of objects: header row = union of the keys, in the order first seen. */
static void print_object_array(const json_t *a)
{
	json_t *keys = json_array();
	struct table t;
	size_t i, k;
	json_t *row, *key;

	if (keys == NULL)
		return;
	json_array_foreach(a, i, row) {
		const char *name;
		json_t *v;

		json_object_foreach(row, name, v) {
			bool seen = false;

			json_array_foreach(keys, k, key)
				if (strcmp(json_string_value(key), name) == 0)
					seen = true;
			if (!seen)
				json_array_append_new(keys, json_string(name));
		}
	}
	if (table_init(&t, (unsigned int)json_array_size(keys)) != 0) {
		json_decref(keys);
		return;
	}
	json_array_foreach(keys, k, key)
		table_set(&t, 0, (unsigned int)k, strdup(json_string_value(key)), false);
	json_array_foreach(a, i, row)
		json_array_foreach(keys, k, key) {
			const json_t *v = json_object_get(row, json_string_value(key));

			if (v != NULL)
				table_set(&t, (unsigned int)i + 1, (unsigned int)k, value_text(v),
						json_is_number(v));
			else
				table_row(&t, (unsigned int)i + 1);
		}
	table_print(&t, true);
	table_free(&t);
	json_decref(keys);
}

/*
 * Rows "a.b  value" for the scalars of an object, nested objects flattened
 * with dotted keys; arrays of objects are collected in subs to be shown as
 * tables after the rows.
 */
static void flatten(const json_t *o, const char *prefix, struct table *t, json_t *subs)
{
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)o, name, v) {
		char *key;

		if (asprintf(&key, "%s%s%s", prefix, prefix[0] ? "." : "", name) < 0)
			return;
		if (json_is_object(v) && json_object_size(v) > 0) {
			flatten(v, key, t, subs);
			free(key);
		} else if (array_of_objects(v)) {
			json_object_set(subs, key, v);
			free(key);
		} else {
			unsigned int r = t->nrows + 1;

			table_set(t, r, 0, key, false);
			table_set(t, r, 1, value_text(v), json_is_number(v));
		}
	}
}

static void print_object(const json_t *o)
{
	json_t *subs = json_object();
	struct table t;
	const char *name;
	json_t *v;

	if (subs == NULL || table_init(&t, 2) != 0) {
		json_decref(subs);
		return;
	}
	flatten(o, "", &t, subs);
	t.numeric[1] = false;  /* values stay left-aligned beside their keys */
	table_print(&t, false);
	table_free(&t);
	json_object_foreach(subs, name, v) {
		printf("\n%s:\n", name);
		print_object_array(v);
	}
	json_decref(subs);
}

static void print_help(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *c;

	if (table_init(&t, 3) != 0)
		return;
	table_set(&t, 0, 0, strdup("command"), false);
	table_set(&t, 0, 1, strdup("args"), false);
	table_set(&t, 0, 2, strdup("description"), false);
	json_array_foreach(a, i, c) {
		const char *args = json_string_value(json_object_get(c, "args"));
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *help = json_string_value(json_object_get(c, "help"));

		table_set(&t, (unsigned int)i + 1, 0, strdup(name ? name : "?"), false);
		table_set(&t, (unsigned int)i + 1, 1, strdup(args && args[0] ? args : "-"), false);
		table_set(&t, (unsigned int)i + 1, 2, strdup(help ? help : ""), false);
	}
	table_print(&t, true);
	table_free(&t);
}

static void print_result(const char *cmd, const json_t *r, bool as_json)
{
	if (as_json) {
		json_dumpf(r, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		printf("\n");
	} else if (strcmp(cmd, "help") == 0 && array_of_objects(r)) {
		print_help(r);
	} else if (json_is_object(r)) {
		if (json_object_size(r) == 0)
			printf("(empty)\n");
		else
			print_object(r);
	} else if (array_of_objects(r)) {
		print_object_array(r);
	} else if (json_is_array(r)) {
		size_t i;
		json_t *v;

		if (json_array_size(r) == 0)
			printf("(none)\n");
		json_array_foreach(r, i, v) {
			char *s = value_text(v);

			printf("%s\n", s != NULL ? s : "?");
			free(s);
		}
	} else if (json_is_null(r)) {
		printf("ok\n");
	} else {
		char *s = value_text(r);

		printf("%s\n", s != NULL ? s : "?");
		free(s);
	}
}

/* ---- one command ---- */

static int run_command(struct conn *cn, const char *cmd, json_t *args, bool as_json)
{
	json_t *req = json_pack("{s:s, s:O}", "cmd", cmd, "args", args);
	json_t *reply = NULL;
	int ret;

	if (req == NULL) {
		fprintf(stderr, PROG ": command name is not valid UTF-8\n");
		return EXIT_FAIL;
	}
	ret = conn_open(cn);
	if (ret != 0) {
		conn_fail(cn, "cannot connect to", -ret);
		json_decref(req);
		return EXIT_CONN;
	}
	ret = conn_call(cn, req, &reply);
	json_decref(req);
	conn_close(cn);
	if (ret != 0) {
		json_decref(reply);
		return call_fail(cn, ret);
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		ret = reply_error_print(reply);
	} else {
		print_result(cmd, json_object_get(reply, "result"), as_json);
		ret = EXIT_OK;
	}
	json_decref(reply);
	return ret;
}

/* ---- top ---- */

struct top_opts {
	int interval_ms;
	long count;       /* refreshes, 0: until interrupted */
	const char *counters;
};

struct top_sample {
	json_t *stats;    /* the result of "stats" */
	uint64_t at_ms;
};

static int top_sample(struct conn *cn, struct top_sample *s)
{
	json_t *req = json_pack("{s:s, s:{s:b}}", "cmd", "stats", "args", "per_lcore", 1);
	json_t *reply = NULL;
	int ret;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (cn->fd < 0) {
			ret = conn_open(cn);
			if (ret != 0)
				break;
		}
		ret = conn_call(cn, req, &reply);
		if (ret == 0)
			break;
		/* The appliance may have closed an idle connection: reconnect once. */
		json_decref(reply);
		reply = NULL;
		conn_close(cn);
	}
	json_decref(req);
	if (ret != 0) {
		if (ret == -ETIMEDOUT)
			fprintf(stderr, PROG ": no reply from %s within %d ms\n", cn->path, cn->timeout_ms);
		else
			conn_fail(cn, "lost connection to", ret == -ECONNRESET ? ECONNRESET : -ret);
		return EXIT_CONN;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		ret = reply_error_print(reply);
		json_decref(reply);
		return ret;
	}
	json_decref(s->stats);
	s->stats = json_incref(json_object_get(reply, "result"));
	s->at_ms = mono_ms();
	json_decref(reply);
	if (!json_is_object(s->stats)) {
		fprintf(stderr, PROG ": \"stats\" did not return an object\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* A counter of a block, "drops" being the sum of drop_*. @return false when absent */
static bool top_counter(const json_t *block, const char *name, double *v)
{
	const json_t *x;

	if (!json_is_object(block))
		return false;
	if (strcmp(name, "drops") == 0) {
		const char *k;
		json_t *y;
		bool any = false;

		*v = 0;
		json_object_foreach((json_t *)block, k, y)
			if (strncmp(k, "drop_", 5) == 0 && json_is_number(y)) {
				*v += json_number_value(y);
				any = true;
			}
		return any;
	}
	x = json_object_get(block, name);
	if (!json_is_number(x))
		return false;
	*v = json_number_value(x);
	return true;
}

static void top_row(struct table *t, unsigned int row, const char *label, const json_t *cur,
		const json_t *prev, char **cols, unsigned int ncols, double dt)
{
	table_set(t, row, 0, strdup(label), false);
	for (unsigned int c = 0; c < ncols; c++) {
		double a, b;
		char *s;

		if (!top_counter(cur, cols[c], &a) || !top_counter(prev, cols[c], &b)) {
			table_row(t, row);
			continue;
		}
		if (asprintf(&s, "%.0f", a >= b && dt > 0 ? (a - b) / dt : 0.0) < 0)
			s = NULL;
		table_set(t, row, c + 1, s, true);
	}
}

static int lcore_cmp(const void *a, const void *b)
{
	long x = strtol(*(const char *const *)a, NULL, 10);
	long y = strtol(*(const char *const *)b, NULL, 10);

	return x < y ? -1 : x > y;
}

static void top_show(const struct conn *cn, const struct top_opts *o, const struct top_sample *cur,
		const struct top_sample *prev, char **cols, unsigned int ncols, bool tty)
{
	const json_t *lc = json_object_get(cur->stats, "lcores");
	const json_t *plc = json_object_get(prev->stats, "lcores");
	double dt = (double)(cur->at_ms - prev->at_ms) / 1000.0;
	const char **ids = NULL;
	size_t nids = 0;
	struct table t;
	const char *k;
	json_t *v;
	unsigned int row = 1;

	if (table_init(&t, ncols + 1) != 0)
		return;
	table_set(&t, 0, 0, strdup("lcore"), false);
	for (unsigned int c = 0; c < ncols; c++)
		table_set(&t, 0, c + 1, strdup(cols[c]), false);
	if (json_is_object(lc) && json_object_size(lc) > 0) {
		ids = calloc(json_object_size(lc), sizeof(*ids));
		json_object_foreach((json_t *)lc, k, v)
			if (ids != NULL)
				ids[nids++] = k;
		if (ids != NULL)
			qsort(ids, nids, sizeof(*ids), lcore_cmp);
	}
	for (size_t i = 0; i < nids; i++)
		top_row(&t, row++, ids[i], json_object_get(lc, ids[i]), json_object_get(plc, ids[i]),
				cols, ncols, dt);
	top_row(&t, row, "total", json_object_get(cur->stats, "total"),
			json_object_get(prev->stats, "total"), cols, ncols, dt);
	if (tty)
		printf("\033[H\033[2J");
	printf("synfront top: %s, every %d ms, per second over the last %.2f s\n", cn->path,
			o->interval_ms, dt);
	table_print(&t, true);
	if (!tty)
		printf("\n");
	fflush(stdout);
	free(ids);
	table_free(&t);
}

static void sleep_until(uint64_t when_ms)
{
	uint64_t now = mono_ms();
	struct timespec ts;

	if (now >= when_ms)
		return;
	ts.tv_sec = (time_t)((when_ms - now) / 1000);
	ts.tv_nsec = (long)((when_ms - now) % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

static int run_top(struct conn *cn, const struct top_opts *o)
{
	struct top_sample a = {0}, b = {0}, *cur = &a, *prev = &b;
	char *list = strdup(o->counters), *save = NULL, *tok;
	char *cols[TOP_MAX_COLS];
	unsigned int ncols = 0;
	bool tty = isatty(STDOUT_FILENO);
	uint64_t start;
	int ret;

	if (list == NULL)
		return EXIT_FAIL;
	for (tok = strtok_r(list, ",", &save); tok != NULL && ncols < TOP_MAX_COLS;
			tok = strtok_r(NULL, ",", &save))
		cols[ncols++] = tok;
	if (ncols == 0) {
		fprintf(stderr, PROG ": --counters: no counter named\n");
		free(list);
		return EXIT_FAIL;
	}
	ret = conn_open(cn);
	if (ret != 0) {
		conn_fail(cn, "cannot connect to", -ret);
		free(list);
		return EXIT_CONN;
	}
	ret = top_sample(cn, prev);
	start = prev->at_ms;
	for (long n = 1; ret == EXIT_OK && (o->count == 0 || n <= o->count); n++) {
		struct top_sample *t;

		sleep_until(start + (uint64_t)n * (uint64_t)o->interval_ms);
		ret = top_sample(cn, cur);
		if (ret != EXIT_OK)
			break;
		top_show(cn, o, cur, prev, cols, ncols, tty);
		t = prev;
		prev = cur;
		cur = t;
	}
	conn_close(cn);
	json_decref(a.stats);
	json_decref(b.stats);
	free(list);
	return ret;
}

/* ---- arguments ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [-s SOCKET] [--json] [--timeout MS] [--args JSON] COMMAND [ARG=VALUE ...]\n"
		"       " PROG " [-s SOCKET] top [--interval MS] [--count N] [--counters LIST]\n"
		"\n"
		"  -s, --socket PATH   control socket (default $SYNFRONT_SOCKET, else " DEFAULT_SOCKET ")\n"
		"      --json          print the result as JSON\n"
		"      --timeout MS    wait this long for a reply (default %d)\n"
		"      --args JSON     arguments as one JSON object; ARG=VALUE pairs override its keys\n"
		"      --interval MS   top: refresh period (default 1000)\n"
		"      --count N       top: stop after N refreshes (default: until interrupted)\n"
		"      --counters LIST top: comma-separated counters (default\n"
		"                      " DEFAULT_TOP_COUNTERS ";\n"
		"                      \"drops\" sums every drop_* counter)\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"\n"
		"VALUE is a JSON scalar when it parses as one (10, -1.5, true, null, '\"10\"'),\n"
		"a string otherwise. \"" PROG " help\" lists the commands of the appliance.\n"
		"Exit status: 0 success, 1 error reply or usage error, 2 connection failure.\n",
		DEFAULT_TIMEOUT_MS);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* ARG=VALUE into args. @return 0, or -1 after a message */
static int arg_add(json_t *args, const char *pair)
{
	const char *eq = strchr(pair, '=');
	json_t *v = NULL;
	char *key;
	int ret;

	if (eq == NULL || eq == pair) {
		fprintf(stderr, PROG ": \"%s\": arguments are ARG=VALUE\n", pair);
		return -1;
	}
	v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
	if (v != NULL && (json_is_object(v) || json_is_array(v))) {
		json_decref(v);
		v = NULL;
	}
	if (v == NULL)
		v = json_string(eq + 1);
	if (v == NULL) {
		fprintf(stderr, PROG ": \"%s\": not valid UTF-8\n", pair);
		return -1;
	}
	key = strndup(pair, (size_t)(eq - pair));
	ret = key != NULL ? json_object_set_new(args, key, v) : -1;
	if (key == NULL)
		json_decref(v);
	free(key);
	if (ret != 0)
		fprintf(stderr, PROG ": \"%s\": invalid argument name\n", pair);
	return ret != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_TIMEOUT, OPT_ARGS, OPT_INTERVAL, OPT_COUNT, OPT_COUNTERS };
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, OPT_JSON},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"args", required_argument, NULL, OPT_ARGS},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"count", required_argument, NULL, OPT_COUNT},
		{"counters", required_argument, NULL, OPT_COUNTERS},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct conn cn = {.fd = -1, .timeout_ms = DEFAULT_TIMEOUT_MS};
	struct top_opts top = {.interval_ms = 1000, .count = 0, .counters = DEFAULT_TOP_COUNTERS};
	bool as_json = false, top_opt = false;
	json_t *args = json_object();
	const char *cmd;
	long v;
	int c, ret;

	cn.path = getenv("SYNFRONT_SOCKET");
	if (cn.path == NULL || cn.path[0] == '\0')
		cn.path = DEFAULT_SOCKET;
	if (args == NULL)
		return EXIT_FAIL;
	ret = EXIT_FAIL;
	while ((c = getopt_long(argc, argv, "s:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cn.path = optarg;
			break;
		case OPT_JSON:
			as_json = true;
			break;
		case OPT_TIMEOUT:
			if (!parse_long(optarg, 1, 3600000, &v)) {
				fprintf(stderr, PROG ": --timeout: \"%s\" is not 1..3600000 ms\n", optarg);
				goto out;
			}
			cn.timeout_ms = (int)v;
			break;
		case OPT_ARGS: {
			json_error_t je;
			json_t *a = json_loads(optarg, 0, &je);

			if (!json_is_object(a)) {
				fprintf(stderr, PROG ": --args: not a JSON object (%s)\n",
						a == NULL ? je.text : "wrong type");
				json_decref(a);
				goto out;
			}
			json_object_update(args, a);
			json_decref(a);
			break;
		}
		case OPT_INTERVAL:
			if (!parse_long(optarg, 10, 3600000, &v)) {
				fprintf(stderr, PROG ": --interval: \"%s\" is not 10..3600000 ms\n", optarg);
				goto out;
			}
			top.interval_ms = (int)v;
			top_opt = true;
			break;
		case OPT_COUNT:
			if (!parse_long(optarg, 1, 1000000000, &v)) {
				fprintf(stderr, PROG ": --count: \"%s\" is not a positive number\n", optarg);
				goto out;
			}
			top.count = v;
			top_opt = true;
			break;
		case OPT_COUNTERS:
			top.counters = optarg;
			top_opt = true;
			break;
		case 'V':
			printf(PROG " %s\n", SF_VERSION);
			ret = EXIT_OK;
			goto out;
		case 'h':
			usage(stdout);
			ret = EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, PROG ": no command given\n");
		usage(stderr);
		goto out;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "top") == 0) {
		if (optind < argc || json_object_size(args) > 0 || as_json) {
			fprintf(stderr, PROG ": top takes only --interval, --count and --counters\n");
			goto out;
		}
		ret = run_top(&cn, &top);
		goto out;
	}
	if (top_opt) {
		fprintf(stderr, PROG ": --interval, --count and --counters go with top\n");
		goto out;
	}
	for (; optind < argc; optind++)
		if (arg_add(args, argv[optind]) != 0)
			goto out;
	ret = run_command(&cn, cmd, args, as_json);
out:
	json_decref(args);
	free(cn.buf);
	return ret;
}
