/* price.c: see price.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "db.h"
#include "httpc.h"
#include "json.h"
#include "price.h"

#define MSATS_PER_BTC 100000000000ULL /* 10^11 */
#define MSATS_MAX (21000000ULL * MSATS_PER_BTC)

int
price_msats(const char *currency, int64_t amount, const struct decimal *btc,
    uint64_t *msats, const char **why)
{
	unsigned __int128 num, den, q;
	int i;

	*msats = 0;
	if (currency == NULL || strcmp(currency, "usd") != 0) {
		*why = "only US dollar amounts can be paid over Lightning";
		return -1;
	}
	if (amount <= 0 || btc == NULL || btc->units == 0 || btc->scale < 0 ||
	    btc->scale > 12) {
		*why = "there is no amount to convert";
		return -1;
	}
	/*
	 * amount / 10^2 / (units / 10^scale) × 10^11
	 *     = amount × 10^(9 + scale) / units, rounded up.
	 * With amount at most 10^11 cents (a billion dollars) and scale at
	 * most 12, the numerator stays below 10^32 < 2^128.
	 */
	if (amount > 100000000000LL) {
		*why = "the amount is too large to pay over Lightning";
		return -1;
	}
	num = (unsigned __int128)(uint64_t)amount * 1000000000ULL;
	for (i = 0; i < btc->scale; i++)
		num *= 10;
	den = btc->units;
	q = num / den + (num % den != 0);
	if (q > MSATS_MAX) {
		*why = "the amount is too large to pay over Lightning";
		return -1;
	}
	*msats = (uint64_t)q;
	*why = NULL;
	return 0;
}

int
price_reply_parse(const char *body, size_t len, char out[PRICE_TEXT_MAX + 1])
{
	struct json_object *o, *data;
	struct decimal d;
	const char *s;
	size_t n;
	int rc = -1;

	out[0] = '\0';
	if ((o = json_parse_object(body, len)) == NULL)
		return -1;
	if (json_object_object_get_ex(o, "data", &data) &&
	    json_object_is_type(data, json_type_object) &&
	    json_get_str(data, "amount", PRICE_TEXT_MAX, &s, &n) == JGET_OK &&
	    decimal_parse(s, &d) == 0) {
		memcpy(out, s, n + 1);
		rc = 0;
	}
	json_object_put(o);
	return rc;
}

/* GET BTC_PRICE_URL; the price text into out. */
static int
price_fetch(const struct config *c, char out[PRICE_TEXT_MAX + 1], char **err)
{
	struct httpc_req q;
	struct httpc_resp r;
	static const char *const hdr[] = { "Accept: application/json", NULL };
	int rc = -1;

	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = cfg_str(c, CFG_BTC_PRICE_URL);
	q.headers = hdr;
	q.timeout_ms = cfg_int(c, CFG_HTTP_TIMEOUT) * 1000;
	q.max_body = PRICE_BODY_MAX;
	if (httpc_do(&q, &r) == -1)
		*err = xasprintf("BTC price source: %s", r.err);
	else if (r.status != 200)
		*err = xasprintf("BTC price source answered %ld", r.status);
	else if (price_reply_parse(r.body, r.len, out) == -1)
		*err = xstrdup("BTC price source: no {\"data\": {\"amount\": "
		    "\"<decimal>\"}} in its answer");
	else
		rc = 0;
	httpc_resp_release(&r);
	return rc;
}

int
price_btc_usd(struct db *db, const struct config *c, struct decimal *d,
    char **err)
{
	struct arena a = { NULL };
	char fresh[PRICE_TEXT_MAX + 1];
	const char *cached;
	int64_t at = 0, now = clock_now();
	int rc = -1;

	*err = NULL;
	if (cfg_isset(c, CFG_BTC_PRICE_USD_OVERRIDE)) {
		if (decimal_parse(cfg_str(c, CFG_BTC_PRICE_USD_OVERRIDE), d) == 0)
			return 0;
		*err = xstrdup("BTC_PRICE_USD_OVERRIDE is not a decimal");
		return -1;
	}
	if (db != NULL && db_price_get(db, &a, &cached, &at) == DB_OK &&
	    now - at < cfg_int(c, CFG_BTC_PRICE_TTL) && now >= at &&
	    decimal_parse(cached, d) == 0) {
		rc = 0;
		goto out;
	}
	if (price_fetch(c, fresh, err) == -1)
		goto out;
	if (decimal_parse(fresh, d) == -1)
		goto out;
	if (db != NULL && db_price_put(db, fresh, now) != DB_OK)
		log_warnx("BTC price %s: could not cache it", fresh);
	rc = 0;
out:
	arena_free(&a);
	return rc;
}
