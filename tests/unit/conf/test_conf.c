/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration parser: every field lands where it should,
 * defaults fill what is missing, and every kind of problem is reported with the
 * key path and the line:column an operator would look at.
 *
 * Test documents are written one JSON line per C line so that positions can be
 * read off the source: a line "<n spaces>\"key\": value" has the key at column
 * n + 1 and the value at column n + len(key) + 5.
 *
 * Arguments: the paths of conf/lab.json and conf/example.json.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sf_conf.h"

static const char *lab_json;
static const char *example_json;

static struct sf_conf conf;
static struct sf_conf_errors errs;

static int parse(const char *text)
{
	return sf_conf_parse(text, strlen(text), &conf, &errs);
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void dump_errors(void)
{
	sf_conf_errors_print(&errs, "test.json", stderr);
}

/* Error i is at path, line:col, and its message contains msg. */
static void check_err(unsigned int i, const char *path, int line, int col, const char *msg)
{
	const struct sf_conf_error *e;

	if (i >= errs.stored) {
		dump_errors();
		fail_msg("error %u missing (%u stored)", i, errs.stored);
	}
	e = &errs.e[i];
	if (strcmp(e->path, path) != 0 || e->line != line || e->column != col ||
	    strstr(e->message, msg) == NULL) {
		dump_errors();
		fail_msg("error %u: got %d:%d \"%s\" \"%s\", want %d:%d \"%s\" \"...%s...\"", i,
			 e->line, e->column, e->path, e->message, line, col, path, msg);
	}
}

/* The document has exactly one problem, at path line:col. */
static void check_one(const char *text, const char *path, int line, int col, const char *msg)
{
	assert_int_equal(parse(text), -EINVAL);
	if (errs.count != 1)
		dump_errors();
	assert_int_equal(errs.count, 1);
	assert_int_equal(errs.stored, 1);
	check_err(0, path, line, col, msg);
}

/* Lines 2..5 of most documents: two valid ports. */
#define PORTS \
	"  \"ports\": [\n" \
	"    {\"name\": \"client\", \"device\": \"d0\", \"ipv4\": \"198.18.0.2/24\"},\n" \
	"    {\"name\": \"backend\", \"device\": \"d1\", \"ipv4\": \"198.18.1.2/24\"}\n" \
	"  ]"

/* Lines 6..12: a service "web" up to its backends array (open). */
#define SVC_HEAD \
	"  \"services\": [\n" \
	"    {\n" \
	"      \"name\": \"web\",\n" \
	"      \"listen\": \"198.18.0.100:80\",\n" \
	"      \"port\": \"client\",\n" \
	"      \"backend_port\": \"backend\",\n" \
	"      \"source_addresses\": [\"198.18.1.100\"],\n"

/* ---- valid documents --------------------------------------------------- */

static const char full_doc[] =
	"{\n"
	"  \"ports\": [\n"
	"    {\"name\": \"client\", \"device\": \"net_af_xdp0\",\n"
	"     \"devargs\": \"iface=ens1f0,start_queue=0,queue_count=2\",\n"
	"     \"ipv4\": \"198.18.0.2/24\", \"gateway\": \"198.18.0.1\", \"mtu\": 9000,\n"
	"     \"rx_desc\": 2048, \"tx_desc\": 512, \"promiscuous\": true},\n"
	"    {\"name\": \"backend\", \"device\": \"net_af_xdp1\", \"ipv4\": \"10.1.0.2/16\"}\n"
	"  ],\n"
	"  \"services\": [\n"
	"    {\"name\": \"web\", \"listen\": \"198.18.0.100:80\", \"port\": \"client\",\n"
	"     \"backend_port\": \"backend\", \"mss\": 1400, \"window_scale\": 9,\n"
	"     \"source_addresses\": [\"10.1.0.100\", \"10.1.0.101\"],\n"
	"     \"backends\": [{\"address\": \"10.1.1.1:8080\", \"weight\": 10},\n"
	"                  {\"address\": \"10.1.1.2:8081\", \"weight\": 0},\n"
	"                  {\"address\": \"10.1.1.3:65535\"}]},\n"
	"    {\"name\": \"tls\", \"listen\": \"198.18.0.101:443\", \"port\": \"client\",\n"
	"     \"backend_port\": \"backend\", \"source_addresses\": [\"10.1.0.102\"],\n"
	"     \"backends\": [{\"address\": \"10.1.1.1:8443\"}]}\n"
	"  ],\n"
	"  \"tcp\": {\"syn_retries\": 3, \"rto_initial_ms\": 500, \"rto_max_ms\": 30000,\n"
	"          \"msl_ms\": 15000, \"fin_wait2_timeout_ms\": 20000,\n"
	"          \"idle_timeout_ms\": 900000, \"half_open_timeout_ms\": 10000,\n"
	"          \"orphan_retries\": 0, \"time_wait_reuse\": false},\n"
	"  \"cookies\": {\"max_age_ms\": 60000, \"rotate_interval_ms\": 30000,\n"
	"              \"key_file\": \"/etc/synfront/key\", \"timestamps\": false,\n"
	"              \"invalid_action\": \"rst\", \"no_service_action\": \"drop\"},\n"
	"  \"limits\": {\"connections_per_lcore\": 4096, \"mbufs\": 8191, \"mbuf_cache\": 0,\n"
	"             \"burst\": 64},\n"
	"  \"neighbors\": {\"reachable_ms\": 60000, \"retry_ms\": 500, \"retries\": 5,\n"
	"                \"static\": [{\"port\": \"backend\", \"ip\": \"10.1.1.1\",\n"
	"                            \"mac\": \"02:AB:cd:00:11:ff\"}]},\n"
	"  \"control\": {\"socket\": \"/tmp/sf.sock\", \"http_listen\": \"127.0.0.1:9180\",\n"
	"              \"max_clients\": 8, \"request_max_bytes\": 4096,\n"
	"              \"idle_timeout_ms\": 5000},\n"
	"  \"log\": {\"level\": \"debug\"}\n"
	"}\n";

static void test_full(void **state)
{
	const struct sf_conf_port *p;
	const struct sf_conf_service *s;
	static const uint8_t mac[6] = { 0x02, 0xab, 0xcd, 0x00, 0x11, 0xff };

	if (parse(full_doc) != 0)
		dump_errors();
	assert_int_equal(parse(full_doc), 0);
	assert_int_equal(errs.count, 0);

	assert_int_equal(conf.nb_ports, 2);
	p = &conf.ports[0];
	assert_string_equal(p->name, "client");
	assert_string_equal(p->device, "net_af_xdp0");
	assert_string_equal(p->devargs, "iface=ens1f0,start_queue=0,queue_count=2");
	assert_int_equal(p->addr, ip("198.18.0.2"));
	assert_int_equal(p->prefix_len, 24);
	assert_int_equal(p->gateway, ip("198.18.0.1"));
	assert_int_equal(p->mtu, 9000);
	assert_int_equal(p->rx_desc, 2048);
	assert_int_equal(p->tx_desc, 512);
	assert_true(p->promiscuous);
	p = &conf.ports[1];
	assert_string_equal(p->name, "backend");
	assert_string_equal(p->devargs, "");
	assert_int_equal(p->addr, ip("10.1.0.2"));
	assert_int_equal(p->prefix_len, 16);
	assert_int_equal(p->gateway, 0);

	assert_int_equal(conf.nb_services, 2);
	s = &conf.services[0];
	assert_string_equal(s->name, "web");
	assert_int_equal(s->vip, ip("198.18.0.100"));
	assert_int_equal(s->vport, 80);
	assert_int_equal(s->port, 0);
	assert_int_equal(s->backend_port, 1);
	assert_int_equal(s->mss, 1400);
	assert_int_equal(s->wscale, 9);
	assert_int_equal(s->nb_sources, 2);
	assert_int_equal(s->sources[0], ip("10.1.0.100"));
	assert_int_equal(s->sources[1], ip("10.1.0.101"));
	assert_int_equal(s->nb_backends, 3);
	assert_int_equal(s->backends[0].addr, ip("10.1.1.1"));
	assert_int_equal(s->backends[0].port, 8080);
	assert_int_equal(s->backends[0].weight, 10);
	assert_int_equal(s->backends[1].addr, ip("10.1.1.2"));
	assert_int_equal(s->backends[1].port, 8081);
	assert_int_equal(s->backends[1].weight, 0);
	assert_int_equal(s->backends[2].port, 65535);
	assert_int_equal(s->backends[2].weight, 1);
	s = &conf.services[1];
	assert_string_equal(s->name, "tls");
	assert_int_equal(s->vport, 443);
	assert_int_equal(s->mss, 1460);
	assert_int_equal(s->wscale, 7);

	assert_int_equal(conf.tcp.syn_retries, 3);
	assert_int_equal(conf.tcp.rto_initial_ms, 500);
	assert_int_equal(conf.tcp.rto_max_ms, 30000);
	assert_int_equal(conf.tcp.msl_ms, 15000);
	assert_int_equal(conf.tcp.fin_wait2_timeout_ms, 20000);
	assert_int_equal(conf.tcp.idle_timeout_ms, 900000);
	assert_int_equal(conf.tcp.half_open_timeout_ms, 10000);
	assert_int_equal(conf.tcp.orphan_retries, 0);
	assert_false(conf.tcp.time_wait_reuse);

	assert_int_equal(conf.cookies.max_age_ms, 60000);
	assert_int_equal(conf.cookies.rotate_interval_ms, 30000);
	assert_string_equal(conf.cookies.key_file, "/etc/synfront/key");
	assert_false(conf.cookies.timestamps);
	assert_int_equal(conf.cookies.invalid_action, SF_CONF_ACTION_RST);
	assert_int_equal(conf.cookies.no_service_action, SF_CONF_ACTION_DROP);

	assert_int_equal(conf.limits.connections_per_lcore, 4096);
	assert_int_equal(conf.limits.mbufs, 8191);
	assert_int_equal(conf.limits.mbuf_cache, 0);
	assert_int_equal(conf.limits.burst, 64);

	assert_int_equal(conf.neigh.reachable_ms, 60000);
	assert_int_equal(conf.neigh.retry_ms, 500);
	assert_int_equal(conf.neigh.retries, 5);
	assert_int_equal(conf.neigh.nb_static, 1);
	assert_int_equal(conf.neigh.statics[0].port, 1);
	assert_int_equal(conf.neigh.statics[0].addr, ip("10.1.1.1"));
	assert_memory_equal(conf.neigh.statics[0].mac, mac, 6);

	assert_string_equal(conf.control.socket, "/tmp/sf.sock");
	assert_string_equal(conf.control.http_listen, "127.0.0.1:9180");
	assert_int_equal(conf.control.max_clients, 8);
	assert_int_equal(conf.control.request_max_bytes, 4096);
	assert_int_equal(conf.control.idle_timeout_ms, 5000);

	assert_int_equal(conf.log.level, 8);
}

static void test_defaults(void **state)
{
	const char *doc =
		"{\n"
		PORTS ",\n"
		SVC_HEAD
		"      \"backends\": [{\"address\": \"198.18.1.1:8080\"}]\n"
		"    }\n"
		"  ]\n"
		"}\n";

	assert_int_equal(parse(doc), 0);
	assert_int_equal(conf.ports[0].mtu, 1500);
	assert_int_equal(conf.ports[0].rx_desc, 1024);
	assert_int_equal(conf.ports[0].tx_desc, 1024);
	assert_false(conf.ports[0].promiscuous);
	assert_int_equal(conf.ports[0].gateway, 0);
	assert_int_equal(conf.services[0].mss, 1460);
	assert_int_equal(conf.services[0].wscale, 7);
	assert_int_equal(conf.services[0].backends[0].weight, 1);

	assert_int_equal(conf.tcp.syn_retries, 5);
	assert_int_equal(conf.tcp.rto_initial_ms, 1000);
	assert_int_equal(conf.tcp.rto_max_ms, 120000);
	assert_int_equal(conf.tcp.msl_ms, 30000);
	assert_int_equal(conf.tcp.fin_wait2_timeout_ms, 60000);
	assert_int_equal(conf.tcp.idle_timeout_ms, 300000);
	assert_int_equal(conf.tcp.half_open_timeout_ms, 30000);
	assert_int_equal(conf.tcp.orphan_retries, 8);
	assert_true(conf.tcp.time_wait_reuse);
	assert_int_equal(conf.cookies.max_age_ms, 120000);
	assert_int_equal(conf.cookies.rotate_interval_ms, 60000);
	assert_string_equal(conf.cookies.key_file, "");
	assert_true(conf.cookies.timestamps);
	assert_int_equal(conf.cookies.invalid_action, SF_CONF_ACTION_DROP);
	assert_int_equal(conf.cookies.no_service_action, SF_CONF_ACTION_RST);
	assert_int_equal(conf.limits.connections_per_lcore, 1048576);
	assert_int_equal(conf.limits.mbufs, 65535);
	assert_int_equal(conf.limits.mbuf_cache, 256);
	assert_int_equal(conf.limits.burst, 32);
	assert_int_equal(conf.limits.idle_sleep_us, 0);
	assert_int_equal(conf.neigh.reachable_ms, 300000);
	assert_int_equal(conf.neigh.retry_ms, 1000);
	assert_int_equal(conf.neigh.retries, 3);
	assert_int_equal(conf.neigh.nb_static, 0);
	assert_string_equal(conf.control.socket, "/run/synfront/synfront.sock");
	assert_string_equal(conf.control.http_listen, "");
	assert_int_equal(conf.control.max_clients, 64);
	assert_int_equal(conf.control.request_max_bytes, 65536);
	assert_int_equal(conf.control.idle_timeout_ms, 60000);
	assert_int_equal(conf.log.level, 7);

	/* Only ports: no services at all is valid. */
	assert_int_equal(parse("{" PORTS "}"), 0);
	assert_int_equal(conf.nb_services, 0);
	assert_int_equal(conf.nb_ports, 2);
}

static void test_http_listen_off(void **state)
{
	assert_int_equal(parse("{" PORTS ", \"control\": {\"http_listen\": null}}"), 0);
	assert_string_equal(conf.control.http_listen, "");
	assert_int_equal(parse("{" PORTS ", \"control\": {\"http_listen\": \"\"}}"), 0);
	assert_string_equal(conf.control.http_listen, "");
	assert_int_equal(parse("{" PORTS ", \"control\": {\"http_listen\": \"0.0.0.0:9180\"}}"), 0);
	assert_string_equal(conf.control.http_listen, "0.0.0.0:9180");
	check_one("{\n" PORTS ",\n"
		  "  \"control\": {\"http_listen\": \"localhost:9180\"}\n"
		  "}\n",
		  "control.http_listen", 6, 30, "a.b.c.d:port");
}

/* ---- syntax ------------------------------------------------------------ */

static void test_syntax(void **state)
{
	/* Trailing comma: jansson stops at the ']' on line 4, column 3. */
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    1,\n"
		  "  ]\n"
		  "}\n",
		  "", 4, 3, "invalid JSON");
	/* Duplicate keys are refused rather than silently overwritten. */
	check_one("{\n"
		  "  \"log\": {\"level\": \"info\"},\n"
		  "  \"log\": {\"level\": \"debug\"}\n"
		  "}\n",
		  "", 3, 7, "duplicate object key");
	/* A document that is not an object. */
	check_one("\n  [1, 2]\n", "", 2, 3, "must be an object, not an array");
	/* Nothing at all. */
	assert_int_equal(parse(""), -EINVAL);
	assert_int_equal(errs.count, 1);
	assert_int_equal(errs.e[0].line, 1);
	assert_string_equal(errs.e[0].path, "");
	assert_non_null(strstr(errs.e[0].message, "invalid JSON"));
	/* The text need not be NUL-terminated: only len bytes count. */
	assert_int_equal(sf_conf_parse("{" PORTS "}garbage", strlen("{" PORTS "}"), &conf, &errs), 0);
}

/* ---- unknown keys ------------------------------------------------------ */

static void test_unknown_top(void **state)
{
	check_one("{\n" PORTS ",\n"
		  "  \"tcpp\": {}\n"
		  "}\n",
		  "tcpp", 6, 3, "unknown key; did you mean \"tcp\"");
	check_one("{\n" PORTS ",\n"
		  "  \"whatever\": [1, {\"a\": 2}]\n"
		  "}\n",
		  "whatever", 6, 3, "unknown key");
}

static void test_unknown_nested(void **state)
{
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\n"
		  "    \"msl_ms\": 1000,\n"
		  "    \"msl_msx\": 1000\n"
		  "  }\n"
		  "}\n",
		  "tcp.msl_msx", 8, 5, "did you mean \"msl_ms\"");
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\"msl\": 1000}\n"
		  "}\n",
		  "tcp.msl", 6, 11, "did you mean \"msl_ms\"");
	check_one("{\n" PORTS ",\n" SVC_HEAD
		  "      \"backends\": [\n"
		  "        {\"address\": \"198.18.1.1:8080\", \"wieght\": 2}\n"
		  "      ]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0].backends[0].wieght", 14, 40, "did you mean \"weight\"");
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"10.0.0.1/8\", \"vlan\": 5}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].vlan", 3, 57, "unknown key");
}

/* ---- types and ranges -------------------------------------------------- */

static void test_types(void **state)
{
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\n"
		  "    \"msl_ms\": \"30000\"\n"
		  "  }\n"
		  "}\n",
		  "tcp.msl_ms", 7, 15, "must be an integer, not a string");
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\n"
		  "    \"msl_ms\": 1.5\n"
		  "  }\n"
		  "}\n",
		  "tcp.msl_ms", 7, 15, "must be an integer, not a real number");
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\n"
		  "    \"msl_ms\": 30000.0\n"
		  "  }\n"
		  "}\n",
		  "tcp.msl_ms", 7, 15, "must be an integer");
	check_one("{\n" PORTS ",\n"
		  "  \"limits\": {\n"
		  "    \"mbuf_cache\": -1\n"
		  "  }\n"
		  "}\n",
		  "limits.mbuf_cache", 7, 19, "must be in 0..512, not -1");
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\n"
		  "    \"time_wait_reuse\": 1\n"
		  "  }\n"
		  "}\n",
		  "tcp.time_wait_reuse", 7, 24, "must be true or false, not an integer");
	check_one("{\n" PORTS ",\n"
		  "  \"cookies\": {\n"
		  "    \"timestamps\": \"true\"\n"
		  "  }\n"
		  "}\n",
		  "cookies.timestamps", 7, 19, "must be true or false, not a string");
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": [1]\n"
		  "}\n",
		  "tcp", 6, 10, "must be an object, not an array");
	check_one("{\n" PORTS ",\n"
		  "  \"cookies\": {\n"
		  "    \"invalid_action\": \"reset\"\n"
		  "  }\n"
		  "}\n",
		  "cookies.invalid_action", 7, 23, "must be \"drop\" or \"rst\"");
	check_one("{\n" PORTS ",\n"
		  "  \"log\": {\n"
		  "    \"level\": \"verbose\"\n"
		  "  }\n"
		  "}\n",
		  "log.level", 7, 14, "must be one of emerg");
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a b\", \"device\": \"d0\", \"ipv4\": \"10.0.0.1/8\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].name", 3, 14, "only letters");
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"\", \"device\": \"d0\", \"ipv4\": \"10.0.0.1/8\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].name", 3, 14, "must not be empty");
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a23456789012345678901234567890123\", \"device\": \"d0\",\n"
		  "     \"ipv4\": \"10.0.0.1/8\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].name", 3, 14, "at most 31 bytes");
	check_one("{\n" PORTS ",\n"
		  "  \"services\": {}\n"
		  "}\n",
		  "services", 6, 15, "must be an array, not an object");
}

static void test_ranges(void **state)
{
	check_one("{\n" PORTS ",\n" SVC_HEAD
		  "      \"backends\": [\n"
		  "        {\"address\": \"198.18.1.1:8080\"},\n"
		  "        {\"address\": \"198.18.1.3:8080\",\n"
		  "         \"weight\": 1001}\n"
		  "      ]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0].backends[1].weight", 16, 20, "must be in 0..1000, not 1001");
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\"syn_retries\": 16}\n"
		  "}\n",
		  "tcp.syn_retries", 6, 26, "must be in 1..15");
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\"syn_retries\": 0}\n"
		  "}\n",
		  "tcp.syn_retries", 6, 26, "must be in 1..15");
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"10.0.0.1/8\", \"mtu\": 575}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].mtu", 3, 64, "must be in 576..9000");
	check_one("{\n" PORTS ",\n"
		  "  \"limits\": {\"connections_per_lcore\": 16777217}\n"
		  "}\n",
		  "limits.connections_per_lcore", 6, 39, "must be in 1024..16777216");
	/* Bounds themselves are valid. */
	assert_int_equal(parse("{" PORTS ", \"limits\": {\"connections_per_lcore\": 16777216,"
			       " \"mbufs\": 1023, \"mbuf_cache\": 512, \"burst\": 1}}"), 0);
	assert_int_equal(conf.limits.connections_per_lcore, 16777216);
}

static void test_pow2(void **state)
{
	const char *doc =
		"{\n"
		"  \"ports\": [\n"
		"    {\n"
		"      \"name\": \"a\",\n"
		"      \"device\": \"d0\",\n"
		"      \"ipv4\": \"10.0.0.1/8\",\n"
		"      \"rx_desc\": 1000,\n"
		"      \"tx_desc\": 4096\n"
		"    }\n"
		"  ]\n"
		"}\n";

	check_one(doc, "ports[0].rx_desc", 7, 18, "power of 2, not 1000");
	assert_int_equal(parse("{\"ports\": [{\"name\": \"a\", \"device\": \"d0\","
			       " \"ipv4\": \"10.0.0.1/8\", \"rx_desc\": 64, \"tx_desc\": 16384}]}"), 0);
	assert_int_equal(conf.ports[0].rx_desc, 64);
	assert_int_equal(conf.ports[0].tx_desc, 16384);
	assert_int_equal(parse("{\"ports\": [{\"name\": \"a\", \"device\": \"d0\","
			       " \"ipv4\": \"10.0.0.1/8\", \"tx_desc\": 32768}]}"), -EINVAL);
	assert_non_null(strstr(errs.e[0].message, "64..16384"));
}

/* ---- addresses --------------------------------------------------------- */

/* A document whose service listens on VIP, on line 9 column 17. */
static void check_listen(const char *vip, const char *msg)
{
	char doc[1024];

	snprintf(doc, sizeof(doc),
		 "{\n" PORTS ",\n"
		 "  \"services\": [\n"
		 "    {\n"
		 "      \"name\": \"web\",\n"
		 "      \"listen\": \"%s\",\n"
		 "      \"port\": \"client\",\n"
		 "      \"backend_port\": \"backend\",\n"
		 "      \"source_addresses\": [\"198.18.1.100\"],\n"
		 "      \"backends\": [{\"address\": \"198.18.1.1:8080\"}]\n"
		 "    }\n"
		 "  ]\n"
		 "}\n", vip);
	check_one(doc, "services[0].listen", 9, 17, msg);
}

static void test_addresses(void **state)
{
	check_listen("198.18.0.100", "a.b.c.d:port");
	check_listen("198.18.0.100:", "port in 1..65535");
	check_listen("198.18.0.100:0", "port in 1..65535");
	check_listen("198.18.0.100:65536", "port in 1..65535");
	check_listen("198.18.0.100:8o", "port in 1..65535");
	check_listen("198.18.0.256:80", "IPv4 address");
	check_listen("www.example.com:80", "IPv4 address");
	check_listen("0.0.0.0:80", "not a host address");
	check_listen("224.0.0.1:80", "multicast");
	check_listen("255.255.255.255:80", "broadcast");
	check_listen("127.0.0.1:80", "loopback");

	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"198.18.0.2\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].ipv4", 3, 43, "a.b.c.d/len");
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"198.18.0.2/33\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].ipv4", 3, 43, "len in 1..32");
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"198.18.0.255/24\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].ipv4", 3, 43, "broadcast address of its subnet");
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"198.18.0.2/24\",\n"
		  "     \"gateway\": \"198.18.1.1\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].gateway", 4, 17, "not inside the port's subnet");
	check_one("{\n" PORTS ",\n" SVC_HEAD
		  "      \"backends\": [\n"
		  "        {\"address\": \"198.18.1.1\"}\n"
		  "      ]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0].backends[0].address", 14, 21, "a.b.c.d:port");
	check_one("{\n" PORTS ",\n"
		  "  \"services\": [\n"
		  "    {\n"
		  "      \"name\": \"web\",\n"
		  "      \"listen\": \"198.18.0.100:80\",\n"
		  "      \"port\": \"client\",\n"
		  "      \"backend_port\": \"backend\",\n"
		  "      \"source_addresses\": [\"198.18.1.100\", \"224.1.1.1\"],\n"
		  "      \"backends\": [{\"address\": \"198.18.1.1:8080\"}]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0].source_addresses[1]", 12, 44, "multicast");
}

static void test_mac(void **state)
{
	static const char *const bad[] = {
		"aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:fg",
		"aabb.ccdd.eeff",
	};
	char doc[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc),
			 "{\n" PORTS ",\n"
			 "  \"neighbors\": {\"static\": [\n"
			 "    {\"port\": \"client\", \"ip\": \"198.18.0.1\", \"mac\": \"%s\"}\n"
			 "  ]}\n"
			 "}\n", bad[i]);
		check_one(doc, "neighbors.static[0].mac", 7, 51, "aa:bb:cc:dd:ee:ff");
	}
	snprintf(doc, sizeof(doc),
		 "{\n" PORTS ",\n"
		 "  \"neighbors\": {\"static\": [\n"
		 "    {\"port\": \"client\", \"ip\": \"198.18.0.1\", \"mac\": \"01:00:5e:00:00:01\"}\n"
		 "  ]}\n"
		 "}\n");
	check_one(doc, "neighbors.static[0].mac", 7, 51, "multicast MAC");
}

/* ---- required keys, array sizes --------------------------------------- */

static void test_required(void **state)
{
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"10.0.0.1/8\"},\n"
		  "    {\"name\": \"b\", \"device\": \"d1\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[1]", 4, 5, "missing required key \"ipv4\"");
	check_one("{\n"
		  "  \"log\": {\"level\": \"info\"}\n"
		  "}\n",
		  "", 1, 1, "missing required key \"ports\"");
	check_one("{\n" PORTS ",\n"
		  "  \"services\": [\n"
		  "    {\n"
		  "      \"name\": \"web\",\n"
		  "      \"listen\": \"198.18.0.100:80\",\n"
		  "      \"port\": \"client\",\n"
		  "      \"backend_port\": \"backend\",\n"
		  "      \"source_addresses\": [\"198.18.1.100\"]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0]", 7, 5, "missing required key \"backends\"");
	check_one("{\n" PORTS ",\n" SVC_HEAD
		  "      \"backends\": [{\"weight\": 3}]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0].backends[0]", 13, 20, "missing required key \"address\"");
	check_one("{\n" PORTS ",\n"
		  "  \"neighbors\": {\"static\": [{\"port\": \"client\", \"mac\": \"02:00:00:00:00:01\"}]}\n"
		  "}\n",
		  "neighbors.static[0]", 6, 28, "missing required key \"ip\"");

	/* Two keys missing from one object: two errors at the same place. */
	assert_int_equal(parse("{\n"
			       "  \"ports\": [\n"
			       "    {\"name\": \"b\"}\n"
			       "  ]\n"
			       "}\n"), -EINVAL);
	assert_int_equal(errs.count, 2);
	check_err(0, "ports[0]", 3, 5, "\"device\"");
	check_err(1, "ports[0]", 3, 5, "\"ipv4\"");
}

static void test_array_sizes(void **state)
{
	char doc[2048];
	size_t n;

	check_one("{\n"
		  "  \"ports\": []\n"
		  "}\n",
		  "ports", 2, 12, "must have 1..8 entries, has 0");
	check_one("{\n" PORTS ",\n" SVC_HEAD
		  "      \"backends\": []\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0].backends", 13, 19, "must have 1..64 entries, has 0");

	n = (size_t)snprintf(doc, sizeof(doc), "{\n  \"ports\": [\n");
	for (int i = 0; i < SF_CONF_MAX_PORTS + 1; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n,
				      "    {\"name\": \"p%d\", \"device\": \"d%d\", \"ipv4\": \"10.%d.0.1/16\"}%s\n",
				      i, i, i, i < SF_CONF_MAX_PORTS ? "," : "");
	snprintf(doc + n, sizeof(doc) - n, "  ]\n}\n");
	check_one(doc, "ports", 2, 12, "must have 1..8 entries, has 9");

	n = (size_t)snprintf(doc, sizeof(doc),
			     "{\n" PORTS ",\n"
			     "  \"services\": [\n"
			     "    {\n"
			     "      \"name\": \"web\",\n"
			     "      \"listen\": \"198.18.0.100:80\",\n"
			     "      \"port\": \"client\",\n"
			     "      \"backend_port\": \"backend\",\n"
			     "      \"backends\": [{\"address\": \"198.18.1.1:8080\"}],\n"
			     "      \"source_addresses\": [");
	for (int i = 0; i < SF_CONF_MAX_SOURCES + 1; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s\"198.18.1.%d\"", i ? ", " : "",
				      100 + i);
	snprintf(doc + n, sizeof(doc) - n, "]\n    }\n  ]\n}\n");
	check_one(doc, "services[0].source_addresses", 13, 27, "must have 1..16 entries, has 17");
}

/* ---- references and duplicates ----------------------------------------- */

static void test_references(void **state)
{
	check_one("{\n" PORTS ",\n"
		  "  \"services\": [\n"
		  "    {\n"
		  "      \"name\": \"web\",\n"
		  "      \"listen\": \"198.18.0.100:80\",\n"
		  "      \"port\": \"clients\",\n"
		  "      \"backend_port\": \"backend\",\n"
		  "      \"source_addresses\": [\"198.18.1.100\"],\n"
		  "      \"backends\": [{\"address\": \"198.18.1.1:8080\"}]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0].port", 10, 15, "unknown port \"clients\"");
	check_one("{\n" PORTS ",\n"
		  "  \"services\": [\n"
		  "    {\n"
		  "      \"name\": \"web\",\n"
		  "      \"listen\": \"198.18.0.100:80\",\n"
		  "      \"port\": \"client\",\n"
		  "      \"backend_port\": \"inside\",\n"
		  "      \"source_addresses\": [\"198.18.1.100\"],\n"
		  "      \"backends\": [{\"address\": \"198.18.1.1:8080\"}]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n",
		  "services[0].backend_port", 11, 23, "unknown port \"inside\"");
	check_one("{\n" PORTS ",\n"
		  "  \"neighbors\": {\"static\": [\n"
		  "    {\"port\": \"edge\", \"ip\": \"198.18.0.1\", \"mac\": \"02:00:00:00:00:01\"}\n"
		  "  ]}\n"
		  "}\n",
		  "neighbors.static[0].port", 7, 14, "unknown port \"edge\"");
	/* Ports may come after the services that name them. */
	assert_int_equal(parse("{\"services\": [{\"name\": \"web\", \"listen\": \"198.18.0.100:80\","
			       " \"port\": \"backend\", \"backend_port\": \"client\","
			       " \"source_addresses\": [\"198.18.0.100\"],"
			       " \"backends\": [{\"address\": \"198.18.0.1:80\"}]}]," PORTS "}"), 0);
	assert_int_equal(conf.services[0].port, 1);
	assert_int_equal(conf.services[0].backend_port, 0);
}

static void test_duplicates(void **state)
{
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"10.0.0.1/8\"},\n"
		  "    {\"name\": \"a\", \"device\": \"d1\", \"ipv4\": \"11.0.0.1/8\"}\n"
		  "  ]\n"
		  "}\n",
		  "ports[1].name", 4, 14, "duplicate port name \"a\" (first at ports[0])");
	check_one("{\n" PORTS ",\n"
		  "  \"services\": [\n"
		  "    {\"name\": \"web\", \"listen\": \"198.18.0.100:80\", \"port\": \"client\",\n"
		  "     \"backend_port\": \"backend\", \"source_addresses\": [\"198.18.1.100\"],\n"
		  "     \"backends\": [{\"address\": \"198.18.1.1:8080\"}]},\n"
		  "    {\"name\": \"web\", \"listen\": \"198.18.0.100:81\", \"port\": \"client\",\n"
		  "     \"backend_port\": \"backend\", \"source_addresses\": [\"198.18.1.100\"],\n"
		  "     \"backends\": [{\"address\": \"198.18.1.1:8080\"}]}\n"
		  "  ]\n"
		  "}\n",
		  "services[1].name", 10, 14, "duplicate service name \"web\"");
	check_one("{\n" PORTS ",\n"
		  "  \"services\": [\n"
		  "    {\"name\": \"web\", \"listen\": \"198.18.0.100:80\", \"port\": \"client\",\n"
		  "     \"backend_port\": \"backend\", \"source_addresses\": [\"198.18.1.100\"],\n"
		  "     \"backends\": [{\"address\": \"198.18.1.1:8080\"}]},\n"
		  "    {\"name\": \"web2\", \"listen\": \"198.18.0.100:80\", \"port\": \"client\",\n"
		  "     \"backend_port\": \"backend\", \"source_addresses\": [\"198.18.1.100\"],\n"
		  "     \"backends\": [{\"address\": \"198.18.1.1:8080\"}]}\n"
		  "  ]\n"
		  "}\n",
		  "services[1].listen", 10, 32, "duplicate listen address 198.18.0.100:80");
}

/* ---- rules between keys ------------------------------------------------ */

static void test_cross_rules(void **state)
{
	check_one("{\n" PORTS ",\n"
		  "  \"tcp\": {\n"
		  "    \"rto_initial_ms\": 5000,\n"
		  "    \"rto_max_ms\": 4000\n"
		  "  }\n"
		  "}\n",
		  "tcp.rto_max_ms", 8, 19, "must be >= tcp.rto_initial_ms (5000), not 4000");
	check_one("{\n" PORTS ",\n"
		  "  \"cookies\": {\n"
		  "    \"max_age_ms\": 30000,\n"
		  "    \"rotate_interval_ms\": 40000\n"
		  "  }\n"
		  "}\n",
		  "cookies.rotate_interval_ms", 8, 27, "must be <= cookies.max_age_ms (30000)");
	/* Only max_age_ms is in the file: the default rotation (60 s) is longer. */
	check_one("{\n" PORTS ",\n"
		  "  \"cookies\": {\n"
		  "    \"max_age_ms\": 30000\n"
		  "  }\n"
		  "}\n",
		  "cookies.max_age_ms", 7, 19,
		  "cookies.rotate_interval_ms (60000, the default) must be <= cookies.max_age_ms (30000)");
	/* Equal values are fine. */
	assert_int_equal(parse("{" PORTS ", \"tcp\": {\"rto_initial_ms\": 2000, \"rto_max_ms\": 2000},"
			       " \"cookies\": {\"max_age_ms\": 30000, \"rotate_interval_ms\": 30000}}"), 0);
}

/* ---- many errors ------------------------------------------------------- */

static void test_many_errors(void **state)
{
	/* Three problems, found in different passes, reported in document order. */
	assert_int_equal(parse("{\n"
			       "  \"tcp\": {\"rto_initial_ms\": 5000, \"rto_max_ms\": 4000},\n"
			       "  \"ports\": [\n"
			       "    {\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"10.0.0.1/8\", \"mtu\": 0}\n"
			       "  ],\n"
			       "  \"log\": {\"levle\": \"info\"}\n"
			       "}\n"), -EINVAL);
	assert_int_equal(errs.count, 3);
	assert_int_equal(errs.stored, 3);
	check_err(0, "tcp.rto_max_ms", 2, 49, "must be >=");
	check_err(1, "ports[0].mtu", 4, 64, "576..9000");
	check_err(2, "log.levle", 6, 11, "did you mean \"level\"");
}

static void test_error_overflow(void **state)
{
	char doc[8192];
	size_t n = (size_t)snprintf(doc, sizeof(doc), "{" PORTS ", \"tcp\": {");
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	for (int i = 0; i < SF_CONF_MAX_ERRORS + 6; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s\"k%d\": 1", i ? ", " : "", i);
	snprintf(doc + n, sizeof(doc) - n, "}}");
	assert_int_equal(parse(doc), -EINVAL);
	assert_int_equal(errs.count, SF_CONF_MAX_ERRORS + 6);
	assert_int_equal(errs.stored, SF_CONF_MAX_ERRORS);
	assert_string_equal(errs.e[0].path, "tcp.k0");
	assert_string_equal(errs.e[SF_CONF_MAX_ERRORS - 1].path, "tcp.k63");

	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	sf_conf_errors_print(&errs, "x.json", f);
	fclose(f);
	assert_non_null(strstr(out, "\n... and 6 more error(s)\n"));
	free(out);
}

/* ---- printing ---------------------------------------------------------- */

static void test_print(void **state)
{
	struct sf_conf_errors e = { .count = 3, .stored = 3 };
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	snprintf(e.e[0].path, sizeof(e.e[0].path), "tcp.msl_ms");
	e.e[0].line = 7;
	e.e[0].column = 15;
	snprintf(e.e[0].message, sizeof(e.e[0].message), "must be an integer");
	e.e[1].line = 4;
	e.e[1].column = 3;
	snprintf(e.e[1].message, sizeof(e.e[1].message), "invalid JSON: x");
	snprintf(e.e[2].message, sizeof(e.e[2].message), "cannot open: No such file or directory");

	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	sf_conf_errors_print(&e, "bad.json", f);
	fclose(f);
	assert_string_equal(out,
			    "bad.json:7:15: tcp.msl_ms: must be an integer\n"
			    "bad.json:4:3: invalid JSON: x\n"
			    "bad.json: cannot open: No such file or directory\n");
	free(out);
}

/* ---- positions --------------------------------------------------------- */

static void test_positions_utf8_and_escapes(void **state)
{
	/* Multi-byte characters on an earlier line do not shift later lines. */
	check_one("{\n"
		  "  \"ports\": [\n"
		  "    {\"name\": \"a\", \"device\": \"d0\", \"devargs\": \"\xc3\xa9\xc3\xa9\", \"ipv4\": \"10.0.0.1/8\",\n"
		  "     \"mtu\": true}\n"
		  "  ]\n"
		  "}\n",
		  "ports[0].mtu", 4, 13, "must be an integer");
	/* A column counts characters, not bytes ("é" is two bytes, one column), in
	 * jansson's syntax errors and in ours alike. */
	check_one("{\"ports\": [{\"devargs\": \"\xc3\xa9\", \"x\": }]}", "", 1, 34, "invalid JSON");
	check_one("{\n"
		  "  \"ports\": [{\"name\": \"a\", \"device\": \"\xc3\xa9\xc3\xa9\", \"ipv4\": \"10.0.0.1/8\", \"mtu\": 1}]\n"
		  "}\n",
		  "ports[0].mtu", 2, 72, "576..9000");
	/* Keys written with escapes are found by their decoded name. */
	assert_int_equal(parse("{\n" PORTS ",\n"
			       "  \"tcp\": {\"ms\\u006c_ms\": 1, \"a\\\"b\": 2}\n"
			       "}\n"), -EINVAL);
	assert_int_equal(errs.count, 2);
	check_err(0, "tcp.msl_ms", 6, 26, "must be in 100..600000");
	check_err(1, "tcp.a\"b", 6, 29, "unknown key");
	/* CRLF line ends and tabs. */
	check_one("{\r\n\t\"ports\": [{\"name\": \"a\", \"device\": \"d0\", \"ipv4\": \"10.0.0.1/8\"}],\r\n"
		  "\t\"log\": {\"level\": 3}\r\n}\r\n",
		  "log.level", 3, 19, "must be a string");
}

/* ---- files, helpers ---------------------------------------------------- */

static void test_files(void **state)
{
	int rc;

	rc = sf_conf_load(lab_json, &conf, &errs);
	if (rc != 0)
		sf_conf_errors_print(&errs, lab_json, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(conf.nb_ports, 2);
	assert_string_equal(conf.ports[0].name, "client");
	assert_string_equal(conf.ports[0].device, "net_af_packet0");
	assert_string_equal(conf.ports[0].devargs, "");
	assert_int_equal(conf.ports[0].addr, ip("198.18.0.2"));
	assert_int_equal(conf.ports[0].prefix_len, 24);
	assert_string_equal(conf.ports[1].name, "backend");
	assert_string_equal(conf.ports[1].device, "net_af_packet1");
	assert_int_equal(conf.ports[1].addr, ip("198.18.1.2"));
	assert_int_equal(conf.nb_services, 1);
	assert_string_equal(conf.services[0].name, "web");
	assert_int_equal(conf.services[0].vip, ip("198.18.0.100"));
	assert_int_equal(conf.services[0].vport, 80);
	assert_int_equal(conf.services[0].port, 0);
	assert_int_equal(conf.services[0].backend_port, 1);
	assert_int_equal(conf.services[0].mss, 1460);
	assert_int_equal(conf.services[0].nb_sources, 1);
	assert_int_equal(conf.services[0].sources[0], ip("198.18.1.100"));
	assert_int_equal(conf.services[0].nb_backends, 1);
	assert_int_equal(conf.services[0].backends[0].addr, ip("198.18.1.1"));
	assert_int_equal(conf.services[0].backends[0].port, 8080);
	assert_int_equal(conf.services[0].backends[0].weight, 1);
	assert_int_equal(conf.limits.connections_per_lcore, 65536);
	assert_int_equal(conf.limits.mbufs, 16383);
	assert_string_equal(conf.control.socket, "/run/synfront/synfront.sock");

	rc = sf_conf_load(example_json, &conf, &errs);
	if (rc != 0)
		sf_conf_errors_print(&errs, example_json, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(conf.nb_ports, 2);
	assert_int_equal(conf.nb_services, 2);
	assert_int_equal(conf.neigh.nb_static, 1);
	assert_string_equal(conf.control.http_listen, "127.0.0.1:9180");
	assert_string_equal(conf.ports[0].device, "net_af_xdp0");
	assert_non_null(strstr(conf.ports[0].devargs, "iface="));
	assert_int_not_equal(conf.ports[0].gateway, 0);

	rc = sf_conf_load("/nonexistent/synfront.json", &conf, &errs);
	assert_int_equal(rc, -ENOENT);
	assert_int_equal(errs.count, 1);
	assert_int_equal(errs.e[0].line, 0);
	assert_non_null(strstr(errs.e[0].message, strerror(ENOENT)));
}

static void test_owns_addr(void **state)
{
	assert_int_equal(parse(full_doc), 0);
	/* Port addresses, each on its own port only. */
	assert_true(sf_conf_owns_addr(&conf, 0, ip("198.18.0.2")));
	assert_false(sf_conf_owns_addr(&conf, 1, ip("198.18.0.2")));
	assert_true(sf_conf_owns_addr(&conf, 1, ip("10.1.0.2")));
	/* VIPs on the service's client-side port. */
	assert_true(sf_conf_owns_addr(&conf, 0, ip("198.18.0.100")));
	assert_true(sf_conf_owns_addr(&conf, 0, ip("198.18.0.101")));
	assert_false(sf_conf_owns_addr(&conf, 1, ip("198.18.0.100")));
	/* Source addresses on the backend-side port. */
	assert_true(sf_conf_owns_addr(&conf, 1, ip("10.1.0.100")));
	assert_true(sf_conf_owns_addr(&conf, 1, ip("10.1.0.102")));
	assert_false(sf_conf_owns_addr(&conf, 0, ip("10.1.0.100")));
	/* Neither gateways, backends nor neighbours are ours. */
	assert_false(sf_conf_owns_addr(&conf, 0, ip("198.18.0.1")));
	assert_false(sf_conf_owns_addr(&conf, 1, ip("10.1.1.1")));
	assert_false(sf_conf_owns_addr(&conf, 0, ip("198.18.0.3")));
	/* Ports that do not exist own nothing. */
	assert_false(sf_conf_owns_addr(&conf, 2, ip("198.18.0.2")));
	assert_false(sf_conf_owns_addr(&conf, 0, 0));
}

static void test_helpers(void **state)
{
	assert_int_equal(parse(full_doc), 0);
	assert_int_equal(sf_conf_port_find(&conf, "client"), 0);
	assert_int_equal(sf_conf_port_find(&conf, "backend"), 1);
	assert_int_equal(sf_conf_port_find(&conf, "Client"), -ENOENT);
	assert_int_equal(sf_conf_port_find(&conf, NULL), -EINVAL);
	assert_string_equal(sf_conf_action_str(SF_CONF_ACTION_DROP), "drop");
	assert_string_equal(sf_conf_action_str(SF_CONF_ACTION_RST), "rst");
	assert_string_equal(sf_conf_action_str((enum sf_conf_action)7), "unknown");
	assert_string_equal(sf_conf_log_level_str(1), "emerg");
	assert_string_equal(sf_conf_log_level_str(4), "err");
	assert_string_equal(sf_conf_log_level_str(8), "debug");
	assert_string_equal(sf_conf_log_level_str(0), "unknown");
	assert_string_equal(sf_conf_log_level_str(9), "unknown");
	/* Every level name parses to the value that names it. */
	for (int l = 1; l <= 8; l++) {
		char doc[256];

		snprintf(doc, sizeof(doc), "{" PORTS ", \"log\": {\"level\": \"%s\"}}",
			 sf_conf_log_level_str(l));
		assert_int_equal(parse(doc), 0);
		assert_int_equal(conf.log.level, l);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_http_listen_off),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_unknown_top),
		cmocka_unit_test(test_unknown_nested),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_pow2),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_array_sizes),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_cross_rules),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_error_overflow),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_positions_utf8_and_escapes),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_owns_addr),
		cmocka_unit_test(test_helpers),
	};

	if (argc < 3) {
		fprintf(stderr, "usage: %s LAB_JSON EXAMPLE_JSON\n", argv[0]);
		return 2;
	}
	lab_json = argv[1];
	example_json = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
