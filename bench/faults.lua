-- faults.lua: wrk script for bench/faults.sh: the API's routes mixed by
-- weight on every connection. FAULTS_MIX names the weights (default
-- below); each thread deals its requests from a shuffled deck of that
-- many cards, so every route comes up in turn, spread out:
--
--   plans    GET /plans
--   health   GET /health
--   tenant   GET /tenants/:pubkey          (NIP-98, the reader tenant)
--   relays   GET /tenants/:pubkey/relays   (NIP-98, its 100 relays)
--   create   POST /relays                  (NIP-98, the billing tenants in
--                                           turn; a new subdomain each,
--                                           each tenant's eighth, 16th...
--                                           on plan basic, the rest free)
--   update   PUT /relays/:id               (NIP-98, the reader's relays in
--                                           turn; a new info_name each,
--                                           one in eight also sets the
--                                           plan: basic and free in turn)
--   webhook  POST /stripe/webhook          (signed events, each sent once)
--
-- FAULTS_PLAN is the file bench/faults.mjs setup wrote (headers and ids);
-- FAULTS_EVENTS the prefix of the files bench/stripe-bench.mjs
-- webhook-requests wrote (thread N reads PREFIX.N, records of
-- "<bytes>\n<request>"). Each event's request line gets "?e=<event id>",
-- so nginx's log names the event of every answer; a thread that has sent
-- all its events deals GET /plans instead and counts it. FAULTS_OUT is a
-- prefix: thread N writes PREFIX.N with "C <relay id>" for each 201 (only
-- POST /relays answers 201), "E <status> <code>" for each 5xx, and
-- "M <event id> <invoice id>" for each event it loaded.

local nthreads = 0
local threads = {}

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

local DEFAULT_MIX =
    "plans=20,health=10,tenant=15,relays=10,create=5,update=10,webhook=30"

local function words(s)
	local t = {}
	for w in s:gmatch("%S+") do
		t[#t + 1] = w
	end
	return t
end

local function load_plan(path)
	local f = assert(io.open(path, "r"), "cannot open FAULTS_PLAN")
	for line in f:lines() do
		local w = words(line)
		if w[1] == "reader" then
			reader = w[2]
			get_tenant = wrk.format("GET", "/tenants/" .. w[2],
			    { Authorization = "Nostr " .. w[3] })
			get_relays = wrk.format("GET", "/tenants/" .. w[2] ..
			    "/relays", { Authorization = "Nostr " .. w[4] })
		elseif w[1] == "writer" then
			writers[#writers + 1] = "Nostr " .. w[3]
		elseif w[1] == "put" then
			puts[#puts + 1] = { id = w[2], auth = "Nostr " .. w[3] }
		end
	end
	f:close()
	assert(reader and #writers > 0 and #puts > 0, "bad FAULTS_PLAN")
end

local function load_events(path)
	local f = io.open(path, "rb")
	if f == nil then
		return
	end
	local data = f:read("*a")
	f:close()
	local pos = 1
	while pos <= #data do
		local nl = assert(data:find("\n", pos, true), "bad events file")
		local len = assert(tonumber(data:sub(pos, nl - 1)), "bad length")
		local req = data:sub(nl + 1, nl + len)
		pos = nl + len + 1
		local id = assert(req:match('\r\n\r\n{"id":"(evt_%w+)"'),
		    "no event id")
		local inv = req:match('"data":{"object":{"id":"(in_%w+)"') or "-"
		req = req:gsub("^POST /stripe/webhook HTTP/1.1",
		    "POST /stripe/webhook?e=" .. id .. " HTTP/1.1", 1)
		hooks[#hooks + 1] = req
		out:write("M ", id, " ", inv, "\n")
	end
end

-- A deck of the mix's cards, shuffled by a generator seeded with the
-- thread's number (the same deck every run).
local function deck(mix, seed)
	local cards = {}
	for name, w in mix:gmatch("(%a+)=(%d+)") do
		for _ = 1, tonumber(w) do
			cards[#cards + 1] = name
		end
	end
	assert(#cards > 0, "FAULTS_MIX has no weights")
	local x = seed
	for i = #cards, 2, -1 do
		x = x * 16807 % 2147483647
		local j = x % i + 1
		cards[i], cards[j] = cards[j], cards[i]
	end
	return cards
end

function init(args)
	writers, puts, hooks, made = {}, {}, {}, {}
	out = assert(io.open(os.getenv("FAULTS_OUT") .. "." .. tid, "w"))
	out:setvbuf("line")
	load_plan(os.getenv("FAULTS_PLAN"))
	load_events(os.getenv("FAULTS_EVENTS") .. "." .. tid)
	cards = deck(os.getenv("FAULTS_MIX") or DEFAULT_MIX, tid + 1)
	prefix = os.getenv("FAULTS_SUBDOMAIN_PREFIX") or "fl"
	get_plans = wrk.format("GET", "/plans")
	get_health = wrk.format("GET", "/health")
	n, created, updated, hook_next = 0, 0, 0, 1
	hooks_made, hooks_sent, hooks_short = #hooks, 0, 0
end

function request()
	n = n + 1
	local card = cards[(n - 1) % #cards + 1]
	if card == "webhook" then
		if hook_next <= #hooks then
			hook_next = hook_next + 1
			hooks_sent = hooks_sent + 1
			return hooks[hook_next - 1]
		end
		hooks_short = hooks_short + 1
		return get_plans
	elseif card == "plans" then
		return get_plans
	elseif card == "health" then
		return get_health
	elseif card == "tenant" then
		return get_tenant
	elseif card == "relays" then
		return get_relays
	elseif card == "create" then
		created = created + 1
		local w = (created - 1) % #writers + 1
		made[w] = (made[w] or 0) + 1
		local body = string.format(
		    '{"subdomain":"%s-%d-%d","plan":"%s","info_name":"Faults relay %d"}',
		    prefix, tid, created, made[w] % 8 == 0 and "basic" or "free",
		    created)
		return wrk.format("POST", "/relays", {
		    Authorization = writers[w],
		    ["Content-Type"] = "application/json" }, body)
	elseif card == "update" then
		updated = updated + 1
		local p = puts[(updated - 1) % #puts + 1]
		local plan = ""
		if updated % 8 == 0 then
			plan = string.format(',"plan":"%s"',
			    updated % 16 == 0 and "free" or "basic")
		end
		local body = string.format('{"info_name":"Updated %s %d"%s}',
		    prefix, updated, plan)
		return wrk.format("PUT", "/relays/" .. p.id, {
		    Authorization = p.auth,
		    ["Content-Type"] = "application/json" }, body)
	end
	error("unknown card " .. card)
end

function response(status, headers, body)
	if status == 201 then
		out:write("C ", body:match('"id":"(%x+)"') or "?", "\n")
	elseif status >= 500 then
		out:write("E ", status, " ",
		    body:match('"code":"([^"]*)"') or "-", "\n")
	end
end

function done(summary, latency, requests)
	local made, sent, short = 0, 0, 0
	for _, t in ipairs(threads) do
		made = made + t:get("hooks_made")
		sent = sent + t:get("hooks_sent")
		short = short + t:get("hooks_short")
	end
	io.write(string.format("faults: webhook events: %d sent of %d made, " ..
	    "%d webhook turns without an event left\n", sent, made, short))
end
