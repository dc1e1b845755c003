-- webhook.lua: wrk script for bench/run.sh case (g), POST /stripe/webhook.
-- The requests are made beforehand by bench/stripe-bench.mjs
-- webhook-requests (signed invoice.updated events, each with its own id,
-- body, Stripe-Signature and Content-Type): thread N reads the file
-- $BENCH_WEBHOOK_EVENTS.N, records of "<bytes>\n<whole HTTP request>",
-- in init (before wrk starts its clock) and sends them in turn, each
-- once. Should a thread run out, it starts again from its first event
-- (Caravel answers a repeated id 200 with "duplicate": true and changes
-- nothing); done() prints how many were sent and how many were repeats,
-- which bench/run.sh reads back:
--
--	BENCH_WEBHOOK_EVENTS=DIR/events wrk ... -s webhook.lua URL

local nthreads = 0
local threads = {}

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

function init(args)
	local prefix = os.getenv("BENCH_WEBHOOK_EVENTS") or args[1]
	local f = assert(io.open(prefix .. "." .. tid, "rb"))
	local data = f:read("*a")
	f:close()
	reqs = {}
	local pos = 1
	while pos <= #data do
		local nl = assert(data:find("\n", pos, true), "bad events file")
		local len = assert(tonumber(data:sub(pos, nl - 1)), "bad length")
		reqs[#reqs + 1] = data:sub(nl + 1, nl + len)
		pos = nl + len + 1
	end
	assert(#reqs > 0, "no events for thread " .. tid)
	count = #reqs
	sent = 0
end

function request()
	sent = sent + 1
	return reqs[(sent - 1) % count + 1]
end

function done(summary, latency, requests)
	local s, c, rep = 0, 0, 0
	for _, t in ipairs(threads) do
		local ts, tc = t:get("sent"), t:get("count")
		s = s + ts
		c = c + tc
		if ts > tc then
			rep = rep + ts - tc
		end
	end
	io.write(string.format("webhook events: %d sent of %d made, %d repeated\n",
	    s, c, rep))
end
