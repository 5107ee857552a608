-- wrk script for POST /api/tweets with a bearer token from $CHIRP_TOKEN.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
done = require("report").done

local token = os.getenv("CHIRP_TOKEN") or error("set CHIRP_TOKEN to a bearer token")
wrk.method = "POST"
wrk.path = "/api/tweets"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"text":"A benchmark tweet from wrk: short, like most of them."}'
