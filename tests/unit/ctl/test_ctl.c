/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the control socket: a server created on a temporary path,
 * driven by sf_ctl_poll() from this thread, and clients on real UNIX sockets
 * whose non-blocking I/O is interleaved with the polls. Every bad request is
 * followed by a good one on the same connection: the server must carry on.
 *
 * The synfront-ctl cases fork and exec the client binary (its path is the
 * first argument) while this process serves the socket; without the
 * argument they are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_errno.h>

#include "sf_ctl.h"

#define WAIT_MS 3000  /* longest wait for something that must happen */

static const char *ctl_bin;

struct env {
	char dir[32];
	char path[100];
	struct sf_ctl *c;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- commands the tests register ---- */

static const struct sf_ctl_arg echo_spec[] = {
	{"name", SF_CTL_ARG_STRING, true, 0, 0},
	{"count", SF_CTL_ARG_INTEGER, false, 1, 10},
	{"flag", SF_CTL_ARG_BOOLEAN, false, 0, 0},
	{NULL, 0, false, 0, 0},
};

static int h_echo(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	*result = json_deep_copy(args);
	return 0;
}

static const struct sf_ctl_arg check_spec[] = {
	{"state", SF_CTL_ARG_STRING, false, 0, 0},
	{"limit", SF_CTL_ARG_INTEGER, true, 1, 1000},
	{NULL, 0, false, 0, 0},
};

/* Checks its args itself, as a handler without a spec in its sf_ctl_cmd would. */
static int h_check(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	if (sf_ctl_args_check(args, check_spec, err) != 0)
		return -1;
	*result = json_pack("{s:I}", "limit", json_integer_value(json_object_get(args, "limit")));
	return 0;
}

static int h_fail(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	return -1;
}

static int h_refuse(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	return sf_ctl_err_set(err, SF_CTL_E_INVALID_ARGUMENT, "backend %d is %s", 3, "draining");
}

static int h_nothing(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	return 0;
}

static const struct sf_ctl_arg big_spec[] = {
	{"n", SF_CTL_ARG_INTEGER, true, 1, 100000000},
	{NULL, 0, false, 0, 0},
};

static int h_big(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	size_t n = (size_t)json_integer_value(json_object_get(args, "n"));
	char *s = malloc(n);

	if (s == NULL)
		return sf_ctl_err_set(err, SF_CTL_E_INTERNAL, "out of memory");
	memset(s, 'x', n);
	*result = json_stringn(s, n);
	free(s);
	return 0;
}

struct defer_state {
	struct sf_ctl *c;
	uint64_t ticket;
	unsigned int calls;
	uint64_t second;   /* what a second sf_ctl_defer() returned */
	int second_errno;
};
static struct defer_state dst;

static const struct sf_ctl_arg defer_spec[] = {
	{"now", SF_CTL_ARG_BOOLEAN, false, 0, 0},
	{NULL, 0, false, 0, 0},
};

/* Defers; with now=true answers inside the handler already. */
static int h_defer(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	dst.calls++;
	dst.ticket = sf_ctl_defer(dst.c);
	dst.second = sf_ctl_defer(dst.c);
	dst.second_errno = rte_errno;
	if (json_is_true(json_object_get(args, "now")))
		sf_ctl_complete(dst.c, dst.ticket, json_string("now"), NULL);
	return SF_CTL_DEFERRED;
}

/* Defers, then changes its mind and answers now. */
static int h_undefer(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	dst.ticket = sf_ctl_defer(dst.c);
	*result = json_string("direct");
	return 0;
}

/* Claims to defer without sf_ctl_defer(). */
static int h_lazy(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	return SF_CTL_DEFERRED;
}

static uint64_t stats_t0;

static json_t *stats_block(uint64_t ms, unsigned int f)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"syn_received", (json_int_t)(ms * 5 * f), "synack_sent", (json_int_t)(ms * 5 * f),
			"cookie_valid", (json_int_t)(ms * 2 * f), "cookie_invalid", (json_int_t)7,
			"drop_a", (json_int_t)(ms * f), "drop_b", (json_int_t)(ms * 2 * f),
			"rx_packets", (json_int_t)(ms * 10 * f), "tx_packets", (json_int_t)(ms * 10 * f));
}

static const struct sf_ctl_arg stats_spec[] = {
	{"per_lcore", SF_CTL_ARG_BOOLEAN, false, 0, 0},
	{NULL, 0, false, 0, 0},
};

/*
 * A stand-in for the appliance's "stats": counters grow with time, lcore 1 at
 * 5000 SYN/s, lcore 2 at twice that; drops (drop_a + drop_b) at 3000/s on
 * lcore 1; cookie_invalid stays still; conn_new is absent.
 */
static int h_stats(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	uint64_t ms = mono_ms() - stats_t0;
	json_t *r = json_pack("{s:o}", "total", stats_block(ms, 3));

	if (json_is_true(json_object_get(args, "per_lcore")))
		json_object_set_new(r, "lcores", json_pack("{s:o, s:o}", "1", stats_block(ms, 1),
				"2", stats_block(ms, 2)));
	*result = r;
	return 0;
}

static int h_list(const json_t *args, json_t **result, struct sf_ctl_err *err, void *arg)
{
	*result = json_pack("[{s:s, s:s, s:i}, {s:s, s:i, s:b}]",
			"name", "alpha", "state", "up", "bytes", 1234,
			"name", "beta-longer", "bytes", 5, "drained", 1);
	return 0;
}

static void commands_register(struct sf_ctl *c)
{
	const struct sf_ctl_cmd cmds[] = {
		{"echo", "return the args", NULL, h_echo, NULL, echo_spec},
		{"check", "check args in the handler", "state?: string, limit: integer", h_check,
			NULL, NULL},
		{"fail", "fail without saying why", "", h_fail, NULL, NULL},
		{"refuse", "fail with invalid_argument", "", h_refuse, NULL, NULL},
		{"nothing", "succeed with no result", "", h_nothing, NULL, NULL},
		{"big", "a string of n bytes", NULL, h_big, NULL, big_spec},
		{"defer", "answer later", NULL, h_defer, NULL, defer_spec},
		{"undefer", "defer, then answer now", "", h_undefer, NULL, NULL},
		{"lazy", "defer without sf_ctl_defer", "", h_lazy, NULL, NULL},
		{"stats", "fake counters", NULL, h_stats, NULL, stats_spec},
		{"list", "array of objects", "", h_list, NULL, NULL},
	};

	for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		assert_int_equal(sf_ctl_register(c, &cmds[i]), 0);
	dst = (struct defer_state){.c = c};
}

/* ---- server and environment ---- */

static struct sf_ctl *server_create(struct env *e, unsigned int max_clients, uint32_t req_max,
		uint32_t idle_ms, size_t out_max)
{
	struct sf_ctl_params p = {
		.socket_path = e->path, .max_clients = max_clients, .request_max_bytes = req_max,
		.idle_timeout_ms = idle_ms, .output_max_bytes = out_max,
	};
	struct sf_ctl *c = sf_ctl_create(&p);

	if (c == NULL)
		fail_msg("sf_ctl_create(%s): %s", e->path, strerror(rte_errno));
	commands_register(c);
	stats_t0 = mono_ms();
	return c;
}

static void server_restart(struct env *e, unsigned int max_clients, uint32_t req_max,
		uint32_t idle_ms, size_t out_max)
{
	sf_ctl_free(e->c);
	e->c = server_create(e, max_clients, req_max, idle_ms, out_max);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	strcpy(e->dir, "/tmp/sfctl-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/run/synfront/ctl.sock", e->dir);
	e->c = server_create(e, 8, 1024, 5000, 0);
	*state = e;
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int teardown(void **state)
{
	struct env *e = *state;

	sf_ctl_free(e->c);
	nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(e);
	return 0;
}

/* ---- client side ---- */

static int cl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail_msg("connect %s: %s", path, strerror(errno));
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static void cl_send(struct sf_ctl *c, int fd, const char *data, size_t len)
{
	uint64_t deadline = mono_ms() + WAIT_MS;

	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			sf_ctl_poll(c, 1);
			if (mono_ms() > deadline)
				fail_msg("send: server does not read");
		} else {
			fail_msg("send: %s", strerror(errno));
		}
	}
}

static void cl_sends(struct sf_ctl *c, int fd, const char *s)
{
	cl_send(c, fd, s, strlen(s));
}

static unsigned int count_lines(const char *s, size_t len)
{
	unsigned int n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* Serve and read until nlines lines arrived (or WAIT_MS passed). @return malloc'd bytes, NUL-ended */
static char *cl_recv_lines(struct sf_ctl *c, int fd, unsigned int nlines)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	uint64_t deadline = mono_ms() + WAIT_MS;

	assert_non_null(buf);
	while (count_lines(buf, len) < nlines && mono_ms() < deadline) {
		ssize_t n;

		sf_ctl_poll(c, 2);
		for (;;) {
			if (len == cap) {
				cap *= 2;
				buf = realloc(buf, cap + 1);
				assert_non_null(buf);
			}
			n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		if (n == 0)
			break;
	}
	buf[len] = '\0';
	if (count_lines(buf, len) < nlines)
		fail_msg("got %u of %u reply lines: \"%s\"", count_lines(buf, len), nlines, buf);
	return buf;
}

/* The idx-th line of buf as JSON. */
static json_t *line_json(const char *buf, unsigned int idx)
{
	const char *p = buf;
	json_error_t je;
	json_t *j;

	for (unsigned int i = 0; i < idx; i++) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	assert_non_null(strchr(p, '\n'));
	j = json_loadb(p, (size_t)(strchr(p, '\n') - p), 0, &je);
	if (j == NULL)
		fail_msg("reply line %u is not JSON (%s): %s", idx, je.text, p);
	return j;
}

/* Send one request line (newline added) and return the reply. */
static json_t *call(struct sf_ctl *c, int fd, const char *req)
{
	char *buf;
	json_t *j;

	cl_sends(c, fd, req);
	cl_sends(c, fd, "\n");
	buf = cl_recv_lines(c, fd, 1);
	assert_int_equal(count_lines(buf, strlen(buf)), 1);
	j = line_json(buf, 0);
	free(buf);
	return j;
}

/* Nothing more arrives within ms. */
static void no_more(struct sf_ctl *c, int fd, unsigned int ms)
{
	uint64_t end = mono_ms() + ms;
	char b[256];
	ssize_t n;

	while (mono_ms() < end)
		sf_ctl_poll(c, 5);
	n = recv(fd, b, sizeof(b) - 1, MSG_DONTWAIT);
	if (n > 0) {
		b[n] = '\0';
		fail_msg("unexpected data: %s", b);
	}
	assert_int_equal(n, -1);
	assert_int_equal(errno, EAGAIN);
}

/* Serve until the server closed fd (EOF after any pending data). */
static bool cl_closed(struct sf_ctl *c, int fd, unsigned int ms)
{
	uint64_t end = mono_ms() + ms;
	char b[4096];

	while (mono_ms() < end) {
		ssize_t n;

		sf_ctl_poll(c, 5);
		while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
			;
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
	}
	return false;
}

static const json_t *expect_ok(const json_t *r)
{
	if (!json_is_true(json_object_get(r, "ok"))) {
		char *s = json_dumps(r, JSON_COMPACT);

		fail_msg("expected ok, got %s", s);
	}
	assert_null(json_object_get(r, "error"));
	assert_non_null(json_object_get(r, "result"));
	return json_object_get(r, "result");
}

static void expect_err(const json_t *r, const char *code, const char *part)
{
	const json_t *e = json_object_get(r, "error");
	const char *got = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	if (!json_is_false(json_object_get(r, "ok")) || got == NULL || msg == NULL ||
			strcmp(got, code) != 0 || (part != NULL && strstr(msg, part) == NULL)) {
		char *s = json_dumps(r, JSON_COMPACT);

		fail_msg("expected %s error with \"%s\", got %s", code, part ? part : "", s);
	}
	assert_null(json_object_get(r, "result"));
	assert_int_equal(json_object_size(e), 2);
}

/* The connection still answers: version, and the reply carries the id. */
static void still_serves(struct sf_ctl *c, int fd)
{
	json_t *r = call(c, fd, "{\"cmd\":\"version\",\"id\":\"still\"}");

	assert_string_equal(json_string_value(json_object_get(expect_ok(r), "name")), "synfront");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "still");
	json_decref(r);
}

static void call_err(struct sf_ctl *c, int fd, const char *req, const char *code, const char *part)
{
	json_t *r = call(c, fd, req);

	expect_err(r, code, part);
	json_decref(r);
	still_serves(c, fd);
}

static struct sf_ctl_stats stats_of(struct sf_ctl *c)
{
	struct sf_ctl_stats st;

	assert_int_equal(sf_ctl_stats_get(c, &st), 0);
	return st;
}

/* ---- socket life cycle ---- */

static void test_create_modes(void **state)
{
	struct env *e = *state;
	char dir[200];
	struct stat sb;
	mode_t old;

	/* Recreate with a permissive umask: the socket must still be 0600. */
	sf_ctl_free(e->c);
	e->c = NULL;
	snprintf(dir, sizeof(dir), "%s/run", e->dir);
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	old = umask(0);
	e->c = server_create(e, 8, 1024, 5000, 0);
	umask(old);
	assert_int_equal(lstat(e->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0755);
	snprintf(dir, sizeof(dir), "%s/run/synfront", e->dir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_string_equal(sf_ctl_path(e->c), e->path);

	/* sf_ctl_free removes the socket file. */
	sf_ctl_free(e->c);
	e->c = NULL;
	assert_int_equal(lstat(e->path, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_create_stale_replaced(void **state)
{
	struct env *e = *state;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat sb;
	int fd, cfd;
	json_t *r;

	sf_ctl_free(e->c);
	e->c = NULL;
	/* A socket file nobody listens on, as a crashed instance leaves it. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", e->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(lstat(e->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	e->c = server_create(e, 8, 1024, 5000, 0);
	cfd = cl_connect(e->path);
	r = call(e->c, cfd, "{\"cmd\":\"version\"}");
	expect_ok(r);
	json_decref(r);
	close(cfd);
}

static void test_create_refused(void **state)
{
	struct env *e = *state;
	struct sf_ctl_params p = {
		.socket_path = e->path, .max_clients = 4, .request_max_bytes = 1024,
		.idle_timeout_ms = 1000,
	};
	char other[200], longp[200];
	struct stat sb;
	int fd;
	json_t *r;

	/* A live instance answers: refused, and its socket stays. */
	assert_null(sf_ctl_create(&p));
	assert_int_equal(rte_errno, EADDRINUSE);
	assert_int_equal(lstat(e->path, &sb), 0);
	fd = cl_connect(e->path);
	r = call(e->c, fd, "{\"cmd\":\"version\"}");
	expect_ok(r);
	json_decref(r);
	close(fd);

	/* Not a socket: refused and left alone. */
	snprintf(other, sizeof(other), "%s/plain", e->dir);
	fd = open(other, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	p.socket_path = other;
	assert_null(sf_ctl_create(&p));
	assert_int_equal(rte_errno, EEXIST);
	assert_int_equal(lstat(other, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));

	/* Parameters. */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	p.socket_path = longp;
	assert_null(sf_ctl_create(&p));
	assert_int_equal(rte_errno, ENAMETOOLONG);
	p.socket_path = e->path;
	p.max_clients = 0;
	assert_null(sf_ctl_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(sf_ctl_create(NULL));
	assert_int_equal(rte_errno, EINVAL);
	sf_ctl_free(NULL);
	assert_int_equal(sf_ctl_poll(NULL, 0), -EINVAL);
}

/* ---- registry and built-ins ---- */

static void test_register(void **state)
{
	struct env *e = *state;
	struct sf_ctl_cmd k = {"x.y-z_1", "fine", "", h_nothing, NULL, NULL};
	const char *bad[] = {"", "Bad", "a b", "a/b", "é"};

	assert_int_equal(sf_ctl_register(e->c, &k), 0);
	assert_int_equal(sf_ctl_register(e->c, &k), -EEXIST);
	k.name = "help";
	assert_int_equal(sf_ctl_register(e->c, &k), -EEXIST);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k.name = bad[i];
		assert_int_equal(sf_ctl_register(e->c, &k), -EINVAL);
	}
	k.name = "nohandler";
	k.handler = NULL;
	assert_int_equal(sf_ctl_register(e->c, &k), -EINVAL);
	k.handler = h_nothing;
	k.help = NULL;
	assert_int_equal(sf_ctl_register(e->c, &k), -EINVAL);
	assert_int_equal(sf_ctl_register(NULL, &k), -EINVAL);
	/* 3 built-ins + 11 test commands + x.y-z_1 */
	assert_int_equal(stats_of(e->c).commands, 15);
}

static void test_version_help(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);
	const json_t *res, *c;
	const char *prev = "";
	bool seen_echo = false, seen_help = false;
	size_t i;
	json_t *r;

	r = call(e->c, fd, "{\"cmd\":\"version\"}");
	res = expect_ok(r);
	assert_string_equal(json_string_value(json_object_get(res, "name")), "synfront");
	assert_string_equal(json_string_value(json_object_get(res, "version")), SF_VERSION);
	assert_null(json_object_get(r, "id"));
	json_decref(r);

	r = call(e->c, fd, "{\"cmd\":\"help\"}");
	res = expect_ok(r);
	assert_true(json_is_array(res));
	assert_int_equal(json_array_size(res), 14);
	json_array_foreach(res, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));

		assert_non_null(name);
		assert_true(strcmp(prev, name) < 0);  /* sorted */
		prev = name;
		assert_non_null(json_string_value(json_object_get(c, "help")));
		assert_non_null(json_string_value(json_object_get(c, "args")));
		if (strcmp(name, "echo") == 0) {
			seen_echo = true;
			/* Derived from the spec. */
			assert_string_equal(json_string_value(json_object_get(c, "args")),
					"name: string, count?: integer 1..10, flag?: boolean");
		}
		if (strcmp(name, "help") == 0) {
			seen_help = true;
			assert_string_equal(json_string_value(json_object_get(c, "args")),
					"command?: string");
		}
	}
	assert_true(seen_echo && seen_help);
	json_decref(r);

	r = call(e->c, fd, "{\"cmd\":\"help\",\"args\":{\"command\":\"check\"}}");
	res = expect_ok(r);
	assert_int_equal(json_array_size(res), 1);
	c = json_array_get(res, 0);
	assert_string_equal(json_string_value(json_object_get(c, "name")), "check");
	assert_string_equal(json_string_value(json_object_get(c, "args")),
			"state?: string, limit: integer");
	json_decref(r);
	call_err(e->c, fd, "{\"cmd\":\"help\",\"args\":{\"command\":\"nope\"}}", "invalid_argument",
			"no command \"nope\"");
	close(fd);
}

static void test_id_echo(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);
	json_t *r;

	r = call(e->c, fd, "{\"id\":42,\"cmd\":\"version\"}");
	expect_ok(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 42);
	json_decref(r);
	r = call(e->c, fd, "{\"cmd\":\"version\",\"id\":\"abc\"}");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "abc");
	json_decref(r);
	/* Also on errors found after the id was read. */
	r = call(e->c, fd, "{\"cmd\":\"nope\",\"id\":7}");
	expect_err(r, "unknown_command", NULL);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	json_decref(r);
	r = call(e->c, fd, "{\"cmd\":\"version\",\"id\":7,\"extra\":1}");
	expect_err(r, "invalid_request", "\"extra\"");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	json_decref(r);
	call_err(e->c, fd, "{\"cmd\":\"version\",\"id\":[1]}", "invalid_request", "\"id\"");
	close(fd);
}

/* ---- bad requests ---- */

static void test_malformed(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);
	json_t *r;
	char *buf;

	call_err(e->c, fd, "{\"cmd\":\"ver", "parse_error", "line 1, column");
	call_err(e->c, fd, "{\"cmd\":\"\xff\xfe\"}", "parse_error", "decode byte 0xff");
	call_err(e->c, fd, "{\"cmd\":\"version\"} x", "parse_error", "end of file expected");
	call_err(e->c, fd, "{\"cmd\":\"version\"}{}", "parse_error", NULL);
	call_err(e->c, fd, "{\"cmd\":\"version\",\"cmd\":\"help\"}", "parse_error", "duplicate");
	call_err(e->c, fd, "{cmd:version}", "parse_error", NULL);
	call_err(e->c, fd, "[{\"cmd\":\"version\"}]", "invalid_request", "not an array");
	call_err(e->c, fd, "42", "invalid_request", "not an integer");
	call_err(e->c, fd, "\"version\"", "invalid_request", "not a string");
	call_err(e->c, fd, "null", "invalid_request", "not null");

	/* Empty and blank lines are ignored; CRLF is accepted. */
	cl_sends(e->c, fd, "\n  \t\r\n\n{\"cmd\":\"version\",\"id\":9}\r\n");
	buf = cl_recv_lines(e->c, fd, 1);
	r = line_json(buf, 0);
	expect_ok(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 9);
	json_decref(r);
	free(buf);
	no_more(e->c, fd, 50);
	close(fd);
}

static void test_invalid_request(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);

	call_err(e->c, fd, "{}", "invalid_request", "\"cmd\" is missing");
	call_err(e->c, fd, "{\"args\":{}}", "invalid_request", "\"cmd\" is missing");
	call_err(e->c, fd, "{\"cmd\":3}", "invalid_request", "\"cmd\" must be a string");
	call_err(e->c, fd, "{\"cmd\":null}", "invalid_request", "\"cmd\" must be a string");
	call_err(e->c, fd, "{\"cmd\":\"version\",\"args\":[]}", "invalid_request",
			"\"args\" must be an object");
	call_err(e->c, fd, "{\"cmd\":\"version\",\"args\":\"x\"}", "invalid_request",
			"\"args\" must be an object");
	call_err(e->c, fd, "{\"command\":\"version\"}", "invalid_request", "unknown key \"command\"");
	call_err(e->c, fd, "{\"cmd\":\"nope\"}", "unknown_command", "\"help\"");
	call_err(e->c, fd, "{\"cmd\":\"\"}", "unknown_command", NULL);
	call_err(e->c, fd, "{\"cmd\":\"help\\u0000x\"}", "parse_error", NULL);
	call_err(e->c, fd, "{\"cmd\":\"HELP\"}", "unknown_command", NULL);
	close(fd);
}

static void test_invalid_argument(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);
	json_t *r;

	/* Through the spec given at registration. */
	r = call(e->c, fd, "{\"cmd\":\"echo\",\"args\":{\"name\":\"a\",\"count\":3,\"flag\":false}}");
	assert_int_equal(json_integer_value(json_object_get(expect_ok(r), "count")), 3);
	json_decref(r);
	call_err(e->c, fd, "{\"cmd\":\"echo\",\"args\":{\"name\":\"a\",\"bogus\":1}}",
			"invalid_argument", "unknown argument \"bogus\" (accepted: name: string");
	call_err(e->c, fd, "{\"cmd\":\"echo\",\"args\":{\"name\":5}}",
			"invalid_argument", "\"name\" must be of type string, not an integer");
	call_err(e->c, fd, "{\"cmd\":\"echo\",\"args\":{\"count\":2}}",
			"invalid_argument", "\"name\" is required");
	call_err(e->c, fd, "{\"cmd\":\"echo\"}", "invalid_argument", "\"name\" is required");
	call_err(e->c, fd, "{\"cmd\":\"echo\",\"args\":{\"name\":\"a\",\"count\":11}}",
			"invalid_argument", "\"count\" is 11, out of range 1..10");
	call_err(e->c, fd, "{\"cmd\":\"echo\",\"args\":{\"name\":\"a\",\"count\":1.5}}",
			"invalid_argument", "\"count\" must be of type integer, not a real number");
	call_err(e->c, fd, "{\"cmd\":\"echo\",\"args\":{\"name\":\"a\",\"flag\":\"yes\"}}",
			"invalid_argument", "\"flag\" must be of type boolean");
	call_err(e->c, fd, "{\"cmd\":\"version\",\"args\":{\"x\":1}}",
			"invalid_argument", "takes no arguments");

	/* Through sf_ctl_args_check() called by the handler. */
	r = call(e->c, fd, "{\"cmd\":\"check\",\"args\":{\"limit\":1000,\"state\":\"up\"}}");
	assert_int_equal(json_integer_value(json_object_get(expect_ok(r), "limit")), 1000);
	json_decref(r);
	call_err(e->c, fd, "{\"cmd\":\"check\",\"args\":{\"limit\":5,\"sate\":\"up\"}}",
			"invalid_argument", "unknown argument \"sate\"");
	call_err(e->c, fd, "{\"cmd\":\"check\",\"args\":{\"limit\":\"5\"}}",
			"invalid_argument", "\"limit\" must be of type integer, not a string");
	call_err(e->c, fd, "{\"cmd\":\"check\",\"args\":{\"state\":\"up\"}}",
			"invalid_argument", "\"limit\" is required");
	call_err(e->c, fd, "{\"cmd\":\"check\",\"args\":{\"limit\":0}}",
			"invalid_argument", "out of range 1..1000");

	/* Handler outcomes. */
	call_err(e->c, fd, "{\"cmd\":\"refuse\"}", "invalid_argument", "backend 3 is draining");
	call_err(e->c, fd, "{\"cmd\":\"fail\"}", "internal", "\"fail\" failed");
	call_err(e->c, fd, "{\"cmd\":\"lazy\"}", "internal", "without sf_ctl_defer");
	r = call(e->c, fd, "{\"cmd\":\"nothing\"}");
	assert_true(json_is_null(expect_ok(r)));
	json_decref(r);
	close(fd);
}

static void test_args_helpers(void **state)
{
	struct sf_ctl_err err;
	json_t *a = json_pack("{s:s}", "name", "x");
	char buf[16];
	int n;

	assert_int_equal(sf_ctl_args_check(a, echo_spec, &err), 0);
	assert_int_equal(sf_ctl_args_check(a, NULL, &err), -1);
	assert_int_equal(err.code, SF_CTL_E_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "takes no arguments"));
	json_decref(a);
	a = json_array();
	assert_int_equal(sf_ctl_args_check(a, echo_spec, &err), -1);
	json_decref(a);

	/* Truncation: the needed length, a NUL-terminated prefix. */
	n = sf_ctl_args_describe(echo_spec, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen("name: string, count?: integer 1..10, flag?: boolean"));
	assert_string_equal(buf, "name: string, c");
	assert_int_equal(sf_ctl_args_describe(NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(sf_ctl_args_describe(echo_spec, NULL, 4), -EINVAL);

	assert_int_equal(sf_ctl_err_set(&err, SF_CTL_E_MAX + 3, "%s", "x"), -1);
	assert_int_equal(err.code, SF_CTL_E_INTERNAL);
	assert_string_equal(sf_ctl_err_name(SF_CTL_E_REQUEST_TOO_LARGE), "request_too_large");
	assert_string_equal(sf_ctl_err_name(SF_CTL_E_MAX), "internal");
}

/* ---- framing ---- */

static void test_oversize(void **state)
{
	struct env *e = *state;
	char big[1200], exact[300];
	json_t *r;
	char *buf;
	int fd;

	server_restart(e, 8, 256, 5000, 0);
	fd = cl_connect(e->path);

	/* Long line then a good request in one write. */
	memset(big, 'a', 1000);
	strcpy(big + 1000, "\n{\"cmd\":\"version\",\"id\":1}\n");
	cl_sends(e->c, fd, big);
	buf = cl_recv_lines(e->c, fd, 2);
	r = line_json(buf, 0);
	expect_err(r, "request_too_large", "256 bytes");
	json_decref(r);
	r = line_json(buf, 1);
	expect_ok(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
	free(buf);

	/* A long line arriving in pieces: one error, as soon as it is known. */
	memset(big, 'b', 300);
	cl_send(e->c, fd, big, 300);
	buf = cl_recv_lines(e->c, fd, 1);
	r = line_json(buf, 0);
	expect_err(r, "request_too_large", NULL);
	json_decref(r);
	free(buf);
	cl_send(e->c, fd, big, 300);
	cl_send(e->c, fd, big, 300);
	cl_sends(e->c, fd, "\n");
	no_more(e->c, fd, 30);
	still_serves(e->c, fd);

	/* Exactly at the limit passes; one byte more does not. */
	memset(exact, ' ', sizeof(exact));
	memcpy(exact, "{\"cmd\":\"version\"}", 17);
	exact[256] = '\0';
	r = call(e->c, fd, exact);
	expect_ok(r);
	json_decref(r);
	exact[256] = ' ';
	exact[257] = '\0';
	call_err(e->c, fd, exact, "request_too_large", NULL);
	assert_int_equal(stats_of(e->c).errors[SF_CTL_E_REQUEST_TOO_LARGE], 3);
	close(fd);
}

static void test_pipelined(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);
	char *buf;
	json_t *r;

	cl_sends(e->c, fd, "{\"cmd\":\"echo\",\"args\":{\"name\":\"one\"},\"id\":1}\n"
			"{\"cmd\":\"nope\",\"id\":2}\n{\"cmd\":\"version\",\"id\":3}\n");
	buf = cl_recv_lines(e->c, fd, 3);
	assert_int_equal(count_lines(buf, strlen(buf)), 3);
	r = line_json(buf, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(expect_ok(r), "name")), "one");
	json_decref(r);
	r = line_json(buf, 1);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	expect_err(r, "unknown_command", NULL);
	json_decref(r);
	r = line_json(buf, 2);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
	expect_ok(r);
	json_decref(r);
	free(buf);
	close(fd);
}

static void test_byte_by_byte(void **state)
{
	struct env *e = *state;
	const char *req = "{\"cmd\":\"echo\",\"args\":{\"name\":\"slow\"},\"id\":5}\n";
	int fd = cl_connect(e->path);
	char *buf;
	json_t *r;

	for (const char *p = req; *p != '\0'; p++) {
		char b[64];

		cl_send(e->c, fd, p, 1);
		sf_ctl_poll(e->c, 0);
		if (p[1] != '\0')
			assert_int_equal(recv(fd, b, sizeof(b), MSG_DONTWAIT), -1);
	}
	buf = cl_recv_lines(e->c, fd, 1);
	r = line_json(buf, 0);
	assert_string_equal(json_string_value(json_object_get(expect_ok(r), "name")), "slow");
	json_decref(r);
	free(buf);
	close(fd);
}

static void test_half_close(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);
	char *buf;
	json_t *r;

	/* The last request may lack its newline when the client shuts down. */
	cl_sends(e->c, fd, "{\"cmd\":\"version\",\"id\":1}\n{\"cmd\":\"version\",\"id\":2}");
	shutdown(fd, SHUT_WR);
	buf = cl_recv_lines(e->c, fd, 2);
	r = line_json(buf, 1);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	expect_ok(r);
	json_decref(r);
	free(buf);
	assert_true(cl_closed(e->c, fd, WAIT_MS));
	close(fd);
	assert_int_equal(stats_of(e->c).clients, 0);
	assert_int_equal(stats_of(e->c).clients_closed, 1);
}

/* ---- many clients ---- */

#define NB_CONC 50

static void test_concurrent(void **state)
{
	struct env *e = *state;
	int fds[NB_CONC];
	char req[128];

	server_restart(e, 64, 1024, 5000, 0);
	for (int i = 0; i < NB_CONC; i++)
		fds[i] = cl_connect(e->path);
	/* Every client sends before any reads. */
	for (int i = 0; i < NB_CONC; i++) {
		snprintf(req, sizeof(req), "{\"cmd\":\"echo\",\"args\":{\"name\":\"client-%d\"},"
				"\"id\":%d}\n", i, i);
		cl_sends(e->c, fds[i], req);
	}
	for (int i = NB_CONC - 1; i >= 0; i--) {
		char *buf = cl_recv_lines(e->c, fds[i], 1);
		json_t *r = line_json(buf, 0);

		snprintf(req, sizeof(req), "client-%d", i);
		assert_string_equal(json_string_value(json_object_get(expect_ok(r), "name")), req);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
		free(buf);
	}
	assert_int_equal(stats_of(e->c).clients, NB_CONC);
	assert_int_equal(stats_of(e->c).clients_accepted, NB_CONC);
	for (int i = 0; i < NB_CONC; i++)
		close(fds[i]);
}

static void test_busy(void **state)
{
	struct env *e = *state;
	int fds[5], extra;
	char *buf;
	json_t *r;

	server_restart(e, 4, 1024, 5000, 0);
	for (int i = 0; i < 5; i++)
		fds[i] = cl_connect(e->path);
	buf = cl_recv_lines(e->c, fds[4], 1);
	r = line_json(buf, 0);
	expect_err(r, "busy", "max_clients");
	json_decref(r);
	free(buf);
	assert_true(cl_closed(e->c, fds[4], WAIT_MS));
	close(fds[4]);
	for (int i = 0; i < 4; i++)
		still_serves(e->c, fds[i]);
	assert_int_equal(stats_of(e->c).clients_refused, 1);
	assert_int_equal(stats_of(e->c).errors[SF_CTL_E_BUSY], 1);

	/* A slot freed is a slot offered. */
	close(fds[0]);
	for (int i = 0; i < 20 && stats_of(e->c).clients == 4; i++)
		sf_ctl_poll(e->c, 5);
	extra = cl_connect(e->path);
	still_serves(e->c, extra);
	assert_int_equal(stats_of(e->c).clients_refused, 1);
	close(extra);
	for (int i = 1; i < 4; i++)
		close(fds[i]);
}

/* Out of descriptors: the waiting connection is not lost, and the loop does not spin. */
static void test_accept_emfile(void **state)
{
	struct env *e = *state;
	struct rlimit old, low;
	int fillers[64], nfill = 0, fd, target, ret;
	uint64_t t;

	fd = cl_connect(e->path);
	target = fd + 1;
	for (;;) {
		int f = open("/dev/null", O_RDONLY | O_CLOEXEC);

		assert_true(f >= 0);
		if (f >= target || nfill == 64) {
			close(f);
			break;
		}
		fillers[nfill++] = f;
	}
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)target;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	sf_ctl_poll(e->c, 0);  /* accept fails */
	t = mono_ms();
	ret = sf_ctl_poll(e->c, 40);
	t = mono_ms() - t;
	/* Restored before asserting: a failure must not starve the next tests. */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	while (nfill > 0)
		close(fillers[--nfill]);
	assert_int_equal(ret, 0);
	assert_true(t >= 30);
	assert_int_equal(stats_of(e->c).clients, 0);
	still_serves(e->c, fd);
	assert_int_equal(stats_of(e->c).clients, 1);
	close(fd);
}

static void test_idle_timeout(void **state)
{
	struct env *e = *state;
	int quiet, busy;
	uint64_t start, end;

	server_restart(e, 8, 1024, 200, 0);
	quiet = cl_connect(e->path);
	busy = cl_connect(e->path);
	start = mono_ms();
	/* The talking client stays past the timeout; the quiet one goes. */
	while (mono_ms() - start < 450) {
		json_t *r = call(e->c, busy, "{\"cmd\":\"version\"}");

		json_decref(r);
		for (uint64_t t = mono_ms(); mono_ms() - t < 50;)
			sf_ctl_poll(e->c, 5);
	}
	assert_true(cl_closed(e->c, quiet, 10));
	end = mono_ms();
	still_serves(e->c, busy);
	assert_int_equal(stats_of(e->c).clients_closed_idle, 1);
	assert_true(end - start >= 200);
	close(quiet);

	/* And alone, it is closed about idle_timeout_ms after its last byte. */
	start = mono_ms();
	assert_true(cl_closed(e->c, busy, 1000));
	end = mono_ms();
	assert_true(end - start >= 150 && end - start < 600);
	close(busy);
	assert_int_equal(stats_of(e->c).clients_closed_idle, 2);
	assert_int_equal(stats_of(e->c).clients, 0);
}

static void test_slow_reader(void **state)
{
	struct env *e = *state;
	const char *req = "{\"cmd\":\"big\",\"args\":{\"n\":2000}}\n";
	int fd, other;
	json_t *r;

	server_restart(e, 8, 1024, 5000, 16384);
	fd = cl_connect(e->path);
	other = cl_connect(e->path);
	/* One reply larger than the bound: an error, the connection stays. */
	call_err(e->c, fd, "{\"cmd\":\"big\",\"args\":{\"n\":20000}}", "internal",
			"exceeds the limit of 16384 bytes");
	/* A client that sends and never reads: closed, others unaffected. */
	for (int i = 0; i < 2000 && stats_of(e->c).clients_closed_slow == 0; i++) {
		cl_sends(e->c, fd, req);
		sf_ctl_poll(e->c, 0);
	}
	assert_int_equal(stats_of(e->c).clients_closed_slow, 1);
	assert_true(cl_closed(e->c, fd, WAIT_MS));
	close(fd);
	r = call(e->c, other, "{\"cmd\":\"big\",\"args\":{\"n\":10000}}");
	assert_int_equal(json_string_length(expect_ok(r)), 10000);
	json_decref(r);
	close(other);
}

/* ---- deferred replies ---- */

static void test_deferred(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);
	uint64_t t;
	char *buf;
	json_t *r;

	assert_int_equal(sf_ctl_defer(e->c), 0);
	assert_int_equal(rte_errno, EINVAL);

	/* The request behind a deferred one waits for it. */
	cl_sends(e->c, fd, "{\"cmd\":\"defer\",\"id\":1}\n{\"cmd\":\"version\",\"id\":2}\n");
	no_more(e->c, fd, 50);
	assert_int_equal(dst.calls, 1);
	assert_int_not_equal(dst.ticket, 0);
	assert_int_equal(dst.second, 0);
	assert_int_equal(dst.second_errno, EALREADY);
	assert_int_equal(sf_ctl_complete(e->c, dst.ticket, json_pack("{s:i}", "n", 3), NULL), 0);
	buf = cl_recv_lines(e->c, fd, 2);
	r = line_json(buf, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	assert_int_equal(json_integer_value(json_object_get(expect_ok(r), "n")), 3);
	json_decref(r);
	r = line_json(buf, 1);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	expect_ok(r);
	json_decref(r);
	free(buf);
	assert_int_equal(sf_ctl_complete(e->c, dst.ticket, json_null(), NULL), -ENOENT);
	assert_int_equal(sf_ctl_complete(e->c, 0, NULL, NULL), -EINVAL);

	/* Completed with an error. */
	t = dst.ticket;
	cl_sends(e->c, fd, "{\"cmd\":\"defer\",\"id\":\"e\"}\n");
	for (int i = 0; i < 100 && dst.ticket == t; i++)
		sf_ctl_poll(e->c, 2);
	{
		struct sf_ctl_err err;

		sf_ctl_err_set(&err, SF_CTL_E_INVALID_ARGUMENT, "no lcore %d", 9);
		assert_int_equal(sf_ctl_complete(e->c, dst.ticket, NULL, &err), 0);
	}
	buf = cl_recv_lines(e->c, fd, 1);
	r = line_json(buf, 0);
	expect_err(r, "invalid_argument", "no lcore 9");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "e");
	json_decref(r);
	free(buf);

	/* Answered inside its own handler, then the next request. */
	cl_sends(e->c, fd, "{\"cmd\":\"defer\",\"args\":{\"now\":true}}\n{\"cmd\":\"version\"}\n");
	buf = cl_recv_lines(e->c, fd, 2);
	r = line_json(buf, 0);
	assert_string_equal(json_string_value(expect_ok(r)), "now");
	json_decref(r);
	r = line_json(buf, 1);
	expect_ok(r);
	json_decref(r);
	free(buf);

	/* Deferred and answered at once: the ticket is void. */
	r = call(e->c, fd, "{\"cmd\":\"undefer\"}");
	assert_string_equal(json_string_value(expect_ok(r)), "direct");
	json_decref(r);
	assert_int_equal(sf_ctl_complete(e->c, dst.ticket, NULL, NULL), -ENOENT);
	still_serves(e->c, fd);

	/* The client leaves while its request is deferred: the ticket ends with it. */
	t = dst.ticket;
	cl_sends(e->c, fd, "{\"cmd\":\"defer\"}\n");
	for (int i = 0; i < 100 && dst.ticket == t; i++)
		sf_ctl_poll(e->c, 2);
	assert_int_not_equal(dst.ticket, t);
	close(fd);
	for (int i = 0; i < 100 && stats_of(e->c).clients > 0; i++)
		sf_ctl_poll(e->c, 2);
	assert_int_equal(stats_of(e->c).clients, 0);
	assert_int_equal(sf_ctl_complete(e->c, dst.ticket, json_null(), NULL), -ENOENT);
}

static void test_deferred_timeout(void **state)
{
	struct env *e = *state;
	int fd;
	char *buf;
	json_t *r;

	server_restart(e, 8, 1024, 200, 0);
	fd = cl_connect(e->path);
	cl_sends(e->c, fd, "{\"cmd\":\"defer\",\"id\":11}\n{\"cmd\":\"version\",\"id\":12}\n");
	no_more(e->c, fd, 100);
	buf = cl_recv_lines(e->c, fd, 2);
	r = line_json(buf, 0);
	expect_err(r, "internal", "no answer within 200 ms");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 11);
	json_decref(r);
	r = line_json(buf, 1);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 12);
	expect_ok(r);
	json_decref(r);
	free(buf);
	assert_int_equal(sf_ctl_complete(e->c, dst.ticket, json_null(), NULL), -ENOENT);
	assert_int_equal(stats_of(e->c).deferred, 1);
	assert_int_equal(stats_of(e->c).deferred_timeout, 1);
	close(fd);
}

/* ---- counters ---- */

static void test_ctl_stats(void **state)
{
	struct env *e = *state;
	int fd = cl_connect(e->path);
	const json_t *res;
	json_t *r;

	cl_sends(e->c, fd, "{\"cmd\":\"version\"}\n\n{\"cmd\":\"help\"}\n{x\n{\"cmd\":\"nope\"}\n");
	free(cl_recv_lines(e->c, fd, 4));
	r = call(e->c, fd, "{\"cmd\":\"ctl.stats\"}");
	res = expect_ok(r);
	assert_int_equal(json_integer_value(json_object_get(res, "requests")), 5);
	assert_int_equal(json_integer_value(json_object_get(res, "replies_ok")), 2);
	assert_int_equal(json_integer_value(json_object_get(res, "replies_error")), 2);
	assert_int_equal(json_integer_value(json_object_get(res, "clients_accepted")), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "clients")), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "commands")), 14);
	assert_true(json_integer_value(json_object_get(res, "bytes_in")) > 60);
	res = json_object_get(res, "errors");
	assert_int_equal(json_object_size(res), SF_CTL_E_MAX);
	assert_int_equal(json_integer_value(json_object_get(res, "parse_error")), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "unknown_command")), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "busy")), 0);
	json_decref(r);
	assert_int_equal(sf_ctl_stats_get(e->c, NULL), -EINVAL);
	close(fd);
}

/* ---- synfront-ctl ---- */

struct run {
	int status;
	char out[1 << 16];
	char err[1 << 13];
	size_t nout, nerr;
};

static void pipe_drain(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	while (*len + 1 < cap && (n = read(fd, buf + *len, cap - 1 - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
}

/*
 * Run synfront-ctl with argv (NULL-terminated, argv[0] omitted) while serving
 * the socket; SYNFRONT_SOCKET is env_sock (NULL: unset). When stop_when is in
 * its output, the server is freed (the appliance goes away).
 */
static void ctl_run(struct env *e, struct run *r, const char *env_sock, const char *stop_when,
		const char *const *argv)
{
	int po[2], pe[2];
	const char *av[32] = {ctl_bin};
	uint64_t deadline = mono_ms() + 15000;
	pid_t pid;
	int st;

	if (ctl_bin == NULL)
		skip();
	for (unsigned int i = 0; argv[i] != NULL && i < 30; i++)
		av[i + 1] = argv[i];
	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe2(po, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		if (env_sock != NULL)
			setenv("SYNFRONT_SOCKET", env_sock, 1);
		else
			unsetenv("SYNFRONT_SOCKET");
		execv(ctl_bin, (char *const *)av);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	fcntl(pe[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		if (e->c != NULL)
			sf_ctl_poll(e->c, 2);
		else
			poll(NULL, 0, 2);
		pipe_drain(po[0], r->out, sizeof(r->out), &r->nout);
		pipe_drain(pe[0], r->err, sizeof(r->err), &r->nerr);
		if (stop_when != NULL && e->c != NULL && strstr(r->out, stop_when) != NULL) {
			sf_ctl_free(e->c);
			e->c = NULL;
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (mono_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fail_msg("synfront-ctl did not finish; stdout: %s", r->out);
		}
	}
	pipe_drain(po[0], r->out, sizeof(r->out), &r->nout);
	pipe_drain(pe[0], r->err, sizeof(r->err), &r->nerr);
	close(po[0]);
	close(pe[0]);
	assert_true(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
}

static struct run run;

#define CTL(e, ...) ctl_run(e, &run, NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})

static void expect_status(int status)
{
	if (run.status != status)
		fail_msg("exit %d, expected %d; stdout: %s; stderr: %s", run.status, status, run.out,
				run.err);
}

static void test_cli_readable(void **state)
{
	struct env *e = *state;

	CTL(e, "-s", e->path, "version");
	expect_status(0);
	assert_string_equal(run.out, "name     synfront\nversion  " SF_VERSION "\n");
	assert_string_equal(run.err, "");

	/* Nested objects: dotted keys, one aligned column of values. */
	CTL(e, "-s", e->path, "stats", "per_lcore=true");
	expect_status(0);
	assert_non_null(strstr(run.out, "total.syn_received      "));
	assert_non_null(strstr(run.out, "\nlcores.2.cookie_invalid  7\n"));
	assert_non_null(strstr(run.out, "\nlcores.1.tx_packets      "));

	/* Array of objects: header of every key, "-" where one is missing. */
	CTL(e, "-s", e->path, "list");
	expect_status(0);
	assert_string_equal(run.out,
			"name         state  bytes  drained\n"
			"alpha        up      1234  -\n"
			"beta-longer  -          5  true\n");

	CTL(e, "-s", e->path, "help");
	expect_status(0);
	assert_true(strncmp(run.out, "command    args", 15) == 0);
	assert_non_null(strstr(run.out, "\necho       name: string, count?: integer 1..10, "
			"flag?: boolean  return the args\n"));
	assert_non_null(strstr(run.out, "\nversion    -"));

	CTL(e, "-s", e->path, "nothing");
	expect_status(0);
	assert_string_equal(run.out, "ok\n");
}

static void test_cli_json_and_args(void **state)
{
	struct env *e = *state;
	json_error_t je;
	json_t *j;

	CTL(e, "-s", e->path, "--json", "stats");
	expect_status(0);
	j = json_loads(run.out, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "total"),
			"cookie_invalid")), 7);
	assert_null(json_object_get(j, "lcores"));
	json_decref(j);

	/* Typed values; a JSON string literal forces a string; options after the command. */
	CTL(e, "-s", e->path, "echo", "name=\"10\"", "count=5", "flag=true", "--json");
	expect_status(0);
	j = json_loads(run.out, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "10");
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 5);
	assert_true(json_is_true(json_object_get(j, "flag")));
	json_decref(j);

	/* --args, then ARG=VALUE overriding it; a bare word is a string. */
	CTL(e, "-s", e->path, "--json", "--args", "{\"name\":\"x\",\"count\":2}", "echo", "count=3",
			"name=web-1");
	expect_status(0);
	j = json_loads(run.out, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "web-1");
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 3);
	json_decref(j);

	/* A number where a string is wanted: the server's message, exit 1. */
	CTL(e, "-s", e->path, "echo", "name=10");
	expect_status(1);
	assert_string_equal(run.out, "");
	assert_true(strncmp(run.err, "synfront-ctl: invalid_argument: argument \"name\" must be",
			55) == 0);

	CTL(e, "-s", e->path, "echo", "name");
	expect_status(1);
	assert_non_null(strstr(run.err, "ARG=VALUE"));

	/* SYNFRONT_SOCKET gives the path when -s does not. */
	ctl_run(e, &run, e->path, NULL, (const char *const[]){"version", NULL});
	expect_status(0);
	assert_non_null(strstr(run.out, "synfront"));
}

static void test_cli_errors(void **state)
{
	struct env *e = *state;
	char missing[200];

	CTL(e, "-s", e->path, "nope");
	expect_status(1);
	assert_string_equal(run.out, "");
	assert_string_equal(run.err, "synfront-ctl: unknown_command: unknown command \"nope\"; "
			"\"help\" lists the commands\n");

	snprintf(missing, sizeof(missing), "%s/absent.sock", e->dir);
	CTL(e, "-s", missing, "version");
	expect_status(2);
	assert_non_null(strstr(run.err, missing));
	assert_non_null(strstr(run.err, strerror(ENOENT)));

	ctl_run(e, &run, missing, NULL, (const char *const[]){"top", "--count", "1", NULL});
	expect_status(2);
	assert_non_null(strstr(run.err, missing));

	CTL(e, "-s", e->path, "--timeout", "x", "version");
	expect_status(1);
	CTL(e, "-s", e->path, "version", "--count", "2");
	expect_status(1);
}

/* The fields of the line of top's block that starts with label. */
static int top_fields(const char *block, const char *label, char f[][32], int max)
{
	char line[512];
	const char *p = block;
	size_t ll = strlen(label);
	int n = 0;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len < sizeof(line) && strncmp(p, label, ll) == 0 && p[ll] == ' ') {
			char *save, *tok;

			memcpy(line, p, len);
			line[len] = '\0';
			for (tok = strtok_r(line, " ", &save); tok != NULL && n < max;
					tok = strtok_r(NULL, " ", &save))
				snprintf(f[n++], sizeof(f[0]), "%s", tok);
			return n;
		}
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static void assert_rate(const char *got, double want)
{
	double v = atof(got);

	if (v < want * 0.6 || v > want * 1.4)
		fail_msg("rate %s, expected about %.0f", got, want);
}

static void test_cli_top(void **state)
{
	struct env *e = *state;
	char f[12][32];
	const char *second;

	CTL(e, "-s", e->path, "top", "--count", "2", "--interval", "100");
	expect_status(0);
	second = strstr(run.out, "synfront top:");
	assert_non_null(second);
	second = strstr(second + 1, "synfront top:");
	assert_non_null(second);
	assert_null(strstr(second + 1, "synfront top:"));
	assert_null(strstr(run.out, "\033["));  /* not a terminal: no escapes */
	assert_non_null(strstr(run.out, "lcore  syn_received  synack_sent  cookie_valid  "
			"cookie_invalid  conn_new  drops  rx_packets  tx_packets\n"));

	/* lcore 1: 5000 SYN/s, 2000 cookie_valid/s, still cookie_invalid, no conn_new, 3000 drops/s */
	assert_int_equal(top_fields(second, "1", f, 12), 9);
	assert_rate(f[1], 5000);
	assert_rate(f[2], 5000);
	assert_rate(f[3], 2000);
	assert_string_equal(f[4], "0");
	assert_string_equal(f[5], "-");
	assert_rate(f[6], 3000);
	assert_rate(f[7], 10000);
	assert_int_equal(top_fields(second, "2", f, 12), 9);
	assert_rate(f[1], 10000);
	assert_int_equal(top_fields(second, "total", f, 12), 9);
	assert_rate(f[1], 15000);
	assert_rate(f[6], 9000);

	CTL(e, "-s", e->path, "top", "--count", "1", "--interval", "50", "--counters",
			"rx_packets,nope");
	expect_status(0);
	assert_int_equal(top_fields(run.out, "total", f, 12), 3);
	assert_rate(f[1], 30000);
	assert_string_equal(f[2], "-");
}

static void test_cli_top_server_gone(void **state)
{
	struct env *e = *state;

	ctl_run(e, &run, NULL, "synfront top:",
			(const char *const[]){"-s", e->path, "top", "--interval", "50", NULL});
	expect_status(2);
	assert_null(e->c);
	assert_non_null(strstr(run.err, "lost connection to"));
	assert_non_null(strstr(run.err, e->path));
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_modes),
		T(test_create_stale_replaced),
		T(test_create_refused),
		T(test_register),
		T(test_version_help),
		T(test_id_echo),
		T(test_malformed),
		T(test_invalid_request),
		T(test_invalid_argument),
		cmocka_unit_test(test_args_helpers),
		T(test_oversize),
		T(test_pipelined),
		T(test_byte_by_byte),
		T(test_half_close),
		T(test_concurrent),
		T(test_busy),
		T(test_accept_emfile),
		T(test_idle_timeout),
		T(test_slow_reader),
		T(test_deferred),
		T(test_deferred_timeout),
		T(test_ctl_stats),
		T(test_cli_readable),
		T(test_cli_json_and_args),
		T(test_cli_errors),
		T(test_cli_top),
		T(test_cli_top_server_gone),
	};
#undef T

	if (argc > 1)
		ctl_bin = argv[1];
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
