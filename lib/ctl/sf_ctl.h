/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Control plane: the JSON command socket served on the main lcore.
 *
 * A UNIX stream socket (mode 0600) speaks newline-delimited JSON, one request
 * and one reply a line:
 *
 *     -> {"cmd":"conns","args":{"limit":10},"id":7}
 *     <- {"ok":true,"result":[...],"id":7}
 *     <- {"ok":false,"error":{"code":"invalid_argument","message":"..."}}
 *
 * The server is single-threaded and never blocks: the application's main loop
 * calls sf_ctl_poll() instead of sleeping. Every connection has its own input
 * and output buffers, so partial reads and writes, pipelined requests (answered
 * in order) and slow readers are handled without stalling anyone else.
 *
 * Commands live in a registry: a command is a name, a one-line help, a
 * description of its arguments and a handler. "help", "version" and
 * "ctl.stats" are built in; the data-plane commands are registered by the
 * application. docs/control.md describes the protocol for operators.
 *
 * A handler that needs the workers (a snapshot sent through a ring) answers
 * later: it calls sf_ctl_defer(), returns SF_CTL_DEFERRED, and the reply is
 * given with sf_ctl_complete(). Later requests on the same connection wait
 * for it, so replies stay in request order.
 *
 * This library needs no EAL: it uses only rte_log and rte_errno.
 */
#ifndef SF_CTL_H
#define SF_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/**
 * X(enum suffix, wire code, when): the error codes of the protocol, in the
 * order of docs/control.md. A handler may report any of them; it normally
 * reports SF_CTL_E_INVALID_ARGUMENT (or SF_CTL_E_INTERNAL).
 */
#define SF_CTL_ERR_LIST(X) \
	X(PARSE_ERROR,       parse_error,       "the line is not valid JSON (UTF-8, one value)") \
	X(INVALID_REQUEST,   invalid_request,   "the JSON is not a request object of the documented shape") \
	X(UNKNOWN_COMMAND,   unknown_command,   "no command of that name is registered") \
	X(INVALID_ARGUMENT,  invalid_argument,  "an argument is unknown, missing, of the wrong type or out of range") \
	X(REQUEST_TOO_LARGE, request_too_large, "the line is longer than control.request_max_bytes") \
	X(INTERNAL,          internal,          "the command failed inside the appliance") \
	X(BUSY,              busy,              "control.max_clients connections are already open")

/** Protocol error codes, see SF_CTL_ERR_LIST. */
enum sf_ctl_errcode {
#define SF_CTL_X_ENUM(e, n, d) SF_CTL_E_##e,
	SF_CTL_ERR_LIST(SF_CTL_X_ENUM)
#undef SF_CTL_X_ENUM
	SF_CTL_E_MAX
};

/**
 * X(name, description): counters of the control plane itself, in the order
 * "ctl.stats" reports them. Replies by error code are counted separately.
 */
#define SF_CTL_STATS_LIST(X) \
	X(requests,            "request lines received (empty lines are not requests)") \
	X(replies_ok,          "requests answered with \"ok\": true") \
	X(replies_error,       "requests answered with an error (see errors.<code>)") \
	X(deferred,            "requests whose handler answered later (sf_ctl_defer)") \
	X(deferred_timeout,    "deferred requests answered \"internal\" after idle_timeout_ms") \
	X(clients_accepted,    "connections accepted") \
	X(clients_refused,     "connections refused with \"busy\" (max_clients reached)") \
	X(clients_closed,      "connections closed by the client") \
	X(clients_closed_idle, "connections closed after idle_timeout_ms without traffic") \
	X(clients_closed_slow, "connections closed because unread replies exceeded output_max_bytes") \
	X(bytes_in,            "bytes read from clients") \
	X(bytes_out,           "bytes written to clients")

/** Counters and gauges of one control server, see sf_ctl_stats_get(). */
struct sf_ctl_stats {
#define SF_CTL_X_FIELD(n, d) uint64_t n;
	SF_CTL_STATS_LIST(SF_CTL_X_FIELD)
#undef SF_CTL_X_FIELD
	uint64_t errors[SF_CTL_E_MAX];  /**< error replies, by code */
	unsigned int clients;           /**< gauge: connections open now */
	unsigned int commands;          /**< gauge: commands registered */
};

#define SF_CTL_ERR_MSG_MAX 256  /**< bytes of an error message, incl. NUL */

/** An error reply being built: filled by sf_ctl_err_set(). */
struct sf_ctl_err {
	enum sf_ctl_errcode code;
	char message[SF_CTL_ERR_MSG_MAX];
};

/** JSON type an argument must have, for sf_ctl_args_check(). */
enum sf_ctl_arg_type {
	SF_CTL_ARG_ANY = 0,
	SF_CTL_ARG_STRING,
	SF_CTL_ARG_INTEGER,  /**< JSON integer, range-checked when min < max */
	SF_CTL_ARG_NUMBER,   /**< integer or real */
	SF_CTL_ARG_BOOLEAN,
	SF_CTL_ARG_OBJECT,
	SF_CTL_ARG_ARRAY,
};

/** One argument a command accepts; arrays of them end with name == NULL. */
struct sf_ctl_arg {
	const char *name;
	enum sf_ctl_arg_type type;
	bool required;
	int64_t min;  /**< SF_CTL_ARG_INTEGER: accepted range min..max, when min < max */
	int64_t max;
};

/** A spec that accepts no argument at all, for sf_ctl_cmd.args. */
extern const struct sf_ctl_arg sf_ctl_no_args[];

/** Return value of a handler that answers later, see sf_ctl_defer(). */
#define SF_CTL_DEFERRED 1

/**
 * A command handler. Runs on the thread that calls sf_ctl_poll().
 *
 * @param args the request's "args" (an empty object when absent), borrowed
 * @param result on success, the "result" to send; the reference is stolen.
 *   Left NULL, the result is JSON null.
 * @param err on failure, the error to send: fill it with sf_ctl_err_set()
 * @param arg sf_ctl_cmd.arg
 * @return 0 on success, -1 on failure (an unset err becomes "internal"),
 *   or SF_CTL_DEFERRED after sf_ctl_defer()
 */
typedef int (*sf_ctl_handler_t)(const json_t *args, json_t **result, struct sf_ctl_err *err,
		void *arg);

/** A command, as given to sf_ctl_register(). */
struct sf_ctl_cmd {
	const char *name;       /**< [a-z0-9_.-]+, e.g. "stats", "backend.drain" */
	const char *help;       /**< one line, no trailing period */
	const char *args_help;  /**< e.g. "state?: string, limit?: integer"; NULL: from args, or "" */
	sf_ctl_handler_t handler;
	void *arg;              /**< passed to the handler */
	/**
	 * Optional, ends with name == NULL: the server checks the request's args
	 * with sf_ctl_args_check() before calling the handler, and "help" derives
	 * the argument description from it when args_help is NULL.
	 */
	const struct sf_ctl_arg *args;
};

/** What sf_ctl_create() needs; control.* in the configuration. */
struct sf_ctl_params {
	const char *socket_path;    /**< e.g. "/run/synfront/synfront.sock" */
	unsigned int max_clients;   /**< connections served at once, >= 1 */
	uint32_t request_max_bytes; /**< longest request line, newline excluded, >= 64 */
	uint32_t idle_timeout_ms;   /**< close connections silent this long, >= 1 */
	size_t output_max_bytes;    /**< unread replies a client may hold; 0: 16 MiB */
};

struct sf_ctl;

/**
 * Create the control server and start listening.
 *
 * Creates the socket's parent directories (mode 0755) when missing. An
 * existing file at the path is replaced only if it is a socket nobody answers
 * on (left by a crashed instance). The socket is created with mode 0600 (the
 * umask is set around bind(), so it is never reachable with a wider mode).
 * The built-in commands "help", "version" and "ctl.stats" are registered.
 *
 * @return the server, or NULL with rte_errno (and errno) set:
 *   - EINVAL: a parameter is missing or out of range
 *   - ENAMETOOLONG: the path does not fit a UNIX socket address
 *   - EADDRINUSE: another instance answers on the path
 *   - EEXIST: the path exists and is not a socket
 *   - ENOMEM: out of memory
 *   - any errno of mkdir(), socket(), bind(), chmod(), listen()
 */
struct sf_ctl *sf_ctl_create(const struct sf_ctl_params *p);

/**
 * Close every connection and the listening socket, and remove the socket file
 * (only if it is still the one this server created). Deferred requests are
 * dropped. NULL is accepted.
 */
void sf_ctl_free(struct sf_ctl *c);

/**
 * Register a command. Its strings are copied; the cmd->args array is
 * referenced and must outlive the server (a static const array).
 *
 * @return 0, or
 *   - -EINVAL: no name, a name outside [a-z0-9_.-], no help or no handler
 *   - -EEXIST: a command of that name exists
 *   - -ENOMEM: out of memory
 */
int sf_ctl_register(struct sf_ctl *c, const struct sf_ctl_cmd *cmd);

/**
 * Serve the socket: accept, read, answer, write, and close idle connections.
 * Waits at most @p timeout_ms for something to happen (0: do not wait; < 0:
 * until something happens), handles what is ready and returns. A signal ends
 * the wait at once.
 *
 * @return the number of sockets that had events (>= 0), or
 *   - -EINTR: a signal interrupted the wait
 *   - -EINVAL: c is NULL
 *   - any other errno of poll()
 */
int sf_ctl_poll(struct sf_ctl *c, int timeout_ms);

/**
 * Fill an error: its code and a printf-style message (truncated to
 * SF_CTL_ERR_MSG_MAX - 1 bytes).
 *
 * @return -1, so that a handler can "return sf_ctl_err_set(err, ...);"
 */
int sf_ctl_err_set(struct sf_ctl_err *err, enum sf_ctl_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** @return the wire name of an error code ("parse_error", ...), "internal" when out of range. */
const char *sf_ctl_err_name(enum sf_ctl_errcode code);

/**
 * Check a request's args against a specification: every member must be
 * listed in @p spec and have its type (and range), every required one must
 * be present. The first problem found is reported as invalid_argument naming
 * the argument.
 *
 * @param args the args object given to the handler
 * @param spec accepted arguments, ending with name == NULL (NULL: none)
 * @param err filled on failure
 * @return 0 when the args match, -1 with err filled otherwise
 */
int sf_ctl_args_check(const json_t *args, const struct sf_ctl_arg *spec, struct sf_ctl_err *err);

/**
 * Write a spec's description ("state?: string, limit?: integer 1..1000")
 * into @p buf, as "help" shows it.
 *
 * @return the length it needs (as snprintf), or -EINVAL for a NULL buf with size > 0
 */
int sf_ctl_args_describe(const struct sf_ctl_arg *spec, char *buf, size_t size);

/**
 * Called by a handler, before it returns SF_CTL_DEFERRED: take the request
 * being handled out of line. The connection's later requests wait until
 * sf_ctl_complete() answers it, or until idle_timeout_ms elapse (the client
 * then gets "internal" and the ticket is void).
 *
 * @return a ticket (never 0) for sf_ctl_complete(), or 0 with rte_errno set:
 *   - EINVAL: c is NULL or no handler of c is running
 *   - EALREADY: the request is already deferred
 */
uint64_t sf_ctl_defer(struct sf_ctl *c);

/**
 * Answer a deferred request, from the thread that calls sf_ctl_poll(). The
 * reply goes out with the connection's next writes, and the requests that
 * waited behind it are handled.
 *
 * @param ticket from sf_ctl_defer()
 * @param result the result on success (stolen, also when the call fails; NULL
 *   means JSON null); ignored and released when err is not NULL
 * @param err the error to reply, or NULL for success
 * @return 0, or
 *   - -EINVAL: c is NULL or ticket is 0
 *   - -ENOENT: no request waits on the ticket (the client left, the request
 *     timed out, or it was answered)
 */
int sf_ctl_complete(struct sf_ctl *c, uint64_t ticket, json_t *result,
		const struct sf_ctl_err *err);

/**
 * Read the counters of a server.
 *
 * @return 0, or -EINVAL if c or st is NULL
 */
int sf_ctl_stats_get(const struct sf_ctl *c, struct sf_ctl_stats *st);

/** @return the path the server listens on, as given to sf_ctl_create(). */
const char *sf_ctl_path(const struct sf_ctl *c);

#endif /* SF_CTL_H */
