/*
 * price.h: fiat amounts in millisatoshis (spec/api.md §8). The BTC price
 * is kept as the exact decimal text its source gave and every step is
 * integer arithmetic, so no rounding surprise can over- or undercharge.
 */
#ifndef CARAVEL_PRICE_H
#define CARAVEL_PRICE_H

#include <stdint.h>

#include "core.h"

#define PRICE_BODY_MAX 65536 /* bytes of the price source's answer */
#define PRICE_TEXT_MAX 32 /* characters of a price we keep */

struct config;
struct db;

/*
 * msats = ceil(amount / 10^2 / btc_usd × 10^11) for amount in US cents,
 * in 128-bit integers. currency must be "usd" (the price is BTC-USD).
 * 0, or -1 with *why (static) for another currency, a negative or zero
 * amount, or a result above 21 million BTC.
 */
int price_msats(const char *currency, int64_t amount,
    const struct decimal *btc_usd, uint64_t *msats, const char **why);

/*
 * The BTC price in USD: BTC_PRICE_USD_OVERRIDE when set; else the price
 * cached in the database if younger than BTC_PRICE_TTL seconds (every
 * process shares it); else fetched from BTC_PRICE_URL and cached. 0, or
 * -1 with *err (caller frees) for the log.
 */
int price_btc_usd(struct db *, const struct config *, struct decimal *,
    char **err);

/*
 * The price in a source's answer: Coinbase's {"data": {"amount": "…"}}
 * (a JSON string, so the decimal stays exact), copied to out. 0 or -1.
 */
int price_reply_parse(const char *body, size_t len,
    char out[PRICE_TEXT_MAX + 1]);

#endif
