/*
 * cfg.h: the configuration every binary reads. One table (cfg.c) names
 * each setting, its type, default and whether it is a secret; values come
 * from an optional env file of KEY=value lines, and the real environment
 * wins over the file.
 */
#ifndef CARAVEL_CFG_H
#define CARAVEL_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfgkey {
	CFG_DATABASE_URL,
	CFG_HOST,
	CFG_API_URL,
	CFG_PORT,
	CFG_ADMINS,
	CFG_ALLOW_ORIGINS,
	CFG_AUTH_MAX_AGE,
	CFG_AUTH_STRICT,
	CFG_MAX_BODY_SIZE,
	CFG_RESERVED_SUBDOMAINS,
	CFG_RELAY_DOMAIN,
	CFG_ZOOID_API_URL,
	CFG_ZOOID_API_SECRET,
	CFG_LIVEKIT_URL,
	CFG_LIVEKIT_API_KEY,
	CFG_LIVEKIT_API_SECRET,
	CFG_BLOSSOM_S3_ENDPOINT,
	CFG_BLOSSOM_S3_REGION,
	CFG_BLOSSOM_S3_BUCKET,
	CFG_BLOSSOM_S3_ACCESS_KEY,
	CFG_BLOSSOM_S3_SECRET_KEY,
	CFG_NWC_URL,
	CFG_ENCRYPTION_SECRET,
	CFG_STRIPE_API_URL,
	CFG_STRIPE_SECRET_KEY,
	CFG_STRIPE_WEBHOOK_SECRET,
	CFG_STRIPE_PRICE_BASIC,
	CFG_STRIPE_PRICE_GROWTH,
	CFG_BILLING_GRACE_DAYS,
	CFG_BTC_PRICE_URL,
	CFG_BTC_PRICE_TTL,
	CFG_BTC_PRICE_USD_OVERRIDE,
	CFG_ROBOT_SECRET,
	CFG_ROBOT_NAME,
	CFG_ROBOT_DESCRIPTION,
	CFG_ROBOT_PICTURE,
	CFG_ROBOT_OUTBOX_RELAYS,
	CFG_ROBOT_INDEXER_RELAYS,
	CFG_ROBOT_MESSAGING_RELAYS,
	CFG_RELAY_CA_FILE,
	CFG_HTTP_TIMEOUT,
	CFG_NWC_TIMEOUT,
	CFG_ALLOW_PRIVATE_ADDRESSES,
	CFG__MAX
};

/* Values after parsing; every string is "" when the setting is unset. */
struct config {
	char *str[CFG__MAX]; /* normalised text (lists joined by ",") */
	int64_t num[CFG__MAX]; /* integer and boolean settings */
	char **list[CFG__MAX]; /* list settings, NULL-terminated */
	size_t nlist[CFG__MAX];
	char *dbpath; /* DATABASE_URL resolved to a file path */
	char *envfile; /* the env file read, or NULL */
};

/* The compiled-in default env file and base of relative database paths. */
#define CFG_DEFAULT_ENVFILE SYSCONFDIR "/caravel/caravel.env"
#define CFG_STATE_DIR LOCALSTATEDIR "/lib/caravel"

/*
 * Load configuration: envfile (NULL: the default one, if it exists), then
 * the environment over it. Returns 0, or -1 after writing one line per
 * problem (naming the variable, or the file and line) to errbuf.
 */
int cfg_load(struct config *, const char *envfile, char *errbuf, size_t);
void cfg_free(struct config *);
const char *cfg_str(const struct config *, enum cfgkey);
int64_t cfg_int(const struct config *, enum cfgkey);
int cfg_isset(const struct config *, enum cfgkey);
const char *cfg_name(enum cfgkey);
/* Value of the setting called name, or NULL if there is no such setting. */
const char *cfg_str_by_name(const struct config *, const char *name);
/* Is hex pubkey listed in ADMINS? */
int cfg_is_admin(const struct config *, const char *pubkey_hex);
/* A setting a program cannot work without, and what for. */
struct cfg_need {
	enum cfgkey key;
	const char *why;
};
/*
 * 0 if every needed setting is set, else -1 after one line per missing
 * one ("X must be set: PROGRAM needs WHY") in errbuf.
 */
int cfg_require(const struct config *, const char *program,
    const struct cfg_need *, size_t, char *errbuf, size_t);
/* What caravel-api needs (its -n and caravel-admin check-config). */
extern const struct cfg_need cfg_api_needs[];
extern const size_t cfg_api_needs_count;
/* Print the effective configuration, secrets masked (-n). */
void cfg_print(const struct config *, FILE *);

#endif
