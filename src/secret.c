/*
 * secret.c: secrets at rest (api.md §7). NWC URLs and relay secret keys
 * are stored as NIP-44 v2 payloads under the conversation key of
 * ENCRYPTION_SECRET with its own public key, so the database file alone
 * reveals none of them and any NIP-44 implementation can recover them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypt.h"

/* ENCRYPTION_SECRET as 64 hex digits or "nsec1…"; 0 or -1. */
int
secretbox_init(struct secretbox *box, const char *secret)
{
	unsigned char sk[32], pk[32];
	int rc = -1;

	explicit_zero(box->ck, sizeof(box->ck));
	if (nostr_secret_parse(secret, sk) == -1)
		return -1;
	if (nostr_pubkey(sk, pk) == 0 &&
	    nip44_conversation_key(sk, pk, box->ck) == 0)
		rc = 0;
	explicit_zero(sk, sizeof(sk));
	if (rc == -1)
		explicit_zero(box->ck, sizeof(box->ck));
	return rc;
}

void
secretbox_release(struct secretbox *box)
{
	explicit_zero(box->ck, sizeof(box->ck));
}

/*
 * Seal a NUL-terminated secret of 1..NIP44_PLAINTEXT_MAX bytes of UTF-8
 * with a fresh nonce. Returns base64 the caller frees, or NULL (an empty
 * secret cannot be sealed: NIP-44 has no empty plaintexts).
 */
char *
secretbox_seal_alloc(const struct secretbox *box, const char *secret)
{
	return nip44_encrypt_alloc(box->ck, (const unsigned char *)secret,
	    strlen(secret), NULL);
}

/*
 * Open a sealed secret: the MAC must verify under our key and the text
 * must hold no NUL byte. Returns the secret (caller zeroes and frees it)
 * or NULL.
 */
char *
secretbox_open_alloc(const struct secretbox *box, const char *sealed)
{
	unsigned char *out;
	size_t outlen;
	const char *why;

	if (nip44_decrypt_alloc(box->ck, sealed, strlen(sealed), &out,
	    &outlen, &why) == -1)
		return NULL;
	if (memchr(out, '\0', outlen) != NULL) {
		explicit_zero(out, outlen);
		free(out);
		return NULL;
	}
	return (char *)out;
}
