-- bench/mixed.lua: wrk script for bench/run.sh's long run (issue
-- "Speed" §4): a child's memory over a million mixed requests. It sends,
-- in turn, each request listed in the file BENCH_MIXED_FILE, one per
-- line as METHOD<TAB>PATH<TAB>AUTHORIZATION ("-" for none), so reads,
-- authenticated reads, a long list, a page of the admin list and the
-- error paths (401, 404) all take their share.

local reqs = {}
local n, i = 0, 0

function init(args)
	local path = os.getenv("BENCH_MIXED_FILE")
	if path == nil then
		error("bench/mixed.lua: BENCH_MIXED_FILE is not set")
	end
	for line in io.lines(path) do
		local method, p, auth = line:match("^(%u+)\t(%S+)\t(.+)$")
		if method == nil then
			error("bench/mixed.lua: bad line: " .. line)
		end
		local headers = {}
		if auth ~= "-" then
			headers["Authorization"] = auth
		end
		n = n + 1
		reqs[n] = wrk.format(method, p, headers, nil)
	end
	if n == 0 then
		error("bench/mixed.lua: no request in " .. path)
	end
end

function request()
	i = i % n + 1
	return reqs[i]
end
