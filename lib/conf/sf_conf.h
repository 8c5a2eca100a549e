/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * synfront configuration: one JSON file, parsed and validated into struct sf_conf.
 *
 * Every key has a type, a default and a range; docs/config.md lists them all.
 * Validation collects every problem before returning (unknown keys, wrong types,
 * out-of-range values, dangling references such as a service naming a port that
 * does not exist), each reported as "FILE:LINE:COL: KEY.PATH: message".
 *
 * Addresses are kept in network byte order, ports (TCP) in host byte order.
 * This library does not need EAL; it is usable from unit tests and tools.
 */
#ifndef SF_CONF_H
#define SF_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SF_CONF_NAME_MAX 32      /**< names of ports and services, incl. NUL */
#define SF_CONF_DEV_MAX 64       /**< DPDK device names */
#define SF_CONF_DEVARGS_MAX 256  /**< DPDK device arguments */
#define SF_CONF_PATH_MAX 256     /**< file system paths */
#define SF_CONF_MAX_PORTS 8
#define SF_CONF_MAX_SERVICES 64
#define SF_CONF_MAX_BACKENDS 64  /**< per service */
#define SF_CONF_MAX_SOURCES 16   /**< source addresses per service */
#define SF_CONF_MAX_NEIGH 256    /**< static neighbour entries */
#define SF_CONF_MAX_ERRORS 64    /**< problems stored per load (more are only counted) */

/** What to do with a packet that is refused (no service, invalid cookie). */
enum sf_conf_action {
	SF_CONF_ACTION_DROP = 0,
	SF_CONF_ACTION_RST = 1,
};

struct sf_conf_port {
	char name[SF_CONF_NAME_MAX];        /**< "name": operator's name, unique */
	char device[SF_CONF_DEV_MAX];       /**< "device": DPDK device name (e.g. net_af_packet0) */
	char devargs[SF_CONF_DEVARGS_MAX];  /**< "devargs": optional; hot-plugged if device is absent */
	uint32_t addr;                      /**< "ipv4": "a.b.c.d/len" address part */
	uint8_t prefix_len;                 /**< "ipv4": prefix length 1..32 */
	uint32_t gateway;                   /**< "gateway": optional next hop, 0 = none */
	uint16_t mtu;                       /**< "mtu": 576..9000, default 1500 */
	uint16_t rx_desc;                   /**< "rx_desc": 64..16384, power of 2, default 1024 */
	uint16_t tx_desc;                   /**< "tx_desc": 64..16384, power of 2, default 1024 */
	bool promiscuous;                   /**< "promiscuous": default false */
};

struct sf_conf_backend {
	uint32_t addr;      /**< "address": "ip:port" address part */
	uint16_t port;      /**< "address": "ip:port" port part */
	uint16_t weight;    /**< "weight": 0..1000, default 1 (0 = drained) */
};

struct sf_conf_service {
	char name[SF_CONF_NAME_MAX];   /**< "name": unique */
	uint32_t vip;                  /**< "listen": "ip:port" address part */
	uint16_t vport;                /**< "listen": "ip:port" port part (1..65535) */
	uint8_t port;                  /**< "port": index into sf_conf.ports of the client-side port */
	uint8_t backend_port;          /**< "backend_port": index of the backend-side port */
	uint16_t mss;                  /**< "mss": 536..9176, default 1460; MSS the backends accept */
	uint8_t wscale;                /**< "window_scale": 0..14, default 7 */
	uint16_t nb_backends;
	uint16_t nb_sources;
	struct sf_conf_backend backends[SF_CONF_MAX_BACKENDS];  /**< "backends": 1..64 entries */
	uint32_t sources[SF_CONF_MAX_SOURCES];  /**< "source_addresses": 1..16 IPv4 addresses */
};

/** "tcp": connection tunables. Times in milliseconds. */
struct sf_conf_tcp {
	uint8_t syn_retries;              /**< 1..15, default 5 */
	uint32_t rto_initial_ms;          /**< 100..60000, default 1000 */
	uint32_t rto_max_ms;              /**< 1000..600000, default 120000, >= rto_initial_ms */
	uint32_t msl_ms;                  /**< 100..600000, default 30000; TIME_WAIT = 2*msl */
	uint32_t fin_wait2_timeout_ms;    /**< 1000..3600000, default 60000 */
	uint32_t idle_timeout_ms;         /**< 1000..86400000, default 300000 */
	uint32_t half_open_timeout_ms;    /**< 1000..600000, default 30000 */
	uint8_t orphan_retries;           /**< 0..15, default 8 (FIN_WAIT_1 retransmits) */
	bool time_wait_reuse;             /**< default true */
};

/** "cookies": SYN-cookie settings. */
struct sf_conf_cookies {
	uint32_t max_age_ms;              /**< 10000..600000, default 120000 */
	uint32_t rotate_interval_ms;      /**< 1000..86400000, default 60000, <= max_age_ms */
	char key_file[SF_CONF_PATH_MAX];  /**< "" = random keys from getrandom */
	bool timestamps;                  /**< default true: carry options in TSval */
	enum sf_conf_action invalid_action;     /**< "invalid_action": "drop" (default) | "rst" */
	enum sf_conf_action no_service_action;  /**< "no_service_action": "rst" (default) | "drop" */
};

/** "limits": sizing. */
struct sf_conf_limits {
	uint32_t connections_per_lcore;   /**< 1024..16777216, default 1048576 */
	uint32_t mbufs;                   /**< 1023..4194303, default 65535 (per socket) */
	uint16_t mbuf_cache;              /**< 0..512, default 256 */
	uint16_t burst;                   /**< 1..64, default 32 */
	uint16_t idle_sleep_us;           /**< 0..10000, default 0: workers sleep this long after
	                                       64 empty polls in a row (0 = always busy-poll) */
};

struct sf_conf_neigh_static {
	uint8_t port;                     /**< "port": port index */
	uint32_t addr;                    /**< "ip" */
	uint8_t mac[6];                   /**< "mac": "aa:bb:cc:dd:ee:ff" */
};

/** "neighbors": ARP table behaviour. */
struct sf_conf_neigh {
	uint32_t reachable_ms;            /**< 1000..3600000, default 300000: learnt entries age out */
	uint32_t retry_ms;                /**< 100..10000, default 1000: between ARP requests */
	uint8_t retries;                  /**< 1..10, default 3: requests before giving up */
	uint16_t nb_static;
	struct sf_conf_neigh_static statics[SF_CONF_MAX_NEIGH];  /**< "static": list */
};

/** "control": control plane. */
struct sf_conf_control {
	char socket[SF_CONF_PATH_MAX];    /**< default "/run/synfront/synfront.sock" */
	char http_listen[64];             /**< "ip:port", "" = off (default off) */
	uint16_t max_clients;             /**< 1..1024, default 64 */
	uint32_t request_max_bytes;       /**< 256..1048576, default 65536 */
	uint32_t idle_timeout_ms;         /**< 1000..3600000, default 60000 */
};

/** "log": logging. */
struct sf_conf_log {
	int level;                        /**< "level": "emerg".."debug" as RTE_LOG_* 1..8, default info (7) */
};

struct sf_conf {
	uint16_t nb_ports;
	uint16_t nb_services;
	struct sf_conf_port ports[SF_CONF_MAX_PORTS];            /**< "ports": 1..8 entries */
	struct sf_conf_service services[SF_CONF_MAX_SERVICES];   /**< "services": 0..64 entries */
	struct sf_conf_tcp tcp;
	struct sf_conf_cookies cookies;
	struct sf_conf_limits limits;
	struct sf_conf_neigh neigh;
	struct sf_conf_control control;
	struct sf_conf_log log;
};

/** One configuration problem. */
struct sf_conf_error {
	char path[128];     /**< key path, e.g. "services[0].backends[1].weight" ("" = whole file) */
	int line;           /**< 1-based; 0 when unknown (e.g. file unreadable) */
	int column;         /**< 1-based */
	char message[160];
};

/** Collected problems of one load. */
struct sf_conf_errors {
	unsigned int count;           /**< all problems found (may exceed the stored ones) */
	unsigned int stored;
	struct sf_conf_error e[SF_CONF_MAX_ERRORS];  /**< in document order */
};

/**
 * Fill a configuration with every default. Ports and services are empty.
 *
 * @param conf  the configuration to overwrite
 */
void sf_conf_defaults(struct sf_conf *conf);

/**
 * Parse and validate a configuration from a JSON text.
 *
 * @param text      the JSON document (need not be NUL-terminated)
 * @param len       its length in bytes
 * @param conf      filled on success; contents unspecified on failure
 * @param errs      receives every problem found, in document order (may be NULL)
 * @return 0 when valid, -EINVAL when any problem was found (see errs),
 *         -ENOMEM when memory ran out
 */
int sf_conf_parse(const char *text, size_t len, struct sf_conf *conf, struct sf_conf_errors *errs);

/**
 * Read a file and parse it with sf_conf_parse().
 *
 * @param file  path of the JSON file
 * @param conf  filled on success; contents unspecified on failure
 * @param errs  receives every problem found (may be NULL)
 * @return 0 when valid, -EINVAL on problems, -ENOMEM when memory ran out,
 *         -EFBIG when the file is larger than 16 MiB, -errno from fopen()/fread()
 *         (e.g. -ENOENT, -EACCES, -EISDIR) when the file cannot be read; errs then
 *         holds one error with line 0 and the strerror() text.
 */
int sf_conf_load(const char *file, struct sf_conf *conf, struct sf_conf_errors *errs);

/**
 * Print every stored error, one a line: "FILE:LINE:COL: PATH: MESSAGE";
 * "FILE:LINE:COL: MESSAGE" when the path is "" (JSON syntax errors);
 * "FILE: MESSAGE" when the line is 0 (file unreadable). When more errors were
 * found than stored, a last line says "... and N more error(s)".
 *
 * @param errs  errors from sf_conf_parse() or sf_conf_load()
 * @param file  the name to print ("<config>" when NULL)
 * @param out   where to print
 */
void sf_conf_errors_print(const struct sf_conf_errors *errs, const char *file, FILE *out);

/**
 * Find a port by name.
 *
 * @return its index in conf->ports, -ENOENT when no port has that name,
 *         -EINVAL when conf or name is NULL
 */
int sf_conf_port_find(const struct sf_conf *conf, const char *name);

/**
 * Does the appliance own this address on port index @p port? Used for ARP and
 * ICMP answers. Owned are: the port's own address, the VIP of every service whose
 * "port" is this port, and every source address of a service whose
 * "backend_port" is this port.
 *
 * @param conf  a valid configuration
 * @param port  port index
 * @param addr  IPv4 address, network order
 * @return true when owned; false otherwise, and for a port index out of range
 */
bool sf_conf_owns_addr(const struct sf_conf *conf, uint16_t port, uint32_t addr);

/**
 * Name of an action as written in the configuration.
 *
 * @return "drop" or "rst"; "unknown" for a value outside the enum
 */
const char *sf_conf_action_str(enum sf_conf_action a);

/**
 * Name of a log level as written in the configuration ("log.level").
 *
 * @param level  1 (emerg) .. 8 (debug), the RTE_LOG_* values
 * @return "emerg" .. "debug"; "unknown" for a level out of range
 */
const char *sf_conf_log_level_str(int level);

#endif /* SF_CONF_H */
