#!/bin/sh
# t0500-browser-cors.sh: CORS in a real browser (api.md §2: "a real
# browser page on another origin must be able to call every route").
# Headless Chromium opens tests/e2e/browser/cors.html, served from a second
# loopback origin listed in ALLOW_ORIGINS, and the page calls GET
# /identity, POST /tenants and POST /relays through the real nginx with
# NIP-98 headers (made by nostr-tools) and Content-Type: application/json,
# so each call needs a preflight. Then the same page from a third,
# unlisted origin must get nothing: every fetch throws a TypeError and no
# tenant or relay is written. Needs node >= 20, `npm ci --prefix
# tests/js`, chromium and sqlite3; in CI (CI set) a missing piece is a
# failure, elsewhere a loud skip.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
js=$top_srcdir/tests/js
page=$top_srcdir/tests/e2e/browser
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser ||
    echo /usr/bin/chromium)}

# Before lib.sh: it makes a temporary directory and traps every exit.
. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0500 "the browser CORS test"
needs_node nostr-tools
[ -x "$CHROMIUM" ] ||
	missing "chromium is not installed (apt-get install chromium)"
needs_cmd sqlite3 "the sqlite3 shell (apt-get install sqlite3)"

. "$top_srcdir/tests/e2e/lib.sh"

# --- the fake Stripe (POST /tenants creates a customer) ---

STRIPE_KEY=sk_test_caravel_t0500
start_fake stripe "$top_srcdir/tests/fakes/stripe.mjs" STRIPE_FAKE_PORT=0 \
    "STRIPE_FAKE_KEY=$STRIPE_KEY"
stripe_pid=$fake_pid
STRIPE_URL=http://127.0.0.1:$fake_port

# --- the page's two origins ---

WWW=$T/www
mkdir "$WWW"
cp "$page/cors.html" "$WWW/cors.html"
node "$page/serve.mjs" "$WWW" < /dev/null > "$T/www.out" 2> "$T/www.err" &
www_pid=$!
track_pid "$www_pid"
_www_ports()
{
	sed -n 's/^listening \([0-9][0-9]*\) \([0-9][0-9]*\)$/\1 \2/p' \
	    "$T/www.out" | head -n 1
}
_www_up()
{
	[ -n "$(_www_ports)" ]
}
wait_until 100 _www_up ||
	bail "the page server did not start: $(cat "$T/www.err")"
set -- $(_www_ports)
ORIGIN_OK=http://127.0.0.1:$1
ORIGIN_DENIED=http://127.0.0.1:$2

# --- the API behind nginx ---

RELAY_DOMAIN=relays.example.com
api_env "ALLOW_ORIGINS=$ORIGIN_OK" \
    "STRIPE_SECRET_KEY=$STRIPE_KEY" \
    "STRIPE_API_URL=$STRIPE_URL" \
    STRIPE_PRICE_BASIC=price_basic_t0500 \
    STRIPE_PRICE_GROWTH=price_growth_t0500 \
    "RELAY_DOMAIN=$RELAY_DOMAIN" \
    HTTP_TIMEOUT=5
start_api
start_nginx
diag "nginx on $BASE; page on $ORIGIN_OK (allowed), $ORIGIN_DENIED (not)"

# NIP-98 checks created_at against the real clock.
unset CARAVEL_TEST_NOW
SUB_OK=browser-ok-$$
SUB_DENIED=browser-denied-$$
node "$page/cases.mjs" "$js" "$BASE" "$SUB_OK" "$SUB_DENIED" \
    > "$T/cases.json" 2> "$T/cases.err" ||
	bail "cases.mjs failed: $(cat "$T/cases.err")"
{
	printf 'window.CARAVEL_CASES = '
	cat "$T/cases.json"
	printf ';\n'
} > "$WWW/config.js"
PK_OK=$(jq -r .allowed.pubkey "$T/cases.json")
PK_DENIED=$(jq -r .denied.pubkey "$T/cases.json")

# The preflight as curl sees it, so a browser failure below can be told
# apart from a server that does not answer OPTIONS at all.
http OPTIONS /relays -H "Origin: $ORIGIN_OK" \
    -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization,content-type'
expect_status "curl: preflight from the allowed origin is 204" 204
expect_header "curl: preflight echoes the allowed origin" \
    Access-Control-Allow-Origin "$ORIGIN_OK"

# --- the browser ---

# browse NAME URL: headless Chromium loads URL; the DOM once the page's
# script is done goes to $T/NAME.html. --virtual-time-budget lets the
# page's fetches finish before the DOM is dumped; the background-networking
# flags keep Chromium from calling out of this machine.
browse()
{
	_b_prof=$T/chromium-$1
	mkdir -p "$_b_prof/home"
	HOME=$_b_prof/home XDG_CONFIG_HOME=$_b_prof/home \
	XDG_CACHE_HOME=$_b_prof/home \
	    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-quic --no-first-run --no-default-browser-check \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --disable-extensions --disable-default-apps \
	    --user-data-dir="$_b_prof/profile" \
	    --virtual-time-budget=20000 --dump-dom "$2" \
	    < /dev/null > "$T/$1.html" 2> "$T/$1.stderr"
	_b_rc=$?
	if [ "$_b_rc" -ne 0 ]; then
		diag "chromium exited $_b_rc for $2; its last lines:"
		tail -n 20 "$T/$1.stderr" | sed 's/^/#   /'
	fi
}

# page_result NAME: the JSON the page wrote (base64 in #result) into
# $T/NAME.json; fails if the page did not finish.
page_result()
{
	grep -q 'data-done="1"' "$T/$1.html" || return 1
	sed -n 's/.*<pre id="result">\([A-Za-z0-9+\/=]*\)<\/pre>.*/\1/p' \
	    "$T/$1.html" | head -n 1 | base64 -d > "$T/$1.json" 2>/dev/null &&
	    jq -e . "$T/$1.json" > /dev/null 2>&1
}

# expect_page NAME DESC FILTER [JQ-ARG...]: FILTER is true of the page's
# result JSON.
expect_page()
{
	_p_name=$1
	_p_desc=$2
	_p_filter=$3
	shift 3
	if jq -e "$@" "$_p_filter" "$T/$_p_name.json" > /dev/null 2>&1; then
		ok "$_p_desc"
	else
		fail "$_p_desc" "jq $_p_filter is not true for:" \
		    "$(jq . "$T/$_p_name.json" 2>/dev/null | head -c 3000)"
	fi
}

# The result of call I: .results[I], with the body parsed as JSON.
R='(.results[$i] | . + {json: (try (.body | fromjson) catch null)})'

# --- an allowed origin: all three calls work ---

log_lines=$(wc -l < "$NGINX_PREFIX/access.log")
browse allowed "$ORIGIN_OK/?case=allowed"
if page_result allowed; then
	ok "allowed origin: the page ran to the end in Chromium"
else
	fail "allowed origin: the page ran to the end in Chromium" \
	    "$(head -c 3000 "$T/allowed.html")"
	: > "$T/allowed.json"
fi
expect_page allowed "allowed origin: the page had its configuration" \
    '(has("fatal") | not) and .case == "allowed" and
    (.results | length) == 3 and .origin == $o' --arg o "$ORIGIN_OK"
expect_page allowed "browser: GET /identity is 200 with the signer's identity" \
    "$R"' | .status == 200 and .json == {data: {pubkey: $pk,
    is_admin: false}, code: "ok"}' --argjson i 0 --arg pk "$PK_OK"
expect_page allowed "browser: GET /identity is application/json" \
    "$R"' | .content_type | test("^application/json")' --argjson i 0
expect_page allowed "browser: POST /tenants is 200 with the new tenant" \
    "$R"' | .status == 200 and .json.code == "ok" and
    .json.data.pubkey == $pk and
    (.json.data.stripe_customer_id | startswith("cus_"))' \
    --argjson i 1 --arg pk "$PK_OK"
expect_page allowed "browser: POST /relays is 201 with the new relay" \
    "$R"' | .status == 201 and .json.code == "ok" and
    .json.data.subdomain == $sub and .json.data.tenant == $pk and
    .json.data.host == ($sub + "." + $dom) and .json.data.plan == "free" and
    .json.data.status == "active" and
    .json.data.info_name == "Browser test" and
    (.json.data.id | test("^[0-9a-f]{32}$"))' --argjson i 2 \
    --arg pk "$PK_OK" --arg sub "$SUB_OK" --arg dom "$RELAY_DOMAIN"

n=$(sqlite3 "$DB" "SELECT count(*) FROM relay WHERE subdomain = '$SUB_OK'
    AND tenant = '$PK_OK'")
check "allowed origin: the relay is in the database" [ "$n" = 1 ]

# The browser really preflighted each call, and the preflights were
# answered 204 before the real requests (nginx's combined log format:
# "METHOD PATH HTTP/1.1" STATUS).
tail -n +"$((log_lines + 1))" "$NGINX_PREFIX/access.log" |
    sed -n 's/^[^"]*"\([A-Z]*\) \([^ ]*\) [^"]*" \([0-9]*\) .*/\1 \2 \3/p' \
    > "$T/allowed.requests"
expected_requests='OPTIONS /identity 204
GET /identity 200
OPTIONS /tenants 204
POST /tenants 200
OPTIONS /relays 204
POST /relays 201'
if [ "$(grep -v ' /favicon.ico ' "$T/allowed.requests")" = \
    "$expected_requests" ]; then
	ok "allowed origin: nginx saw a preflight before each call"
else
	fail "allowed origin: nginx saw a preflight before each call" \
	    "expected:" "$expected_requests" "got:" "$(cat "$T/allowed.requests")"
fi

# --- an origin not in ALLOW_ORIGINS: the browser refuses every call ---

log_lines=$(wc -l < "$NGINX_PREFIX/access.log")
browse denied "$ORIGIN_DENIED/?case=denied"
if page_result denied; then
	ok "denied origin: the page ran to the end in Chromium"
else
	fail "denied origin: the page ran to the end in Chromium" \
	    "$(head -c 3000 "$T/denied.html")"
	: > "$T/denied.json"
fi
expect_page denied "denied origin: the page had its configuration" \
    '(has("fatal") | not) and .case == "denied" and
    (.results | length) == 3 and .origin == $o' --arg o "$ORIGIN_DENIED"
for i in 0 1 2; do
	expect_page denied "denied origin: call $i fetch throws a TypeError" \
	    '.results[$i] | .error == "TypeError" and (has("status") | not)' \
	    --argjson i "$i"
done

n=$(sqlite3 "$DB" "SELECT count(*) FROM relay WHERE subdomain = '$SUB_DENIED'
    OR tenant = '$PK_DENIED'")
check "denied origin: no relay was created" [ "$n" = 0 ]
n=$(sqlite3 "$DB" "SELECT count(*) FROM tenant WHERE pubkey = '$PK_DENIED'")
check "denied origin: no tenant was created" [ "$n" = 0 ]
n=$(sqlite3 "$DB" "SELECT count(*) FROM relay")
check "the database holds exactly the one allowed relay" [ "$n" = 1 ]

# Only refused preflights reached nginx: the browser sent no real request.
tail -n +"$((log_lines + 1))" "$NGINX_PREFIX/access.log" |
    sed -n 's/^[^"]*"\([A-Z]*\) \([^ ]*\) [^"]*" \([0-9]*\) .*/\1 \2 \3/p' |
    grep -v ' /favicon.ico ' > "$T/denied.requests"
if [ -s "$T/denied.requests" ] &&
    ! grep -qv '^OPTIONS [^ ]* 403$' "$T/denied.requests"; then
	ok "denied origin: nginx saw only preflights, each refused with 403"
else
	fail "denied origin: nginx saw only preflights, each refused with 403" \
	    "$(cat "$T/denied.requests")"
fi

is_alive "$stripe_pid" || fail "the fake Stripe is still running" \
    "$(tail -n 20 "$T/stripe.err")"
if [ -s "$T/stripe.err" ]; then
	fail "the fake Stripe reported no bug of its own" \
	    "$(tail -n 20 "$T/stripe.err")"
fi
stop_nginx
done_testing
