#!/bin/sh
# t0200-nginx.sh: caravel-api behind the real nginx with the project's own
# site config (nginx/caravel-api.inc, in a loopback server), started as in production: it binds
# its socket, pre-forks children and replaces them.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

JSON_CT='application/json; charset=utf-8'

start_api
start_nginx
diag "nginx on $BASE, API socket $API_SOCK, parent pid $API_PID"

# --- public routes ---

http GET /health
expect_status "GET /health" 200
expect_header "GET /health: JSON content type" Content-Type "$JSON_CT"
expect_body "GET /health: body" '{"data":{"status":"ok"},"code":"ok"}'

http GET /plans
expect_status "GET /plans" 200
expect_header "GET /plans: JSON content type" Content-Type "$JSON_CT"
expect_jq "GET /plans: free, basic and growth" \
    '.code == "ok" and (.data | type == "array" and length == 3)
    and ([.data[].id] | sort) == ["basic","free","growth"]'
expect_jq "GET /plans: basic is 500 cents, 100 members" \
    '.data[] | select(.id == "basic") | .amount == 500 and .members == 100'
expect_jq "GET /plans: every plan has the Plan fields (api.md §4)" \
    '[.data[] | keys == ["amount","blossom","hidden","id","livekit",
    "members","name","stripe_price_id"]] | all'

http GET '/plans?ignored=1'
expect_status "GET /plans with a query string" 200

# Plans are operator data: an edit made with sqlite3 shows at once, in
# every child, although each keeps its list between commits.
for _i in 1 2 3 4; do http GET /plans; done
sqlite3 "$DB" "UPDATE plan SET amount = 700 WHERE id = 'basic'" ||
    bail "cannot edit the plan table"
for _i in 1 2 3 4; do
	http GET /plans
	expect_jq "GET /plans after an operator's edit (request $_i)" \
	    '.data[] | select(.id == "basic") | .amount == 700'
done
sqlite3 "$DB" "UPDATE plan SET amount = 500 WHERE id = 'basic'"
http GET /plans
expect_jq "GET /plans after the edit is undone" \
    '.data[] | select(.id == "basic") | .amount == 500'

http GET /plans/basic
expect_status "GET /plans/basic" 200
expect_jq "GET /plans/basic: basic" \
    '.code == "ok" and .data.id == "basic" and .data.amount == 500'

http GET /plans/growth
expect_status "GET /plans/growth" 200
expect_jq "GET /plans/growth: members is null (unlimited)" \
    '.data.id == "growth" and .data.members == null and .data.amount == 2500'

http GET /plans/nope
expect_json_error "GET /plans/nope" 404 not-found
expect_header "GET /plans/nope: JSON content type" Content-Type "$JSON_CT"

http GET /no/such/route
expect_json_error "GET /no/such/route" 404 not-found

http POST /plans
expect_json_error "POST /plans" 405 method-not-allowed
expect_header_has "POST /plans: Allow names GET" Allow GET
expect_header "POST /plans: JSON content type" Content-Type "$JSON_CT"

# --- CORS (api.md §2); ALLOW_ORIGINS is empty, so any origin ---

http OPTIONS /relays -H 'Origin: https://app.example' \
    -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization, content-type'
expect_status "OPTIONS /relays: preflight" 204
expect_header "OPTIONS /relays: origin echoed" \
    Access-Control-Allow-Origin https://app.example
expect_header_has "OPTIONS /relays: Vary: Origin" Vary Origin
for _m in GET POST PUT OPTIONS; do
	expect_header_has "OPTIONS /relays: method $_m allowed" \
	    Access-Control-Allow-Methods "$_m"
done
for _h in Authorization Content-Type; do
	expect_header_has "OPTIONS /relays: header $_h allowed" \
	    Access-Control-Allow-Headers "$_h"
done
expect_header "OPTIONS /relays: max age one day" Access-Control-Max-Age 86400
check "OPTIONS /relays: no body" test ! -s "$T/http.body"

http GET /plans -H 'Origin: https://app.example'
expect_status "GET /plans from another origin" 200
expect_header "GET /plans from another origin: origin echoed" \
    Access-Control-Allow-Origin https://app.example
expect_header_has "GET /plans from another origin: Vary: Origin" Vary Origin

# --- body limits ---

# Over the API's 64 KiB: the API answers (with CORS, so a page can read
# it), not nginx, whose own limit is higher.
head -c 70000 /dev/zero | tr '\0' 'a' > "$T/big.json"
http POST /relays -H 'Origin: https://app.example' \
    -H 'Content-Type: application/json' --data-binary "@$T/big.json"
expect_json_error "POST /relays with 70000 bytes" 413 payload-too-large
expect_header "413 from the API: JSON content type" Content-Type "$JSON_CT"
expect_header "413 from the API: readable cross-origin" \
    Access-Control-Allow-Origin https://app.example

# Over nginx's limit: nginx answers, in JSON too (nginx/caravel-api.inc).
# That it is nginx shows in the missing CORS header, which only the API
# adds: the body never reached it.
head -c 300000 /dev/zero | tr '\0' 'a' > "$T/huge.json"
http POST /relays -H 'Origin: https://app.example' \
    -H 'Content-Type: application/json' --data-binary "@$T/huge.json"
expect_json_error "POST /relays with 300000 bytes (nginx's limit)" 413 \
    payload-too-large
expect_header "413 from nginx: JSON content type" Content-Type "$JSON_CT"
expect_no_header "413 from nginx: nginx answered, not the API" \
    Access-Control-Allow-Origin

# --- restart with a short child life and a list of allowed origins ---

stop_api
api_env ALLOW_ORIGINS=https://app.example,https://admin.example
start_api -m 5

http OPTIONS /relays -H 'Origin: https://admin.example' \
    -H 'Access-Control-Request-Method: PUT'
expect_status "OPTIONS from a listed origin" 204
expect_header "OPTIONS from a listed origin: echoed" \
    Access-Control-Allow-Origin https://admin.example

http OPTIONS /relays -H 'Origin: https://evil.example' \
    -H 'Access-Control-Request-Method: PUT'
check "OPTIONS from an unlisted origin: not allowed" \
    test "$(header Access-Control-Allow-Origin)" != https://evil.example -a \
    "$(header Access-Control-Allow-Origin)" != '*'

http GET /plans -H 'Origin: https://evil.example'
check "GET /plans from an unlisted origin: not allowed" \
    test "$(header Access-Control-Allow-Origin)" != https://evil.example -a \
    "$(header Access-Control-Allow-Origin)" != '*'

# Each child exits after 5 requests: 30 in a row need several
# generations of children, and none may be lost on the way.
kids_before=$(children_of "$API_PID" | sort | tr '\n' ' ')
good=0
bad=
i=0
while [ "$i" -lt 30 ]; do
	http GET /health
	if [ "$status" = 200 ] &&
	    [ "$(body)" = '{"data":{"status":"ok"},"code":"ok"}' ]; then
		good=$((good + 1))
	else
		bad="$bad $i:$status"
	fi
	i=$((i + 1))
done
if [ "$good" -eq 30 ]; then
	ok "-m 5: 30 sequential requests all answered 200"
else
	fail "-m 5: 30 sequential requests all answered 200" \
	    "$good answered; failures (request:status):$bad"
fi
check "-m 5: the parent is still the same process" is_alive "$API_PID"
_two_children()
{
	[ "$(children_of "$API_PID" | wc -l)" -eq 2 ]
}
check "-m 5: two children again after the run" wait_until 50 _two_children
kids_after=$(children_of "$API_PID" | sort | tr '\n' ' ')
# Which child accepts is up to the kernel, so one of the first two may
# still be there; 30 requests made at least six children exit.
_replaced()
{
	[ -n "$kids_before" ] || return 1
	for _k in $kids_before; do
		case " $kids_after " in
		*" $_k "*) ;;
		*) return 0 ;;
		esac
	done
	return 1
}
check "-m 5: the children were replaced ($kids_before-> $kids_after)" \
    _replaced

# --- shutdown: SIGTERM to the parent stops the children too ---

all_kids=$(children_of "$API_PID")
kill -TERM "$API_PID"
check "SIGTERM: the parent exits" wait_until 100 _not_alive "$API_PID"
_kids_gone()
{
	for _k in $all_kids; do
		is_alive "$_k" && return 1
	done
	return 0
}
check "SIGTERM: the children exit" wait_until 100 _kids_gone
stop_api

# With nothing on the socket, nginx's own answer is JSON as well.
http GET /health
expect_json_error "GET /health with the API stopped" 503 unavailable
expect_header "503 from nginx: JSON content type" Content-Type "$JSON_CT"

# --- the socket on fd 0, as systemd's socket activation hands it over ---

start_api_fd0 -m 5
good=0
i=0
while [ "$i" -lt 12 ]; do
	http GET /plans/basic
	[ "$status" = 200 ] && good=$((good + 1))
	i=$((i + 1))
done
check "socket on fd 0, -c 2 -m 5: 12 requests all answered 200" \
    test "$good" -eq 12
check "socket on fd 0: the parent keeps two children" \
    wait_until 50 _two_children
http GET /health
expect_body "socket on fd 0: GET /health" \
    '{"data":{"status":"ok"},"code":"ok"}'

done_testing
