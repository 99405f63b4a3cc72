-- wrk script: POST /api/message, one complete 100-word echo stream per request.
--
--   wrk -s stream.lua URL -- RUNID [validate|run] [BACKEND]
--
-- Each request carries a distinct conversation_id ("RUNID-THREAD-COUNTER"): a
-- conversation can stream one reply at a time (409 otherwise).
-- With "validate", every response is checked (200, exactly 100 chunk events, then
-- the end event) and done() prints "validate: good=N bad=M"; without it wrk does
-- not buffer bodies, so the throughput run measures the server, not Lua.
-- BACKEND (default echo) names the backend; any that answers with 100 chunks will do
-- (the proxied section points `openai` at a 100-event upstream).
--
--   wrk -s stream.lua URL -- RUNID [validate|run] openai-api MODEL KEY
--
-- speaks to an OpenAI-compatible proxy instead (LiteLLM in the proxied section): POST of
-- a streamed chat completion for MODEL with `Authorization: Bearer KEY`; validated as
-- 200, at least 100 `data: {` events, then `data: [DONE]`.

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_id", thread_count)
   table.insert(threads, thread)
end

function init(args)
   local words = {}
   for i = 1, 100 do words[i] = "word" .. i end
   local run_id = args[1] or "wrk"
   openai_api = args[3] == "openai-api"
   prefix = '{"message":"' .. table.concat(words, " ") ..
      '","backend":"' .. (args[3] or "echo") .. '","conversation_id":"' .. run_id .. '-' .. thread_id .. '-'
   headers = { ["Content-Type"] = "application/json" }
   if openai_api then
      headers["Authorization"] = "Bearer " .. args[5]
      openai_body = '{"model":"' .. args[4] .. '","stream":true,"messages":[{"role":"user","content":"hi"}]}'
   end
   counter = 0
   good = 0
   bad = 0
   first_bad = ""
   if args[2] == "validate" then
      response = function(status, _, body)
         local chunks, last, ok
         if openai_api then
            _, chunks = body:gsub("data: {", "")
            last = body:match("data: ([^\n]*)\n\n$") or ""
            ok = chunks >= 100 and last == "[DONE]"
         else
            _, chunks = body:gsub('data: {"chunk":', "")
            last = body:match('data: ({[^\n]*})\n\n$') or ""
            ok = chunks == 100 and last:find('"end":true', 1, true)
         end
         if status == 200 and ok then
            good = good + 1
         else
            bad = bad + 1
            if first_bad == "" then
               first_bad = "status " .. status .. ", " .. chunks .. " chunks, last event " .. last:sub(1, 120)
            end
         end
      end
   end
end

function request()
   if openai_api then return wrk.format("POST", nil, headers, openai_body) end
   counter = counter + 1
   return wrk.format("POST", "/api/message", headers, prefix .. counter .. '"}')
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
