/*
 * test_nwc_net.c: the NIP-47 client (src/nwc_client.c) against Alby's
 * wallet service (@getalby/sdk, tests/fakes/wallet.mjs) on a real relay
 * (tests/relay/relay.mjs), in both encryption modes, with payments that
 * settle on the fake's shared ledger, and wallets that answer errors,
 * answer late or never answer. Needs node and `npm ci --prefix tests/js`:
 * without them the test is skipped, or fails when CI is set.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core.h"
#include "fake.h"
#include "json.h"
#include "nostr.h"
#include "nwc.h"
#include "testlib.h"

#define RELAY_SCRIPT "../relay/relay.mjs"

static struct fake relay, wallet;
static char relay_url[64];

struct w {
	char uri[1024];
	char name[32];
};
static struct w platform, tenant, legacy, broke;


static void
make_wallet(struct w *w, const char *name, const char *enc, long balance)
{
	struct json_object *o;
	char body[256];
	const char *uri;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"encryption\":\"%s\","
	    "\"balance_msats\":%ld}", name, enc, balance);
	ck_assert_int_eq(fake_call(&wallet, "POST", "/wallets", body, &o),
	    200);
	ck_assert(json_get_str(o, "uri", sizeof(w->uri) - 1, &uri, NULL) ==
	    JGET_OK);
	snprintf(w->uri, sizeof(w->uri), "%s", uri);
	snprintf(w->name, sizeof(w->name), "%s", name);
	json_object_put(o);
}

static void
setup(void)
{
	static char env_relay[128];
	const char *renv[] = { NULL };
	const char *wenv[] = { env_relay, NULL };
	const char *port;

	fake_need_node("@getalby/sdk", "the NWC client tests");
	fake_init(&relay);
	fake_start(&relay, RELAY_SCRIPT, renv);
	port = strrchr(relay.url, ':');
	snprintf(relay_url, sizeof(relay_url), "ws://127.0.0.1:%s", port + 1);
	snprintf(env_relay, sizeof(env_relay), "WALLET_RELAY=%s", relay_url);
	fake_init(&wallet);
	fake_start(&wallet, "wallet.mjs", wenv);
	make_wallet(&platform, "platform", "nip44", 0);
	make_wallet(&tenant, "tenant", "nip44", 50000000);
	make_wallet(&legacy, "legacy", "nip04", 50000000);
	make_wallet(&broke, "broke", "nip44", 1000);
}

static void
teardown(void)
{
	fake_stop(&wallet);
	fake_stop(&relay);
}

static struct nwc *
open_wallet(struct arena *a, const struct w *w, long timeout_ms,
    int public_only)
{
	struct nwc_uri u;
	struct nwc_opts o;
	const char *why;
	struct nwc *n;

	ck_assert_int_eq(nwc_uri_parse(a, w->uri, &u, &why), 0);
	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms;
	o.pay_timeout_ms = timeout_ms;
	o.public_only = public_only;
	ck_assert_ptr_nonnull(n = nwc_open(&u, &o));
	return n;
}

/* The encryption of the wallet's last logged request. */
static const char *
last_encryption(const struct w *w, char *out, size_t outsz)
{
	struct json_object *o, *reqs, *last;
	const char *enc = "";
	char path[64];

	snprintf(path, sizeof(path), "/wallets/%s", w->name);
	ck_assert_int_eq(fake_call(&wallet, "GET", path, NULL, &o), 200);
	ck_assert(json_object_object_get_ex(o, "requests", &reqs));
	last = json_object_array_get_idx(reqs,
	    json_object_array_length(reqs) - 1);
	(void)json_get_str(last, "encryption", 32, &enc, NULL);
	snprintf(out, outsz, "%s", enc);
	json_object_put(o);
	return out;
}

static void
behave(const struct w *w, const char *json)
{
	char path[64];

	snprintf(path, sizeof(path), "/wallets/%s/behavior", w->name);
	ck_assert_int_eq(fake_call(&wallet, "POST", path, json, NULL), 200);
}

/* Make an invoice on the platform wallet and pay it from payer. */
static void
pay_through(const struct w *payer, const char *want_enc)
{
	struct arena a = { NULL };
	struct nwc *p, *t;
	struct nwc_tx tx, look;
	struct nwc_error e;
	unsigned char pre[32], hash[32];
	char preimage[65], hex[65], enc[32];

	p = open_wallet(&a, &platform, 10000, 0);
	t = open_wallet(&a, payer, 10000, 0);
	ck_assert_int_eq(nwc_make_invoice(p, &a, 123450, "Caravel in_test",
	    600, &tx, &e), 0);
	ck_assert_ptr_nonnull(tx.invoice);
	ck_assert_str_eq(nwc_encryption(p), "nip44_v2");
	ck_assert_int_eq(tx.amount, 123450);
	ck_assert_int_eq(strlen(tx.payment_hash), 64);
	ck_assert(!nwc_tx_settled(&tx));

	ck_assert_int_eq(nwc_pay_invoice(t, tx.invoice, preimage, &e), 0);
	ck_assert_str_eq(nwc_encryption(t), want_enc);
	ck_assert_str_eq(last_encryption(payer, enc, sizeof(enc)), want_enc);
	/* The preimage is the secret whose hash the invoice names. */
	tl_hex(preimage, pre, 32);
	nostr_sha256(pre, 32, hash);
	hex_encode(hash, 32, hex);
	ck_assert_str_eq(hex, tx.payment_hash);

	ck_assert_int_eq(nwc_lookup_invoice(p, &a, tx.payment_hash, &look,
	    &e), 0);
	ck_assert(nwc_tx_settled(&look));
	ck_assert_int_gt(look.settled_at, 0);

	/* An invoice is paid once, ever. */
	ck_assert_int_eq(nwc_pay_invoice(t, tx.invoice, preimage, &e), -1);
	ck_assert_int_eq(e.kind, NWC_E_WALLET);
	ck_assert_str_eq(e.code, "PAYMENT_FAILED");
	ck_assert_ptr_nonnull(strstr(e.sentence, "could not make the payment"));
	nwc_close(p);
	nwc_close(t);
	arena_free(&a);
}

START_TEST(nip44_payment)
{
	pay_through(&tenant, "nip44_v2");
}
END_TEST

/* A wallet without an encryption tag speaks NIP-04 (NIP-47). */
START_TEST(nip04_payment)
{
	pay_through(&legacy, "nip04");
}
END_TEST

START_TEST(get_info)
{
	struct arena a = { NULL };
	struct nwc_error e;
	const char *alias, *net;
	struct nwc *n;

	n = open_wallet(&a, &legacy, 10000, 0);
	ck_assert_int_eq(nwc_get_info(n, &a, &alias, &net, &e), 0);
	ck_assert_str_eq(net, "mainnet");
	ck_assert_str_eq(alias, "legacy");
	nwc_close(n);
	arena_free(&a);
}
END_TEST

START_TEST(insufficient_balance)
{
	struct arena a = { NULL };
	struct nwc *p, *b;
	struct nwc_tx tx;
	struct nwc_error e;
	char preimage[65];

	p = open_wallet(&a, &platform, 10000, 0);
	b = open_wallet(&a, &broke, 10000, 0);
	ck_assert_int_eq(nwc_make_invoice(p, &a, 5000000, NULL, 600, &tx, &e),
	    0);
	ck_assert_int_eq(nwc_pay_invoice(b, tx.invoice, preimage, &e), -1);
	ck_assert_int_eq(e.kind, NWC_E_WALLET);
	ck_assert_str_eq(e.code, "INSUFFICIENT_BALANCE");
	ck_assert_str_eq(e.sentence, "your wallet does not hold enough funds "
	    "to pay this invoice");
	nwc_close(p);
	nwc_close(b);
	arena_free(&a);
}
END_TEST

/* Every NIP-47 code has a sentence; an unknown one reads as OTHER. */
START_TEST(error_codes)
{
	static const char *const wire[] = { "RATE_LIMITED", "QUOTA_EXCEEDED",
		"RESTRICTED", "UNAUTHORIZED", "INTERNAL", "NOT_IMPLEMENTED",
		"SOMETHING_NEW" };
	struct arena a = { NULL };
	struct nwc_error e;
	const char *alias, *net;
	char json[256];
	struct nwc *n;
	size_t i;

	n = open_wallet(&a, &broke, 10000, 0);
	for (i = 0; i < nitems(wire); i++) {
		snprintf(json, sizeof(json), "{\"mode\":\"error\",\"error_code\":"
		    "\"%s\",\"error_message\":\"line1\\nforged: x\",\"count\":1}",
		    wire[i]);
		behave(&broke, json);
		ck_assert_int_eq(nwc_get_info(n, &a, &alias, &net, &e), -1);
		ck_assert_int_eq(e.kind, NWC_E_WALLET);
		ck_assert_str_eq(e.code, wire[i]);
		ck_assert_str_eq(e.sentence, nwc_code_sentence(wire[i]));
		/* The wallet's own text is kept, never raw. */
		ck_assert_str_eq(e.message, "line1?forged: x");
	}
	ck_assert_str_eq(nwc_code_sentence("SOMETHING_NEW"),
	    nwc_code_sentence("OTHER"));
	nwc_close(n);
	arena_free(&a);
}
END_TEST

START_TEST(late_answer)
{
	struct arena a = { NULL };
	struct nwc_error e;
	const char *alias, *net;
	struct nwc *n;

	n = open_wallet(&a, &broke, 6000, 0);
	behave(&broke, "{\"mode\":\"late\",\"delay_ms\":1500,\"count\":1}");
	ck_assert_int_eq(nwc_get_info(n, &a, &alias, &net, &e), 0);
	ck_assert_str_eq(alias, "broke");
	nwc_close(n);
	arena_free(&a);
}
END_TEST

/* A silent wallet: a timeout, and the ledger untouched. */
START_TEST(silent_wallet)
{
	struct arena a = { NULL };
	struct json_object *ledger;
	struct nwc *p, *t;
	struct nwc_tx tx, look;
	struct nwc_error e;
	char preimage[65];
	int64_t t0;

	p = open_wallet(&a, &platform, 10000, 0);
	t = open_wallet(&a, &tenant, 1500, 0);
	ck_assert_int_eq(nwc_make_invoice(p, &a, 2000, NULL, 600, &tx, &e), 0);
	behave(&tenant, "{\"mode\":\"silent\",\"methods\":[\"pay_invoice\"]}");
	t0 = clock_now();
	ck_assert_int_eq(nwc_pay_invoice(t, tx.invoice, preimage, &e), -1);
	ck_assert_int_eq(e.kind, NWC_E_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(e.sentence, "did not answer within 1 "
	    "seconds"));
	ck_assert_int_le(clock_now() - t0, 4);
	behave(&tenant, "{\"mode\":\"normal\"}");
	ck_assert_int_eq(nwc_lookup_invoice(p, &a, tx.payment_hash, &look, &e),
	    0);
	ck_assert(!nwc_tx_settled(&look));
	ck_assert_int_eq(fake_call(&wallet, "GET", "/ledger", NULL, &ledger),
	    200);
	json_object_put(ledger);
	nwc_close(p);
	nwc_close(t);
	arena_free(&a);
}
END_TEST

/*
 * A tenant's wallet URL naming a loopback relay: never connected to
 * unless private addresses are allowed (ALLOW_PRIVATE_ADDRESSES).
 */
START_TEST(public_only)
{
	struct arena a = { NULL };
	struct nwc_error e;
	const char *alias, *net;
	struct nwc *n;

	n = open_wallet(&a, &tenant, 3000, 1);
	ck_assert_int_eq(nwc_get_info(n, &a, &alias, &net, &e), -1);
	ck_assert_int_eq(e.kind, NWC_E_INFO);
	ck_assert_str_eq(e.sentence, "none of your wallet's relays could be "
	    "reached or took the request");
	ck_assert_msg(strstr(e.message, "127.0.0.1 is not a public address") !=
	    NULL, "%s", e.message);
	nwc_close(n);
	arena_free(&a);
}
END_TEST

/* A wallet key nobody serves: no info event, nothing asked. */
START_TEST(no_info_event)
{
	struct arena a = { NULL };
	struct nwc_error e;
	struct w ghost;
	const char *alias, *net;
	unsigned char sk[32], pk[32];
	char pkhex[65], skhex[65];
	struct nwc *n;

	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	hex_encode(pk, 32, pkhex);
	hex_encode(sk, 32, skhex);
	snprintf(ghost.uri, sizeof(ghost.uri), "nostr+walletconnect://%s?relay="
	    "%s&secret=%s", pkhex, relay_url, skhex);
	n = open_wallet(&a, &ghost, 3000, 0);
	ck_assert_int_eq(nwc_get_info(n, &a, &alias, &net, &e), -1);
	ck_assert_int_eq(e.kind, NWC_E_INFO);
	ck_assert_str_eq(e.sentence, "your wallet publishes no NIP-47 info "
	    "event on its relays");
	nwc_close(n);
	arena_free(&a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("nwc_net");
	TCase *tc = tcase_create("wallet");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, nip44_payment);
	tcase_add_test(tc, nip04_payment);
	tcase_add_test(tc, get_info);
	tcase_add_test(tc, insufficient_balance);
	tcase_add_test(tc, error_codes);
	tcase_add_test(tc, late_answer);
	tcase_add_test(tc, silent_wallet);
	tcase_add_test(tc, public_only);
	tcase_add_test(tc, no_info_event);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
