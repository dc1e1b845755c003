#!/bin/sh
# t0210-tls.sh: the production site, nginx/caravel.conf.in, as shipped
# (only its addresses, certificate paths and include path replaced): TLS
# with a certificate where certbot puts one, port 80 redirecting to HTTPS
# and answering ACME challenges, security headers on every answer, a
# per-address request limit that answers 429 in the JSON envelope, and
# AUTH_STRICT=1 working both on TLS nginx ends itself and behind a proxy
# that ends TLS (API_URL).

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

command -v openssl > /dev/null 2>&1 || bail "openssl is missing (Debian package openssl)"
NOSTRCLI=$top_builddir/tests/nostrcli
[ -x "$NOSTRCLI" ] || bail "tests/nostrcli is not built"
[ -x "$NGINX" ] || bail "nginx is missing"

NAME=api.example.com
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj "/CN=$NAME" -addext "subjectAltName=DNS:$NAME" \
    -keyout "$T/privkey.pem" -out "$T/fullchain.pem" > "$T/openssl.log" 2>&1 ||
    bail "openssl could not make a certificate"

api_env "HOST=$NAME" AUTH_STRICT=1
start_api

# --- nginx with the production site ---

TP=$(free_port) || bail "no free port"
HP=$(free_port) || bail "no free port"
W=$T/ngx-tls
mkdir -p "$W/tmp" "$T/www/.well-known/acme-challenge"
echo challenge-answer > "$T/www/.well-known/acme-challenge/token1"
sed "s|unix:/run/caravel/api.sock|unix:$API_SOCK|" \
    "$top_srcdir/nginx/caravel-api.inc" > "$W/caravel-api.inc"
sed -e "s|@pkgdatadir@/nginx/caravel-api.inc|$W/caravel-api.inc|" \
    -e "s|^\([ \t]*\)listen 80;|\1listen 127.0.0.1:$HP;|" \
    -e "s|^\([ \t]*\)listen 443 ssl http2;|\1listen 127.0.0.1:$TP ssl http2;|" \
    -e '/listen \[::\]/d' \
    -e "s|/etc/letsencrypt/live/$NAME/|$T/|" \
    -e "s|root /var/www/html;|root $T/www;|" \
    "$top_srcdir/nginx/caravel.conf.in" > "$W/site.conf"
check "the site's addresses, certificates and include were all replaced" \
    sh -c "! grep -v '^[[:space:]]*#' '$W/site.conf' |
    grep -q 'listen 80;\|listen 443\|letsencrypt\|@pkgdatadir@\|/var/www'"
awk -v prefix="$W" -v site="$W/site.conf" '
    $0 == "@SITE@" { while ((getline l < site) > 0) print "\t" l; next }
    $0 !~ /^[ \t]*#/ { gsub(/@PREFIX@/, prefix) }
    { print }' "$top_srcdir/nginx/caravel-local.conf.in" > "$W/nginx.conf"
"$NGINX" -t -p "$W/" -c "$W/nginx.conf" -e "$W/error.log" > "$T/nginx-t.log" 2>&1
check "nginx -t accepts the production site" test "$?" -eq 0
"$NGINX" -p "$W/" -c "$W/nginx.conf" -e "$W/error.log" < /dev/null \
    >> "$W/stdout.log" 2>&1 &
tls_pid=$!
track_pid "$tls_pid"
URL=https://$NAME:$TP
tls()
{
	_t_path=$1
	shift
	curl -q -sS --noproxy '*' --max-time 20 --resolve "$NAME:$TP:127.0.0.1" \
	    --resolve "$NAME:$HP:127.0.0.1" --cacert "$T/fullchain.pem" \
	    -D "$T/tls.headers" -o "$T/tls.body" -w '%{http_code}' "$@" \
	    "$_t_path" 2> "$T/tls.err"
}
wait_until 100 sh -c "curl -s --resolve $NAME:$TP:127.0.0.1 -k -o /dev/null $URL/health" ||
    bail "nginx with TLS did not answer (see $W/error.log)"

st=$(tls "$URL/health")
check "GET /health over TLS: 200" test "$st" = 200
check "GET /health over TLS: the API's body" grep -q '"status":"ok"' "$T/tls.body"
for h in "strict-transport-security: max-age=63072000" \
    "x-content-type-options: nosniff" "x-frame-options: DENY" \
    "referrer-policy: no-referrer" \
    "content-security-policy: default-src 'none'; frame-ancestors 'none'"; do
	check "security header: $h" grep -qi "^$h" "$T/tls.headers"
done
check "no nginx version in Server" sh -c "! grep -qi '^server: nginx/' '$T/tls.headers'"
st=$(tls "$URL/no/such/route")
check "an error from the API has the security headers too" sh -c \
    "test $st = 404 && grep -qi '^strict-transport-security' '$T/tls.headers'"

st=$(tls "http://$NAME:$HP/health?x=1")
check "port 80 redirects to HTTPS: 301" test "$st" = 301
check "... to the same path on https" \
    grep -qi "^location: https://$NAME/health?x=1" "$T/tls.headers"
st=$(tls "http://$NAME:$HP/.well-known/acme-challenge/token1")
check "port 80 answers certbot's challenge" sh -c \
    "test $st = 200 && grep -qx challenge-answer '$T/tls.body'"

# --- AUTH_STRICT on TLS nginx ends itself ---

SK=$(random_hex32)
PK=$(pubkey_of "$SK")
AUTH=$("$NOSTRCLI" nip98-make "$SK" "$URL/identity" GET)
st=$(tls "$URL/identity" -H "Authorization: $AUTH")
check "AUTH_STRICT over TLS: a token for the https URL is accepted" \
    sh -c "test $st = 200 && grep -q '$PK' '$T/tls.body'"
AUTH=$("$NOSTRCLI" nip98-make "$SK" "http://$NAME:$TP/identity" GET)
st=$(tls "$URL/identity" -H "Authorization: $AUTH")
check "AUTH_STRICT over TLS: a token for the http URL is refused" test "$st" = 401

# --- the per-address limit: 10/s, bursts of 40, then 429 in JSON ---

# The requests above count against the same limit and leave up to a few
# tenths of a second in nginx's bucket: let it drain, so the burst starts
# from empty (it served 39 in a run that began right after them).
sleep 1.5

i=0
: > "$T/urls"
while [ "$i" -lt 150 ]; do
	printf 'url = "%s/plans"\noutput = "%s/r.%d"\n' "$URL" "$T" "$i" >> "$T/urls"
	i=$((i + 1))
done
t0=$(date +%s)
curl -q -s --noproxy '*' --parallel --parallel-max 75 --max-time 60 \
    --resolve "$NAME:$TP:127.0.0.1" --cacert "$T/fullchain.pem" \
    -w '%{http_code} %{content_type} %{filename_effective}\n' -K "$T/urls" \
    > "$T/codes" 2> "$T/curl.err"
t1=$(date +%s)
n200=$(grep -c '^200 ' "$T/codes")
n429=$(grep -c '^429 ' "$T/codes")
# What 10/s refills while the burst lasts (plus one for the second the
# clock may tick over) is served on top of the burst of 40.
most=$((40 + 10 * (t1 - t0 + 1)))
diag "150 requests at once in $((t1 - t0)) s: $n200 answered 200, $n429 answered 429"
diag "answers by status: $(cut -d' ' -f1 "$T/codes" | sort | uniq -c | tr -s ' \n' ' ')"
check "the burst of 40 is served" test "$n200" -ge 40
check "no more than the burst and what 10/s refills is served ($most)" \
    test "$n200" -le "$most"
check "the rest is refused with 429" test "$n429" -eq "$((150 - n200))"
check "every answer was 200 or 429" test "$((n200 + n429))" -eq 150
set -- $(grep '^429 ' "$T/codes" | head -n 1)
check "a 429 is JSON with a sentence and the code rate-limited" sh -c \
    "jq -e '.code == \"rate-limited\" and (.error | length > 0)' '${4:-none}' > /dev/null"
check "... with the JSON content type" test "${2:-} ${3:-}" = "application/json; charset=utf-8"
stop_pid "$tls_pid"

# --- behind a proxy that ends TLS: nginx sees plain HTTP ---

start_nginx
AUTH=$("$NOSTRCLI" nip98-make "$SK" "https://$NAME/identity" GET)
http GET /identity -H "Authorization: $AUTH" -H "Host: $NAME"
check "behind TLS termination without API_URL: the https token is refused" \
    test "$status" = 401
stop_api
api_env "API_URL=https://$NAME"
start_api
http GET /identity -H "Authorization: $AUTH" -H "Host: $NAME"
expect_status "behind TLS termination with API_URL: the https token works" 200
expect_jq "... as its signer" ".data.pubkey == \"$PK\""
AUTH=$("$NOSTRCLI" nip98-make "$SK" "https://$NAME/relays" GET)
http GET /identity -H "Authorization: $AUTH" -H "Host: $NAME"
expect_status "... and a token for another path is still refused" 401
check_api_log
done_testing
