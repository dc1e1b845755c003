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
struct secp256k1_context_struct;
/*
 * The process-wide libsecp256k1 context, made on first use and randomized
 * once (side-channel hardening); never NULL. Use it only through const
 * calls (sign, verify, ECDH), which are safe from any thread.
 */
const struct secp256k1_context_struct *nostr_secp(void);
int nostr_random(unsigned char *, size_t); /* CSPRNG; 0 or -1 */
/* SHA-256 of n bytes (aborts only if OpenSSL itself is broken). */
void nostr_sha256(const void *, size_t, unsigned char out[32]);
int nostr_pubkey(const unsigned char sk[32], unsigned char pk[32]);
int nostr_keygen(unsigned char sk[32], unsigned char pk[32]);
int nostr_pubkey_ok(const unsigned char pk[32]); /* a point on the curve */
/*
 * A secret key as 64 hex digits (either case: this is human and config
 * input) or an "nsec1…" string, checked to lie in [1, n-1]; 0 or -1.
 */
int nostr_secret_parse(const char *, unsigned char sk[32]);
/* A public key as 64 hex digits or an "npub1…", on the curve; 0 or -1. */
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
/*
 * Value [1] of the first tag named name, or NULL (also when that tag has
 * no value or its value holds a NUL byte); borrowed from the event.
 */
const char *nostr_event_tag(const struct nostr_event *, const char *name);

/*
 * Parse event JSON strictly (types, lower-case hex of exact length, tags of
 * strings, integer created_at and kind, valid UTF-8, at most
 * NOSTR_EVENT_MAX bytes). With require_sig 0, "sig" may be absent (a
 * rumor). Does not check the id or signature: see nostr_event_verify.
 * The event need not be initialised first. Returns 0 (release the event
 * later), or -1 with *why set to a static sentence and the event left
 * released. why may be NULL.
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
/* The same with fixed BIP-340 aux_rand (deterministic; for tests). */
int nostr_event_sign_aux(struct nostr_event *, const unsigned char sk[32],
    const unsigned char aux[32]);
/* Set pubkey and id only (an unsigned NIP-59 rumor). */
void nostr_event_make_rumor(struct nostr_event *, const unsigned char pk[32]);
/* Recompute the id from the content, compare, verify sig; 0 or -1 + why. */
int nostr_event_verify(const struct nostr_event *, const char **why);
/* Only recompute and compare the id (a rumor); 0 or -1 + why. */
int nostr_event_check_id(const struct nostr_event *, const char **why);
/* Compact event JSON (with "sig" only when has_sig); caller frees. */
char *nostr_event_json_alloc(const struct nostr_event *, size_t *len);
struct json_object *nostr_event_to_json(const struct nostr_event *);

/* nip19.c: bech32 (BIP-173) npub / nsec / note; 0 or -1. */
#define NIP19_MAX 5000 /* characters (NIP-19 lifts BIP-173's 90) */
int nip19_encode(const char *hrp, const unsigned char *, size_t, char *out,
    size_t outsz);
int nip19_decode(const char *, char *hrp, size_t hrpsz, unsigned char *out,
    size_t outsz, size_t *outlen);
/* Decode "npub1…"/"nsec1…"/"note1…" whose hrp must equal hrp: 32 bytes. */
int nip19_decode32(const char *, const char *hrp, unsigned char out[32]);

/* A TLV list (nprofile, nevent, naddr payloads) read item by item. */
struct nip19_tlv {
	const unsigned char *p;
	size_t len;
	size_t off; /* start at 0 */
};
/* 1 and the next item (borrowed from p), 0 at the end, -1 if truncated. */
int nip19_tlv_next(struct nip19_tlv *, unsigned int *type,
    const unsigned char **val, size_t *vlen);

#define NIP19_RELAYS_MAX 8
struct nip19_pointer {
	char type[9]; /* "nprofile", "nevent" or "naddr" */
	unsigned char special[32]; /* TLV 0: pubkey or event id */
	char identifier[256]; /* TLV 0 of naddr: the "d" tag */
	unsigned char author[32]; /* TLV 2 */
	int has_author;
	uint32_t kind; /* TLV 3 */
	int has_kind;
	size_t nrelays;
	char relays[NIP19_RELAYS_MAX][256]; /* TLV 1, in order */
};
/* Decode an nprofile / nevent / naddr; 0 or -1. */
int nip19_pointer_decode(const char *, struct nip19_pointer *);

/* nip98.c: HTTP auth (NIP-98, and Caravel's session-style variant). */
#define NIP98_HEADER_MAX 16384 /* bytes of Authorization value we decode */
#define NIP98_KIND 27235
/*
 * host may be NULL only in strict mode, where url decides; now, max_age
 * and max_future are non-negative. In strict mode a non-NULL body (even
 * an empty one) requires a matching payload tag.
 */
struct nip98_rules {
	const char *host; /* host of the "u" tag (case and port ignored) */
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
 * Returns 0 and fills auth (if not NULL), or -1 with *why (if why is not
 * NULL) a static sentence that names the failed check, for a 401 body.
 */
int nip98_verify(const char *header, const struct nip98_rules *,
    struct nip98_auth *, const char **why);
/*
 * Build "Nostr <base64>" for a request we make (zooid), with a payload
 * tag when body is not NULL; caller frees; NULL if sk is unusable.
 */
char *nip98_header_alloc(const unsigned char sk[32], const char *url,
    const char *method, const unsigned char *body, size_t body_len,
    int64_t created_at);

#endif
