-- wrk script for GET /api/tweets?limit=20 (the path comes from the URL on the command line).
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
done = require("report").done
