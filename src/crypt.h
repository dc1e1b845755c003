/*
 * crypt.h: Nostr payload encryption (NIP-44 v2, NIP-04), gift wraps
 * (NIP-59 seal and wrap around NIP-17 kind 14 rumors), and encryption of
 * secrets at rest under ENCRYPTION_SECRET (api.md §7).
 */
#ifndef CARAVEL_CRYPT_H
#define CARAVEL_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "nostr.h"

#define NIP44_PLAINTEXT_MAX 65535 /* we refuse to encrypt more (§5.7) */
#define NIP44_DECRYPT_MAX (1u << 20) /* local cap for the 6-byte prefix */

/* nip44.c */
/*
 * The bare x coordinate of ECDH(sk, 02 || pk), which NIP-04 uses as its
 * AES key and NIP-44 feeds to HKDF; 0, or -1 for an invalid sk or pk.
 * The caller zeroes x after use.
 */
int crypt_ecdh_x(const unsigned char sk[32], const unsigned char pk[32],
    unsigned char x[32]);
/* ECDH x-coordinate, then HKDF-extract with salt "nip44-v2"; 0 or -1. */
int nip44_conversation_key(const unsigned char sk[32],
    const unsigned char pk[32], unsigned char ck[32]);
/*
 * Encrypt n bytes (1..65535) of UTF-8 to a base64 payload the caller
 * frees, or NULL. nonce is 32 bytes, or NULL for a fresh random one
 * (only tests pass one).
 */
char *nip44_encrypt_alloc(const unsigned char ck[32], const unsigned char *,
    size_t, const unsigned char *nonce);
/*
 * Decrypt a payload (either length prefix form); the MAC is checked in
 * constant time before anything else is trusted. *out (NUL-terminated,
 * caller frees) and *outlen on 0; -1 with *why on failure.
 */
int nip44_decrypt_alloc(const unsigned char ck[32], const char *, size_t,
    unsigned char **out, size_t *outlen, const char **why);

/* Exposed for tests (the NIP-44 vectors check these steps one by one). */
struct nip44_keys {
	unsigned char chacha_key[32];
	unsigned char chacha_nonce[12];
	unsigned char hmac_key[32];
};
/* HKDF-expand(ck, info = nonce, 76 bytes), sliced; 0 or -1. */
int nip44_message_keys(const unsigned char ck[32],
    const unsigned char nonce[32], struct nip44_keys *);
uint64_t nip44_padded_len(uint64_t); /* 0 for 0 */
/* nip44_encrypt_alloc without the 65535 policy: up to NIP44_DECRYPT_MAX. */
char *nip44_encrypt_raw_alloc(const unsigned char ck[32],
    const unsigned char *, size_t, const unsigned char *nonce);

/* nip04.c: AES-256-CBC under the raw ECDH x (legacy; NWC wallets). */
#define NIP04_PLAINTEXT_MAX 65535 /* bytes we encrypt */
#define NIP04_PAYLOAD_MAX NOSTR_EVENT_MAX /* bytes of payload we decrypt */
/* UTF-8 of at most NIP04_PLAINTEXT_MAX bytes; caller frees; or NULL. */
char *nip04_encrypt_alloc(const unsigned char sk[32],
    const unsigned char pk[32], const unsigned char *, size_t,
    const unsigned char *iv /* 16 bytes, or NULL for random */);
/*
 * Strict: one "?iv=", a 16-byte IV, whole blocks, PKCS#7, UTF-8. out,
 * outlen and why as for nip44_decrypt_alloc.
 */
int nip04_decrypt_alloc(const unsigned char sk[32],
    const unsigned char pk[32], const char *, size_t, unsigned char **out,
    size_t *outlen, const char **why);

/* giftwrap.c: NIP-59 / NIP-17 */
/*
 * Wrap rumor (unsigned; its pubkey must be sender's) for recipient: seal
 * (kind 13, signed by sender_sk, empty tags) inside a kind 1059 wrap
 * signed by a fresh key, tagged ["p", recipient]. Seal and wrap times are
 * now minus a random 0..2 days. The rumor's id must match its content.
 * Returns 0 and fills wrap (caller releases it), or -1 with nothing to
 * release.
 */
int giftwrap_wrap(const struct nostr_event *rumor,
    const unsigned char sender_sk[32], const unsigned char recipient[32],
    int64_t now, struct nostr_event *wrap);
/* A NIP-17 kind 14 rumor from sender to recipient with text. */
void giftwrap_dm_rumor(struct nostr_event *rumor,
    const unsigned char sender_pk[32], const unsigned char recipient[32],
    const char *text, int64_t now);
/*
 * Unwrap: verify wrap (kind 1059 or 21059), decrypt and verify the seal
 * (kind 13, no tags), decrypt the rumor (any "sig" in it is dropped),
 * require rumor.pubkey == seal.pubkey, recompute the rumor id. Fills
 * seal and rumor (caller releases both) or returns -1 with *why and
 * nothing to release. The caller checks the rumor's kind (14 for DMs).
 */
int giftwrap_unwrap(const unsigned char my_sk[32],
    const struct nostr_event *wrap, struct nostr_event *seal,
    struct nostr_event *rumor, const char **why);

/* secret.c: secrets at rest (NWC URLs, relay keys), api.md §7 */
struct secretbox {
	unsigned char ck[32]; /* NIP-44 key of ENCRYPTION_SECRET with itself */
};

/* From ENCRYPTION_SECRET (hex or nsec); 0 or -1. */
int secretbox_init(struct secretbox *, const char *secret);
void secretbox_release(struct secretbox *);
/* Seal a NUL-terminated secret (not ""); caller frees; NULL on failure. */
char *secretbox_seal_alloc(const struct secretbox *, const char *);
/* Open what secretbox_seal_alloc made; caller frees; NULL on failure. */
char *secretbox_open_alloc(const struct secretbox *, const char *);

#endif
