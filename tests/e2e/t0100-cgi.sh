#!/bin/sh
# t0100-cgi.sh: caravel-api run as plain CGI (stdin not a listening
# socket): one request from the environment, the response on stdout with
# a Status: header, then exit.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

JSON_CT='application/json; charset=utf-8'

migrate_db

cgi GET /health
expect_status "GET /health" 200
expect_header "GET /health: JSON content type" Content-Type "$JSON_CT"
expect_body "GET /health: body" '{"data":{"status":"ok"},"code":"ok"}'
check "GET /health: exit status 0" test "$cgi_rc" -eq 0

cgi GET /plans
expect_status "GET /plans" 200
expect_header "GET /plans: JSON content type" Content-Type "$JSON_CT"
expect_jq "GET /plans: free, basic and growth" \
    '.code == "ok" and (.data | type == "array" and length == 3)
    and ([.data[].id] | sort) == ["basic","free","growth"]'
expect_jq "GET /plans: basic costs 500 cents" \
    '.data[] | select(.id == "basic") | .amount == 500'

cgi GET /plans/basic
expect_status "GET /plans/basic" 200
expect_jq "GET /plans/basic: the basic plan" \
    '.data.id == "basic" and .data.amount == 500 and .data.members == 100'

cgi GET /no-such-route
expect_json_error "GET /no-such-route" 404 not-found
expect_header "404: JSON content type" Content-Type "$JSON_CT"
check "404: exit status 0 (an error response is not a crash)" \
    test "$cgi_rc" -eq 0

cgi GET /plans/nope
expect_json_error "GET /plans/nope" 404 not-found

cgi POST /plans
expect_json_error "POST /plans" 405 method-not-allowed
expect_header_has "POST /plans: Allow names GET" Allow GET

# ALLOW_ORIGINS is empty here, so any origin is echoed (api.md §2).
cgi OPTIONS /relays HTTP_ORIGIN=https://app.example \
    HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST
expect_status "OPTIONS /relays: preflight" 204
expect_header "OPTIONS /relays: origin echoed" \
    Access-Control-Allow-Origin https://app.example
expect_header_has "OPTIONS /relays: Vary: Origin" Vary Origin
expect_header_has "OPTIONS /relays: POST allowed" \
    Access-Control-Allow-Methods POST
expect_header_has "OPTIONS /relays: Authorization allowed" \
    Access-Control-Allow-Headers Authorization
expect_header "OPTIONS /relays: max age" Access-Control-Max-Age 86400

# A body over the 64 KiB limit, declared and sent.
head -c 70000 /dev/zero | tr '\0' 'a' > "$T/big.json"
CGI_STDIN=$T/big.json
cgi POST /relays CONTENT_TYPE=application/json CONTENT_LENGTH=70000
expect_json_error "POST /relays with 70000 bytes" 413 payload-too-large
# Declared far beyond the limit: refused without waiting for the bytes.
cgi POST /relays CONTENT_TYPE=application/json \
    CONTENT_LENGTH=99999999999999999999
check "POST /relays with a huge CONTENT_LENGTH: 4xx" \
    test "$status" = 413 -o "$status" = 400
CGI_STDIN=/dev/null

# The database cannot be opened: not healthy (api.md §5).
cgi GET /health DATABASE_URL="sqlite://$T/no/such/dir/caravel.db"
expect_status "GET /health without a database" 503
expect_jq "GET /health without a database: error envelope" \
    '(.code == "unavailable" or .code == "not-configured")
    and (.error | length > 0)'
# Nor can a file that is not SQLite.
printf 'not a database\n' > "$T/garbage.db"
cgi GET /health DATABASE_URL="sqlite://$T/garbage.db"
expect_status "GET /health on a file that is not SQLite" 503

done_testing
