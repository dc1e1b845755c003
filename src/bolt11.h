/*
 * bolt11.h: BOLT #11 Lightning invoices, read far enough for billing: the
 * network, the amount, when the invoice was made and for how long it
 * holds, and the payment hash. The signature is not checked (bolt11.c).
 */
#ifndef CARAVEL_BOLT11_H
#define CARAVEL_BOLT11_H

#include <stdint.h>

#define BOLT11_MAX 4096 /* characters we accept */

struct bolt11 {
	char network[8];	/* "bc", "tb", "tbs", "bcrt" (hrp after
				   "ln", before the amount) */
	int has_amount;		/* 0: "any amount" invoice */
	uint64_t msats;		/* amount in millisatoshis when has_amount */
	int64_t timestamp;	/* unix seconds */
	int64_t expiry;		/* seconds after timestamp; 3600 when absent
				   (BOLT11) */
	unsigned char payment_hash[32];
};

/*
 * Decode s (a BOLT11 invoice, optionally prefixed "lightning:" in any case).
 * Returns 0, or -1 with *why a static sentence (why may be NULL).
 *
 * On success: msats is 1 to 2.1e18 (21 million bitcoin) when has_amount;
 * timestamp is 0 to 2^35 - 1; expiry is 0 or more and timestamp + expiry
 * does not overflow. On failure *out is all zero.
 */
int bolt11_decode(const char *s, struct bolt11 *out, const char **why);

#endif
