/*
 * nostr.h: Nostr keys and events (NIP-01, BIP-340), NIP-19 bech32 keys,
 * NIP-98 HTTP auth. Everything here is pure computation: no I/O, no HTTP
 * request knowledge. Hex is lower case everywhere (NIP-01).
 */
#ifndef CARAVEL_NOSTR_H
#define CARAVEL_NOSTR_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Upper bounds on what we accept from the network. */
#define NOSTR_EVENT_MAX 131072 /* bytes of event JSON */

/* keys.c */
int nostr_random(unsigned char *, size_t); /* CSPRNG; 0 or -1 */
int nostr_pubkey(const unsigned char sk[32], unsigned char pk[32]);
int nostr_keygen(unsigned char sk[32], unsigned char pk[32]);
int nostr_pubkey_ok(const unsigned char pk[32]); /* a point on the curve */
/* A secret key as 64 hex digits or an "nsec1…" string; 0 or -1. */
int nostr_secret_parse(const char *, unsigned char sk[32]);
/* A public key as 64 hex digits or an "npub1…" string; 0 or -1. */
int nostr_pubkey_parse(const char *, unsigned char pk[32]);

/*
 * event.c: one NIP-01 event. tags is a json-c array of arrays of strings
 * owned by the event; content may hold NUL bytes, so its length is kept.
 */
struct nostr_event {
	unsigned char id[32];
	unsigned char pubkey[32];
	unsigned char sig[64];
	int has_sig; /* 0 for an unsigned rumor (NIP-59) */
	int64_t created_at;
	int kind; /* 0..65535 */
	struct json_object *tags; /* owned; never NULL after init */
	char *content; /* owned, NUL-terminated */
	size_t content_len;
};

void nostr_event_init(struct nostr_event *); /* empty tags, "" content */
void nostr_event_release(struct nostr_event *);
void nostr_event_set_content(struct nostr_event *, const char *, size_t);
/* Append a tag of n strings. */
void nostr_event_add_tag(struct nostr_event *, size_t n, const char *const *);
/* Value [1] of the first tag named name, or NULL; borrowed from the event. */
const char *nostr_event_tag(const struct nostr_event *, const char *name);

/*
 * Parse event JSON strictly (types, lower-case hex of exact length, tags of
 * strings, integer created_at and kind, valid UTF-8, at most
 * NOSTR_EVENT_MAX bytes). With require_sig 0, "sig" may be absent (a
 * rumor). Does not check the id or signature: see nostr_event_verify.
 * Returns 0, or -1 with *why set to a static sentence.
 */
int nostr_event_parse(const char *, size_t, int require_sig,
    struct nostr_event *, const char **why);
int nostr_event_from_json(struct json_object *, int require_sig,
    struct nostr_event *, const char **why);

/* The NIP-01 serialization [0,pubkey,created_at,kind,tags,content]. */
char *nostr_event_serialize_alloc(const struct nostr_event *, size_t *len);
void nostr_event_compute_id(const struct nostr_event *, unsigned char id[32]);
/* Set pubkey, id and sig from sk; verifies the result; 0 or -1. */
int nostr_event_sign(struct nostr_event *, const unsigned char sk[32]);
/* Set pubkey and id only (an unsigned NIP-59 rumor). */
void nostr_event_make_rumor(struct nostr_event *, const unsigned char pk[32]);
/* Recompute the id from the content, compare, verify sig; 0 or -1 + why. */
int nostr_event_verify(const struct nostr_event *, const char **why);
/* Compact event JSON (with "sig" only when has_sig); caller frees. */
char *nostr_event_json_alloc(const struct nostr_event *, size_t *len);
struct json_object *nostr_event_to_json(const struct nostr_event *);

/* nip19.c: bech32 (BIP-173) npub / nsec / note; 0 or -1. */
int nip19_encode(const char *hrp, const unsigned char *, size_t, char *out,
    size_t outsz);
int nip19_decode(const char *, char *hrp, size_t hrpsz, unsigned char *out,
    size_t outsz, size_t *outlen);
/* Decode "npub1…"/"nsec1…"/"note1…" whose hrp must equal hrp: 32 bytes. */
int nip19_decode32(const char *, const char *hrp, unsigned char out[32]);

/* nip98.c: HTTP auth (NIP-98, and Caravel's session-style variant). */
struct nip98_rules {
	const char *host; /* required host of the "u" tag (port ignored) */
	int64_t now;
	int64_t max_age; /* seconds; 0 = no limit on age */
	int64_t max_future; /* seconds created_at may lie ahead */
	int strict; /* standard NIP-98: exact u, method (and payload) */
	const char *method; /* strict: request method */
	const char *url; /* strict: full request URL */
	const unsigned char *body; /* strict: body bytes, or NULL */
	size_t body_len;
};

struct nip98_auth {
	unsigned char pubkey[32];
	char pubkey_hex[65];
	int64_t created_at;
};

/*
 * Check an Authorization header value ("Nostr <base64>") against rules.
 * Returns 0 and fills auth, or -1 with *why a static sentence that names
 * the failed check (for a 401 body).
 */
int nip98_verify(const char *header, const struct nip98_rules *,
    struct nip98_auth *, const char **why);
/* Build "Nostr <base64>" for a request we make (zooid); caller frees. */
char *nip98_header_alloc(const unsigned char sk[32], const char *url,
    const char *method, const unsigned char *body, size_t body_len,
    int64_t created_at);

#endif
