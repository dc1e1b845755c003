/*
 * nwc.h: Nostr Wallet Connect (NIP-47) connection URIs,
 * nostr+walletconnect://<wallet pubkey>?relay=…&secret=…[&lud16=…].
 */
#ifndef CARAVEL_NWC_H
#define CARAVEL_NWC_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#define NWC_MAX_RELAYS 8
#define NWC_URI_MAX 4096

struct nwc_uri {
	char wallet_pubkey[65]; /* hex */
	char secret[65]; /* hex: the client's key for this connection */
	const char *relay[NWC_MAX_RELAYS]; /* decoded, in order */
	size_t nrelay;
	const char *lud16; /* decoded, or NULL */
};

/*
 * Parse s; strings point into the arena. Returns 0, or -1 with *why a
 * static sentence saying what is wrong (never echoing the secret).
 */
int nwc_uri_parse(struct arena *, const char *s, struct nwc_uri *,
    const char **why);

/*
 * nwc_client.c: a NIP-47 client over the relay client (relay.h). Each
 * wallet is reached on the relays its own URI names, signing and
 * encrypting with the key its URI carries (also used for NIP-42 AUTH).
 * The wallet's info event (kind 13194) decides the encryption: NIP-44 v2
 * when its "encryption" tag names nip44_v2, else NIP-04. A request is
 * published only once its reply's subscription is live, and every call
 * has a timeout. Whatever the wallet sends is bounded and checked; its
 * texts are cleaned before anyone logs or shows them.
 */
#define NWC_TIMEOUT_MS 10000 /* get_info, make_invoice, lookup_invoice */
#define NWC_PAY_TIMEOUT_MS 30000 /* pay_invoice */
#define NWC_BOLT11_MAX 4096
#define NWC_TEXT_MAX 200

struct nwc_opts {
	long timeout_ms; /* 0: NWC_TIMEOUT_MS */
	long pay_timeout_ms; /* 0: NWC_PAY_TIMEOUT_MS */
	const char *ca_file; /* extra trust anchors for wss://; or NULL */
	int public_only; /* a tenant's wallet: public addresses only */
};

enum nwc_fail {
	NWC_E_NONE,
	NWC_E_WALLET, /* the wallet answered an error (code, message) */
	NWC_E_TIMEOUT, /* no answer in time: the outcome is unknown */
	NWC_E_UNREACHABLE, /* no relay could be reached or took the request */
	NWC_E_REPLY, /* an answer we cannot use */
	NWC_E_INFO /* no usable info event (none, or its relays unreachable):
		      nothing was asked */
};

struct nwc_error {
	enum nwc_fail kind;
	char code[33]; /* NIP-47 error code, upper case, or "" */
	char message[NWC_TEXT_MAX]; /* the wallet's or relay's text, cleaned */
	char sentence[NWC_TEXT_MAX]; /* what it means for the tenant */
};

/* An incoming invoice as make_invoice and lookup_invoice describe it. */
struct nwc_tx {
	const char *invoice; /* bolt11, or NULL if the wallet gave none */
	char payment_hash[65]; /* "" if the wallet gave none */
	int64_t amount; /* msats, -1 unknown */
	int64_t created_at, expires_at, settled_at; /* -1 unknown */
	char state[16]; /* pending, settled, expired, failed, accepted, "" */
	char preimage[65]; /* "" unless settled */
};
/* Settled by state, or (old wallets) by settled_at or a preimage. */
int nwc_tx_settled(const struct nwc_tx *);

struct nwc;
struct nwc *nwc_open(const struct nwc_uri *, const struct nwc_opts *);
void nwc_close(struct nwc *);
/* Which encryption the wallet was found to use (after a first call). */
const char *nwc_encryption(const struct nwc *);

/* Each returns 0, or -1 with *err filled. Strings go in the arena. */
int nwc_get_info(struct nwc *, struct arena *, const char **alias,
    const char **network, struct nwc_error *);
int nwc_make_invoice(struct nwc *, struct arena *, int64_t msats,
    const char *description, int64_t expiry, struct nwc_tx *,
    struct nwc_error *);
int nwc_pay_invoice(struct nwc *, const char *bolt11, char preimage[65],
    struct nwc_error *);
int nwc_lookup_invoice(struct nwc *, struct arena *, const char *payment_hash,
    struct nwc_tx *, struct nwc_error *);

/*
 * The encryption for a wallet whose info event has tags (NIP-47
 * "Encryption"): "nip44_v2" when offered, else "nip04" (also when the
 * tag is absent, or Alby's old ["v", "1.0"] signal says NIP-44: then
 * "nip44_v2"); NULL when the wallet offers nothing we speak.
 */
struct json_object;
const char *nwc_encryption_choose(struct json_object *tags);
/*
 * A decrypted reply to method ({"result_type", "error", "result"}): 0
 * and *result (caller puts it), or -1 with *err (a wallet error with its
 * code, or an unreadable reply). Bounded to 64 KiB.
 */
int nwc_reply_parse(const char *, size_t, const char *method,
    struct json_object **result, struct nwc_error *);

/* The sentence a tenant can act on for a NIP-47 error code (static). */
const char *nwc_code_sentence(const char *code);

/* url.c: percent-decoding (RFC 3986 §2.1; "+" stays "+"). */
/* Decode s[0..len) into the arena; NULL for a bad escape or a NUL byte. */
char *url_decode(struct arena *, const char *, size_t len);

#endif
