#!/usr/bin/env python3
"""Runnel's real-browser tests: headless Chromium (Selenium) against a live `runnel`.

    python3 Tests/Browser/run.py --binary .build/debug/runnel [-k substring] [-v]

The runner copies Frontend/ and Templates/ into a temporary root (tests edit files there
to exercise hot reload), starts the binary in dev mode with the fast mock backend on a
free port, and runs every test in a fresh browser (empty sessionStorage). Each test
ends by asserting the browser console holds no SEVERE entry. Waits are WebDriverWait
conditions only. Screenshots go to Tests/Browser/artifacts/ (gitignored); a failing
test leaves `fail-<name>.png` there too.

Requires /usr/bin/chromium, /usr/bin/chromedriver (Debian: chromium chromium-driver)
and the `selenium` package (PyPI).
"""

import argparse
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    JavascriptException,
    NoAlertPresentException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LISTENING = re.compile(r"runnel: listening on http://127\.0\.0\.1:(\d+)/")
POLL = 0.025  # WebDriverWait poll interval, seconds
# What Chromium logs while the hot-reload EventSource retries against a stopped server.
RELOAD_REFUSED = r"/__runnel/reload\b.*net::ERR_CONNECTION_REFUSED"


class TestFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


# ---- the server ------------------------------------------------------------------------

class Server:
    """`runnel` over a temporary copy of Frontend/ and Templates/."""

    def __init__(self, binary, args=None, env=None):
        """`args` replace the default backend options (mock, fast); `env` is added to ours."""
        self.args = args or ["--backend", "mock", "--mock-ttft-ms", "50", "--mock-delay-ms", "10"]
        self.env = {**os.environ, **(env or {})}
        self.binary = str(Path(binary).resolve())
        self.root = Path(tempfile.mkdtemp(prefix="runnel-browser-"))
        self.proc = None
        self.port = None
        self.output = []  # every line the server printed (stdout and stderr)
        self.lines = queue.Queue()

    def start(self, deadline_s=15.0):
        for folder in ("Frontend", "Templates"):
            shutil.copytree(REPO / folder, self.root / folder)
        try:
            self._spawn(["--port", "0"], deadline_s)
        except RuntimeError:
            self.stop()
            raise
        return self

    def restart(self, deadline_s=15.0):
        """Stops the process (SIGTERM, waits for it to exit) and starts a new one on the same
        port (--strict-port) over the same root; this handle then refers to the new process."""
        port = self.port
        status = self.halt()
        self.output.append(f"(browser tests: runnel exited with status {status}; restarting on port {port})")
        self.port = None
        try:
            self._spawn(["--port", str(port), "--strict-port"], deadline_s)
        finally:
            if self.port is None:
                self.port = port  # keep the URL meaningful for the report
        check(self.port == port, f"the restarted runnel listens on port {self.port}, not {port}")
        return status

    def _spawn(self, port_args, deadline_s):
        cmd = [self.binary, "--root", str(self.root), *port_args, *self.args, "--quiet"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=self.env,
                                     stderr=subprocess.STDOUT, text=True, errors="replace")
        self.lines = queue.Queue()  # this process's lines only
        threading.Thread(target=self._pump, args=(self.proc, self.lines), daemon=True).start()
        end = time.monotonic() + deadline_s
        while self.port is None:
            left = end - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self.lines.empty()):
                exited = self.proc.poll()
                self.halt()
                why = (f"exited with status {exited}" if exited is not None
                       else f"was stopped after {deadline_s:.0f} s")
                raise RuntimeError(f"runnel {why} without printing its listening line; its output:\n" + self.log())
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            if line is None:
                continue
            m = LISTENING.search(line)
            if m:
                self.port = int(m.group(1))

    def _pump(self, proc, lines):
        for line in proc.stdout:
            self.output.append(line.rstrip("\n"))
            lines.put(line)
        lines.put(None)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def path(self, relative):
        return self.root / relative

    def log(self, last=None):
        lines = self.output if last is None else self.output[-last:]
        return "\n".join(lines) or "(no output)"

    def halt(self):
        """Stops the process (SIGTERM, SIGKILL after 8 s) and keeps the root; its exit status."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode if self.proc else None

    def stop(self):
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)


# ---- the browser -----------------------------------------------------------------------

def new_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-features=Translate,OptimizationHints,MediaRouter"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(10)
    return driver


class Page:
    """Helpers over one browser tab showing the Runnel UI."""

    def __init__(self, driver, server):
        self.d = driver
        self.server = server

    # waiting
    def wait(self, condition, timeout=10, message=""):
        """WebDriverWait on `condition(driver)`; JS errors during a reload count as "not yet"."""
        return WebDriverWait(self.d, timeout, poll_frequency=POLL,
                             ignored_exceptions=(JavascriptException, StaleElementReferenceException)
                             ).until(condition, message)

    def wait_js(self, expression, timeout=10, message=""):
        return self.wait(lambda d: d.execute_script(f"return ({expression});"), timeout,
                         message or f"timed out waiting for: {expression}")

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    # navigation
    def open(self):
        """Loads the UI with empty storage (no conversations, default settings) and waits until the app is wired."""
        self.d.get(self.server.url)
        self.js("sessionStorage.clear(); localStorage.clear();")
        self.d.get(self.server.url)
        self.ready()

    def ready(self, timeout=10):
        self.wait_js("window.runnel && document.querySelectorAll('#backend option').length >= 2 "
                     "&& window.__runnelReload && window.__runnelReload.instance", timeout,
                     "the app (window.runnel, backends, hot-reload connection) never became ready")

    # elements
    def by_testid(self, testid):
        return self.d.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def input(self):
        return self.by_testid("message-input")

    def send(self, text):
        """Types `text` into the composer and clicks Send."""
        box = self.input()
        box.send_keys(text)
        self.wait(lambda d: self.by_testid("send-button").is_enabled(), 5, "Send never became enabled")
        self.by_testid("send-button").click()

    def choose_backend(self, name):
        """Picks backend `name` in the settings panel and closes it."""
        self.by_testid("open-settings").click()
        Select(self.by_testid("backend-select")).select_by_value(name)
        self.by_testid("settings-done").click()
        self.wait_js("!document.getElementById('settings').open", 5, "the settings panel did not close")

    def messages(self):
        """[{role, id, status, text}] for every message in the log, in order."""
        return self.js("""
            return [...document.querySelectorAll('#messages > article')].map((a) => ({
              role: a.dataset.role, id: a.dataset.id, status: a.dataset.status || null,
              text: (a.querySelector('.bubble, .body') || a).textContent,
            }));""")

    def last_assistant(self):
        return self.js("""
            const a = [...document.querySelectorAll('#messages > article.assistant')].pop();
            if (!a) return null;
            const body = a.querySelector('.body');
            const meta = a.querySelector('[data-testid="reply-meta"]');
            return { id: a.dataset.id, status: a.dataset.status, text: body ? body.textContent : '',
                     meta: meta ? meta.textContent : null };""")

    def wait_reply(self, status="done", timeout=15, count=None):
        """Waits until the last assistant message has `status` (and there are `count` of them)."""
        def cond(_):
            m = self.last_assistant()
            if count is not None and len([x for x in self.messages() if x["role"] == "assistant"]) != count:
                return False
            return m if m and m["status"] == status else False
        return self.wait(cond, timeout, f"the last reply never reached status {status!r}; now: {self.last_assistant()}")

    def wait_reloaded(self, timeout=10):
        """After `window.__marker = 1` was set: waits for a new document, then for the app."""
        self.wait_js("window.__marker === undefined && document.readyState === 'complete'", timeout,
                     "the page was not reloaded")
        self.ready(timeout)

    def console(self):
        return self.d.get_log("browser")


def shoot(page, name):
    """Saves a screenshot of the current viewport as artifacts/NAME."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.d.save_screenshot(str(ARTIFACTS / name))


def write_file(path, text):
    """Writes `text` in one call (one inotify burst, coalesced by the server)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---- the tests -------------------------------------------------------------------------

TESTS = []


def test(name, allow_failed_resources=False, allow_console=()):
    """Registers a test. `allow_console`: regexes; SEVERE console entries matching one are
    expected for this test (the final check ignores them)."""
    def register(fn):
        TESTS.append((name, fn, allow_failed_resources, tuple(re.compile(r) for r in allow_console)))
        return fn
    return register


@test("stream_is_progressive")
def stream_is_progressive(p):
    p.open()
    p.send("/long 300")
    lengths = []  # the streaming text's length at each poll while data-status is "streaming"

    def streamed_to_done(_):
        status, n = p.js("""
            const a = [...document.querySelectorAll('#messages > article.assistant')].pop();
            if (!a) return [null, 0];
            const s = a.querySelector('.stream');
            return [a.dataset.status, (s || a.querySelector('.body')).textContent.length];""")
        if status == "streaming":
            lengths.append(n)
        return status == "done"

    p.wait(streamed_to_done, 20, "the reply never reached data-status=done")
    growths = sum(1 for a, b in zip(lengths, lengths[1:]) if b > a)
    check(growths >= 2, f"the streaming text grew {growths} time(s) between polls (lengths seen: {lengths[:40]})")
    check(min(lengths) < max(lengths), f"lengths seen while streaming: {lengths[:40]}")
    full = p.js("return window.runnel.chat.messages.at(-1).text;")  # the end event's full_response
    shown = p.js("return [...document.querySelectorAll('#messages > article.assistant')].pop()"
                 ".querySelector('.body').innerText;")
    check(len(full.split()) == 300, f"the finished /long 300 reply has {len(full.split())} words")
    check(shown.split() == full.split(), "the rendered reply differs from the full response")
    check(len(full) >= max(lengths), "the final text is shorter than what streamed")
    check(p.by_testid("send-button").get_attribute("data-state") == "send", "the button did not turn back into Send")
    return f"{len(lengths)} streaming samples, grew {growths} times"



@test("first_chunk_paint")
def first_chunk_paint(p):
    # app.js records, for each reply's first chunk, performance.now() when the event is
    # handled and again in a task queued from the next requestAnimationFrame (it runs once
    # that frame, the one showing the appended text, has been painted).
    p.open()
    check(p.js("return window.runnel.metrics.firstChunkPaintMs;") is None, "a paint time before any reply")
    p.send("How fast does the first chunk show?")
    m = p.wait_reply("done")
    check(m["text"].strip(), "the reply is empty")
    ms = p.wait(lambda d: (v := p.js("return window.runnel.metrics.firstChunkPaintMs;")) is not None and [v], 5,
                "window.runnel.metrics.firstChunkPaintMs was never set")[0]
    check(isinstance(ms, (int, float)) and 0 <= ms <= 50, f"the first chunk was painted {ms} ms after it arrived")
    return f"first chunk painted {ms:.1f} ms after it arrived"


@test("long_reply_no_jank")
def long_reply_no_jank(p):
    p.open()
    # Some history first (markdown, code, a JSON panel), so re-rendering it per chunk would cost.
    p.send("How do I test a streaming parser?")
    p.wait_reply("done", count=1)
    p.send("/help")
    p.wait_reply("done", count=2)
    # Long tasks (> 50 ms of main thread work) from here on; takeRecords() picks up the
    # entries not yet delivered when we read them.
    p.js("""window.__longTasks = [];
            const o = new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); });
            o.observe({ type: 'longtask', buffered: false });
            window.__longTaskObserver = o;
            setTimeout(() => { const t = performance.now(); while (performance.now() - t < 120); });""")
    # A deliberate 120 ms busy loop proves the observer reports long tasks here (else 0 would prove nothing).
    p.wait_js("window.__longTasks.length > 0", 5, "the longtask observer missed a deliberate 120 ms busy loop")
    p.js("window.__longTasks = [];")
    p.send("/long 2000")
    p.wait_reply("streaming", 10, count=3)
    # The earlier messages must stay untouched while the reply streams: same nodes, no mutations.
    p.js("""const old = [...document.querySelectorAll('#messages > article')].slice(0, 4);
            window.__history = { old, mutations: 0 };
            const mo = new MutationObserver((r) => { window.__history.mutations += r.length; });
            for (const a of old) mo.observe(a, { childList: true, subtree: true, characterData: true, attributes: true });""")
    p.wait_js("document.querySelector('#messages > article:last-child').dataset.status === 'done'", 120,
              "the /long 2000 reply never reached data-status=done")
    # Let the final markdown render be painted before reading the long tasks.
    p.js("window.__painted = false; requestAnimationFrame(() => setTimeout(() => { window.__painted = true; }));")
    p.wait_js("window.__painted", 5, "no frame after the reply finished")
    tasks = p.js("""const o = window.__longTaskObserver;
                    for (const e of o.takeRecords()) window.__longTasks.push(e.duration);
                    o.disconnect();
                    return window.__longTasks;""")
    history = p.js("return { kept: window.__history.old.every((a) => a.isConnected), n: window.__history.old.length,"
                   " mutations: window.__history.mutations };")
    words = p.js("""const body = [...document.querySelectorAll('#messages > article.assistant')].pop().querySelector('.body');
                    return [window.runnel.chat.messages.at(-1).text.split(/\s+/).filter(Boolean).length,
                            body.innerText.split(/\s+/).filter(Boolean).length];""")
    worst = max(tasks, default=0)
    check(history["n"] == 4 and history["kept"] and history["mutations"] == 0,
          f"the history was re-rendered while streaming: {history}")
    check(words == [2000, 2000], f"the final reply has {words[0]} words (rendered: {words[1]}), not 2000")
    check(worst <= 100, f"a long task took {worst:.0f} ms (all: {[round(t) for t in tasks]})")
    return f"{len(tasks)} long tasks > 50 ms, max {worst:.0f} ms"

@test("markdown_code_json_meta")
def markdown_code_json_meta(p):
    p.open()
    p.d.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": p.server.url.rstrip("/"), "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    p.send("How do I test a streaming parser?")
    p.wait_reply("done")
    info = p.js("""
        const a = [...document.querySelectorAll('#messages > article.assistant')].pop();
        const blocks = [...a.querySelectorAll('.code-block')].map((b) => ({
          lang: b.querySelector('.code-lang').textContent, code: b.querySelector('pre code').textContent,
          copy: !!b.querySelector('[data-testid="code-copy"]') }));
        const panel = a.querySelector('[data-testid="json-panel"]');
        return { blocks, panel: panel && panel.querySelector('pre code').textContent,
                 panelTag: panel && panel.tagName, meta: a.querySelector('[data-testid="reply-meta"]').textContent,
                 headings: a.querySelectorAll('.body h1, .body h2, .body h3').length,
                 lists: a.querySelectorAll('.body ul li, .body ol li').length,
                 strong: a.querySelectorAll('.body strong').length,
                 rawFence: a.querySelector('.body').textContent.includes('```') };""")
    swift = [b for b in info["blocks"] if b["lang"] == "swift"]
    check(swift and swift[0]["copy"], f"no swift code block with a Copy button: {info['blocks']}")
    check(all(b["copy"] for b in info["blocks"]), "a code block without a Copy button")
    check(not info["rawFence"], "raw ``` fences are visible in the rendered reply")
    check(info["headings"] >= 1 and info["lists"] >= 2 and info["strong"] >= 1,
          f"markdown not rendered (headings {info['headings']}, list items {info['lists']}, strong {info['strong']})")
    panel = info["panel"]
    check(panel is not None, "no JSON panel (data-testid=json-panel)")
    value = json.loads(panel)
    check(value.get("backend") == "mock" and value.get("turn") == 1, f"unexpected JSON data: {value}")
    check(panel == json.dumps(value, indent=2, ensure_ascii=False),
          f"the JSON panel is not pretty-printed with 2 spaces:\n{panel}")
    meta = info["meta"]
    check(re.search(r"first token \d+ ms", meta) and re.search(r"[\d.]+ (tok|chars)/s", meta)
          and "mock" in meta, f"reply meta lacks backend/first-token/speed: {meta!r}")

    # The JSON panel opens, and Copy puts the code on the clipboard.
    p.d.find_element(By.CSS_SELECTOR, '#messages [data-testid="json-panel"] summary').click()
    p.wait_js("document.querySelector('#messages [data-testid=\"json-panel\"]').open", 5, "the JSON panel did not open")
    button = p.d.find_element(By.CSS_SELECTOR, '#messages [data-testid="code-copy"]')
    button.click()
    p.wait(lambda d: button.text == "Copied", 5, f"Copy did not say Copied (says {button.text!r})")
    clip = p.d.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('ERR ' + e));")
    check(clip == swift[0]["code"], f"the clipboard holds {clip[:80]!r}, not the code block")
    p.wait(lambda d: button.text == "Copy", 5, "the Copy label never came back")
    return meta


@test("thinking_streams_then_folds")
def thinking_streams_then_folds(p):
    p.d.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": p.server.url.rstrip("/"), "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    p.open()
    # Each frame, what the last reply's Thinking block shows: open?, its text's length, the
    # answer's length, the summary.
    p.js("""window.__think = [];
            const tick = () => {
              const t = document.querySelector('#messages article:last-of-type [data-testid="thinking"]');
              if (t) window.__think.push([t.open, t.querySelector('.thinking-body').textContent.length,
                                          t.closest('article').querySelector('.body').textContent.length,
                                          t.querySelector('summary').textContent]);
              if (window.__think.length < 20000) requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);""")
    p.send("/think hello there")
    m = p.wait_reply("done")
    frames = p.js("return window.__think;")
    live = [f for f in frames if f[0] and f[2] == 0]
    check(len({f[1] for f in live}) >= 2, f"the thinking did not stream open before the answer: {frames[:5]}")
    check(all(f[3] == "Thinking…" for f in live), f"the summary while thinking: {live[:3]}")
    last = frames[-1]
    check(not last[0] and last[2] > 0, f"the thinking did not fold away once the answer came: {last}")
    check(re.fullmatch(r"Thought for [\d.]+ (ms|s)", last[3]), f"the summary does not say how long: {last[3]!r}")
    # Copy takes the answer only.
    button = p.d.find_element(By.CSS_SELECTOR, '#messages article:last-of-type [data-action="copy"]')
    button.click()
    p.wait(lambda d: button.text == "Copied", 5, f"Copy did not say Copied (says {button.text!r})")
    clip = p.d.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('ERR ' + e));")
    check("The user asks about" not in clip and "hello there" in clip,
          f"Copy included the thinking or missed the answer: {clip[:120]!r}")
    return last[3]


RENDER_WHOLE = """
    const [text, done] = [arguments[0], arguments[arguments.length - 1]];
    import('/markdown.js').then((m) => { const d = document.createElement('div'); d.append(m.toDOM(text)); done(d.innerHTML); });"""


@test("markdown_renders_while_streaming")
def markdown_renders_while_streaming(p):
    p.open()
    p.send("a table, a list and python code")
    seen = {"samples": 0, "raw": [], "table": False, "code": False, "shot": False}

    def sample(_):
        r = p.js("""
            const a = [...document.querySelectorAll('#messages > article.assistant')].pop();
            if (!a) return null;
            const body = a.querySelector('.body');
            const first = body.firstElementChild;
            if (first && !window.__first) window.__first = first;  // the first block, once rendered
            return { status: a.dataset.status, text: body.innerText,
                     table: !!body.querySelector('table'), code: !!body.querySelector('.code-block .t-k') };""")
        if not r or r["status"] != "streaming":
            return r and r["status"] == "done"
        seen["samples"] += 1
        for raw in ("```", "|---", "|:--", "**", "]("):
            if raw in r["text"]:
                seen["raw"].append((raw, r["text"][-80:]))
        seen["table"] |= r["table"]
        seen["code"] |= r["code"]
        if r["table"] and r["code"] and not seen["shot"]:
            shoot(p, "streaming.png")  # mid-reply: the table and the highlighted code already rendered
            seen["shot"] = True
        return False

    p.wait(sample, 60, "the reply never finished")
    check(seen["samples"] >= 10, f"only {seen['samples']} samples while streaming")
    check(not seen["raw"], f"raw markdown showed while streaming: {seen['raw'][:3]}")
    check(seen["table"] and seen["code"], f"no table or highlighted code while streaming: {seen}")
    r = p.js("""const body = [...document.querySelectorAll('#messages > article.assistant')].pop().querySelector('.body');
                return { kept: window.__first && window.__first.isConnected && body.firstElementChild === window.__first,
                         html: body.innerHTML, text: window.runnel.chat.messages.at(-1).text };""")
    check(r["kept"], "the first block was re-rendered: finished blocks must stay the same nodes")
    whole = p.d.execute_async_script(RENDER_WHOLE, r["text"])
    check(r["html"] == whole, "the streamed DOM differs from rendering the whole reply at once")
    return f"{seen['samples']} samples while streaming, no raw syntax; final DOM equals the whole render"


@test("code_highlighting_and_wrap")
def code_highlighting_and_wrap(p):
    p.open()
    for n, message in enumerate(("a diff example", "Write a python function that reverses words"), 1):
        p.send(message)
        p.wait_reply("done", count=n)
    info = p.js("""
        const blocks = [...document.querySelectorAll('#messages .code-block')];
        return blocks.map((b) => ({ lang: b.querySelector('.code-lang').textContent,
          classes: [...new Set([...b.querySelectorAll('code span')].map((s) => s.className))].sort() }));""")
    langs = {b["lang"]: b["classes"] for b in info}
    check({"t-i", "t-d", "t-m"} <= set(langs.get("diff", [])), f"diff not highlighted: {langs}")
    check({"t-k", "t-s", "t-c"} <= set(langs.get("python", [])), f"python not highlighted: {langs}")
    # Light and dark: the keyword colour differs and stays readable on the block.
    colors = {}
    for scheme in ("light", "dark"):
        p.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        p.wait_js(f"matchMedia('(prefers-color-scheme: {scheme})').matches", 5)
        colors[scheme] = p.js("return getComputedStyle(document.querySelector('.code-block .t-k')).color;")
        p.js("document.querySelectorAll('.code-block')[1].scrollIntoView({ block: 'center' });")
        shoot(p, f"code-{scheme}.png")
    check(colors["light"] != colors["dark"], f"the same keyword colour in both themes: {colors}")
    p.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    # A line longer than the block scrolls inside it; Wrap folds it.
    p.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 480, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    p.wait_js("innerWidth === 480", 5)
    sizes = "const pre = document.querySelectorAll('.code-block pre')[1]; return [pre.scrollWidth, pre.clientWidth];"
    wide, box = p.js(sizes)
    check(wide > box, f"the long line does not scroll inside the block ({wide} vs {box})")
    check(p.js("return document.documentElement.scrollWidth <= innerWidth;"), "the page scrolls sideways")
    wrap = p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="code-wrap"]')[1]
    wrap.click()
    p.wait(lambda d: p.js(sizes)[0] <= p.js(sizes)[1], 5, "Wrap did not fold the long line")
    check(wrap.get_attribute("aria-pressed") == "true", "Wrap does not say it is on")
    wrap.click()
    p.wait(lambda d: p.js(sizes)[0] > p.js(sizes)[1], 5, "Wrap did not unfold")
    return f"keyword colour {colors['light']} / {colors['dark']}"


@test("html_is_text_not_markup")
def html_is_text_not_markup(p):
    p.open()
    # The mock's /html payload is `<img src=x onerror=alert(1)>`, `<script>alert(1)</script>`,
    # a javascript: link and <b> (see the built-in scenario `html`, CommandScenarios.swift). It sets no global of its own, so
    # the detectable global is our recorder behind alert/confirm/prompt.
    p.js("""window.__alerts = [];
            for (const f of ['alert', 'confirm', 'prompt']) window[f] = (...a) => { window.__alerts.push([f, ...a]); };""")
    p.send("/html")
    p.wait_reply("done")
    try:
        alert = p.d.switch_to.alert
        text = alert.text
        alert.dismiss()
        raise TestFailure(f"a native dialog opened: {text!r}")
    except NoAlertPresentException:
        pass
    r = p.js("""
        const log = document.getElementById('messages');
        const body = [...log.querySelectorAll('article.assistant')].pop().querySelector('.body');
        return { alerts: window.__alerts, injected: log.querySelectorAll('img, script, b, iframe, [onerror]').length,
                 links: [...log.querySelectorAll('a')].map((a) => a.getAttribute('href')),
                 text: body.innerText, codes: [...body.querySelectorAll('pre code')].map((c) => c.textContent) };""")
    check(r["alerts"] == [], f"the payload ran: {r['alerts']}")
    check(r["injected"] == 0, f"{r['injected']} element(s) from the payload were created inside #messages")
    check(all(h and re.match(r"^(https?:|mailto:)", h) for h in r["links"]), f"unsafe links: {r['links']}")
    for needle in ("<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "<b>bold?</b>",
                   "&lt;b&gt;not bold&lt;/b&gt;"):
        check(needle in r["text"], f"{needle!r} is not shown as text; visible text:\n{r['text']}")
    check(any('<script>alert("from a code block")</script>' in c for c in r["codes"]),
          f"the html code block is not shown verbatim: {r['codes']}")


@test("stop_halts_the_stream")
def stop_halts_the_stream(p):
    p.open()
    p.send("/long 2000")
    p.wait(lambda d: (m := p.last_assistant()) and m["status"] == "streaming" and len(m["text"]) > 40, 10,
           "the /long 2000 reply never started streaming")
    stop = p.by_testid("stop-button")
    check(stop.get_attribute("data-state") == "stop", "the button is not in the stop state while streaming")
    stop.click()
    m = p.wait_reply("stopped", 5)
    note = p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="stopped"]')
    check(note and note[0].text == "Stopped", "no Stopped note")
    check(p.by_testid("send-button").get_attribute("data-state") == "send", "the button did not turn back into Send")
    shoot(p, "stopped.png")

    class Unchanged:
        """True once the reply's text has kept the same length for `hold` seconds."""
        def __init__(self, hold):
            self.hold, self.value, self.since = hold, None, None

        def __call__(self, _):
            n = len(p.last_assistant()["text"])
            now = time.monotonic()
            if n != self.value:
                self.value, self.since = n, now
            return now - self.since >= self.hold

    stable = Unchanged(0.6)  # the mock sends a token every 10 ms: 0.6 s is ~60 missed tokens
    p.wait(stable, 5, "the interrupted reply kept changing")
    words = len(p.last_assistant()["text"].split())
    check(stable.value >= len(m["text"]) and words < 2000, f"the stream was not stopped ({words} words)")

    p.send("after stop")
    p.wait_reply("done", 15, count=2)
    msgs = p.messages()
    check([x["role"] for x in msgs] == ["user", "assistant", "user", "assistant"], f"roles: {msgs}")
    check(msgs[1]["status"] == "stopped" and len(msgs[1]["text"]) == stable.value,
          "the stopped reply changed after the next message")
    check("after stop" in msgs[3]["text"], "the reply after Stop does not quote its message")
    return f"stopped after {words} of 2000 words"


@test("error_and_retry")
def error_and_retry(p):
    p.open()
    p.js("""window.__posts = [];
            const f = window.fetch;
            window.fetch = (url, init) => { if (String(url).includes('/api/message')) window.__posts.push(JSON.parse(init.body)); return f(url, init); };""")
    p.send("/error")
    first = p.wait_reply("error")
    err = p.d.find_element(By.CSS_SELECTOR, '#messages [data-testid="error"]')
    check("upstream_unavailable" in err.text and "injected" in err.text, f"error text: {err.text!r}")
    check(err.get_attribute("role") == "alert", "the error is not announced (role=alert)")

    # Retry against the mock: /error fails again, so a fresh reply in error state replaces the old one.
    p.by_testid("retry-button").click()
    p.wait(lambda d: (m := p.last_assistant()) and m["id"] != first["id"] and m["status"] == "error", 10,
           "Retry did not produce a fresh reply in error state")
    posts = p.js("return window.__posts;")
    check(len(posts) == 2 and posts[0]["message"] == posts[1]["message"] == "/error",
          f"Retry did not resend the same message: {posts}")
    check(posts[0]["conversation_id"] == posts[1]["conversation_id"], "Retry changed the conversation")
    msgs = p.messages()
    check([x["role"] for x in msgs] == ["user", "assistant"], f"stale or duplicated messages after Retry: {msgs}")
    check(len(p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="error"]')) == 1, "more than one error shown")
    check(len(p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="retry-button"]')) == 1, "Retry missing")
    check(not p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="regenerate-button"]'),
          "a failed reply offers both Retry and Regenerate")
    shoot(p, "error.png")

    # Retry once the cause is gone (here: another backend) replaces the error with a reply.
    p.choose_backend("echo")
    p.by_testid("retry-button").click()
    done = p.wait_reply("done")
    msgs = p.messages()
    check([x["role"] for x in msgs] == ["user", "assistant"], f"messages after the successful Retry: {msgs}")
    check(done["text"].strip() == "/error", f"the echo reply is {done['text']!r}")
    check(not p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="error"]'), "the old error is still shown")
    check(len(p.js("return window.__posts;")) == 3, "the second Retry made no request")

    # The UI stays usable.
    p.send("still here")
    m = p.wait_reply("done", count=2)
    check(m["text"].strip() == "still here", f"next reply: {m['text']!r}")


@test("mock_stress_scenarios")
def mock_stress_scenarios(p):
    """The mock's built-in stress scenarios (README "Mock scenarios") render without errors."""
    p.open()
    last = "const a = [...document.querySelectorAll('#messages > article.assistant')].pop(); const body = a.querySelector('.body');"
    # An unclosed code fence: the rest of the reply is code, shown as a code block.
    p.send("/fence")
    p.wait_reply("done", count=1)
    code = p.js(last + "const c = body.querySelector('pre code'); return c ? c.textContent : null;")
    check(code and "def stream(chunks):" in code and 'print(list(stream(["a", "b"])))' in code,
          f"the unclosed fence is not one code block to the end: {code!r}")
    # A table of 24 columns scrolls inside its wrapper; the page does not scroll sideways.
    p.send("/wide-table")
    p.wait_reply("done", count=2)
    t = p.js(last + """const table = body.querySelector('table'); const wrap = table && table.closest('.table-wrap');
        return table && { columns: table.querySelectorAll('thead th').length, rows: table.querySelectorAll('tbody tr').length,
                          scrolls: !!wrap && wrap.scrollWidth > wrap.clientWidth,
                          page: document.documentElement.scrollWidth <= innerWidth };""")
    check(t and t["columns"] == 24 and t["rows"] == 8, f"the wide table: {t}")
    check(t["scrolls"] and t["page"], f"the wide table must scroll inside its wrapper, not the page: {t}")
    shoot(p, "stress-wide-table.png")
    # Emoji, CJK and right-to-left text arrive intact (no split surrogate or broken sequence).
    p.send("/unicode")
    p.wait_reply("done", count=3)
    text = p.js(last + "return body.textContent;")
    for sample in ("👨‍👩‍👧‍👦", "👍🏽", "🇯🇵", "流式传输让用户更快看到回复的第一个字。", "ストリーミング", "스트리밍은",
                   "البث المباشر يعرض الرد كلمة بكلمة.", "הזרמה מציגה את התשובה מילה אחר מילה.", "Z̷a̸l̵g̶o̴"):
        check(sample in text, f"{sample!r} is not shown intact")
    check("\ufffd" not in text, "a replacement character: a sequence was split")
    check(p.js("return document.documentElement.scrollWidth <= innerWidth;"), "the page scrolls sideways")
    shoot(p, "stress-unicode.png")
    # A malformed frame: the reply ends in an error that says so, and the page goes on.
    p.send("/malformed")
    p.wait_reply("error", count=4)
    err = p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="error"]')
    check(err and "invalid_event" in err[-1].text, f"the malformed frame's error: {[e.text for e in err]}")
    p.send("still here")
    m = p.wait_reply("done", count=5)
    check("still here" in m["text"], f"the reply after the stress cases: {m['text'][:80]!r}")


@test("mock_fault_scenarios", allow_console=(r"ERR_INCOMPLETE_CHUNKED_ENCODING", r"/api/message - Failed to load resource: the server responded with a status of 429"))
def mock_fault_scenarios(p):
    """The mock's built-in faults (README "Mock scenarios") as the page shows them."""
    p.open()
    # Refused before any stream: the status's error, and Retry offered.
    p.send("/429")
    p.wait_reply("error", count=1)
    err = p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="error"]')
    check(err and "upstream_rate_limited" in err[-1].text, f"the 429's error: {[e.text for e in err]}")
    # The connection dropped mid-reply: the partial text stays, marked as failed.
    p.send("/drop")
    m = p.wait_reply("error", count=2)
    check(len(m["text"].split()) >= 5, f"the text before the drop is kept: {m['text']!r}")
    err = p.d.find_elements(By.CSS_SELECTOR, '#messages [data-testid="error"]')
    check(len(err) == 2, f"the drop shows no error: {[e.text for e in err]}")
    check("dropped before the reply finished" in err[-1].text, f"a cut stream is not an unreachable server: {err[-1].text!r}")
    shoot(p, "fault-drop.png")
    p.send("still here")
    m = p.wait_reply("done", count=3)
    check("still here" in m["text"], f"the reply after the faults: {m['text'][:80]!r}")
    return err[-1].text


@test("backend_picker_echo")
def backend_picker_echo(p):
    p.open()
    picker = Select(p.by_testid("backend-select"))
    options = [o.get_attribute("value") for o in picker.options]
    check({"mock", "echo"} <= set(options), f"backend options: {options}")
    check(picker.first_selected_option.get_attribute("value") == "mock", "mock is not the default")
    p.choose_backend("echo")
    p.send("hello browser")
    m = p.wait_reply("done")
    check(m["text"] == "hello browser", f"the echo reply is {m['text']!r}")
    check(m["meta"] and m["meta"].split(" · ")[0] == "echo", f"the meta does not name echo: {m['meta']!r}")
    # The choice is a setting: it survives a reload.
    p.js("window.__marker = 1; location.reload();")
    p.wait_reloaded()
    check(Select(p.by_testid("backend-select")).first_selected_option.get_attribute("value") == "echo",
          "the backend choice was lost on reload")
    return m["meta"]


@test("css_edit_hot_swaps")
def css_edit_hot_swaps(p):
    css = p.server.path("Frontend/style.css")
    original = css.read_text(encoding="utf-8")
    p.open()
    p.send("before the css edit")
    p.wait_reply("done")
    before = p.messages()
    color = "return getComputedStyle(document.body).outlineColor;"
    check(p.js(color) != "rgb(1, 2, 3)", "the marker colour is already set")
    p.js("window.__marker = 1;")
    try:
        write_file(css, original + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n")
        p.wait(lambda d: p.js(color) == "rgb(1, 2, 3)", 10, "the edited stylesheet never applied")
        check(p.js("return window.__marker;") == 1, "the page reloaded on a CSS edit")
        check(p.messages() == before, "the conversation changed during the CSS swap")
        p.wait_js("document.querySelectorAll('link[rel=stylesheet]').length === 1", 5, "the old stylesheet stayed")
        check(p.js("return document.activeElement && document.activeElement.id") == "input",
              "the CSS swap took the focus away from the composer")
    finally:
        write_file(css, original)
    p.wait(lambda d: p.js(color) != "rgb(1, 2, 3)", 10, "restoring the stylesheet did not apply")
    check(p.js("return window.__marker;") == 1, "the page reloaded when the CSS was restored")


@test("js_edit_reloads_and_restores_chat")
def js_edit_reloads_and_restores_chat(p):
    js = p.server.path("Frontend/app.js")
    original = js.read_text(encoding="utf-8")
    p.open()
    p.send("remember me across reloads")
    p.wait_reply("done")
    before = p.messages()
    html_before = p.js("return document.getElementById('messages').innerHTML;")
    p.js("window.__marker = 1;")
    try:
        write_file(js, original + "\n// touched by the browser tests\n")
        p.wait_reloaded()
        after = p.messages()
        check(after == before, f"the conversation was not restored:\nbefore {before}\nafter  {after}")
        check(p.js("return document.getElementById('messages').innerHTML;") == html_before,
              "the restored messages render differently")
        check(p.js("return document.getElementById('empty').hidden;"), "the empty state shows over a restored chat")
        # The restored conversation continues on the server: turn 2 quotes turn 1.
        p.send("and now?")
        m = p.wait_reply("done", count=2)
        check("remember me across reloads" in m["text"], "the server did not continue the same conversation")
    finally:
        p.js("window.__marker = 1;")
        write_file(js, original)
    p.wait_reloaded()


def broken_template(p, bad_line):
    """index.html with `bad_line` right after <body>: (its text, the line number, the original)."""
    tpl = p.server.path("Templates/index.html")
    original = tpl.read_text(encoding="utf-8")
    lines = original.split("\n")
    at = lines.index("<body>") + 1
    return "\n".join(lines[:at] + [bad_line] + lines[at:]), at + 1, original


def wait_overlay(p):
    return p.wait(lambda d: (o := d.find_elements(By.ID, "runnel-error-overlay")) and o[0].is_displayed() and o[0],
                  10, "no error overlay after breaking the template")


@test("template_error_overlay")
def template_error_overlay(p):
    tpl = p.server.path("Templates/index.html")
    broken, line_no, original = broken_template(p, "<p>{{nope}}</p>")
    p.open()
    p.choose_backend("echo")
    p.send("survive the template error")
    p.wait_reply("done")
    before = p.messages()
    p.js("window.__marker = 1;")
    try:
        write_file(tpl, broken)
        text = wait_overlay(p).text
        check("index.html" in text and re.search(rf"\b{line_no}\b", text) and "nope" in text,
              f"the overlay does not name index.html, line {line_no} and the name: {text!r}")
        check(p.js("return window.__marker;") == 1, "the page reloaded onto the broken template")
    finally:
        write_file(tpl, original)
    p.wait_reloaded()
    check(not p.d.find_elements(By.ID, "runnel-error-overlay"), "the overlay stayed after the fix")
    check(p.messages() == before, "the conversation was lost across the template error")


@test("template_error_overlay_unclosed_brace")
def template_error_overlay_unclosed_brace(p):
    tpl = p.server.path("Templates/index.html")
    broken, line_no, original = broken_template(p, "  <p>{{nope</p>")
    p.open()
    p.js("window.__marker = 1;")
    try:
        write_file(tpl, broken)
        overlay = wait_overlay(p)
        text = overlay.text
        check(f"Templates/index.html:{line_no}:6" in text, f"the overlay does not say index.html:{line_no}:6: {text!r}")
        check("never closed" in text, f"the overlay does not say what is wrong: {text!r}")
        check(f"{line_no} |   <p>{{{{nope</p>" in text, f"the overlay does not quote the line: {text!r}")
        caret = [l for l in text.split("\n") if l.strip().endswith("^")]
        source = [l for l in text.split("\n") if "<p>{{nope" in l]
        check(caret and source and caret[0].index("^") == source[0].index("{{"), f"the caret is not under '{{{{': {text!r}")
        check("<div class" not in text and len(text.split("\n")) <= 8, f"the overlay quotes more than the line: {text!r}")
        # A solid panel: its background is opaque, and its text contrasts with it.
        bg = p.js("return getComputedStyle(arguments[0].firstElementChild).backgroundColor;", overlay)
        check(bg.startswith("rgb(") , f"the panel is translucent: {bg}")
        shoot(p, "error-overlay.png")
        check(p.js("return window.__marker;") == 1, "the page reloaded onto the broken template")
    finally:
        write_file(tpl, original)
    p.wait_reloaded()
    check(not p.d.find_elements(By.ID, "runnel-error-overlay"), "the overlay stayed after the fix")


@test("template_error_page_reloads_when_fixed",
      allow_console=(r"/ - Failed to load resource: the server responded with a status of 500",
                     r"/favicon.ico - Failed to load resource"))  # the error page names no icon
def template_error_page_reloads_when_fixed(p):
    """A tab opened on `/` while its template is broken gets the error page (README
    "Errors"): the message, escaped, and the hot-reload client, so it turns back into the
    chat by itself once the template is fixed."""
    tpl = p.server.path("Templates/index.html")
    broken, line_no, original = broken_template(p, "<p>{{nope}}</p>")
    p.open()
    try:
        write_file(tpl, broken)
        wait_overlay(p)  # the server has seen the broken template
        p.d.get(p.server.url)
        text = p.d.find_element(By.TAG_NAME, "pre").text
        check("template error" in text and f"Templates/index.html:{line_no}" in text and "<p>{{nope}}</p>" in text,
              f"the error page does not say where and what: {text!r}")
        p.wait_js("window.__runnelReload && window.__runnelReload.instance", 10,
                  "the error page's hot-reload client never connected")
        p.js("window.__marker = 1;")
    finally:
        write_file(tpl, original)
    p.wait_reloaded()  # the chat app is back
    check("template error" not in p.d.find_element(By.TAG_NAME, "body").text, "the error page stayed after the fix")


@test("screenshots")
def screenshots(p):
    ARTIFACTS.mkdir(exist_ok=True)
    metrics = {"desktop": {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
               "phone": {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}}
    p.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics["desktop"])
    p.open()
    p.d.save_screenshot(str(ARTIFACTS / "empty.png"))
    # An example prompt from the empty state (the mock answers it with Swift code), then a
    # message whose reply is longer than the screen: a table, a list and code.
    p.d.find_element(By.CSS_SELECTOR, '#empty button[data-prompt^="Write a Swift"]').click()
    p.wait_reply("done")
    p.send("Compare the backends in a table, list the steps, and show them in rust code")
    p.wait_reply("done", count=2)
    p.wait_js("!document.querySelector('.jump') || document.querySelector('.jump').hidden", 5, "not scrolled to the end")
    saved = []
    for scheme in ("light", "dark"):
        p.d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        p.wait_js(f"matchMedia('(prefers-color-scheme: {scheme})').matches", 5)
        for name, m in metrics.items():
            p.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", m)
            p.wait_js(f"innerWidth === {m['width']}", 5, f"the viewport did not become {m['width']} wide")
            # Layout sanity: nothing wider than the viewport, composer inside the view.
            overflow = p.js("return document.documentElement.scrollWidth - innerWidth;")
            check(overflow <= 0, f"{name}/{scheme}: the page scrolls sideways by {overflow}px")
            box = p.js("const r = document.getElementById('composer').getBoundingClientRect();"
                       "return [r.top, r.bottom, innerHeight];")
            check(0 < box[0] and box[1] <= box[2] + 0.5, f"{name}/{scheme}: the composer is off screen {box}")
            # Follow the end of the reply after the resize, as a reader would see it.
            p.js("const s = document.getElementById('scroller'); s.scrollTop = s.scrollHeight;")
            p.wait_js("(() => { const s = document.getElementById('scroller');"
                      " return s.scrollHeight - s.scrollTop - s.clientHeight < 2; })()", 5)
            file = f"{name}.png" if scheme == "light" else f"{name}-dark.png"
            p.d.save_screenshot(str(ARTIFACTS / file))
            saved.append(file)
    # The start of the conversation too: the user's bubble and the reply's heading.
    p.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    p.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics["desktop"])
    p.wait_js("innerWidth === 1280", 5)
    p.js("document.getElementById('scroller').scrollTop = 0;")
    p.wait_js("document.getElementById('scroller').scrollTop === 0 && !document.querySelector('.jump').hidden", 5,
              "Jump to latest did not appear after scrolling up")
    p.d.save_screenshot(str(ARTIFACTS / "desktop-top.png"))
    saved.append("desktop-top.png")
    p.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return "saved " + ", ".join(["empty.png"] + saved)


@test("keyboard_enter_and_shift_enter")
def keyboard_enter_and_shift_enter(p):
    p.open()
    box = p.input()
    check(p.js("return document.activeElement === arguments[0];", box), "the composer is not focused on load")
    box.click()
    h1 = p.js("return arguments[0].offsetHeight;", box)
    box.send_keys("line one")
    ActionChains(p.d).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    box.send_keys("line two")
    check(box.get_property("value") == "line one\nline two", f"Shift+Enter: {box.get_property('value')!r}")
    check(not p.messages(), "Shift+Enter sent the message")
    check(p.js("return arguments[0].offsetHeight;", box) > h1, "the composer did not grow for the second line")
    box.send_keys(Keys.ENTER)
    p.wait(lambda d: p.messages(), 5, "Enter did not send")
    msgs = p.messages()
    check(msgs[0]["role"] == "user" and msgs[0]["text"] == "line one\nline two", f"sent: {msgs[0]}")
    check(box.get_property("value") == "", "the composer was not cleared")
    check(p.js("return arguments[0].offsetHeight;", box) == h1, "the composer did not shrink back")
    p.wait_reply("done")
    # Enter on an empty composer sends nothing; Escape stops a streaming reply.
    box.send_keys(Keys.ENTER)
    box.send_keys("/long 2000")
    box.send_keys(Keys.ENTER)
    p.wait_reply("streaming", 10, count=2)
    box.send_keys(Keys.ESCAPE)
    p.wait_reply("stopped", 5, count=2)
    check(len(p.messages()) == 4, f"messages: {[m['role'] for m in p.messages()]}")


def mock_reply(p, message):
    """The mock's whole reply to `message`, asked on a conversation of its own."""
    return p.d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/api/message', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ message: arguments[0], conversation_id: 'ref_' + Math.random().toString(36).slice(2) }) })
          .then((r) => r.text())
          .then((t) => done(JSON.parse(t.trim().split('\\n\\n').pop().slice(6)).full_response));""", message)


def check_last_reply_is_the_mocks(p, message):
    """The page's last reply equals the mock's whole reply to `message`, in its data and as
    rendered; returns that text."""
    full = p.js("return window.runnel.chat.messages.at(-1).text;")
    expected = mock_reply(p, message)
    check(full == expected, f"the reply differs from the mock's ({len(full)} vs {len(expected)} chars)")
    shown = p.js("return [...document.querySelectorAll('#messages > article.assistant')].pop()"
                 ".querySelector('.body').innerText;")
    check(shown.split() == expected.split(), "the rendered reply differs from the mock's")
    return full


@test("reload_mid_reply_continues")
def reload_mid_reply_continues(p):
    p.open()
    p.send("/long 400")
    p.wait(lambda d: (m := p.last_assistant()) and m["status"] == "streaming" and len(m["text"]) > 60, 10,
           "the reply never started streaming")
    reply_id = p.js("return window.runnel.chat.messages.at(-1).replyId;")
    check(reply_id and len(reply_id) == 32, f"the reply id the page keeps: {reply_id!r}")
    p.js("window.__marker = 1; location.reload();")
    p.wait_reloaded()
    check(p.js("return window.runnel.chat.messages.at(-1).replyId;") == reply_id, "the reloaded page follows another reply")
    m = p.wait_reply("done", 20)
    full = check_last_reply_is_the_mocks(p, "/long 400")
    check([x["role"] for x in p.messages()] == ["user", "assistant"], f"messages: {p.messages()}")
    return f"continued reply {reply_id[:8]}…: {len(full.split())} words, none lost or doubled"


@test("second_tab_follows_the_live_reply")
def second_tab_follows_the_live_reply(p):
    p.open()
    p.send("/long 300")
    p.wait(lambda d: (m := p.last_assistant()) and m["status"] == "streaming" and len(m["text"]) > 20, 10,
           "the reply never started streaming")
    address = p.d.current_url
    check("#c_" in address, f"the address does not name the conversation: {address}")
    first = p.d.current_window_handle
    p.d.switch_to.new_window("tab")
    p.d.get(address)
    p.ready()
    check(p.js("return window.runnel.chat.messages.at(-1).status;") == "streaming",
          "the second tab does not show the reply as live")
    second = p.wait_reply("done", 20)
    p.d.switch_to.window(first)
    original = p.wait_reply("done", 20)
    check(second["text"] == original["text"], "the two tabs show different replies")
    p.d.switch_to.new_window("tab")
    p.d.get(address)
    p.ready()
    check([x["role"] for x in p.messages()] == ["user", "assistant"], f"a third tab rebuilt: {p.messages()}")
    return f"both tabs: {len(original['text'].split())} words"


def post_message(server, body):
    """POSTs `body` to /api/message from outside any browser; the open response (read its
    headers, its stream, or close it to leave the reply to itself)."""
    request = urllib.request.Request(server.url.rstrip("/") + "/api/message", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    return urllib.request.urlopen(request, timeout=10)


@test("fresh_browser_rebuilds_the_chat_from_the_server",
      allow_console=(r"/favicon\.ico - Failed to load resource.*404",))  # the JSON page opened to see the storage
def fresh_browser_rebuilds_the_chat_from_the_server(p):
    # A conversation this browser has never seen: one exchange done, a resumable reply in
    # flight whose only reader (this script) left.
    conv = "c_" + secrets.token_hex(16)
    with post_message(p.server, {"message": "hello there", "conversation_id": conv}) as first:
        events = [json.loads(block[6:]) for block in first.read().decode().split("\n\n") if block.startswith("data: ")]
    first_reply = events[-1]["full_response"]
    check(first_reply, f"the first exchange gave no reply: {events[-1]}")
    with post_message(p.server, {"message": "/long 400", "conversation_id": conv, "resumable": True}) as live:
        reply_id = live.headers["X-Reply-Id"]
    check(reply_id and len(reply_id) == 32, f"the reply id: {reply_id!r}")

    # This browser is a new profile (a new driver per test): the origin's storage is empty
    # (seen from a page of it that is not the app), then the address the UI gives a
    # conversation (#c_…) is opened.
    p.d.get(p.server.url.rstrip("/") + "/api/backends")
    check(p.js("return localStorage.length;") == 0, "the browser already has something stored")
    p.d.get(f"{p.server.url}#{conv}")
    p.ready()
    p.wait_js("window.runnel.chat.messages.length === 4", 10,
              "the page never showed the conversation's history and the reply in flight")
    check(p.d.current_url.endswith(f"#{conv}"), f"the address changed: {p.d.current_url}")
    live_msg = p.js("return window.runnel.chat.messages.at(-1);")
    check(live_msg["replyId"] == reply_id and live_msg["status"] == "streaming",
          f"the page did not attach to the reply in flight: {live_msg['status']!r}, {live_msg.get('replyId')!r}")
    model = p.js("return window.runnel.chat.messages.slice(0, 3).map((m) => [m.role, m.text, m.status || null]);")
    check(model == [["user", "hello there", None], ["assistant", first_reply, "done"], ["user", "/long 400", None]],
          f"the history from the server: {model}")
    shown = p.messages()
    check([m["role"] for m in shown] == ["user", "assistant", "user", "assistant"], f"messages: {shown}")
    check(shown[0]["text"].strip() == "hello there" and shown[2]["text"].strip() == "/long 400",
          f"the user messages shown: {[shown[0]['text'], shown[2]['text']]}")
    check(shown[1]["text"].split() != [] and shown[1]["status"] == "done", f"the earlier reply shown: {shown[1]}")

    p.wait_reply("done", 30, count=2)
    full = check_last_reply_is_the_mocks(p, "/long 400")
    return f"rebuilt 2 turns from the server, followed reply {reply_id[:8]}…: {len(full.split())} words"


@test("eventsource_follows_across_a_dropped_connection",
      allow_console=(r"/api/replies/.*/events.*ERR_CONNECTION_RESET", r"/__runnel/reload\b.*ERR_CONNECTION_RESET"))
def eventsource_follows_across_a_dropped_connection(p):
    if os.geteuid() != 0:
        raise TestFailure("needs root to drop a connection from outside (ss -K); CI runs as root")
    p.open()
    reply_id = p.d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/api/message', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ message: '/long 300', conversation_id: 'es_' + Date.now(), resumable: true }) })
          .then((r) => { const id = r.headers.get('X-Reply-Id'); r.body.cancel(); done(id); });""")
    p.js("""
        window.__es = { events: [], ids: [], opens: 0, done: false };
        const es = new EventSource(`/api/replies/${arguments[0]}/events`);
        es.onopen = () => { window.__es.opens += 1; };
        es.onmessage = (e) => {
          const data = JSON.parse(e.data);
          window.__es.events.push(data);
          window.__es.ids.push(e.lastEventId);
          if (data.end) { window.__es.done = true; es.close(); }
        };""", reply_id)
    p.wait_js("window.__es.events.length >= 5", 10, "the EventSource received nothing")
    port = p.server.url.rsplit(":", 1)[1].strip("/")
    killed = subprocess.run(["ss", "-K", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True)
    check(killed.returncode == 0, f"ss -K failed: {killed.stderr}")
    p.wait_js("window.__es.done", 30, "the EventSource never got the end event")
    got = p.js("return window.__es;")
    check(got["opens"] >= 2, f"the EventSource connected {got['opens']} time(s): the drop did not happen")
    ids = [int(i) for i in got["ids"]]
    check(ids == list(range(1, len(ids) + 1)), f"event ids are not 1..N without gaps or repeats: {ids[:20]}…")
    text = "".join(e.get("chunk", "") for e in got["events"])
    check(text == got["events"][-1]["full_response"], "the chunks do not add up to the full response")
    return f"{len(ids)} events over {got['opens']} connections"


# ---- conversations, branches, settings, math, token estimate ------------------------------

def shoot_schemes(p, name):
    """Saves NAME.png in light and NAME-dark.png in dark; returns the files."""
    files = []
    for scheme in ("light", "dark"):
        p.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        p.wait_js(f"matchMedia('(prefers-color-scheme: {scheme})').matches", 5)
        file = f"{name}.png" if scheme == "light" else f"{name}-dark.png"
        shoot(p, file)
        files.append(file)
    p.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    return files


def sidebar_entries(p):
    """[{id, title, current}] as the sidebar lists them."""
    return p.js("""return [...document.querySelectorAll('#conversations > li')].map((li) => ({
        id: li.dataset.id, title: li.querySelector('.conv-open, input').textContent || li.querySelector('input')?.value,
        current: li.querySelector('[aria-current]') !== null }));""")


def posted_bodies(p):
    """Records the body of every POST /api/message from now on in window.__posts."""
    p.js("""window.__posts = [];
            const f = window.fetch;
            window.fetch = (url, init) => { if (String(url).includes('/api/message')) window.__posts.push(JSON.parse(init.body)); return f(url, init); };""")


@test("sidebar_create_rename_search_delete")
def sidebar_create_rename_search_delete(p):
    p.open()
    p.send("How do rivers form?")
    p.wait_reply("done")
    first = p.js("return window.runnel.chat.id;")
    check(re.fullmatch(r"c_[0-9a-f]{32}", first), f"the conversation id is not 128 random bits in hex: {first!r}")
    check(p.d.current_url.endswith("#" + first), f"the address does not name the conversation: {p.d.current_url}")
    # Ctrl+Shift+O starts a new chat from anywhere.
    ActionChains(p.d).key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys("o").key_up(Keys.SHIFT).key_up(Keys.CONTROL).perform()
    p.wait_js(f"window.runnel.chat.id !== '{first}' && document.querySelectorAll('#messages > article').length === 0", 5,
              "Ctrl+Shift+O did not start a new chat")
    check(p.js("return document.activeElement.id;") == "input", "the composer is not focused in the new chat")
    p.send("Explain Server-Sent Events briefly")
    p.wait_reply("done")
    second = p.js("return window.runnel.chat.id;")
    entries = sidebar_entries(p)
    check([e["id"] for e in entries] == [second, first], f"the list is not newest first: {entries}")
    check([e["current"] for e in entries] == [True, False], f"the current chat is not marked: {entries}")
    check(entries[1]["title"] == "How do rivers form?", f"title from the first message: {entries[1]}")
    shots = shoot_schemes(p, "sidebar")

    # Open the first one from the list; the address and the messages follow.
    p.d.find_element(By.CSS_SELECTOR, f'#conversations li[data-id="{first}"] .conv-open').click()
    p.wait_js(f"window.runnel.chat.id === '{first}'", 5, "clicking the entry did not open it")
    check(p.messages()[0]["text"] == "How do rivers form?", f"messages: {p.messages()}")
    check(p.d.current_url.endswith("#" + first), "the address did not follow")
    # Arrow keys move along the list.
    p.js("document.querySelector('#conversations .conv-open').focus();")
    ActionChains(p.d).send_keys(Keys.ARROW_DOWN).perform()
    check(p.js("return document.activeElement.closest('li')?.dataset.id;") == first, "ArrowDown did not move to the next entry")

    # Rename in place; the title survives a reload (localStorage), and so does the open chat.
    p.d.find_element(By.CSS_SELECTOR, f'#conversations li[data-id="{first}"] [data-action="rename"]').click()
    box = p.by_testid("rename-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("Rivers", Keys.ENTER)
    p.wait(lambda d: [e["title"] for e in sidebar_entries(p)] == ["Explain Server-Sent Events briefly", "Rivers"], 5,
           f"rename did not show: {sidebar_entries(p)}")
    p.js("window.__marker = 1; location.reload();")
    p.wait_reloaded()
    check([e["title"] for e in sidebar_entries(p)] == ["Explain Server-Sent Events briefly", "Rivers"],
          f"after a reload: {sidebar_entries(p)}")
    check(p.js("return window.runnel.chat.id;") == first, "the reload did not keep the open conversation")

    # Search: titles and message text, any case; Ctrl+K focuses it.
    ActionChains(p.d).key_down(Keys.CONTROL).send_keys("k").key_up(Keys.CONTROL).perform()
    check(p.js("return document.activeElement.id;") == "search", "Ctrl+K did not focus the search")
    ActionChains(p.d).send_keys("SERVER-SENT").perform()
    p.wait(lambda d: [e["id"] for e in sidebar_entries(p)] == [second], 5, f"search: {sidebar_entries(p)}")
    p.by_testid("search").send_keys(Keys.CONTROL, "a")
    p.by_testid("search").send_keys(Keys.DELETE, "nothing like this")
    p.wait(lambda d: sidebar_entries(p) == [], 5, "a search with no match")
    check("No conversation matches" in p.d.find_element(By.ID, "no-chats").text, "no message for an empty search")
    p.by_testid("search").send_keys(Keys.CONTROL, "a", Keys.DELETE)
    p.wait(lambda d: len(sidebar_entries(p)) == 2, 5, "clearing the search did not bring the list back")

    # Delete asks once more; deleting the open chat leaves an empty one.
    delete = p.d.find_element(By.CSS_SELECTOR, f'#conversations li[data-id="{first}"] [data-action="delete"]')
    delete.click()
    check(len(sidebar_entries(p)) == 2 and delete.text == "Delete?", "the first click deleted without asking")
    delete.click()
    p.wait(lambda d: [e["id"] for e in sidebar_entries(p)] == [second], 5, f"not deleted: {sidebar_entries(p)}")
    check(p.js(f"return localStorage.getItem('runnel.conv.v1.{first}');") is None, "the deleted chat is still stored")
    check(not p.messages() and p.js("return window.runnel.chat.id;") not in (first, second), "the deleted chat still shows")
    return "saved " + ", ".join(shots)


@test("phone_drawer")
def phone_drawer(p):
    p.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    p.open()
    p.wait_js("innerWidth === 390", 5)
    p.send("Write a Swift function that reverses the words in a sentence")
    p.wait_reply("done")
    side = "document.getElementById('sidebar').getBoundingClientRect()"
    check(p.js(f"return {side}.right;") <= 0, "the drawer shows on a phone before it is opened")
    check(p.js("return document.getElementById('sidebar').inert;"), "a closed drawer can take focus")
    p.by_testid("toggle-sidebar").click()
    p.wait_js(f"{side}.left === 0 && getComputedStyle(document.getElementById('sidebar')).transform === 'none'", 5,
              "the drawer did not slide in")
    check(p.js("return document.getElementById('sidebar').contains(document.activeElement);"), "focus did not move into the drawer")
    check(p.js("return document.querySelector('.main').inert;"), "the page behind the open drawer still takes focus")
    check(p.by_testid("toggle-sidebar").get_attribute("aria-expanded") == "true", "aria-expanded is not true")
    shots = shoot_schemes(p, "phone-drawer")
    ActionChains(p.d).send_keys(Keys.ESCAPE).perform()
    p.wait_js(f"{side}.right <= 0", 5, "Escape did not close the drawer")
    check(p.js("return document.activeElement.id;") == "toggle-sidebar", "focus did not return to the menu button")
    p.by_testid("toggle-sidebar").click()
    p.wait_js(f"{side}.left === 0", 5)
    ActionChains(p.d).move_to_element_with_offset(p.d.find_element(By.ID, "scrim"), 180, 0).click().perform()
    p.wait_js(f"{side}.right <= 0", 5, "a tap outside did not close the drawer")
    overflow = p.js("return document.documentElement.scrollWidth - innerWidth;")
    check(overflow <= 0, f"the page scrolls sideways by {overflow}px")
    p.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return "saved " + ", ".join(shots)


@test("export_and_import")
def export_and_import(p):
    folder = Path(tempfile.mkdtemp(prefix="runnel-downloads-"))
    try:
        p.d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
        p.open()
        p.send("Show me a JSON example")
        p.wait_reply("done")
        p.send("And a table")
        p.wait_reply("done", count=2)
        original = [(m["role"], m["text"]) for m in p.js(
            "return window.runnel.chat.messages.map((m) => ({ role: m.role, text: m.text }));")]
        p.by_testid("export-json").click()
        p.by_testid("export-md").click()
        done = lambda d: (len(list(folder.glob("*.json"))) == 1 and len(list(folder.glob("*.md"))) == 1
                          and not list(folder.glob("*.crdownload")))
        p.wait(done, 10, f"the downloads did not arrive: {list(folder.iterdir())}")
        exported = next(folder.glob("*.json"))
        check(exported.name == "show-me-a-json-example.json", f"file name: {exported.name}")
        data = json.loads(exported.read_text())
        check(data["format"] == "runnel.conversation" and data["version"] == 1, f"format: {data.get('format')}")
        check([(m["role"], m["text"]) for m in data["messages"]] == original, "the JSON does not hold the messages")
        md = next(folder.glob("*.md")).read_text()
        check(md.startswith("# Show me a JSON example\n\n## You\n\nShow me a JSON example\n\n## Runnel\n\n"), f"markdown: {md[:120]!r}")
        check(original[3][1] in md, "the markdown lacks the last reply")

        # A bad file: a clear message, nothing changed.
        before = sidebar_entries(p)
        shown = p.js("return window.runnel.chat.id;")
        bad = folder / "broken.json"
        bad.write_text('{"format": "runnel.conversation", "version": 1, "messages": [{"id": "a", "role": "robot", "text": "x"}]}')
        p.by_testid("import-file").send_keys(str(bad))
        p.wait(lambda d: "Could not import" in p.by_testid("notice").text, 5, "no message for a bad file")
        notice = p.by_testid("notice").text
        check("broken.json" in notice and '"role" must be "user" or "assistant"' in notice and "Nothing was changed" in notice,
              f"the message does not say what is wrong: {notice!r}")
        check(sidebar_entries(p) == before and p.js("return window.runnel.chat.id;") == shown, "a bad file changed something")
        notjson = folder / "notes.json"
        notjson.write_text("hello")
        p.by_testid("import-file").send_keys(str(notjson))
        p.wait(lambda d: "notes.json: the file is not JSON" in p.by_testid("notice").text, 5, p.by_testid("notice").text)

        # The exported file comes back as a new conversation, shown, same turns.
        p.by_testid("import-file").send_keys(str(exported))
        p.wait(lambda d: len(sidebar_entries(p)) == 2, 5, "the import did not add a conversation")
        check("Imported" in p.by_testid("notice").text, p.by_testid("notice").text)
        imported = p.js("return window.runnel.chat.id;")
        check(imported != shown and re.fullmatch(r"c_[0-9a-f]{32}", imported), f"imported id: {imported}")
        again = [(m["role"], m["text"]) for m in p.js(
            "return window.runnel.chat.messages.map((m) => ({ role: m.role, text: m.text }));")]
        check(again == original, f"the imported conversation differs: {again}")
        check([m["role"] for m in p.messages()] == ["user", "assistant", "user", "assistant"], f"shown: {p.messages()}")
        return f"exported {exported.name} ({exported.stat().st_size} bytes) and imported it back"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@test("edit_resend_and_branch_navigation")
def edit_resend_and_branch_navigation(p):
    p.open()
    posted_bodies(p)
    p.send("first question")
    p.wait_reply("done", count=1)
    p.send("second question")
    p.wait_reply("done", count=2)
    old_reply = p.last_assistant()["text"]
    old_raw = p.js("return window.runnel.chat.messages.at(-1).text;")
    posts = p.js("return window.__posts;")
    check(posts[0]["history"] == [], f"the first message's history: {posts[0].get('history')}")
    first_reply = p.js("return window.runnel.chat.messages[1].text;")
    check(posts[1]["history"] == [{"role": "user", "content": "first question"}, {"role": "assistant", "content": first_reply}],
          f"the second message's history: {posts[1].get('history')}")

    # Edit the second question: the reply to the edit starts a second branch.
    user2 = p.d.find_elements(By.CSS_SELECTOR, "#messages > article.user")[1]
    ActionChains(p.d).move_to_element(user2).perform()
    user2.find_element(By.CSS_SELECTOR, '[data-action="edit"]').click()
    box = p.by_testid("edit-input")
    check(box.get_property("value") == "second question", "the editor does not hold the message")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("second question, edited", Keys.ENTER)
    p.wait_reply("done", count=2)
    msgs = p.messages()
    check([m["text"] for m in msgs if m["role"] == "user"] == ["first question", "second question, edited"], f"{msgs}")
    posts = p.js("return window.__posts;")
    check(len(posts) == 3 and posts[2]["message"] == "second question, edited" and posts[2]["history"] == posts[1]["history"],
          f"the edit was not sent with the branch's history: {posts[2:]}")
    nav = lambda: p.js("const v = document.querySelectorAll('#messages > article.user')[1].querySelector('[data-testid=versions]');"
                       "return v && v.textContent;")
    check(nav() == "‹2/2›", f"the edited message does not show ‹ 2/2 ›: {nav()!r}")
    new_reply = p.last_assistant()["text"]
    # The server follows the branch (the history sent replaced its own): the mock counts the turns it got.
    check("This is message 2 of our conversation" in new_reply, f"the server did not answer from the branch: {new_reply[:160]!r}")
    p.js("const a = document.querySelectorAll('#messages > article.user')[1];"
         "document.getElementById('scroller').scrollTop = a.offsetTop - 40;")
    ActionChains(p.d).move_to_element(p.d.find_elements(By.CSS_SELECTOR, "#messages > article.user")[1]).perform()
    shots = shoot_schemes(p, "branch")

    # ‹ shows the first branch with its own reply; › comes back.
    p.d.find_elements(By.CSS_SELECTOR, "#messages > article.user")[1].find_element(By.CSS_SELECTOR, '[data-action="older"]').click()
    p.wait(lambda d: nav() == "‹1/2›", 5, f"‹ did not switch: {nav()!r}")
    p.js("window.__painted = false; requestAnimationFrame(() => setTimeout(() => { window.__painted = true; }));")
    p.wait_js("window.__painted", 5)
    box = p.js("const r = document.querySelectorAll('#messages > article.user')[1].getBoundingClientRect();"
               "const s = document.getElementById('scroller').getBoundingClientRect(); return [r.top - s.top, s.bottom - r.bottom];")
    check(box[0] >= 0 and box[1] >= 0, f"switching versions scrolled the message out of view: {box}")
    check([m["text"] for m in p.messages()][2:] == ["second question", old_reply], f"the first branch: {p.messages()}")
    # Sending from the old branch continues it, with its history.
    p.send("third, on branch one")
    p.wait_reply("done", count=3)
    posts = p.js("return window.__posts;")
    check([h["content"] for h in posts[3]["history"]] == ["first question", first_reply, "second question", old_raw],
          f"the history of branch one: {posts[3]['history']}")
    third = p.last_assistant()["text"]
    check("This is message 3 of our conversation" in third and "second question, edited" not in third,
          f"the reply on branch one does not follow it: {third[:200]!r}")
    p.js("window.__marker = 1; location.reload();")
    p.wait_reloaded()
    check(nav() == "‹1/2›" and len(p.messages()) == 6, f"the branch on screen after a reload: {nav()!r}, {len(p.messages())}")
    p.d.find_elements(By.CSS_SELECTOR, "#messages > article.user")[1].find_element(By.CSS_SELECTOR, '[data-action="newer"]').click()
    p.wait(lambda d: nav() == "‹2/2›", 5, "› did not switch back")
    check([m["text"] for m in p.messages()][2:] == ["second question, edited", new_reply], f"branch two: {p.messages()}")
    return "saved " + ", ".join(shots)


@test("two_tabs_same_conversation_stay_in_step")
def two_tabs_same_conversation_stay_in_step(p):
    p.open()
    p.send("from the first tab")
    p.wait_reply("done")
    first = p.d.current_window_handle
    address = p.d.current_url
    p.d.switch_to.new_window("tab")
    p.d.get(address)
    p.ready()
    check(len(p.messages()) == 2, f"the second tab does not show the conversation: {p.messages()}")
    p.send("from the second tab")
    p.wait_reply("done", count=2)
    p.d.switch_to.window(first)
    p.wait(lambda d: [m["text"] for m in p.messages() if m["role"] == "user"] == ["from the first tab", "from the second tab"], 5,
           f"the first tab did not pick up the second tab's messages: {p.messages()}")
    p.send("and the first again")
    p.wait_reply("done", count=3)
    stored = p.js("return JSON.parse(localStorage.getItem('runnel.conv.v1.' + window.runnel.chat.id)).nodes.length;")
    check(stored == 6, f"the stored conversation has {stored} messages, not 6: a tab overwrote the other's")


@test("settings_panel_sent_and_kept")
def settings_panel_sent_and_kept(p):
    p.open()
    posted_bodies(p)
    p.by_testid("open-settings").click()
    p.wait_js("document.getElementById('settings').open", 5, "the settings panel did not open")
    check(p.by_testid("local-note").is_displayed(), "no note that local backends ignore temperature and max tokens")
    check("mock" in p.by_testid("model-input").get_attribute("placeholder"), "the model field does not show the default")
    p.by_testid("system-input").send_keys("Answer in one sentence.")
    p.by_testid("temperature-input").send_keys("0.4")
    p.by_testid("max-tokens-input").send_keys("64")
    shots = shoot_schemes(p, "settings")
    ActionChains(p.d).send_keys(Keys.ESCAPE).perform()
    p.wait_js("!document.getElementById('settings').open", 5, "Escape did not close the panel")
    p.send("with settings")
    p.wait_reply("done")
    body = p.js("return window.__posts[0];")
    check(body.get("system") == "Answer in one sentence." and body.get("temperature") == 0.4 and body.get("max_tokens") == 64
          and body.get("backend") == "mock" and "model" not in body, f"the POST body: {body}")
    p.js("window.__marker = 1; location.reload();")
    p.wait_reloaded()
    values = p.js("const f = document.querySelector('#settings form').elements;"
                  "return [f.system.value, f.temperature.value, f.max_tokens.value, f.backend.value];")
    check(values == ["Answer in one sentence.", "0.4", "64", "mock"], f"settings after a reload: {values}")
    # Out of range: left out, so the backend's default applies.
    p.js("const f = document.querySelector('#settings form'); f.elements.temperature.value = '7';"
         "f.dispatchEvent(new Event('input'));")
    posted_bodies(p)
    p.send("out of range")
    p.wait_reply("done", count=2)
    check("temperature" not in p.js("return window.__posts[0];"), "a temperature of 7 was sent")
    return "saved " + ", ".join(shots)


@test("math_typeset_lazily", allow_console=())
def math_typeset_lazily(p):
    p.open()
    p.send("Prices only: $5 and $6.")
    p.wait_reply("done")
    katex_loaded = "performance.getEntriesByType('resource').some((e) => e.name.includes('/vendor/katex/'))"
    check(not p.js(f"return {katex_loaded};"), "KaTeX was fetched for a reply without math")
    p.choose_backend("echo")  # echo sends the message back: a reply with exactly this math
    p.js("const t = document.getElementById('input'); t.value = arguments[0]; t.dispatchEvent(new Event('input'));",
         "Euler: $e^{i\\pi} + 1 = 0$ and\n\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n\nand $\\href{javascript:alert(1)}{click}$ stays inert.")
    p.by_testid("send-button").click()
    p.wait_reply("done", count=2)
    p.wait_js("document.querySelectorAll('#messages article.assistant:last-child .katex').length === 3", 10,
              "the math was not typeset")
    r = p.js("""const a = document.querySelector('#messages article.assistant:last-child');
        return { display: a.querySelectorAll('.katex-display').length, links: a.querySelectorAll('a').length,
                 fraction: a.querySelector('.katex-display .mfrac') !== null,
                 mathml: a.querySelector('.katex math annotation')?.textContent };""")
    check(r["display"] == 1 and r["fraction"], f"the display formula: {r}")
    check(r["links"] == 0, "\\href made a link (trust must be false)")
    check(r["mathml"] == "e^{i\\pi} + 1 = 0", f"the TeX KaTeX rendered: {r['mathml']!r}")
    p.wait_js("document.fonts.check('16px KaTeX_Main') && document.fonts.status === 'loaded'", 10, "the KaTeX fonts did not load")
    r["fonts"] = p.js("return performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.woff2'))"
                      ".map((e) => e.name.split('/').pop());")
    types = p.d.execute_async_script("""const done = arguments[arguments.length - 1];
        Promise.all(['/vendor/katex/fonts/KaTeX_Main-Regular.woff2', '/vendor/katex/katex.min.css', '/vendor/katex/katex.min.js']
          .map((u) => fetch(u).then((r) => r.status + ' ' + r.headers.get('content-type')))).then(done);""")
    check(types == ["200 font/woff2", "200 text/css; charset=utf-8", "200 text/javascript; charset=utf-8"], f"served as: {types}")
    check(r["fonts"] and all(f.startswith("KaTeX_") for f in r["fonts"]), f"fonts fetched: {r['fonts']}")
    p.js("const a = document.querySelector('#messages article.assistant:last-child');"
         "document.getElementById('scroller').scrollTop = a.offsetTop - 160;")
    shots = shoot_schemes(p, "math")
    return f"fonts fetched: {', '.join(sorted(r['fonts']))}; saved " + ", ".join(shots)


@test("token_estimate_live")
def token_estimate_live(p):
    p.open()
    count = lambda: p.js("const c = document.getElementById('token-count');"
                         "return { draft: +c.dataset.draft, used: +c.dataset.used, size: +c.dataset.size, text: c.textContent };")
    p.wait(lambda d: count()["size"] == 128000, 5, f"the default context size: {count()}")
    p.input().send_keys("Hello, world! This is a test of 12345 tokens.")
    p.wait(lambda d: count()["draft"] == 13, 5, f"the draft estimate: {count()}")
    check(re.fullmatch(r"≈ 13 tokens · context ≈ 13 / 128k \(<1%\)", count()["text"]), f"the line: {count()['text']!r}")
    p.by_testid("send-button").click()
    p.wait_reply("done")
    p.wait(lambda d: count()["draft"] == 0 and count()["used"] > 13, 5, f"the conversation is not counted: {count()}")
    used = count()["used"]
    # The model's family sets the context size.
    p.by_testid("open-settings").click()
    p.by_testid("model-input").send_keys("claude-3-5-sonnet")
    p.by_testid("system-input").send_keys("word " * 40)
    p.wait(lambda d: count()["size"] == 200000 and count()["used"] == used + 40, 5, f"after the settings: {count()}")
    return count()["text"]


# Registered last: it replaces the harness's server process (same handle, root and port;
# the final cleanup stops the new one), so every earlier test runs against the original.
@test("server_restart_reloads_tab", allow_console=(RELOAD_REFUSED,))
def server_restart_reloads_tab(p):
    p.open()
    p.send("before the restart")
    p.wait_reply("done")
    before = p.messages()
    old = p.js("return window.__runnelReload.instance;")
    p.js("window.__marker = 1;")
    status = p.server.restart()
    # EventSource retries by itself (~3 s); the new process's hello names another instance.
    p.wait_reloaded(20)
    new = p.js("return window.__runnelReload.instance;")
    check(new and new != old, f"the reloaded tab reports instance {new!r} (before the restart: {old!r})")
    after = p.messages()
    check(after == before, f"the conversation was not restored:\nbefore {before}\nafter  {after}")
    check(p.js("return document.getElementById('empty').hidden;"), "the empty state shows over a restored chat")
    # The new process answers.
    p.send("after the restart")
    m = p.wait_reply("done", count=2)
    check("after the restart" in m["text"], f"the reply from the new server: {m['text'][:200]!r}")
    return f"old runnel exited with status {status}; tab reloaded onto the new instance"


# ---- the inspector, record and replay (README "Record and replay") ---------------------

def open_inspector(p, server=None):
    p.d.get((server or p.server).url + "__runnel/inspector")
    p.wait_js("document.querySelectorAll('[data-testid=reply-row]').length > 0", 10, "the inspector lists no reply")


def inspector_detail(p):
    return p.js("""
        const d = document.querySelector('[data-testid=detail]');
        const plot = document.querySelector('[data-testid=plot]');
        return { hidden: d.hidden, state: d.dataset.state,
                 bars: plot.querySelectorAll('rect.event').length, frameBars: plot.querySelectorAll('rect.frame').length,
                 events: document.querySelectorAll('[data-testid=events] li').length,
                 frames: document.querySelectorAll('[data-testid=frames] li').length,
                 row: [...document.querySelector('[data-testid=reply-row]').children].map((td) => td.textContent) };""")


@test("inspector_shows_live_reply_and_plot")
def inspector_shows_live_reply_and_plot(p):
    p.open()
    p.send("/long 150")  # ~1.5 s at 10 ms a token: long enough to watch it stream
    p.wait(lambda d: (m := p.last_assistant()) and m["status"] == "streaming" and m["text"], 10, "the reply never streamed")
    open_inspector(p)  # the chat's reply is resumable: it goes on while we look
    live = p.wait(lambda d: (x := inspector_detail(p)) and not x["hidden"] and x["state"] == "streaming" and x["bars"] > 0 and x,
                  10, "the inspector never showed the reply streaming")
    shoot(p, "inspector-live.png")
    # The list refreshes every second, the streaming detail four times as often.
    done = p.wait(lambda d: (x := inspector_detail(p)) and x["state"] == "completed" and x["row"][3] == "completed"
                  and x["bars"] > live["bars"] and x, 15, f"the inspector never caught up with the end (live: {live})")
    row = done["row"]
    check(row[1] == "mock" and row[3] == "completed", f"the list row: {row}")
    check(row[4].endswith("ms") and row[6].endswith("ms") and row[5] != "–", f"first token, tokens/s, duration: {row}")
    check(done["events"] == done["bars"] >= 100, f"events listed {done['events']}, plotted {done['bars']}")
    check(done["frames"] == 0, "a local backend has no raw frames")
    shoot(p, "inspector-reply.png")
    return f"live at {live['bars']} events, done at {done['bars']}"


class PacedUpstream:
    """A fake OpenAI-compatible upstream: each request gets `words` as stream chunks, the
    first after `first_s`, then one every `gap_s` (close-delimited, like FakeUpstream)."""

    def __init__(self, words, first_s, gap_s):
        import http.server
        words_, first_, gap_ = words, first_s, gap_s

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                time.sleep(first_)
                for i, word in enumerate(words_):
                    if i:
                        time.sleep(gap_)
                    chunk = {"model": "paced-1", "choices": [{"delta": {"content": word}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def timed_reply(p, text):
    """Sends `text` in the chat; (reply text, ms from the click to the first text, to the last growth)."""
    p.js("""
        window.__growth = [];
        const log = document.getElementById('messages');
        new MutationObserver(() => {
          const a = [...log.querySelectorAll('article.assistant')].pop();
          const n = a ? (a.querySelector('.stream') || a.querySelector('.body') || a).textContent.length : 0;
          const g = window.__growth;
          if (n > (g.length ? g[g.length - 1][1] : 0)) g.push([performance.now(), n]);
        }).observe(log, { subtree: true, childList: true, characterData: true });""")
    p.input().send_keys(text)
    start = p.js("window.__sent = performance.now(); document.querySelector('[data-testid=send-button]').click(); return window.__sent;")
    m = p.wait_reply("done", 20)
    growth = p.js("return window.__growth;")
    return m["text"].strip(), growth[0][0] - start, growth[-1][0] - start


@test("workshop_record_then_replay_offline")
def workshop_record_then_replay_offline(p):
    words = ["Record ", "once, ", "replay ", "offline, ", "same ", "pace."]
    upstream = PacedUpstream(words, first_s=0.25, gap_s=0.12)
    folder = Path(tempfile.mkdtemp(prefix="runnel-cassettes-"))
    servers = []
    try:
        recorder = Server(p.server.binary, args=["--backend", "openai", "--base-url", upstream.url, "--record", str(folder)],
                          env={"OPENAI_API_KEY": "sk-browser-test-0123456789abcdef"}).start()
        servers.append(recorder)
        p.server = recorder
        p.open()
        text, first, last = timed_reply(p, "How do record and replay work?")
        check(text == "".join(words).strip(), f"the recorded reply: {text!r}")
        p.wait(lambda d: list(folder.glob("*.json")), 5, "no cassette was written")
        open_inspector(p)
        x = p.wait(lambda d: (x := inspector_detail(p)) and x["state"] == "completed" and x["frames"] > 0 and x, 10,
                   "the inspector shows no raw frames for the remote reply")
        check(x["frameBars"] == x["frames"], f"frames plotted {x['frameBars']}, listed {x['frames']}")
        shoot(p, "inspector-remote.png")
        recorder.halt()
        upstream.stop()

        player = Server(p.server.binary, args=["--backend", "replay", "--replay", str(folder), "--replay-speed", "1"],
                        env={"OPENAI_API_KEY": ""}).start()
        servers.append(player)
        p.server = player
        p.open()
        replayed, first2, last2 = timed_reply(p, "How do record and replay work?")
        check(replayed == text, f"the replayed reply {replayed!r} differs from the recorded {text!r}")
        span = last
        for name, was, now in (("first text", first, first2), ("last text", last, last2)):
            check(abs(now - was) <= 0.10 * span, f"{name}: recorded at {was:.0f} ms, replayed at {now:.0f} ms (±10 % of {span:.0f})")
        open_inspector(p)
        p.wait(lambda d: (x := inspector_detail(p)) and x["state"] == "completed" and x["frames"] > 0, 10,
               "the replayed reply's frames are not shown")
        shoot(p, "inspector-replay.png")
        return f"recorded {first:.0f}–{last:.0f} ms, replayed {first2:.0f}–{last2:.0f} ms"
    finally:
        for server in servers:
            server.stop()
        upstream.stop() if upstream.httpd.socket.fileno() != -1 else None
        shutil.rmtree(folder, ignore_errors=True)


# ---- the runner ------------------------------------------------------------------------

def console_problems(entries, allow_failed_resources, allow_console=()):
    bad = []
    for e in entries:
        if e.get("level") != "SEVERE":
            continue
        if allow_failed_resources and "Failed to load resource" in e.get("message", ""):
            continue
        if any(r.search(e.get("message", "")) for r in allow_console):
            continue
        bad.append(e.get("message", str(e)))
    return bad


def run_one(server, name, fn, allow_failed_resources, allow_console, verbose):
    """Runs one test in a fresh browser: (error or None, seconds, note, console lines)."""
    driver = None
    started = time.monotonic()
    note = error = None
    lines = []
    try:
        driver = new_driver()
        page = Page(driver, server)
        note = fn(page)
        entries = page.console()
        lines = [f"{e['level']} {e['message']}" for e in entries]
        bad = console_problems(entries, allow_failed_resources, allow_console)
        if bad:
            raise TestFailure("SEVERE console entries:\n  " + "\n  ".join(bad))
    except Exception as exc:  # a failed check, a timeout, a dead browser: all fail the test
        error = exc
        if driver is not None:
            try:
                ARTIFACTS.mkdir(exist_ok=True)
                driver.save_screenshot(str(ARTIFACTS / f"fail-{name}.png"))
                lines = lines or [f"{e['level']} {e['message']}" for e in driver.get_log("browser")]
            except Exception:  # the browser itself may be gone
                pass
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception:
                pass
    return error, time.monotonic() - started, note, lines if (verbose or error) else []


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(REPO / ".build/debug/runnel"), help="the runnel executable")
    ap.add_argument("-k", dest="only", action="append", default=[], help="run tests whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every console entry")
    args = ap.parse_args()

    for tool in (args.binary, CHROMIUM, CHROMEDRIVER):
        if not os.access(tool, os.X_OK):
            print(f"browser tests: {tool} is missing or not executable")
            print("0 passed, 1 failed")
            return 1
    tests = [t for t in TESTS if not args.only or any(k in t[0] for k in args.only)]
    for stale in ARTIFACTS.glob("fail-*.png"):
        stale.unlink()
    begin = time.monotonic()
    try:
        server = Server(args.binary).start()
    except RuntimeError as exc:
        print(f"browser tests: {exc}")
        print("0 passed, 1 failed")
        return 1
    print(f"browser tests: runnel at {server.url} (root {server.root}), {len(tests)} tests")
    passed = failed = 0
    try:
        for name, fn, allow, allow_console in tests:
            error, secs, note, console = run_one(server, name, fn, allow, allow_console, args.verbose)
            if error is None:
                passed += 1
                print(f"  ok    {name:38} {secs:6.2f} s" + (f"  ({note})" if note else ""), flush=True)
            else:
                failed += 1
                print(f"  FAIL  {name:38} {secs:6.2f} s", flush=True)
                detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
                print("    " + detail.rstrip().replace("\n", "\n    "))
                print(f"    screenshot: {ARTIFACTS / f'fail-{name}.png'}")
                print("    server output (last 20 lines):\n      " + server.log(20).replace("\n", "\n      "))
            if console:
                print("    browser console:\n      " + "\n      ".join(console))
            if server.proc.poll() is not None:
                print(f"browser tests: runnel exited with status {server.proc.returncode}:\n{server.log()}")
                failed += len(tests) - passed - failed
                break
    finally:
        server.stop()
    print(f"browser tests took {time.monotonic() - begin:.1f} s; artifacts in {ARTIFACTS}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
