/*
 * giftwrap.c: NIP-59 gift wraps around NIP-17 direct messages. A rumor
 * (unsigned, true author and time) is sealed (kind 13, NIP-44 to the
 * recipient, signed by the author) and the seal is wrapped (kind 1059,
 * NIP-44 again, signed by a key used once). Callers: the DM outbox worker
 * (send) and anything that reads our inbox (receive).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypt.h"
#include "json.h"

#define KIND_DM 14
#define KIND_SEAL 13
#define KIND_WRAP 1059
#define KIND_WRAP_EPHEMERAL 21059
#define TWEAK_MAX (2 * 24 * 60 * 60) /* NIP-59: up to two days back */

/*
 * now minus a uniform random 0..TWEAK_MAX seconds from the CSPRNG
 * (NIP-59: hides the true time; never in the future, which relays
 * refuse). Rejection sampling keeps the draw unbiased. 0 or -1.
 */
static int
random_past(int64_t now, int64_t *out)
{
	const uint64_t span = TWEAK_MAX + 1;
	const uint64_t limit = (UINT64_C(1) << 32) -
	    (UINT64_C(1) << 32) % span;
	unsigned char b[4];
	uint64_t r;

	do {
		if (nostr_random(b, sizeof(b)) == -1)
			return -1;
		r = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 |
		    (uint64_t)b[2] << 8 | b[3];
	} while (r >= limit);
	*out = now - (int64_t)(r % span);
	if (*out < 0)
		*out = 0;
	return 0;
}

/*
 * NIP-44 encrypt the JSON of ev from sk to pk into a new event of kind,
 * signed by sk at a random past time. 0 or -1 (out is then released).
 */
static int
enclose(const struct nostr_event *ev, const unsigned char sk[32],
    const unsigned char pk[32], int kind, int tag_p, int64_t now,
    struct nostr_event *out)
{
	unsigned char ck[32];
	char *json, *payload = NULL, hex[65];
	const char *tag[2];
	size_t len;
	int rc = -1;

	nostr_event_init(out);
	json = nostr_event_json_alloc(ev, &len);
	if (nip44_conversation_key(sk, pk, ck) == -1 ||
	    (payload = nip44_encrypt_alloc(ck, (unsigned char *)json, len,
	    NULL)) == NULL)
		goto out;
	out->kind = kind;
	nostr_event_set_content(out, payload, strlen(payload));
	if (tag_p) {
		hex_encode(pk, 32, hex);
		tag[0] = "p";
		tag[1] = hex;
		nostr_event_add_tag(out, 2, tag);
	}
	if (random_past(now, &out->created_at) == -1 ||
	    nostr_event_sign(out, sk) == -1)
		goto out;
	rc = 0;
out:
	explicit_zero(ck, sizeof(ck));
	explicit_zero(json, len);
	free(json);
	free(payload);
	if (rc == -1)
		nostr_event_release(out);
	return rc;
}

/*
 * Seal rumor from sender_sk to recipient and wrap the seal under a key
 * made for this wrap alone (NIP-59). The rumor's pubkey must be the
 * sender's and its id must match its content; a sig on it is left out.
 * Returns 0 and fills wrap (caller releases it), or -1 with nothing to
 * release.
 */
int
giftwrap_wrap(const struct nostr_event *rumor,
    const unsigned char sender_sk[32], const unsigned char recipient[32],
    int64_t now, struct nostr_event *wrap)
{
	struct nostr_event r, seal;
	unsigned char pk[32], esk[32], epk[32];
	int rc = -1;

	memset(wrap, 0, sizeof(*wrap));
	memset(&seal, 0, sizeof(seal));
	if (nostr_pubkey(sender_sk, pk) == -1 ||
	    memcmp(pk, rumor->pubkey, 32) != 0 ||
	    nostr_event_check_id(rumor, NULL) == -1)
		return -1;
	r = *rumor;
	r.has_sig = 0;
	memset(r.sig, 0, sizeof(r.sig));
	if (enclose(&r, sender_sk, recipient, KIND_SEAL, 0, now, &seal) == -1)
		goto out;
	if (nostr_keygen(esk, epk) == -1)
		goto out;
	if (enclose(&seal, esk, recipient, KIND_WRAP, 1, now, wrap) == -1)
		goto out;
	rc = 0;
out:
	explicit_zero(esk, sizeof(esk));
	nostr_event_release(&seal);
	return rc;
}

/* A NIP-17 chat message: kind 14, ["p", recipient], true time, no sig. */
void
giftwrap_dm_rumor(struct nostr_event *rumor,
    const unsigned char sender_pk[32], const unsigned char recipient[32],
    const char *text, int64_t now)
{
	char hex[65];
	const char *tag[2];

	nostr_event_init(rumor);
	rumor->kind = KIND_DM;
	rumor->created_at = now;
	hex_encode(recipient, 32, hex);
	tag[0] = "p";
	tag[1] = hex;
	nostr_event_add_tag(rumor, 2, tag);
	nostr_event_set_content(rumor, text, strlen(text));
	nostr_event_make_rumor(rumor, sender_pk);
}

/*
 * NIP-44 decrypt the content of ev, sent by ev->pubkey to my_sk. On 0,
 * *pt (caller zeroes and frees) holds *ptlen bytes.
 */
static int
open_content(const unsigned char my_sk[32], const struct nostr_event *ev,
    unsigned char **pt, size_t *ptlen, const char **why)
{
	unsigned char ck[32];
	int rc;

	if (nip44_conversation_key(my_sk, ev->pubkey, ck) == -1) {
		*why = "no conversation key for this pubkey";
		return -1;
	}
	rc = nip44_decrypt_alloc(ck, ev->content, ev->content_len, pt, ptlen,
	    why);
	explicit_zero(ck, sizeof(ck));
	return rc;
}

/*
 * A rumor's JSON. NIP-59 rumors are unsigned: a "sig" member proves
 * nothing, so it is dropped rather than parsed or trusted.
 */
static int
parse_rumor(const unsigned char *buf, size_t n, struct nostr_event *rumor,
    const char **why)
{
	struct json_object *o;
	int rc;

	if (n > NOSTR_EVENT_MAX ||
	    (o = json_parse_object((const char *)buf, n)) == NULL) {
		*why = "rumor is not a JSON object";
		return -1;
	}
	json_object_object_del(o, "sig");
	rc = nostr_event_from_json(o, 0, rumor, why);
	json_object_put(o);
	return rc;
}

/*
 * Unwrap a gift wrap addressed to my_sk (NIP-59 "unwrap"): the wrap's id
 * and sig, the seal's kind, empty tags, id and sig, then the rumor, whose
 * author must be the seal's signer (else anyone could speak for anyone)
 * and whose id must match its content. On 0 the caller releases seal and
 * rumor; on -1, *why says what failed and nothing is left to release.
 */
int
giftwrap_unwrap(const unsigned char my_sk[32],
    const struct nostr_event *wrap, struct nostr_event *seal,
    struct nostr_event *rumor, const char **why)
{
	unsigned char *pt = NULL, id[32];
	size_t ptlen = 0;
	const char *dummy;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	memset(seal, 0, sizeof(*seal));
	memset(rumor, 0, sizeof(*rumor));
	if (wrap->kind != KIND_WRAP && wrap->kind != KIND_WRAP_EPHEMERAL) {
		*why = "not a gift wrap (kind 1059)";
		goto out;
	}
	if (nostr_event_verify(wrap, why) == -1 ||
	    open_content(my_sk, wrap, &pt, &ptlen, why) == -1 ||
	    nostr_event_parse((const char *)pt, ptlen, 1, seal, why) == -1)
		goto out;
	explicit_zero(pt, ptlen);
	free(pt);
	pt = NULL;
	if (seal->kind != KIND_SEAL) {
		*why = "seal is not kind 13";
		goto out;
	}
	if (json_object_array_length(seal->tags) != 0) {
		*why = "seal has tags";
		goto out;
	}
	if (nostr_event_verify(seal, why) == -1 ||
	    open_content(my_sk, seal, &pt, &ptlen, why) == -1 ||
	    parse_rumor(pt, ptlen, rumor, why) == -1)
		goto out;
	if (memcmp(rumor->pubkey, seal->pubkey, 32) != 0) {
		*why = "rumor author is not the seal signer";
		goto out;
	}
	nostr_event_compute_id(rumor, id);
	if (memcmp(id, rumor->id, 32) != 0) {
		*why = "rumor id does not match its content";
		goto out;
	}
	rc = 0;
out:
	if (pt != NULL) {
		explicit_zero(pt, ptlen);
		free(pt);
	}
	if (rc == -1) {
		nostr_event_release(seal);
		nostr_event_release(rumor);
	}
	return rc;
}
