/*
 * nostrcli: Caravel's Nostr code on the command line, for the
 * cross-implementation tests against nostr-tools (tests/js/cross.test.mjs,
 * spec/testing.md layer 2), and its BOLT #11 decoder for the test against
 * the npm bolt11 package (tests/js/bolt11.test.mjs). It is a test tool and
 * is never installed.
 *
 * Keys are 64 lower-case hex digits. Input comes on stdin, results go to
 * stdout; decrypted plaintext is written byte for byte, everything else
 * ends with a newline. Exit status: 0 done or accepted, 1 rejected (the
 * reason on stderr), 2 usage. Without arguments it runs a self-test of
 * the same calls, so make check and make check-valgrind cover them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "bolt11.h"
#include "crypt.h"
#include "nostr.h"

#define EXIT_REJECT 1
#define EXIT_USAGE 2
#define STDIN_MAX (8u << 20) /* above NIP44_DECRYPT_MAX in base64 */
#define NIP98_FUTURE 60 /* api.md §3: at most 60 s ahead */

struct cmd {
	const char *name;
	int minargs;
	int maxargs;
	int (*run)(const char *, char **);
	const char *arg; /* passed to run */
	const char *usage;
};

static int
read_stdin(char **out, size_t *outlen)
{
	char *buf;
	size_t cap = 4096, len = 0, n;

	buf = xmalloc(cap);
	for (;;) {
		if (cap - len < 2) {
			if (cap >= STDIN_MAX) {
				fprintf(stderr, "nostrcli: input over %u bytes\n",
				    STDIN_MAX);
				goto fail;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, stdin);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(stdin)) {
		fprintf(stderr, "nostrcli: cannot read stdin\n");
		goto fail;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return -1;
}

/* Drop the line end a shell adds; never part of base64 or a header. */
static void
chomp(char *s, size_t *len)
{
	while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
		s[--*len] = '\0';
}

static int
put(const void *p, size_t n, int newline)
{
	if (fwrite(p, 1, n, stdout) != n || (newline && putchar('\n') == EOF) ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "nostrcli: cannot write stdout\n");
		return -1;
	}
	return 0;
}

static int
put_hex(const unsigned char *p, size_t n)
{
	char hex[2 * 1024 + 1];

	if (n > 1024)
		return -1;
	hex_encode(p, n, hex);
	return put(hex, 2 * n, 1);
}

static int
hex_arg(const char *s, unsigned char *out, size_t n)
{
	if (hex_decode(s, strlen(s), out, n) == -1) {
		fprintf(stderr, "nostrcli: \"%s\" is not %zu bytes of hex\n", s,
		    n);
		return -1;
	}
	return 0;
}

static int
reject(const char *what, const char *why)
{
	fprintf(stderr, "nostrcli: %s: %s\n", what, why ? why : "failed");
	return EXIT_REJECT;
}

/* Print the event as JSON; 0 or EXIT_REJECT. */
static int
put_event(const struct nostr_event *ev)
{
	char *json;
	size_t len;
	int rc;

	if ((json = nostr_event_json_alloc(ev, &len)) == NULL)
		return reject("json", NULL);
	rc = put(json, len, 1) == 0 ? 0 : EXIT_REJECT;
	free(json);
	return rc;
}

/*
 * sign: stdin holds an event template (kind, created_at, tags, content).
 * The pubkey and a placeholder id are added so that the one strict parser
 * reads it; nostr_event_sign then sets pubkey, id and sig.
 */
static int
cmd_sign(const char *arg, char **av)
{
	struct nostr_event ev;
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	unsigned char sk[32], pk[32];
	char pkhex[65], zero[65], *buf = NULL;
	const char *why = NULL;
	size_t len;
	int rc = EXIT_REJECT, have_ev = 0;

	(void)arg;
	if (hex_arg(av[0], sk, sizeof sk) == -1)
		return EXIT_USAGE;
	if (read_stdin(&buf, &len) == -1)
		goto done;
	chomp(buf, &len);
	if (nostr_pubkey(sk, pk) == -1) {
		rc = reject("sign", "bad secret key");
		goto done;
	}
	tok = json_tokener_new();
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(obj, json_type_object)) {
		rc = reject("sign", "stdin is not one JSON object");
		goto done;
	}
	hex_encode(pk, sizeof pk, pkhex);
	memset(zero, '0', 64);
	zero[64] = '\0';
	json_object_object_add(obj, "pubkey", json_object_new_string(pkhex));
	json_object_object_add(obj, "id", json_object_new_string(zero));
	if (nostr_event_from_json(obj, 0, &ev, &why) == -1) {
		rc = reject("parse", why);
		goto done;
	}
	have_ev = 1;
	if (nostr_event_sign(&ev, sk) == -1) {
		rc = reject("sign", NULL);
		goto done;
	}
	rc = put_event(&ev);
done:
	if (have_ev)
		nostr_event_release(&ev);
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	free(buf);
	explicit_zero(sk, sizeof sk);
	return rc;
}

/* Read an event from stdin with the strict parser; 0 or -1 (reported). */
static int
read_event(int require_sig, struct nostr_event *ev)
{
	const char *why = NULL;
	char *buf;
	size_t len;
	int rc;

	if (read_stdin(&buf, &len) == -1)
		return -1;
	rc = nostr_event_parse(buf, len, require_sig, ev, &why);
	free(buf);
	if (rc == -1)
		reject("parse", why);
	return rc;
}

static int
cmd_verify(const char *arg, char **av)
{
	struct nostr_event ev;
	const char *why = NULL;
	int rc = 0;

	(void)arg;
	(void)av;
	if (read_event(1, &ev) == -1)
		return EXIT_REJECT;
	if (nostr_event_verify(&ev, &why) == -1)
		rc = reject("verify", why);
	nostr_event_release(&ev);
	return rc;
}

static int
cmd_serialize(const char *arg, char **av)
{
	struct nostr_event ev;
	char *s;
	size_t len;
	int rc = EXIT_REJECT;

	(void)arg;
	(void)av;
	if (read_event(0, &ev) == -1)
		return EXIT_REJECT;
	if ((s = nostr_event_serialize_alloc(&ev, &len)) != NULL) {
		rc = put(s, len, 1) == 0 ? 0 : EXIT_REJECT;
		free(s);
	}
	nostr_event_release(&ev);
	return rc;
}

/* The "<sk> <pk>" of the encryption commands; 0 or -1 (reported). */
static int
key_args(char **av, unsigned char sk[32], unsigned char pk[32])
{
	if (hex_arg(av[0], sk, 32) == -1 || hex_arg(av[1], pk, 32) == -1)
		return -1;
	return 0;
}

static int
cmd_nip44_convkey(const char *arg, char **av)
{
	unsigned char sk[32], pk[32], ck[32];
	int rc;

	(void)arg;
	if (key_args(av, sk, pk) == -1)
		return EXIT_USAGE;
	if (nip44_conversation_key(sk, pk, ck) == -1)
		rc = reject("nip44-convkey", "no shared point for these keys");
	else
		rc = put_hex(ck, sizeof ck) == 0 ? 0 : EXIT_REJECT;
	explicit_zero(sk, sizeof sk);
	explicit_zero(ck, sizeof ck);
	return rc;
}

/*
 * nip44-encrypt / nip04-encrypt <sk> <pk> [nonce]: arg is "44" or "04".
 * A fixed nonce (NIP-44, 32 bytes) or IV (NIP-04, 16 bytes) makes the
 * payload comparable byte for byte with nostr-tools.
 */
static int
cmd_encrypt(const char *arg, char **av)
{
	unsigned char sk[32], pk[32], ck[32], nonce[32], *fixed = NULL;
	char *buf = NULL, *payload = NULL;
	int v44 = strcmp(arg, "44") == 0, rc = EXIT_USAGE;
	size_t len;

	if (key_args(av, sk, pk) == -1)
		goto done;
	if (av[2] != NULL) {
		if (hex_arg(av[2], nonce, v44 ? 32 : 16) == -1)
			goto done;
		fixed = nonce;
	}
	rc = EXIT_REJECT;
	if (read_stdin(&buf, &len) == -1)
		goto done;
	if (!v44)
		payload = nip04_encrypt_alloc(sk, pk,
		    (const unsigned char *)buf, len, fixed);
	else if (nip44_conversation_key(sk, pk, ck) == 0)
		payload = nip44_encrypt_alloc(ck, (const unsigned char *)buf,
		    len, fixed);
	if (payload == NULL) {
		rc = reject(v44 ? "nip44-encrypt" : "nip04-encrypt", "refused");
		goto done;
	}
	rc = put(payload, strlen(payload), 1) == 0 ? 0 : EXIT_REJECT;
done:
	free(payload);
	free(buf);
	explicit_zero(sk, sizeof sk);
	explicit_zero(ck, sizeof ck);
	return rc;
}

/* nip44-decrypt / nip04-decrypt <sk> <pk>: arg is "44" or "04". */
static int
cmd_decrypt(const char *arg, char **av)
{
	unsigned char sk[32], pk[32], ck[32], *pt = NULL;
	const char *why = "no shared point for these keys";
	char *buf = NULL;
	int v44 = strcmp(arg, "44") == 0, rc = EXIT_USAGE, r = -1;
	size_t len, ptlen;

	if (key_args(av, sk, pk) == -1)
		goto done;
	rc = EXIT_REJECT;
	if (read_stdin(&buf, &len) == -1)
		goto done;
	chomp(buf, &len);
	if (!v44)
		r = nip04_decrypt_alloc(sk, pk, buf, len, &pt, &ptlen, &why);
	else if (nip44_conversation_key(sk, pk, ck) == 0)
		r = nip44_decrypt_alloc(ck, buf, len, &pt, &ptlen, &why);
	if (r == -1) {
		rc = reject(v44 ? "nip44-decrypt" : "nip04-decrypt", why);
		goto done;
	}
	rc = put(pt, ptlen, 0) == 0 ? 0 : EXIT_REJECT;
done:
	free(pt);
	free(buf);
	explicit_zero(sk, sizeof sk);
	explicit_zero(ck, sizeof ck);
	return rc;
}

/* wrap <sender-sk> <recipient-pk>: stdin is the text of a NIP-17 DM. */
static int
cmd_wrap(const char *arg, char **av)
{
	struct nostr_event rumor, wrap;
	unsigned char sk[32], pk[32], to[32];
	char *buf = NULL;
	size_t len;
	int rc = EXIT_USAGE, have_rumor = 0;

	(void)arg;
	if (hex_arg(av[0], sk, sizeof sk) == -1 ||
	    hex_arg(av[1], to, sizeof to) == -1)
		goto done;
	rc = EXIT_REJECT;
	if (read_stdin(&buf, &len) == -1)
		goto done;
	if (memchr(buf, '\0', len) != NULL) {
		rc = reject("wrap", "a DM text cannot hold NUL");
		goto done;
	}
	if (nostr_pubkey(sk, pk) == -1) {
		rc = reject("wrap", "bad secret key");
		goto done;
	}
	giftwrap_dm_rumor(&rumor, pk, to, buf, clock_now());
	have_rumor = 1;
	if (giftwrap_wrap(&rumor, sk, to, clock_now(), &wrap) == -1) {
		rc = reject("wrap", NULL);
		goto done;
	}
	rc = put_event(&wrap);
	nostr_event_release(&wrap);
done:
	if (have_rumor)
		nostr_event_release(&rumor);
	free(buf);
	explicit_zero(sk, sizeof sk);
	return rc;
}

/* unwrap <recipient-sk>: stdin is a kind 1059 wrap; prints the rumor. */
static int
cmd_unwrap(const char *arg, char **av)
{
	struct nostr_event wrap, seal, rumor;
	unsigned char sk[32];
	const char *why = NULL;
	int rc;

	(void)arg;
	if (hex_arg(av[0], sk, sizeof sk) == -1)
		return EXIT_USAGE;
	if (read_event(1, &wrap) == -1) {
		explicit_zero(sk, sizeof sk);
		return EXIT_REJECT;
	}
	if (giftwrap_unwrap(sk, &wrap, &seal, &rumor, &why) == -1)
		rc = reject("unwrap", why);
	else {
		rc = put_event(&rumor);
		nostr_event_release(&seal);
		nostr_event_release(&rumor);
	}
	nostr_event_release(&wrap);
	explicit_zero(sk, sizeof sk);
	return rc;
}

/* nip98-make <sk> <url> <method> [-]: "-" reads the body from stdin. */
static int
cmd_nip98_make(const char *arg, char **av)
{
	unsigned char sk[32];
	char *body = NULL, *hdr = NULL;
	size_t len = 0;
	int rc = EXIT_USAGE;

	(void)arg;
	if (hex_arg(av[0], sk, sizeof sk) == -1 ||
	    (av[3] != NULL && strcmp(av[3], "-") != 0))
		goto done;
	rc = EXIT_REJECT;
	if (av[3] != NULL && read_stdin(&body, &len) == -1)
		goto done;
	hdr = nip98_header_alloc(sk, av[1], av[2], (unsigned char *)body, len,
	    clock_now());
	if (hdr == NULL) {
		rc = reject("nip98-make", NULL);
		goto done;
	}
	rc = put(hdr, strlen(hdr), 1) == 0 ? 0 : EXIT_REJECT;
done:
	free(hdr);
	free(body);
	explicit_zero(sk, sizeof sk);
	return rc;
}

/*
 * nip98-verify <host> <now> <max-age> [strict <method> <url>]: stdin is
 * the Authorization header value; prints the signer's pubkey.
 */
static int
cmd_nip98_verify(const char *arg, char **av)
{
	struct nip98_rules rules;
	struct nip98_auth auth;
	const char *why = NULL;
	char *buf;
	size_t len;
	int rc;

	(void)arg;
	memset(&rules, 0, sizeof rules);
	rules.host = av[0];
	rules.max_future = NIP98_FUTURE;
	if (parse_int64(av[1], 0, INT64_MAX, &rules.now) == -1 ||
	    parse_int64(av[2], 0, INT64_MAX, &rules.max_age) == -1)
		return EXIT_USAGE;
	if (av[3] != NULL) {
		if (strcmp(av[3], "strict") != 0 || av[4] == NULL ||
		    av[5] == NULL)
			return EXIT_USAGE;
		rules.strict = 1;
		rules.method = av[4];
		rules.url = av[5];
	}
	if (read_stdin(&buf, &len) == -1)
		return EXIT_REJECT;
	chomp(buf, &len);
	if (nip98_verify(buf, &rules, &auth, &why) == -1)
		rc = reject("nip98-verify", why);
	else
		rc = put(auth.pubkey_hex, 64, 1) == 0 ? 0 : EXIT_REJECT;
	free(buf);
	return rc;
}

/* npub / nsec <key>: arg is the hrp. */
static int
cmd_encode(const char *hrp, char **av)
{
	unsigned char key[32];
	char out[128];
	int rc;

	if (hex_arg(av[0], key, sizeof key) == -1)
		return EXIT_USAGE;
	if (nip19_encode(hrp, key, sizeof key, out, sizeof out) == -1)
		rc = reject("nip19", "cannot encode");
	else
		rc = put(out, strlen(out), 1) == 0 ? 0 : EXIT_REJECT;
	explicit_zero(key, sizeof key);
	return rc;
}

static int
cmd_decode(const char *arg, char **av)
{
	unsigned char out[1024];
	char hrp[84];
	size_t n;

	(void)arg;
	if (nip19_decode(av[0], hrp, sizeof hrp, out, sizeof out, &n) == -1)
		return reject("nip19", "cannot decode");
	return put_hex(out, n) == 0 ? 0 : EXIT_REJECT;
}

/*
 * bolt11 <invoice>: prints {"network","msats","timestamp","expiry",
 * "payment_hash"} on one line; msats is null for an any-amount invoice.
 */
static int
cmd_bolt11(const char *arg, char **av)
{
	struct bolt11 b;
	const char *why = NULL;
	char hash[65];

	(void)arg;
	if (bolt11_decode(av[0], &b, &why) == -1)
		return reject("bolt11", why);
	hex_encode(b.payment_hash, sizeof b.payment_hash, hash);
	printf("{\"network\":\"%s\",\"msats\":", b.network);
	if (b.has_amount)
		printf("%llu", (unsigned long long)b.msats);
	else
		printf("null");
	printf(",\"timestamp\":%lld,\"expiry\":%lld,"
	    "\"payment_hash\":\"%s\"}\n", (long long)b.timestamp,
	    (long long)b.expiry, hash);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "nostrcli: cannot write stdout\n");
		return EXIT_REJECT;
	}
	return 0;
}

static int self_failures;

static void
self_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "nostrcli: self-test: %s\n", what);
		self_failures++;
	}
}

/* Sign, serialize, reparse and verify an event with hard content. */
static void
self_event(const unsigned char sk[32])
{
	static const char content[] = "q\"b\\s/n\nt\t\0\x01\x7f"
	    "\xe2\x80\xa8\xf0\x9f\x98\x80</script>";
	static const char *const tag[] = { "u", "https://a.example/x?y=1" };
	static const char canon[] = "/n\\nt\\t\\u0000\\u0001\x7f"
	    "\xe2\x80\xa8\xf0\x9f\x98\x80</script>\"]";
	struct nostr_event ev, back;
	const char *why = NULL;
	char *json = NULL, *ser = NULL;
	size_t len, slen;

	nostr_event_init(&ev);
	ev.kind = 1;
	ev.created_at = 1700000000;
	nostr_event_set_content(&ev, content, sizeof content - 1);
	nostr_event_add_tag(&ev, nitems(tag), tag);
	self_check(nostr_event_sign(&ev, sk) == 0, "sign");
	ser = nostr_event_serialize_alloc(&ev, &slen);
	self_check(ser != NULL && slen >= sizeof canon - 1 &&
	    memcmp(ser + slen - (sizeof canon - 1), canon,
	    sizeof canon - 1) == 0, "canonical serialization");
	json = nostr_event_json_alloc(&ev, &len);
	self_check(json != NULL, "event json");
	if (json != NULL &&
	    nostr_event_parse(json, len, 1, &back, &why) == 0) {
		self_check(nostr_event_verify(&back, &why) == 0, "verify");
		self_check(back.content_len == sizeof content - 1 &&
		    memcmp(back.content, content, sizeof content - 1) == 0,
		    "content round trip");
		back.content[0] = 'Q';
		self_check(nostr_event_verify(&back, &why) == -1,
		    "tampered content rejected");
		nostr_event_release(&back);
	} else
		self_check(0, "parse own json");
	free(ser);
	free(json);
	nostr_event_release(&ev);
}

static void
self_crypt(const unsigned char ska[32], const unsigned char pka[32],
    const unsigned char skb[32], const unsigned char pkb[32])
{
	static const char msg[] = "caravel \xf0\x9f\x9a\x90 test\n";
	unsigned char ck1[32], ck2[32], *pt = NULL;
	const char *why = NULL;
	char *p;
	size_t n;

	self_check(nip44_conversation_key(ska, pkb, ck1) == 0 &&
	    nip44_conversation_key(skb, pka, ck2) == 0 &&
	    memcmp(ck1, ck2, 32) == 0, "nip44 conversation key symmetric");
	p = nip44_encrypt_alloc(ck1, (const unsigned char *)msg,
	    sizeof msg - 1, NULL);
	self_check(p != NULL && nip44_decrypt_alloc(ck2, p, strlen(p), &pt,
	    &n, &why) == 0 && n == sizeof msg - 1 &&
	    memcmp(pt, msg, n) == 0, "nip44 round trip");
	free(pt);
	free(p);
	pt = NULL;
	p = nip04_encrypt_alloc(ska, pkb, (const unsigned char *)msg,
	    sizeof msg - 1, NULL);
	self_check(p != NULL && nip04_decrypt_alloc(skb, pka, p, strlen(p),
	    &pt, &n, &why) == 0 && n == sizeof msg - 1 &&
	    memcmp(pt, msg, n) == 0, "nip04 round trip");
	free(pt);
	free(p);
}

static void
self_wrap(const unsigned char ska[32], const unsigned char pka[32],
    const unsigned char skb[32], const unsigned char pkb[32])
{
	struct nostr_event rumor, wrap, seal, got;
	const char *why = NULL;
	int64_t now = clock_now();

	giftwrap_dm_rumor(&rumor, pka, pkb, "hello \"there\"\n", now);
	if (giftwrap_wrap(&rumor, ska, pkb, now, &wrap) == -1) {
		self_check(0, "wrap");
		nostr_event_release(&rumor);
		return;
	}
	if (giftwrap_unwrap(skb, &wrap, &seal, &got, &why) == 0) {
		self_check(strcmp(got.content, "hello \"there\"\n") == 0 &&
		    memcmp(got.pubkey, pka, 32) == 0 &&
		    memcmp(seal.pubkey, pka, 32) == 0, "unwrap contents");
		nostr_event_release(&seal);
		nostr_event_release(&got);
	} else
		self_check(0, "unwrap");
	if (giftwrap_unwrap(ska, &wrap, &seal, &got, &why) == 0) {
		self_check(0, "unwrap with the wrong key rejected");
		nostr_event_release(&seal);
		nostr_event_release(&got);
	}
	nostr_event_release(&wrap);
	nostr_event_release(&rumor);
}

static void
self_auth(const unsigned char sk[32], const unsigned char pk[32])
{
	struct nip98_rules rules;
	struct nip98_auth auth;
	unsigned char back[32];
	const char *why = NULL;
	char *hdr, npub[128];
	int64_t now = clock_now();

	hdr = nip98_header_alloc(sk, "https://api.example.com:8443/t?x=1",
	    "GET", NULL, 0, now);
	self_check(hdr != NULL, "nip98 header");
	if (hdr != NULL) {
		memset(&rules, 0, sizeof rules);
		rules.host = "api.example.com";
		rules.now = now;
		rules.max_age = 3600;
		rules.max_future = NIP98_FUTURE;
		self_check(nip98_verify(hdr, &rules, &auth, &why) == 0 &&
		    memcmp(auth.pubkey, pk, 32) == 0, "nip98 accepted");
		rules.host = "example.com";
		self_check(nip98_verify(hdr, &rules, &auth, &why) == -1,
		    "nip98 other host rejected");
		free(hdr);
	}
	self_check(nip19_encode("npub", pk, 32, npub, sizeof npub) == 0 &&
	    nip19_decode32(npub, "npub", back) == 0 &&
	    memcmp(back, pk, 32) == 0, "nip19 round trip");
}

/* BOLT #11 "Examples": $3 for a cup of coffee, within one minute. */
static void
self_bolt11(void)
{
	static const char inv[] =
	    "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3"
	    "zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqd"
	    "q5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2"
	    "087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09s"
	    "am30g4vgpfna3rh";
	struct bolt11 b;
	char bad[sizeof inv];

	self_check(bolt11_decode(inv, &b, NULL) == 0 &&
	    strcmp(b.network, "bc") == 0 && b.has_amount &&
	    b.msats == 250000000 && b.timestamp == 1496314658 &&
	    b.expiry == 60 && b.payment_hash[31] == 0x02, "bolt11 decode");
	memcpy(bad, inv, sizeof inv);
	bad[sizeof inv - 2] = 'q';
	self_check(bolt11_decode(bad, &b, NULL) == -1,
	    "bolt11 bad checksum rejected");
}

static int
self_test(void)
{
	unsigned char ska[32], pka[32], skb[32], pkb[32];

	if (nostr_keygen(ska, pka) == -1 || nostr_keygen(skb, pkb) == -1) {
		fprintf(stderr, "nostrcli: self-test: keygen failed\n");
		return EXIT_REJECT;
	}
	self_event(ska);
	self_crypt(ska, pka, skb, pkb);
	self_wrap(ska, pka, skb, pkb);
	self_auth(ska, pka);
	self_bolt11();
	explicit_zero(ska, sizeof ska);
	explicit_zero(skb, sizeof skb);
	if (self_failures > 0)
		return EXIT_REJECT;
	printf("nostrcli: self-test passed\n");
	return 0;
}

static const struct cmd cmds[] = {
	{ "sign", 1, 1, cmd_sign, NULL, "<sk> < template.json" },
	{ "verify", 0, 0, cmd_verify, NULL, "< event.json" },
	{ "serialize", 0, 0, cmd_serialize, NULL, "< event.json" },
	{ "nip44-encrypt", 2, 3, cmd_encrypt, "44", "<sk> <pk> [nonce] < text" },
	{ "nip44-decrypt", 2, 2, cmd_decrypt, "44", "<sk> <pk> < payload" },
	{ "nip44-convkey", 2, 2, cmd_nip44_convkey, NULL, "<sk> <pk>" },
	{ "nip04-encrypt", 2, 3, cmd_encrypt, "04", "<sk> <pk> [iv] < text" },
	{ "nip04-decrypt", 2, 2, cmd_decrypt, "04", "<sk> <pk> < payload" },
	{ "wrap", 2, 2, cmd_wrap, NULL, "<sender-sk> <recipient-pk> < text" },
	{ "unwrap", 1, 1, cmd_unwrap, NULL, "<recipient-sk> < wrap.json" },
	{ "nip98-make", 3, 4, cmd_nip98_make, NULL,
	    "<sk> <url> <method> [- < body]" },
	{ "nip98-verify", 3, 6, cmd_nip98_verify, NULL,
	    "<host> <now> <max-age> [strict <method> <url>] < header" },
	{ "npub", 1, 1, cmd_encode, "npub", "<pk>" },
	{ "nsec", 1, 1, cmd_encode, "nsec", "<sk>" },
	{ "decode", 1, 1, cmd_decode, NULL, "<bech32>" },
	{ "bolt11", 1, 1, cmd_bolt11, NULL, "<invoice>" },
};

static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: nostrcli (self-test without arguments)\n");
	for (i = 0; i < nitems(cmds); i++)
		fprintf(stderr, "       nostrcli %s %s\n", cmds[i].name,
		    cmds[i].usage);
	return EXIT_USAGE;
}

int
main(int argc, char *argv[])
{
	size_t i;
	int nargs;

	log_init("nostrcli");
	if (argc < 2)
		return self_test();
	nargs = argc - 2;
	for (i = 0; i < nitems(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if (nargs < cmds[i].minargs || nargs > cmds[i].maxargs)
			return usage();
		return cmds[i].run(cmds[i].arg, argv + 2);
	}
	return usage();
}
