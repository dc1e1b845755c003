/*
 * keys.c: Nostr keys (BIP-340 x-only, NIP-01) and the primitives the rest
 * of the Nostr code shares: the libsecp256k1 context, the CSPRNG and
 * SHA-256. Key input accepts hex or NIP-19 bech32.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include "core.h"
#include "nostr.h"

static secp256k1_context *secp_ctx;
static pthread_once_t secp_once = PTHREAD_ONCE_INIT;

static void
secp_create(void)
{
	unsigned char seed[32];

	if ((secp_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) ==
	    NULL) {
		log_warnx("secp256k1_context_create failed");
		abort();
	}
	/*
	 * Randomization only hardens signing against side channels; without
	 * it results stay correct, so a CSPRNG failure here is not fatal
	 * (signing itself will then fail for want of aux_rand).
	 */
	if (nostr_random(seed, sizeof(seed)) == 0) {
		if (!secp256k1_context_randomize(secp_ctx, seed))
			log_warnx("secp256k1_context_randomize failed");
	} else
		log_warnx("no randomness for the secp256k1 context");
	explicit_zero(seed, sizeof(seed));
}

const secp256k1_context *
nostr_secp(void)
{
	pthread_once(&secp_once, secp_create);
	return secp_ctx;
}

int
nostr_random(unsigned char *buf, size_t n)
{
	if (n > INT_MAX || RAND_bytes(buf, (int)n) != 1)
		return -1;
	return 0;
}

/*
 * OpenSSL 3 looks a digest up by name on every EVP_sha256() use; fetching
 * it once per process saves that on every event id and NIP-98 check.
 */
void
nostr_sha256(const void *buf, size_t n, unsigned char out[32])
{
	static EVP_MD *md;
	unsigned int outlen = 0;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA2-256", NULL)) == NULL)
		abort();
	if (EVP_Digest(buf, n, out, &outlen, md, NULL) != 1 ||
	    outlen != 32) {
		log_warnx("EVP_Digest(sha256) failed");
		abort();
	}
}

/* x-only public key of a secret key (BIP-340); 0 or -1. */
int
nostr_pubkey(const unsigned char sk[32], unsigned char pk[32])
{
	const secp256k1_context *ctx = nostr_secp();
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey xpk;
	int rc = -1;

	if (!secp256k1_ec_seckey_verify(ctx, sk) ||
	    !secp256k1_keypair_create(ctx, &kp, sk))
		goto out;
	if (!secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, &kp) ||
	    !secp256k1_xonly_pubkey_serialize(ctx, pk, &xpk))
		goto out;
	rc = 0;
out:
	explicit_zero(&kp, sizeof(kp));
	return rc;
}

/* A fresh secret key in [1, n-1] and its public key; 0 or -1. */
int
nostr_keygen(unsigned char sk[32], unsigned char pk[32])
{
	int tries;

	/* A random 32 bytes falls outside [1, n-1] with probability ~2^-128. */
	for (tries = 0; tries < 8; tries++) {
		if (nostr_random(sk, 32) != 0)
			break;
		if (nostr_pubkey(sk, pk) == 0)
			return 0;
	}
	explicit_zero(sk, 32);
	return -1;
}

/* Predicate: is pk the x coordinate of a point on the curve (BIP-340)? */
int
nostr_pubkey_ok(const unsigned char pk[32])
{
	secp256k1_xonly_pubkey xpk;

	return secp256k1_xonly_pubkey_parse(nostr_secp(), &xpk, pk) == 1;
}

/*
 * 64 hex digits into 32 bytes. Key input comes from people and
 * configuration, so either case is accepted here; events and filters stay
 * lower case only (NIP-01), see hex_decode().
 */
static int
key_hex(const char *s, unsigned char out[32])
{
	char low[64];
	size_t i;
	int rc;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 64; i++)
		low[i] = (s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 'a' : s[i];
	rc = hex_decode(low, 64, out, 32);
	explicit_zero(low, sizeof(low));
	return rc;
}

/* Is s a NIP-19 string with this hrp (either case, BIP-173)? */
static int
has_hrp(const char *s, const char *hrp)
{
	size_t n = strlen(hrp);

	return strncasecmp(s, hrp, n) == 0 && s[n] == '1';
}

int
nostr_secret_parse(const char *s, unsigned char sk[32])
{
	int rc;

	if (s == NULL)
		return -1;
	if (has_hrp(s, "nsec"))
		rc = nip19_decode32(s, "nsec", sk);
	else
		rc = key_hex(s, sk);
	if (rc == 0 && !secp256k1_ec_seckey_verify(nostr_secp(), sk))
		rc = -1;
	if (rc != 0)
		explicit_zero(sk, 32);
	return rc;
}

int
nostr_pubkey_parse(const char *s, unsigned char pk[32])
{
	int rc;

	if (s == NULL)
		return -1;
	if (has_hrp(s, "npub"))
		rc = nip19_decode32(s, "npub", pk);
	else
		rc = key_hex(s, pk);
	if (rc == 0 && !nostr_pubkey_ok(pk))
		rc = -1;
	return rc;
}
