-- post-relays.lua: wrk script for bench/run.sh case (f), POST /relays.
-- Every request creates a new relay, so each gets a subdomain no other
-- request of the run uses: <prefix>-<thread>-<counter>. The Authorization
-- header comes from wrk's -H option; the prefix from the environment
-- (or the script's first argument, after wrk's "--"):
--
--	BENCH_SUBDOMAIN_PREFIX=w1 wrk ... -H 'Authorization: Nostr ...' \
--	    -s post-relays.lua URL

local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads)
end

function init(args)
	prefix = os.getenv("BENCH_SUBDOMAIN_PREFIX") or args[1] or "bench"
	counter = 0
	wrk.method = "POST"
	wrk.path = "/relays"
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	counter = counter + 1
	local body = string.format(
	    '{"subdomain":"%s-%d-%d","plan":"free","info_name":"Bench relay"}',
	    prefix, tid, counter)
	return wrk.format(nil, nil, nil, body)
end
