/*
 * zooidtest.h: what the two halves of test_zooid share: fixed keys, a
 * hand-made configuration and relay, and the table of hostile members
 * replies (test_zooid_offline.c feeds it to the parser, test_zooid.c
 * sends it through the fake).
 */
#ifndef CARAVEL_ZOOIDTEST_H
#define CARAVEL_ZOOIDTEST_H

#include <stddef.h>

#include <check.h>
#include <json-c/json.h>

#include "cfg.h"
#include "db.h"

#define API_SK "5c0c523f52a5b6fad39ed2403092df8cebc36318b39383bca6c00808626fab3a"
#define OTHER_SK "1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define RELAY_SK "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
/* x of 2G: a valid public key (zooid checks info.pubkey is on the curve). */
#define TENANT "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
#define S3_SECRET "s3-secret-value-42"
#define LK_SECRET "livekit-secret-value-17"

struct zooid_bad_reply {
	const char *body;
	size_t len; /* 0: strlen */
};
extern const struct zooid_bad_reply bad_members[];
extern const size_t nbad_members;

void pubkey_of(const char *skhex, char out[65]);
/* A config holding only what the tests set; free with cfg_free. */
void cset(struct config *, enum cfgkey, const char *);
void base_config(struct config *);
void s3_config(struct config *, int endpoint);
void relay_n(struct relay *, unsigned int n, char id[33], char schema[32],
    char sub[32]);
/* String member a (or a.b, a.b.c) of o, or NULL. */
const char *at(struct json_object *, const char *, const char *,
    const char *);
/* The body, init and parser tests, which need no fake. */
TCase *zooid_offline_tcase(void);

#endif
