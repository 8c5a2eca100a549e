/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration parser and validator.
 *
 * The file is parsed twice. jansson turns the text into a tree, and rejects
 * anything that is not JSON (duplicate keys included) with its own line:column.
 * jansson keeps no position for the values it returns, so a small scanner then
 * walks the same text once more and records, for every key path
 * ("services[0].backends[1].weight"), the line:column where its value starts and
 * where its key starts. The validator walks the tree, builds the same key paths,
 * and looks the position up when it has something to say.
 *
 * Columns count characters, not bytes (a UTF-8 sequence is one column), as
 * jansson does, so both kinds of position agree. A tab is one column.
 *
 * Every section is described by a table of fields: key, kind, where it lands in
 * struct sf_conf, range. Walking an object member by member against its table
 * finds unknown keys, wrong types and out-of-range values in one pass;
 * required keys are checked after the walk. Rules that tie keys together
 * (references to ports, duplicates, rto_max_ms >= rto_initial_ms) run once the
 * whole tree has been read. Every problem is collected; at the end the stored
 * ones are put in document order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sf_conf.h"

/* Longest key path kept while scanning and validating; longer paths are cut
 * the same way on both sides, so lookups still match. */
#define PATH_BUF 512
/* Largest file sf_conf_load() reads. */
#define FILE_MAX (16u << 20)

/* ---- position index ---------------------------------------------------- */

struct pos_entry {
	char *path;
	int val_line, val_col;
	int key_line, key_col;
};

struct pos_index {
	struct pos_entry *v;
	size_t n, cap;
	bool oom;
};

struct scanner {
	const unsigned char *s;
	size_t len, i;
	int line, col;
	struct pos_index *idx;
	char path[PATH_BUF];
	size_t path_len;
};

/* Append "sep" then "name" (or "[idx]") to a path, cutting at PATH_BUF - 1. */
static size_t path_append(char *buf, size_t len, const char *sep, const char *name)
{
	int n = snprintf(buf + len, PATH_BUF - len, "%s%s", sep, name);

	if (n < 0)
		return len;
	len += (size_t)n;
	return len >= PATH_BUF ? PATH_BUF - 1 : len;
}

static void path_key(char *out, const char *parent, const char *key)
{
	size_t len = strlen(parent);

	memcpy(out, parent, len + 1);
	path_append(out, len, len > 0 ? "." : "", key);
}

static void path_idx(char *out, const char *parent, size_t i)
{
	char num[32];
	size_t len = strlen(parent);

	snprintf(num, sizeof(num), "[%zu]", i);
	memcpy(out, parent, len + 1);
	path_append(out, len, "", num);
}

static void idx_add(struct pos_index *idx, const char *path, int kl, int kc, int vl, int vc)
{
	struct pos_entry *e;

	if (idx->oom)
		return;
	if (idx->n == idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 64;
		struct pos_entry *v = realloc(idx->v, cap * sizeof(*v));

		if (v == NULL) {
			idx->oom = true;
			return;
		}
		idx->v = v;
		idx->cap = cap;
	}
	e = &idx->v[idx->n];
	e->path = strdup(path);
	if (e->path == NULL) {
		idx->oom = true;
		return;
	}
	e->key_line = kl;
	e->key_col = kc;
	e->val_line = vl;
	e->val_col = vc;
	idx->n++;
}

static void idx_free(struct pos_index *idx)
{
	for (size_t i = 0; i < idx->n; i++)
		free(idx->v[i].path);
	free(idx->v);
	memset(idx, 0, sizeof(*idx));
}

static int idx_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pos_entry *)a)->path, ((const struct pos_entry *)b)->path);
}

static const struct pos_entry *idx_find(const struct pos_index *idx, const char *path)
{
	struct pos_entry key = { .path = (char *)(uintptr_t)path };

	if (idx->n == 0)
		return NULL;
	return bsearch(&key, idx->v, idx->n, sizeof(idx->v[0]), idx_cmp);
}

static int sc_peek(const struct scanner *sc)
{
	return sc->i < sc->len ? sc->s[sc->i] : -1;
}

static void sc_next(struct scanner *sc)
{
	unsigned char c;

	if (sc->i >= sc->len)
		return;
	c = sc->s[sc->i++];
	if (c == '\n') {
		sc->line++;
		sc->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		sc->col++;
	}
}

static void sc_ws(struct scanner *sc)
{
	int c;

	while ((c = sc_peek(sc)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		sc_next(sc);
}

static unsigned int hex4(const unsigned char *p)
{
	unsigned int v = 0;

	for (int k = 0; k < 4; k++) {
		unsigned char h = p[k];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
	}
	return v;
}

static size_t utf8_put(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Skip a string starting at the opening quote. When out is not NULL, decode it
 * there (out holds at least as many bytes as the raw string); escapes are
 * decoded the way jansson decodes them, so keys compare equal.
 */
static void sc_string(struct scanner *sc, char *out)
{
	size_t o = 0;
	int c;

	sc_next(sc);
	while ((c = sc_peek(sc)) >= 0 && c != '"') {
		if (c != '\\') {
			if (out)
				out[o++] = (char)c;
			sc_next(sc);
			continue;
		}
		sc_next(sc);
		c = sc_peek(sc);
		if (c < 0)
			break;
		if (c == 'u' && sc->i + 5 <= sc->len) {
			unsigned int cp = hex4(sc->s + sc->i + 1);

			for (int k = 0; k < 5; k++)
				sc_next(sc);
			if (cp >= 0xd800 && cp <= 0xdbff && sc->i + 6 <= sc->len &&
			    sc->s[sc->i] == '\\' && sc->s[sc->i + 1] == 'u') {
				unsigned int lo = hex4(sc->s + sc->i + 2);

				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					for (int k = 0; k < 6; k++)
						sc_next(sc);
				}
			}
			if (out)
				o += utf8_put(out + o, cp);
			continue;
		}
		if (out) {
			switch (c) {
			case 'b': out[o++] = '\b'; break;
			case 'f': out[o++] = '\f'; break;
			case 'n': out[o++] = '\n'; break;
			case 'r': out[o++] = '\r'; break;
			case 't': out[o++] = '\t'; break;
			default: out[o++] = (char)c; break;
			}
		}
		sc_next(sc);
	}
	sc_next(sc);
	if (out)
		out[o] = '\0';
}

/* Scan the value at the cursor whose key path is sc->path; kl:kc is where its key starts. */
static void sc_value(struct scanner *sc, int kl, int kc)
{
	size_t saved = sc->path_len;
	int c;

	sc_ws(sc);
	if (kl == 0) {
		kl = sc->line;
		kc = sc->col;
	}
	idx_add(sc->idx, sc->path, kl, kc, sc->line, sc->col);
	c = sc_peek(sc);
	if (c == '{') {
		sc_next(sc);
		for (;;) {
			int l, k;
			char *key;
			size_t start;

			sc_ws(sc);
			c = sc_peek(sc);
			if (c == '}' || c < 0)
				break;
			if (c == ',') {
				sc_next(sc);
				continue;
			}
			l = sc->line;
			k = sc->col;
			start = sc->i;
			sc_string(sc, NULL);
			key = malloc(sc->i - start + 1);
			if (key == NULL) {
				sc->idx->oom = true;
				sc->i = sc->len;
				return;
			}
			sc->i = start;
			sc->line = l;
			sc->col = k;
			sc_string(sc, key);
			sc_ws(sc);
			if (sc_peek(sc) == ':')
				sc_next(sc);
			sc->path_len = path_append(sc->path, saved, saved > 0 ? "." : "", key);
			free(key);
			sc_value(sc, l, k);
			sc->path_len = saved;
			sc->path[saved] = '\0';
		}
		sc_next(sc);
	} else if (c == '[') {
		size_t n = 0;

		sc_next(sc);
		for (;;) {
			char num[32];

			sc_ws(sc);
			c = sc_peek(sc);
			if (c == ']' || c < 0)
				break;
			if (c == ',') {
				sc_next(sc);
				continue;
			}
			snprintf(num, sizeof(num), "[%zu]", n++);
			sc->path_len = path_append(sc->path, saved, "", num);
			sc_value(sc, 0, 0);
			sc->path_len = saved;
			sc->path[saved] = '\0';
		}
		sc_next(sc);
	} else if (c == '"') {
		sc_string(sc, NULL);
	} else {
		while ((c = sc_peek(sc)) >= 0 && c != ',' && c != ']' && c != '}' &&
		       c != ' ' && c != '\t' && c != '\n' && c != '\r')
			sc_next(sc);
	}
}

static int idx_build(struct pos_index *idx, const char *text, size_t len)
{
	struct scanner sc = {
		.s = (const unsigned char *)text, .len = len, .line = 1, .col = 1, .idx = idx,
	};

	sc_value(&sc, 0, 0);
	if (idx->oom)
		return -ENOMEM;
	qsort(idx->v, idx->n, sizeof(idx->v[0]), idx_cmp);
	return 0;
}

/* ---- error collection -------------------------------------------------- */

struct ctx {
	struct sf_conf *conf;
	struct sf_conf_errors *errs;
	struct pos_index idx;
};

/* Copy a path for display: cut on a UTF-8 boundary, control characters shown as '?'. */
static void path_show(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	dst[n] = '\0';
}

static void err_add_pos(struct sf_conf_errors *errs, const char *path, int line, int col,
			const char *fmt, va_list ap)
{
	struct sf_conf_error *e;

	if (errs->count++ >= sizeof(errs->e) / sizeof(errs->e[0]))
		return;
	e = &errs->e[errs->stored++];
	path_show(e->path, sizeof(e->path), path);
	e->line = line;
	e->column = col;
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
}

static void err_pos(struct sf_conf_errors *errs, const char *path, int line, int col,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void err_pos(struct sf_conf_errors *errs, const char *path, int line, int col,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_add_pos(errs, path, line, col, fmt, ap);
	va_end(ap);
}

/* Report a problem at the value of path (at its key when at_key). */
static void err_at(struct ctx *c, const char *path, bool at_key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void err_at(struct ctx *c, const char *path, bool at_key, const char *fmt, ...)
{
	const struct pos_entry *p = idx_find(&c->idx, path);
	int line = 0, col = 0;
	va_list ap;

	if (p != NULL) {
		line = at_key ? p->key_line : p->val_line;
		col = at_key ? p->key_col : p->val_col;
	}
	va_start(ap, fmt);
	err_add_pos(c->errs, path, line, col, fmt, ap);
	va_end(ap);
}

static bool path_present(struct ctx *c, const char *path)
{
	return idx_find(&c->idx, path) != NULL;
}

/* Put the stored errors in document order; equal positions keep their order. */
static void errs_sort(struct sf_conf_errors *errs)
{
	for (unsigned int i = 1; i < errs->stored; i++) {
		struct sf_conf_error tmp = errs->e[i];
		unsigned int j = i;

		while (j > 0 && (errs->e[j - 1].line > tmp.line ||
				 (errs->e[j - 1].line == tmp.line && errs->e[j - 1].column > tmp.column))) {
			errs->e[j] = errs->e[j - 1];
			j--;
		}
		errs->e[j] = tmp;
	}
}

/* ---- value helpers ----------------------------------------------------- */

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* Why an address (network order) is no unicast host address, or NULL. */
static const char *ipv4_not_unicast(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	if (h == 0)
		return "0.0.0.0 is not a host address";
	if ((h >> 24) == 0)
		return "0.0.0.0/8 is not a host address";
	if ((h >> 24) == 127)
		return "loopback addresses (127.0.0.0/8) are not allowed";
	if (h == 0xffffffffu)
		return "the broadcast address is not allowed";
	if ((h >> 28) == 0xe)
		return "multicast addresses are not allowed";
	if ((h >> 28) == 0xf)
		return "reserved addresses (240.0.0.0/4) are not allowed";
	return NULL;
}

static bool ipv4_parse(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*addr = a.s_addr;
	return true;
}

/* Parse a decimal number no larger than max: digits only, no sign, no spaces. */
static bool dec_parse(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* Parse "a.b.c.d:port"; @return NULL or why not. */
static const char *ip_port_parse(const char *s, uint32_t *addr, uint16_t *port)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	unsigned long p;

	if (colon == NULL)
		return "must be \"a.b.c.d:port\"";
	if ((size_t)(colon - s) >= sizeof(ip))
		return "must be \"a.b.c.d:port\" with an IPv4 address";
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	if (!ipv4_parse(ip, addr))
		return "must be \"a.b.c.d:port\" with an IPv4 address";
	if (!dec_parse(colon + 1, 65535, &p) || p == 0)
		return "must be \"a.b.c.d:port\" with a port in 1..65535";
	*port = (uint16_t)p;
	return NULL;
}

static bool mac_parse(const char *s, uint8_t mac[6])
{
	static const char hexd[] = "0123456789abcdef";

	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		const char *hi = strchr(hexd, p[0] | 0x20);
		const char *lo = strchr(hexd, p[1] | 0x20);

		if (p[0] == '\0' || p[1] == '\0' || hi == NULL || lo == NULL)
			return false;
		if (i < 5 && p[2] != ':')
			return false;
		mac[i] = (uint8_t)(((hi - hexd) << 4) | (lo - hexd));
	}
	return true;
}

static bool name_valid(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static void store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)dst = (uint8_t)v; break;
	case 2: *(uint16_t *)dst = (uint16_t)v; break;
	case 4: *(uint32_t *)dst = (uint32_t)v; break;
	default: *(uint64_t *)dst = v; break;
	}
}

/* String value of v, or NULL after reporting that it is not a string. */
static const char *want_string(struct ctx *c, json_t *v, const char *path)
{
	if (!json_is_string(v)) {
		err_at(c, path, false, "must be a string, not %s", json_kind(v));
		return NULL;
	}
	return json_string_value(v);
}

static bool want_array(struct ctx *c, json_t *v, const char *path, size_t min, size_t max)
{
	size_t n;

	if (!json_is_array(v)) {
		err_at(c, path, false, "must be an array, not %s", json_kind(v));
		return false;
	}
	n = json_array_size(v);
	if (n < min || n > max) {
		err_at(c, path, false, "must have %zu..%zu entries, has %zu", min, max, n);
		return n > max;
	}
	return true;
}

/* Port index of a port name, or -1 after reporting. */
static int port_ref(struct ctx *c, json_t *v, const char *path)
{
	const char *name = want_string(c, v, path);
	int i;

	if (name == NULL)
		return -1;
	i = sf_conf_port_find(c->conf, name);
	if (i < 0) {
		err_at(c, path, false, "unknown port \"%s\"", name);
		return -1;
	}
	return i;
}

/* IPv4 unicast address; false after reporting. */
static bool unicast_ref(struct ctx *c, json_t *v, const char *path, uint32_t *addr)
{
	const char *s = want_string(c, v, path);
	const char *why;

	if (s == NULL)
		return false;
	if (!ipv4_parse(s, addr)) {
		err_at(c, path, false, "\"%s\" is not an IPv4 address (a.b.c.d)", s);
		return false;
	}
	why = ipv4_not_unicast(*addr);
	if (why != NULL) {
		err_at(c, path, false, "%s", why);
		return false;
	}
	return true;
}

/* ---- field tables ------------------------------------------------------ */

enum field_kind {
	F_UINT,     /* JSON integer in min..max, stored in size bytes */
	F_POW2,     /* F_UINT that must be a power of 2 */
	F_BOOL,
	F_STR,      /* string of min..max bytes into a char[size] */
	F_NAME,     /* F_STR of [A-Za-z0-9_.-] */
	F_ACTION,   /* "drop" | "rst" */
	F_LEVEL,    /* log level name */
	F_CUSTOM,   /* fn does everything */
	F_LATER,    /* handled outside the table walk */
};

struct field {
	const char *key;
	enum field_kind kind;
	bool required;
	size_t off;        /* where the value lands in the struct being filled */
	size_t size;
	uint64_t min, max; /* value range (F_UINT) or length range (F_STR) */
	void (*fn)(struct ctx *c, json_t *v, const char *path, void *base);
};

#define FIELD_UINT(st, k, m, lo, hi) \
	{ #k, F_UINT, false, offsetof(struct st, m), sizeof(((struct st *)0)->m), lo, hi, NULL }
#define FIELD_POW2(st, k, m, lo, hi) \
	{ #k, F_POW2, false, offsetof(struct st, m), sizeof(((struct st *)0)->m), lo, hi, NULL }
#define FIELD_BOOL(st, k, m) \
	{ #k, F_BOOL, false, offsetof(struct st, m), sizeof(bool), 0, 0, NULL }
#define FIELD_STR(st, k, m, lo, hi, req) \
	{ #k, F_STR, req, offsetof(struct st, m), sizeof(((struct st *)0)->m), lo, hi, NULL }
#define FIELD_NAME(st, k, m) \
	{ #k, F_NAME, true, offsetof(struct st, m), sizeof(((struct st *)0)->m), 1, \
	  SF_CONF_NAME_MAX - 1, NULL }
#define FIELD_ACTION(st, k, m) \
	{ #k, F_ACTION, false, offsetof(struct st, m), sizeof(enum sf_conf_action), 0, 0, NULL }
#define FIELD_FN(k, req, f) { #k, F_CUSTOM, req, 0, 0, 0, 0, f }
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

static const char *const level_names[] = {
	NULL, "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int row[64];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 64 || lb >= 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int up = row[j];
			unsigned int best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static void field_unknown(struct ctx *c, const char *path, const char *key,
			  const struct field *fields, size_t nfields)
{
	const char *best = NULL;
	unsigned int best_d = 3;

	for (size_t i = 0; i < nfields; i++) {
		unsigned int d = edit_distance(key, fields[i].key);

		if (d < best_d) {
			best_d = d;
			best = fields[i].key;
		}
	}
	/* A shortened or lengthened name ("msl" for "msl_ms") is a likely slip too. */
	for (size_t i = 0; best == NULL && strlen(key) >= 3 && i < nfields; i++)
		if (strncmp(key, fields[i].key, strlen(key)) == 0 ||
		    strncmp(key, fields[i].key, strlen(fields[i].key)) == 0)
			best = fields[i].key;
	if (best != NULL)
		err_at(c, path, true, "unknown key; did you mean \"%s\"?", best);
	else
		err_at(c, path, true, "unknown key");
}

static void field_parse(struct ctx *c, const struct field *f, json_t *v, const char *path,
			void *base)
{
	void *dst = (char *)base + f->off;
	const char *s;

	switch (f->kind) {
	case F_UINT:
	case F_POW2: {
		json_int_t n;

		if (!json_is_integer(v)) {
			err_at(c, path, false, "must be an integer, not %s", json_kind(v));
			return;
		}
		n = json_integer_value(v);
		if (n < 0 || (uint64_t)n < f->min || (uint64_t)n > f->max) {
			err_at(c, path, false, "must be in %llu..%llu, not %lld",
			       (unsigned long long)f->min, (unsigned long long)f->max, (long long)n);
			return;
		}
		if (f->kind == F_POW2 && (n & (n - 1)) != 0) {
			err_at(c, path, false, "must be a power of 2, not %lld", (long long)n);
			return;
		}
		store_uint(dst, f->size, (uint64_t)n);
		return;
	}
	case F_BOOL:
		if (!json_is_boolean(v)) {
			err_at(c, path, false, "must be true or false, not %s", json_kind(v));
			return;
		}
		*(bool *)dst = json_is_true(v);
		return;
	case F_STR:
	case F_NAME: {
		size_t n;

		s = want_string(c, v, path);
		if (s == NULL)
			return;
		n = strlen(s);
		if (n < f->min || n > f->max) {
			if (f->min > 0 && n == 0)
				err_at(c, path, false, "must not be empty");
			else
				err_at(c, path, false, "must be at most %llu bytes long",
				       (unsigned long long)f->max);
			return;
		}
		if (f->kind == F_NAME && !name_valid(s)) {
			err_at(c, path, false, "\"%s\": only letters, digits, '_', '-' and '.' are allowed",
			       s);
			return;
		}
		memcpy(dst, s, n + 1);
		return;
	}
	case F_ACTION:
		s = want_string(c, v, path);
		if (s == NULL)
			return;
		if (strcmp(s, "drop") == 0)
			*(enum sf_conf_action *)dst = SF_CONF_ACTION_DROP;
		else if (strcmp(s, "rst") == 0)
			*(enum sf_conf_action *)dst = SF_CONF_ACTION_RST;
		else
			err_at(c, path, false, "must be \"drop\" or \"rst\", not \"%s\"", s);
		return;
	case F_LEVEL:
		s = want_string(c, v, path);
		if (s == NULL)
			return;
		for (int i = 1; i < (int)NFIELDS(level_names); i++) {
			if (strcmp(s, level_names[i]) == 0) {
				*(int *)dst = i;
				return;
			}
		}
		err_at(c, path, false,
		       "must be one of emerg, alert, crit, err, warning, notice, info, debug, not \"%s\"",
		       s);
		return;
	case F_CUSTOM:
		f->fn(c, v, path, base);
		return;
	case F_LATER:
		return;
	}
}

/*
 * Walk an object against its field table, member by member.
 * @return false when v is not an object (reported).
 */
static bool object_parse(struct ctx *c, json_t *v, const char *path, const struct field *fields,
			 size_t nfields, void *base)
{
	uint64_t seen = 0;
	const char *key;
	json_t *m;

	if (!json_is_object(v)) {
		err_at(c, path, false, "must be an object, not %s", json_kind(v));
		return false;
	}
	json_object_foreach(v, key, m) {
		char child[PATH_BUF];
		size_t i;

		path_key(child, path, key);
		for (i = 0; i < nfields; i++)
			if (strcmp(key, fields[i].key) == 0)
				break;
		if (i == nfields) {
			field_unknown(c, child, key, fields, nfields);
			continue;
		}
		seen |= UINT64_C(1) << i;
		field_parse(c, &fields[i], m, child, base);
	}
	for (size_t i = 0; i < nfields; i++)
		if (fields[i].required && !(seen & (UINT64_C(1) << i)))
			err_at(c, path, false, "missing required key \"%s\"", fields[i].key);
	return true;
}

/* ---- ports ------------------------------------------------------------- */

static void port_ipv4_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_port *p = base;
	const char *s = want_string(c, v, path);
	char ip[INET_ADDRSTRLEN];
	const char *slash, *why;
	unsigned long len;
	uint32_t addr, h, mask;

	if (s == NULL)
		return;
	slash = strchr(s, '/');
	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip)) {
		err_at(c, path, false, "\"%s\" must be \"a.b.c.d/len\"", s);
		return;
	}
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (!ipv4_parse(ip, &addr)) {
		err_at(c, path, false, "\"%s\" must be \"a.b.c.d/len\" with an IPv4 address", s);
		return;
	}
	if (!dec_parse(slash + 1, 32, &len) || len == 0) {
		err_at(c, path, false, "\"%s\" must be \"a.b.c.d/len\" with len in 1..32", s);
		return;
	}
	why = ipv4_not_unicast(addr);
	if (why != NULL) {
		err_at(c, path, false, "%s", why);
		return;
	}
	h = ntohl(addr);
	mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
	if (len <= 30 && ((h & ~mask) == 0 || (h & ~mask) == ~mask)) {
		err_at(c, path, false, "\"%s\" is the %s address of its subnet", s,
		       (h & ~mask) == 0 ? "network" : "broadcast");
		return;
	}
	p->addr = addr;
	p->prefix_len = (uint8_t)len;
}

static void port_gateway_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_port *p = base;

	unicast_ref(c, v, path, &p->gateway);
}

static const struct field port_fields[] = {
	FIELD_NAME(sf_conf_port, name, name),
	FIELD_STR(sf_conf_port, device, device, 1, SF_CONF_DEV_MAX - 1, true),
	FIELD_STR(sf_conf_port, devargs, devargs, 0, SF_CONF_DEVARGS_MAX - 1, false),
	FIELD_FN(ipv4, true, port_ipv4_parse),
	FIELD_FN(gateway, false, port_gateway_parse),
	FIELD_UINT(sf_conf_port, mtu, mtu, 576, 9000),
	FIELD_POW2(sf_conf_port, rx_desc, rx_desc, 64, 16384),
	FIELD_POW2(sf_conf_port, tx_desc, tx_desc, 64, 16384),
	FIELD_BOOL(sf_conf_port, promiscuous, promiscuous),
};

static void ports_parse(struct ctx *c, json_t *v, const char *path)
{
	struct sf_conf *conf = c->conf;
	size_t i;
	json_t *e;

	if (!want_array(c, v, path, 1, SF_CONF_MAX_PORTS))
		return;
	json_array_foreach(v, i, e) {
		struct sf_conf_port *p;
		char child[PATH_BUF];

		if (i >= SF_CONF_MAX_PORTS)
			break;
		p = &conf->ports[conf->nb_ports++];
		memset(p, 0, sizeof(*p));
		p->mtu = 1500;
		p->rx_desc = 1024;
		p->tx_desc = 1024;
		path_idx(child, path, i);
		object_parse(c, e, child, port_fields, NFIELDS(port_fields), p);
	}
}

static void ports_check(struct ctx *c)
{
	const struct sf_conf *conf = c->conf;

	for (unsigned int i = 0; i < conf->nb_ports; i++) {
		const struct sf_conf_port *p = &conf->ports[i];
		char path[PATH_BUF];

		for (unsigned int j = 0; j < i; j++) {
			if (p->name[0] != '\0' && strcmp(p->name, conf->ports[j].name) == 0) {
				snprintf(path, sizeof(path), "ports[%u].name", i);
				err_at(c, path, false, "duplicate port name \"%s\" (first at ports[%u])",
				       p->name, j);
			}
			if (p->device[0] != '\0' && strcmp(p->device, conf->ports[j].device) == 0) {
				snprintf(path, sizeof(path), "ports[%u].device", i);
				err_at(c, path, false, "device \"%s\" is already used by ports[%u]",
				       p->device, j);
			}
		}
		if (p->gateway != 0 && p->addr != 0) {
			uint32_t mask = htonl(p->prefix_len == 32 ? 0xffffffffu :
					      ~(0xffffffffu >> p->prefix_len));

			snprintf(path, sizeof(path), "ports[%u].gateway", i);
			if ((p->gateway & mask) != (p->addr & mask))
				err_at(c, path, false, "is not inside the port's subnet (ipv4)");
			else if (p->gateway == p->addr)
				err_at(c, path, false, "is the port's own address");
		}
	}
}

/* ---- services ---------------------------------------------------------- */

static void svc_listen_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_service *s = base;
	const char *str = want_string(c, v, path);
	const char *why;
	uint32_t addr;
	uint16_t port;

	if (str == NULL)
		return;
	why = ip_port_parse(str, &addr, &port);
	if (why == NULL)
		why = ipv4_not_unicast(addr);
	if (why != NULL) {
		err_at(c, path, false, "\"%s\": %s", str, why);
		return;
	}
	s->vip = addr;
	s->vport = port;
}

static void svc_port_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	int i = port_ref(c, v, path);

	if (i >= 0)
		((struct sf_conf_service *)base)->port = (uint8_t)i;
}

static void svc_backend_port_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	int i = port_ref(c, v, path);

	if (i >= 0)
		((struct sf_conf_service *)base)->backend_port = (uint8_t)i;
}

static void svc_sources_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_service *s = base;
	size_t i;
	json_t *e;

	if (!want_array(c, v, path, 1, SF_CONF_MAX_SOURCES))
		return;
	json_array_foreach(v, i, e) {
		char child[PATH_BUF];
		uint32_t addr;

		if (i >= SF_CONF_MAX_SOURCES)
			break;
		path_idx(child, path, i);
		if (!unicast_ref(c, e, child, &addr))
			continue;
		for (unsigned int j = 0; j < s->nb_sources; j++) {
			if (s->sources[j] == addr) {
				err_at(c, child, false, "duplicate source address");
				addr = 0;
				break;
			}
		}
		if (addr != 0)
			s->sources[s->nb_sources++] = addr;
	}
}

static void backend_address_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_backend *b = base;
	const char *str = want_string(c, v, path);
	const char *why;
	uint32_t addr;
	uint16_t port;

	if (str == NULL)
		return;
	why = ip_port_parse(str, &addr, &port);
	if (why == NULL)
		why = ipv4_not_unicast(addr);
	if (why != NULL) {
		err_at(c, path, false, "\"%s\": %s", str, why);
		return;
	}
	b->addr = addr;
	b->port = port;
}

static const struct field backend_fields[] = {
	FIELD_FN(address, true, backend_address_parse),
	FIELD_UINT(sf_conf_backend, weight, weight, 0, 1000),
};

static void svc_backends_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_service *s = base;
	size_t i;
	json_t *e;

	if (!want_array(c, v, path, 1, SF_CONF_MAX_BACKENDS))
		return;
	json_array_foreach(v, i, e) {
		struct sf_conf_backend b = { .weight = 1 };
		char child[PATH_BUF];
		bool dup = false;

		if (i >= SF_CONF_MAX_BACKENDS)
			break;
		path_idx(child, path, i);
		if (!object_parse(c, e, child, backend_fields, NFIELDS(backend_fields), &b))
			continue;
		for (unsigned int j = 0; j < s->nb_backends && b.addr != 0; j++) {
			if (s->backends[j].addr == b.addr && s->backends[j].port == b.port) {
				char ap[PATH_BUF];

				path_key(ap, child, "address");
				err_at(c, ap, false, "duplicate backend (first at backends[%u])", j);
				dup = true;
				break;
			}
		}
		if (!dup && b.addr != 0)
			s->backends[s->nb_backends++] = b;
	}
}

static const struct field service_fields[] = {
	FIELD_NAME(sf_conf_service, name, name),
	FIELD_FN(listen, true, svc_listen_parse),
	FIELD_FN(port, true, svc_port_parse),
	FIELD_FN(backend_port, true, svc_backend_port_parse),
	FIELD_UINT(sf_conf_service, mss, mss, 536, 9176),
	FIELD_UINT(sf_conf_service, window_scale, wscale, 0, 14),
	FIELD_FN(source_addresses, true, svc_sources_parse),
	FIELD_FN(backends, true, svc_backends_parse),
};

static void services_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf *conf = c->conf;
	size_t i;
	json_t *e;

	if (!want_array(c, v, path, 0, SF_CONF_MAX_SERVICES))
		return;
	json_array_foreach(v, i, e) {
		struct sf_conf_service *s;
		char child[PATH_BUF];

		if (i >= SF_CONF_MAX_SERVICES)
			break;
		s = &conf->services[conf->nb_services++];
		memset(s, 0, sizeof(*s));
		s->mss = 1460;
		s->wscale = 7;
		path_idx(child, path, i);
		object_parse(c, e, child, service_fields, NFIELDS(service_fields), s);
	}
}

static void services_check(struct ctx *c)
{
	const struct sf_conf *conf = c->conf;

	for (unsigned int i = 0; i < conf->nb_services; i++) {
		const struct sf_conf_service *s = &conf->services[i];
		char path[PATH_BUF];

		for (unsigned int j = 0; j < i; j++) {
			const struct sf_conf_service *o = &conf->services[j];

			if (s->name[0] != '\0' && strcmp(s->name, o->name) == 0) {
				snprintf(path, sizeof(path), "services[%u].name", i);
				err_at(c, path, false, "duplicate service name \"%s\" (first at services[%u])",
				       s->name, j);
			}
			if (s->vip != 0 && s->vip == o->vip && s->vport == o->vport) {
				char ip[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &s->vip, ip, sizeof(ip));
				snprintf(path, sizeof(path), "services[%u].listen", i);
				err_at(c, path, false,
				       "duplicate listen address %s:%u (first at services[%u])", ip,
				       s->vport, j);
			}
		}
	}
}

/* ---- other sections ---------------------------------------------------- */

static const struct field tcp_fields[] = {
	FIELD_UINT(sf_conf_tcp, syn_retries, syn_retries, 1, 15),
	FIELD_UINT(sf_conf_tcp, rto_initial_ms, rto_initial_ms, 100, 60000),
	FIELD_UINT(sf_conf_tcp, rto_max_ms, rto_max_ms, 1000, 600000),
	FIELD_UINT(sf_conf_tcp, msl_ms, msl_ms, 100, 600000),
	FIELD_UINT(sf_conf_tcp, fin_wait2_timeout_ms, fin_wait2_timeout_ms, 1000, 3600000),
	FIELD_UINT(sf_conf_tcp, idle_timeout_ms, idle_timeout_ms, 1000, 86400000),
	FIELD_UINT(sf_conf_tcp, half_open_timeout_ms, half_open_timeout_ms, 1000, 600000),
	FIELD_UINT(sf_conf_tcp, orphan_retries, orphan_retries, 0, 15),
	FIELD_BOOL(sf_conf_tcp, time_wait_reuse, time_wait_reuse),
};

static const struct field cookies_fields[] = {
	FIELD_UINT(sf_conf_cookies, max_age_ms, max_age_ms, 10000, 600000),
	FIELD_UINT(sf_conf_cookies, rotate_interval_ms, rotate_interval_ms, 1000, 86400000),
	FIELD_STR(sf_conf_cookies, key_file, key_file, 0, SF_CONF_PATH_MAX - 1, false),
	FIELD_BOOL(sf_conf_cookies, timestamps, timestamps),
	FIELD_ACTION(sf_conf_cookies, invalid_action, invalid_action),
	FIELD_ACTION(sf_conf_cookies, no_service_action, no_service_action),
};

static const struct field limits_fields[] = {
	FIELD_UINT(sf_conf_limits, connections_per_lcore, connections_per_lcore, 1024, 16777216),
	FIELD_UINT(sf_conf_limits, mbufs, mbufs, 1023, 4194303),
	FIELD_UINT(sf_conf_limits, mbuf_cache, mbuf_cache, 0, 512),
	FIELD_UINT(sf_conf_limits, burst, burst, 1, 64),
	FIELD_UINT(sf_conf_limits, idle_sleep_us, idle_sleep_us, 0, 10000),
};

static void neigh_port_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	int i = port_ref(c, v, path);

	if (i >= 0)
		((struct sf_conf_neigh_static *)base)->port = (uint8_t)i;
}

static void neigh_ip_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	unicast_ref(c, v, path, &((struct sf_conf_neigh_static *)base)->addr);
}

static void neigh_mac_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_neigh_static *n = base;
	const char *s = want_string(c, v, path);
	uint8_t mac[6];

	if (s == NULL)
		return;
	if (!mac_parse(s, mac)) {
		err_at(c, path, false, "\"%s\" must be a MAC address \"aa:bb:cc:dd:ee:ff\"", s);
		return;
	}
	if (mac[0] & 1) {
		err_at(c, path, false, "\"%s\" is a multicast MAC address", s);
		return;
	}
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
		err_at(c, path, false, "the all-zero MAC address is not allowed");
		return;
	}
	memcpy(n->mac, mac, sizeof(mac));
}

static const struct field neigh_static_fields[] = {
	FIELD_FN(port, true, neigh_port_parse),
	FIELD_FN(ip, true, neigh_ip_parse),
	FIELD_FN(mac, true, neigh_mac_parse),
};

static void neigh_statics_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_neigh *nb = base;
	size_t i;
	json_t *e;

	if (!want_array(c, v, path, 0, SF_CONF_MAX_NEIGH))
		return;
	json_array_foreach(v, i, e) {
		struct sf_conf_neigh_static n = { 0 };
		char child[PATH_BUF];
		bool dup = false;

		if (i >= SF_CONF_MAX_NEIGH)
			break;
		path_idx(child, path, i);
		if (!object_parse(c, e, child, neigh_static_fields, NFIELDS(neigh_static_fields), &n))
			continue;
		for (unsigned int j = 0; j < nb->nb_static && n.addr != 0; j++) {
			if (nb->statics[j].port == n.port && nb->statics[j].addr == n.addr) {
				char ip[PATH_BUF];

				path_key(ip, child, "ip");
				err_at(c, ip, false, "duplicate static neighbour on this port (first at static[%u])",
				       j);
				dup = true;
				break;
			}
		}
		if (!dup && n.addr != 0)
			nb->statics[nb->nb_static++] = n;
	}
}

static const struct field neigh_fields[] = {
	FIELD_UINT(sf_conf_neigh, reachable_ms, reachable_ms, 1000, 3600000),
	FIELD_UINT(sf_conf_neigh, retry_ms, retry_ms, 100, 10000),
	FIELD_UINT(sf_conf_neigh, retries, retries, 1, 10),
	FIELD_FN(static, false, neigh_statics_parse),
};

static void control_http_parse(struct ctx *c, json_t *v, const char *path, void *base)
{
	struct sf_conf_control *ctl = base;
	const char *s, *why;
	uint32_t addr;
	uint16_t port;

	if (json_is_null(v)) {
		ctl->http_listen[0] = '\0';
		return;
	}
	s = want_string(c, v, path);
	if (s == NULL)
		return;
	if (s[0] != '\0') {
		why = ip_port_parse(s, &addr, &port);
		if (why != NULL) {
			err_at(c, path, false, "\"%s\": %s, or \"\" or null for off", s, why);
			return;
		}
		if (strlen(s) >= sizeof(ctl->http_listen)) {
			err_at(c, path, false, "is too long");
			return;
		}
	}
	snprintf(ctl->http_listen, sizeof(ctl->http_listen), "%s", s);
}

static const struct field control_fields[] = {
	/* sun_path holds 108 bytes with the NUL */
	FIELD_STR(sf_conf_control, socket, socket, 1, 107, false),
	FIELD_FN(http_listen, false, control_http_parse),
	FIELD_UINT(sf_conf_control, max_clients, max_clients, 1, 1024),
	FIELD_UINT(sf_conf_control, request_max_bytes, request_max_bytes, 256, 1048576),
	FIELD_UINT(sf_conf_control, idle_timeout_ms, idle_timeout_ms, 1000, 3600000),
};

static const struct field log_fields[] = {
	{ "level", F_LEVEL, false, offsetof(struct sf_conf_log, level), sizeof(int), 0, 0, NULL },
};

#define SECTION(k, member, tab) \
	static void k##_section_parse(struct ctx *c, json_t *v, const char *path, void *base) \
	{ \
		object_parse(c, v, path, tab, NFIELDS(tab), &((struct sf_conf *)base)->member); \
	}
SECTION(tcp, tcp, tcp_fields)
SECTION(cookies, cookies, cookies_fields)
SECTION(limits, limits, limits_fields)
SECTION(neighbors, neigh, neigh_fields)
SECTION(control, control, control_fields)
SECTION(log, log, log_fields)

static const struct field root_fields[] = {
	{ "ports", F_LATER, true, 0, 0, 0, 0, NULL },
	FIELD_FN(services, false, services_parse),
	FIELD_FN(tcp, false, tcp_section_parse),
	FIELD_FN(cookies, false, cookies_section_parse),
	FIELD_FN(limits, false, limits_section_parse),
	FIELD_FN(neighbors, false, neighbors_section_parse),
	FIELD_FN(control, false, control_section_parse),
	FIELD_FN(log, false, log_section_parse),
};

/*
 * Report that key a (value va) must be OP key b (value vb): at a when the file has
 * it, else at b (a then holds its default).
 */
static void rule_report(struct ctx *c, const char *a, const char *op, const char *b,
			unsigned long va, unsigned long vb)
{
	if (path_present(c, a))
		err_at(c, a, false, "must be %s %s (%lu), not %lu", op, b, vb, va);
	else
		err_at(c, b, false, "%s (%lu, the default) must be %s %s (%lu)", a, va, op, b, vb);
}

static void rules_check(struct ctx *c)
{
	const struct sf_conf *conf = c->conf;

	if (conf->tcp.rto_max_ms < conf->tcp.rto_initial_ms)
		rule_report(c, "tcp.rto_max_ms", ">=", "tcp.rto_initial_ms", conf->tcp.rto_max_ms,
			    conf->tcp.rto_initial_ms);
	if (conf->cookies.rotate_interval_ms > conf->cookies.max_age_ms)
		rule_report(c, "cookies.rotate_interval_ms", "<=", "cookies.max_age_ms",
			    conf->cookies.rotate_interval_ms, conf->cookies.max_age_ms);
}

/* ---- public API -------------------------------------------------------- */

void sf_conf_defaults(struct sf_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->tcp = (struct sf_conf_tcp){
		.syn_retries = 5,
		.rto_initial_ms = 1000,
		.rto_max_ms = 120000,
		.msl_ms = 30000,
		.fin_wait2_timeout_ms = 60000,
		.idle_timeout_ms = 300000,
		.half_open_timeout_ms = 30000,
		.orphan_retries = 8,
		.time_wait_reuse = true,
	};
	conf->cookies.max_age_ms = 120000;
	conf->cookies.rotate_interval_ms = 60000;
	conf->cookies.timestamps = true;
	conf->cookies.invalid_action = SF_CONF_ACTION_DROP;
	conf->cookies.no_service_action = SF_CONF_ACTION_RST;
	conf->limits = (struct sf_conf_limits){
		.connections_per_lcore = 1048576,
		.mbufs = 65535,
		.mbuf_cache = 256,
		.burst = 32,
	};
	conf->neigh.reachable_ms = 300000;
	conf->neigh.retry_ms = 1000;
	conf->neigh.retries = 3;
	snprintf(conf->control.socket, sizeof(conf->control.socket), "%s",
		 "/run/synfront/synfront.sock");
	conf->control.max_clients = 64;
	conf->control.request_max_bytes = 65536;
	conf->control.idle_timeout_ms = 60000;
	conf->log.level = 7;
}

int sf_conf_parse(const char *text, size_t len, struct sf_conf *conf, struct sf_conf_errors *errs)
{
	struct sf_conf_errors local;
	struct ctx c = { .conf = conf };
	json_error_t jerr;
	json_t *root, *ports;
	int rc;

	if (errs == NULL)
		errs = &local;
	memset(errs, 0, sizeof(*errs));
	c.errs = errs;
	if (text == NULL || conf == NULL) {
		err_pos(errs, "", 0, 0, "no configuration given");
		return -EINVAL;
	}
	sf_conf_defaults(conf);

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		err_pos(errs, "", jerr.line < 0 ? 0 : jerr.line, jerr.column < 0 ? 0 : jerr.column,
			"invalid JSON: %s", jerr.text);
		return -EINVAL;
	}
	if (idx_build(&c.idx, text, len) < 0) {
		err_pos(errs, "", 0, 0, "out of memory");
		rc = -ENOMEM;
		goto out;
	}

	if (json_is_object(root)) {
		ports = json_object_get(root, "ports");
		if (ports != NULL)
			ports_parse(&c, ports, "ports");
	}
	object_parse(&c, root, "", root_fields, NFIELDS(root_fields), conf);
	ports_check(&c);
	services_check(&c);
	rules_check(&c);
	errs_sort(errs);
	rc = errs->count > 0 ? -EINVAL : 0;
out:
	idx_free(&c.idx);
	json_decref(root);
	return rc;
}

int sf_conf_load(const char *file, struct sf_conf *conf, struct sf_conf_errors *errs)
{
	struct sf_conf_errors local;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	FILE *f;
	int rc;

	if (errs == NULL)
		errs = &local;
	memset(errs, 0, sizeof(*errs));
	if (file == NULL) {
		err_pos(errs, "", 0, 0, "no configuration file given");
		return -EINVAL;
	}
	f = fopen(file, "r");
	if (f == NULL) {
		rc = -errno;
		err_pos(errs, "", 0, 0, "cannot open: %s", strerror(errno));
		return rc;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb;

			if (cap >= FILE_MAX) {
				err_pos(errs, "", 0, 0, "larger than %u bytes", FILE_MAX);
				rc = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				err_pos(errs, "", 0, 0, "cannot read: %s", strerror(ENOMEM));
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				rc = errno ? -errno : -EIO;
				err_pos(errs, "", 0, 0, "cannot read: %s", strerror(-rc));
				goto out;
			}
			break;
		}
	}
	rc = sf_conf_parse(buf, len, conf, errs);
out:
	free(buf);
	fclose(f);
	return rc;
}

void sf_conf_errors_print(const struct sf_conf_errors *errs, const char *file, FILE *out)
{
	if (file == NULL)
		file = "<config>";
	for (unsigned int i = 0; i < errs->stored; i++) {
		const struct sf_conf_error *e = &errs->e[i];

		if (e->line == 0 && e->path[0] == '\0')
			fprintf(out, "%s: %s\n", file, e->message);
		else if (e->line == 0)
			fprintf(out, "%s: %s: %s\n", file, e->path, e->message);
		else if (e->path[0] == '\0')
			fprintf(out, "%s:%d:%d: %s\n", file, e->line, e->column, e->message);
		else
			fprintf(out, "%s:%d:%d: %s: %s\n", file, e->line, e->column, e->path,
				e->message);
	}
	if (errs->count > errs->stored)
		fprintf(out, "... and %u more error(s)\n", errs->count - errs->stored);
}

int sf_conf_port_find(const struct sf_conf *conf, const char *name)
{
	if (conf == NULL || name == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < conf->nb_ports; i++)
		if (strcmp(conf->ports[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

bool sf_conf_owns_addr(const struct sf_conf *conf, uint16_t port, uint32_t addr)
{
	if (port >= conf->nb_ports || addr == 0)
		return false;
	if (conf->ports[port].addr == addr)
		return true;
	for (unsigned int i = 0; i < conf->nb_services; i++) {
		const struct sf_conf_service *s = &conf->services[i];

		if (s->port == port && s->vip == addr)
			return true;
		if (s->backend_port == port)
			for (unsigned int j = 0; j < s->nb_sources; j++)
				if (s->sources[j] == addr)
					return true;
	}
	return false;
}

const char *sf_conf_action_str(enum sf_conf_action a)
{
	switch (a) {
	case SF_CONF_ACTION_DROP: return "drop";
	case SF_CONF_ACTION_RST: return "rst";
	}
	return "unknown";
}

const char *sf_conf_log_level_str(int level)
{
	if (level < 1 || level >= (int)NFIELDS(level_names))
		return "unknown";
	return level_names[level];
}
