/*
 * cfg.c: the configuration table and its loader (see cfg.h). Adding a
 * setting is adding an enum value and a row here.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core.h"
#include "cfg.h"
#include "nostr.h"
#include "nwc.h"

enum cfgtype {
	T_STR, /* free text; min 1 forbids empty */
	T_HOST, /* host name or address, optionally :port; no scheme or path */
	T_URL, /* http:// or https:// URL */
	T_ORIGIN, /* http(s)://host[:port], no path; kept without a final / */
	T_INT, /* integer in [min, max] */
	T_BOOL, /* 0/1, true/false, yes/no */
	T_SECKEY, /* nostr secret key: 64 hex or nsec1… */
	T_PUBKEYS, /* comma-separated nostr public keys (hex or npub) */
	T_RELAYS, /* comma-separated relay URLs; wss:// added when absent */
	T_LIST, /* comma-separated words */
	T_DBURL, /* sqlite://PATH or PATH */
	T_DECIMAL, /* positive decimal number, e.g. a price */
	T_NWC /* nostr+walletconnect:// URI (NIP-47) */
};

static const struct cfgvar {
	const char *name;
	enum cfgtype type;
	const char *def;
	int secret; /* masked by --check-config */
	int64_t min, max; /* T_INT */
} cfgvars[CFG__MAX] = {
	[CFG_DATABASE_URL] = { "DATABASE_URL", T_DBURL, "sqlite://caravel.db",
	    0, 0, 0 },
	[CFG_HOST] = { "HOST", T_HOST, "127.0.0.1", 0, 1, 0 },
	/* Behind TLS termination: what AUTH_STRICT compares tokens with. */
	[CFG_API_URL] = { "API_URL", T_ORIGIN, "", 0, 0, 0 },
	[CFG_PORT] = { "PORT", T_INT, "2892", 0, 1, 65535 },
	[CFG_ADMINS] = { "ADMINS", T_PUBKEYS, "", 0, 0, 0 },
	[CFG_ALLOW_ORIGINS] = { "ALLOW_ORIGINS", T_LIST, "", 0, 0, 0 },
	[CFG_AUTH_MAX_AGE] = { "AUTH_MAX_AGE", T_INT, "3600", 0, 0,
	    INT32_MAX },
	[CFG_AUTH_STRICT] = { "AUTH_STRICT", T_BOOL, "0", 0, 0, 1 },
	[CFG_MAX_BODY_SIZE] = { "MAX_BODY_SIZE", T_INT, "65536", 0, 1024,
	    16777216 },
	[CFG_RESERVED_SUBDOMAINS] = { "RESERVED_SUBDOMAINS", T_LIST, "", 0,
	    0, 0 },
	[CFG_RELAY_DOMAIN] = { "RELAY_DOMAIN", T_STR, "", 0, 0, 0 },
	[CFG_ZOOID_API_URL] = { "ZOOID_API_URL", T_URL, "", 0, 0, 0 },
	[CFG_ZOOID_API_SECRET] = { "ZOOID_API_SECRET", T_SECKEY, "", 1, 0,
	    0 },
	[CFG_LIVEKIT_URL] = { "LIVEKIT_URL", T_STR, "", 0, 0, 0 },
	[CFG_LIVEKIT_API_KEY] = { "LIVEKIT_API_KEY", T_STR, "", 0, 0, 0 },
	[CFG_LIVEKIT_API_SECRET] = { "LIVEKIT_API_SECRET", T_STR, "", 1, 0,
	    0 },
	[CFG_BLOSSOM_S3_ENDPOINT] = { "BLOSSOM_S3_ENDPOINT", T_URL, "", 0, 0,
	    0 },
	[CFG_BLOSSOM_S3_REGION] = { "BLOSSOM_S3_REGION", T_STR, "", 0, 0, 0 },
	[CFG_BLOSSOM_S3_BUCKET] = { "BLOSSOM_S3_BUCKET", T_STR, "", 0, 0, 0 },
	[CFG_BLOSSOM_S3_ACCESS_KEY] = { "BLOSSOM_S3_ACCESS_KEY", T_STR, "", 0,
	    0, 0 },
	[CFG_BLOSSOM_S3_SECRET_KEY] = { "BLOSSOM_S3_SECRET_KEY", T_STR, "", 1,
	    0, 0 },
	[CFG_NWC_URL] = { "NWC_URL", T_NWC, "", 1, 0, 0 },
	[CFG_ENCRYPTION_SECRET] = { "ENCRYPTION_SECRET", T_SECKEY, "", 1, 0,
	    0 },
	[CFG_STRIPE_API_URL] = { "STRIPE_API_URL", T_URL,
	    "https://api.stripe.com", 0, 0, 0 },
	[CFG_STRIPE_SECRET_KEY] = { "STRIPE_SECRET_KEY", T_STR, "", 1, 0, 0 },
	[CFG_STRIPE_WEBHOOK_SECRET] = { "STRIPE_WEBHOOK_SECRET", T_STR, "", 1,
	    0, 0 },
	[CFG_STRIPE_PRICE_BASIC] = { "STRIPE_PRICE_BASIC", T_STR, "", 0, 0,
	    0 },
	[CFG_STRIPE_PRICE_GROWTH] = { "STRIPE_PRICE_GROWTH", T_STR, "", 0, 0,
	    0 },
	[CFG_BILLING_GRACE_DAYS] = { "BILLING_GRACE_DAYS", T_INT, "7", 0, 0,
	    365 },
	[CFG_BTC_PRICE_URL] = { "BTC_PRICE_URL", T_URL,
	    "https://api.coinbase.com/v2/prices/BTC-USD/spot", 0, 0, 0 },
	[CFG_BTC_PRICE_TTL] = { "BTC_PRICE_TTL", T_INT, "300", 0, 0, 86400 },
	[CFG_BTC_PRICE_USD_OVERRIDE] = { "BTC_PRICE_USD_OVERRIDE", T_DECIMAL,
	    "", 0, 0, 0 },
	[CFG_ROBOT_SECRET] = { "ROBOT_SECRET", T_SECKEY, "", 1, 0, 0 },
	[CFG_ROBOT_NAME] = { "ROBOT_NAME", T_STR, "", 0, 0, 0 },
	[CFG_ROBOT_DESCRIPTION] = { "ROBOT_DESCRIPTION", T_STR, "", 0, 0, 0 },
	[CFG_ROBOT_PICTURE] = { "ROBOT_PICTURE", T_STR, "", 0, 0, 0 },
	[CFG_ROBOT_OUTBOX_RELAYS] = { "ROBOT_OUTBOX_RELAYS", T_RELAYS, "", 0,
	    0, 0 },
	[CFG_ROBOT_INDEXER_RELAYS] = { "ROBOT_INDEXER_RELAYS", T_RELAYS, "",
	    0, 0, 0 },
	[CFG_ROBOT_MESSAGING_RELAYS] = { "ROBOT_MESSAGING_RELAYS", T_RELAYS,
	    "", 0, 0, 0 },
	[CFG_RELAY_CA_FILE] = { "RELAY_CA_FILE", T_STR, "", 0, 0, 0 },
	[CFG_HTTP_TIMEOUT] = { "HTTP_TIMEOUT", T_INT, "10", 0, 1, 300 },
	/* 0: NIP-47 calls wait 10 s, pay_invoice 30 s. */
	[CFG_NWC_TIMEOUT] = { "NWC_TIMEOUT", T_INT, "0", 0, 0, 300 },
	[CFG_ALLOW_PRIVATE_ADDRESSES] = { "ALLOW_PRIVATE_ADDRESSES", T_BOOL,
	    "0", 0, 0, 1 },
};

struct errbuf {
	char *buf;
	size_t size, len;
	int n;
};

static void cfg_err(struct errbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
cfg_err(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;
	int w;

	e->n++;
	if (e->len >= e->size)
		return;
	va_start(ap, fmt);
	w = vsnprintf(e->buf + e->len, e->size - e->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		e->len += (size_t)w;
	if (e->len < e->size - 1) {
		e->buf[e->len++] = '\n';
		e->buf[e->len] = '\0';
	} else
		e->len = e->size;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
cfg_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < CFG__MAX; i++)
		if (strcmp(cfgvars[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Read KEY=value lines: blank lines and "#" comments are skipped, an
 * "export " prefix is allowed, and one pair of matching quotes around the
 * value is removed. Unknown keys are errors (a typo must not pass).
 */
static int
cfg_read_file(const char *path, char *raw[CFG__MAX], struct errbuf *e)
{
	FILE *f;
	char line[8192], *p, *eq, *key, *val;
	size_t len;
	int lineno = 0, k;

	if ((f = fopen(path, "r")) == NULL) {
		cfg_err(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			cfg_err(e, "%s:%d: line too long", path, lineno);
			break;
		}
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "export ", 7) == 0)
			p = trim(p + 7);
		if ((eq = strchr(p, '=')) == NULL) {
			cfg_err(e, "%s:%d: expected KEY=value", path, lineno);
			continue;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		len = strlen(val);
		if (len >= 2 && (val[0] == '"' || val[0] == '\'') &&
		    val[len - 1] == val[0]) {
			val[len - 1] = '\0';
			val++;
		}
		if ((k = cfg_lookup(key)) < 0) {
			cfg_err(e, "%s:%d: unknown setting %s", path, lineno,
			    key);
			continue;
		}
		free(raw[k]);
		raw[k] = xstrdup(val);
	}
	if (ferror(f))
		cfg_err(e, "%s: %s", path, strerror(errno));
	fclose(f);
	return e->n == 0 ? 0 : -1;
}

/* Split a comma list, trimming items and dropping empty ones. */
static void
cfg_split(struct config *c, enum cfgkey k, const char *v)
{
	char *copy, *item, *save = NULL;

	copy = xstrdup(v);
	c->list[k] = xcalloc(strlen(v) / 2 + 2, sizeof(char *));
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		item = trim(item);
		if (*item != '\0')
			c->list[k][c->nlist[k]++] = xstrdup(item);
	}
	free(copy);
}

static void
cfg_join(struct config *c, enum cfgkey k)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < c->nlist[k]; i++)
		len += strlen(c->list[k][i]) + 1;
	s = xcalloc(1, len);
	for (i = 0; i < c->nlist[k]; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, c->list[k][i]);
	}
	free(c->str[k]);
	c->str[k] = s;
}

static int
url_ok(const char *v)
{
	const char *host;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		return 0;
	return *host != '\0' && *host != '/' && strpbrk(v, " \t\r\n") == NULL;
}

/* Relay lists: trimmed, wss:// added when no scheme is given (README). */
static int
cfg_relays(struct config *c, enum cfgkey k, struct errbuf *e)
{
	size_t i;
	char *u, *host;

	for (i = 0; i < c->nlist[k]; i++) {
		u = c->list[k][i];
		if (strncmp(u, "wss://", 6) != 0 &&
		    strncmp(u, "ws://", 5) != 0) {
			if (strstr(u, "://") != NULL) {
				cfg_err(e, "%s: relay URL %s must use ws:// or "
				    "wss://", cfgvars[k].name, u);
				return -1;
			}
			c->list[k][i] = xasprintf("wss://%s", u);
			free(u);
			u = c->list[k][i];
		}
		host = strstr(u, "://") + 3;
		if (*host == '\0' || *host == '/' ||
		    strpbrk(u, " \t\r\n") != NULL) {
			cfg_err(e, "%s: %s is not a relay URL", cfgvars[k].name,
			    u);
			return -1;
		}
	}
	return 0;
}

static void
cfg_value(struct config *c, enum cfgkey k, const char *v, struct errbuf *e)
{
	const struct cfgvar *cv = &cfgvars[k];
	struct arena a = { NULL };
	struct decimal dec;
	struct nwc_uri uri;
	unsigned char key[32];
	const char *why, *slash;
	size_t i;

	c->str[k] = xstrdup(v);
	c->list[k] = NULL;
	switch (cv->type) {
	case T_STR:
		/* min = 1: the setting may not be empty. */
		if (cv->min > 0 && *v == '\0')
			cfg_err(e, "%s: may not be empty", cv->name);
		break;
	case T_HOST:
		/* NIP-98 compares it with the host of a `u` tag (RFC 3986). */
		if (*v == '\0' || strstr(v, "://") != NULL ||
		    strpbrk(v, "/?#@ \t\r\n") != NULL)
			cfg_err(e, "%s: %s is not a host name: give the host the "
			    "API is reached at, like api.example.com, without "
			    "a scheme or a path", cv->name, v);
		break;
	case T_ORIGIN:
		if (*v == '\0')
			break;
		slash = url_ok(v) ? strchr(strstr(v, "://") + 3, '/') : v;
		if (slash != NULL && (slash == v || slash[1] != '\0'))
			cfg_err(e, "%s: %s is not a base URL like "
			    "https://api.example.com (a scheme and a host, no "
			    "path)", cv->name, v);
		else if (slash != NULL)
			c->str[k][slash - v] = '\0';
		break;
	case T_URL:
		if (*v != '\0' && !url_ok(v))
			cfg_err(e, "%s: %s is not an http:// or https:// URL",
			    cv->name, v);
		break;
	case T_INT:
		if (parse_int64(v, cv->min, cv->max, &c->num[k]) == -1)
			cfg_err(e, "%s: %s is not a whole number from %lld to "
			    "%lld", cv->name, v, (long long)cv->min,
			    (long long)cv->max);
		break;
	case T_BOOL:
		if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
		    strcasecmp(v, "yes") == 0)
			c->num[k] = 1;
		else if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 ||
		    strcasecmp(v, "no") == 0 || *v == '\0')
			c->num[k] = 0;
		else
			cfg_err(e, "%s: %s is not 0 or 1", cv->name, v);
		break;
	case T_SECKEY:
		if (*v != '\0' && nostr_secret_parse(v, key) == -1)
			cfg_err(e, "%s: not a nostr secret key (64 hex digits "
			    "or nsec1…)", cv->name);
		explicit_zero(key, sizeof(key));
		break;
	case T_PUBKEYS:
		cfg_split(c, k, v);
		for (i = 0; i < c->nlist[k]; i++) {
			if (nostr_pubkey_parse(c->list[k][i], key) == -1) {
				cfg_err(e, "%s: %s is not a nostr public key "
				    "(64 hex digits or npub1…)", cv->name,
				    c->list[k][i]);
				break;
			}
			free(c->list[k][i]);
			c->list[k][i] = xmalloc(65);
			hex_encode(key, 32, c->list[k][i]);
		}
		cfg_join(c, k);
		break;
	case T_RELAYS:
		cfg_split(c, k, v);
		if (cfg_relays(c, k, e) == 0)
			cfg_join(c, k);
		break;
	case T_LIST:
		cfg_split(c, k, v);
		cfg_join(c, k);
		break;
	case T_DBURL:
		if (strncmp(v, "sqlite://", 9) == 0)
			v += 9;
		else if (strncmp(v, "sqlite:", 7) == 0)
			v += 7;
		if (*v == '\0') {
			cfg_err(e, "%s: no database path", cv->name);
			break;
		}
		if (*v == '/')
			c->dbpath = xstrdup(v);
		else
			c->dbpath = xasprintf("%s/%s", CFG_STATE_DIR, v);
		break;
	case T_DECIMAL:
		if (*v != '\0' && decimal_parse(v, &dec) == -1)
			cfg_err(e, "%s: %s is not a positive decimal number "
			    "below 10^12 with at most 12 decimals", cv->name, v);
		break;
	case T_NWC:
		if (*v != '\0' && nwc_uri_parse(&a, v, &uri, &why) == -1)
			cfg_err(e, "%s: %s", cv->name, why);
		arena_free(&a);
		break;
	}
}

int
cfg_load(struct config *c, const char *envfile, char *errbuf, size_t size)
{
	struct errbuf e = { errbuf, size, 0, 0 };
	char *raw[CFG__MAX] = { NULL };
	const char *v;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (size > 0)
		errbuf[0] = '\0';
	if (envfile != NULL)
		cfg_read_file(envfile, raw, &e);
	else if (access(CFG_DEFAULT_ENVFILE, F_OK) == 0) {
		envfile = CFG_DEFAULT_ENVFILE;
		cfg_read_file(envfile, raw, &e);
	}
	if (envfile != NULL)
		c->envfile = xstrdup(envfile);
	for (i = 0; i < CFG__MAX; i++) {
		if ((v = getenv(cfgvars[i].name)) != NULL) {
			free(raw[i]);
			raw[i] = xstrdup(v);
		}
		v = raw[i] != NULL ? trim(raw[i]) : cfgvars[i].def;
		cfg_value(c, (enum cfgkey)i, v, &e);
	}
	for (i = 0; i < CFG__MAX; i++)
		free(raw[i]);
	return e.n == 0 ? 0 : -1;
}

const struct cfg_need cfg_api_needs[] = {
	{ CFG_ENCRYPTION_SECRET, "it to store relay keys and wallet URLs "
	    "encrypted" },
};
const size_t cfg_api_needs_count = nitems(cfg_api_needs);

int
cfg_require(const struct config *c, const char *program,
    const struct cfg_need *need, size_t n, char *errbuf, size_t size)
{
	struct errbuf e = { errbuf, size, 0, 0 };
	size_t i;

	if (size > 0)
		errbuf[0] = '\0';
	for (i = 0; i < n; i++)
		if (!cfg_isset(c, need[i].key))
			cfg_err(&e, "%s must be set: %s needs %s",
			    cfgvars[need[i].key].name, program, need[i].why);
	return e.n == 0 ? 0 : -1;
}

void
cfg_free(struct config *c)
{
	size_t i, j;

	for (i = 0; i < CFG__MAX; i++) {
		if (c->str[i] != NULL)
			explicit_zero(c->str[i], strlen(c->str[i]));
		free(c->str[i]);
		for (j = 0; j < c->nlist[i]; j++)
			free(c->list[i][j]);
		free(c->list[i]);
	}
	free(c->dbpath);
	free(c->envfile);
	memset(c, 0, sizeof(*c));
}

const char *
cfg_str(const struct config *c, enum cfgkey k)
{
	return c->str[k] != NULL ? c->str[k] : "";
}

int64_t
cfg_int(const struct config *c, enum cfgkey k)
{
	return c->num[k];
}

int
cfg_isset(const struct config *c, enum cfgkey k)
{
	return c->str[k] != NULL && c->str[k][0] != '\0';
}

const char *
cfg_name(enum cfgkey k)
{
	return cfgvars[k].name;
}

const char *
cfg_str_by_name(const struct config *c, const char *name)
{
	int k;

	if ((k = cfg_lookup(name)) < 0)
		return NULL;
	return cfg_str(c, (enum cfgkey)k);
}

int
cfg_is_admin(const struct config *c, const char *pubkey_hex)
{
	size_t i;

	for (i = 0; i < c->nlist[CFG_ADMINS]; i++)
		if (strcmp(c->list[CFG_ADMINS][i], pubkey_hex) == 0)
			return 1;
	return 0;
}

void
cfg_print(const struct config *c, FILE *f)
{
	size_t i;

	fprintf(f, "# env file: %s\n",
	    c->envfile != NULL ? c->envfile : "(none)");
	if (c->dbpath != NULL)
		fprintf(f, "# database file: %s\n", c->dbpath);
	for (i = 0; i < CFG__MAX; i++) {
		if (cfgvars[i].secret)
			fprintf(f, "%s=%s\n", cfgvars[i].name,
			    cfg_isset(c, i) ? "(set, hidden)" : "");
		else
			fprintf(f, "%s=%s\n", cfgvars[i].name, cfg_str(c, i));
	}
}
