-- wrk script: POST /v1/chat/completions with stream: true, one complete stream per
-- request, to an OpenAI-compatible proxy (LiteLLM in the proxied section).
--
--   wrk -s openai_stream.lua URL -- MODEL KEY [validate]
--
-- With "validate", every response is checked (200, at least 100 `data: {` events, then
-- `data: [DONE]`) and done() prints "validate: good=N bad=M".

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. (args[2] or "sk-bench")
   wrk.body = '{"model":"' .. (args[1] or "bench-1") .. '","stream":true,"messages":[{"role":"user","content":"hi"}]}'
   good = 0
   bad = 0
   first_bad = ""
   if args[3] == "validate" then
      response = function(status, _, body)
         local _, events = body:gsub("data: {", "")
         if status == 200 and events >= 100 and body:find("data: [DONE]", 1, true) then
            good = good + 1
         else
            bad = bad + 1
            if first_bad == "" then first_bad = "status " .. status .. ", " .. events .. " events" end
         end
      end
   end
end

function done(summary, latency, requests)
   local g, b, why = 0, 0, ""
   for _, t in ipairs(threads) do
      g = g + (t:get("good") or 0)
      b = b + (t:get("bad") or 0)
      local fb = t:get("first_bad")
      if fb and fb ~= "" and why == "" then why = fb end
   end
   if g + b > 0 then
      io.write(string.format("validate: good=%d bad=%d %s\n", g, b, why))
   end
end
