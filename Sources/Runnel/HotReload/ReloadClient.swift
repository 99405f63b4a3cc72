/// The hot-reload client, served at `/__runnel/client.js` and injected into pages in dev
/// mode. It swaps stylesheets in place on `css` (the chat stays), reloads on `reload`,
/// shows an overlay on `error` until the next good change, and reloads when it
/// reconnects to a different server instance (the binary was rebuilt).
enum ReloadClient {
    static let path = "/__runnel/client.js"
    static let eventsPath = "/__runnel/reload"
    static let scriptTag = "<script src=\"\(path)\"></script>\n"

    static let source = #"""
    // Runnel hot reload (dev mode only).
    (() => {
      const OVERLAY_ID = "runnel-error-overlay";
      let instance = null;

      // A solid panel over a dimmed page: where (file:line:column), what, and the line with a
      // caret under the column. Built from text nodes; styled from JS (the CSP allows that).
      function showError(event) {
        clearError();
        const el = (tag, css, text) => {
          const e = document.createElement(tag);
          e.style.cssText = css;
          if (text) e.textContent = text;
          return e;
        };
        const mono = "font:13px/1.55 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;";
        const overlay = el("div", "position:fixed;inset:0;z-index:2147483647;background:rgb(0 0 0/60%);" +
          "display:flex;align-items:flex-start;justify-content:center;padding:8vh 16px;overflow:auto");
        overlay.id = OVERLAY_ID;
        overlay.setAttribute("role", "alert");
        const panel = el("div", "background:#1d1f24;color:#eceff4;border-radius:10px;border-top:4px solid #ff6b6b;" +
          "box-shadow:0 12px 40px rgb(0 0 0/50%);max-width:min(860px,100%);width:100%;padding:20px 24px;" +
          "font:15px/1.5 system-ui,sans-serif");
        const where = event.file ? [event.file, event.line, event.column].filter(Boolean).join(":") : "";
        panel.append(
          el("div", "color:#ff8787;font-weight:700;letter-spacing:.02em", "Template error"),
          el("div", mono + "color:#9fb4ff;margin-top:6px", where),
          el("div", "font-size:17px;margin:6px 0 12px;overflow-wrap:anywhere", event.message || ""));
        if (event.excerpt) {
          panel.append(el("pre", mono + "margin:0;padding:12px 14px;background:#111317;border-radius:6px;" +
            "overflow-x:auto;white-space:pre;color:#e6e6e6", event.excerpt));
        }
        panel.append(el("div", "color:#a4acb9;font-size:13px;margin-top:14px",
          "Fix the file and save: this page updates by itself."));
        overlay.append(panel);
        document.body.appendChild(overlay);
      }

      function clearError() {
        const overlay = document.getElementById(OVERLAY_ID);
        if (overlay) overlay.remove();
      }

      function swapStylesheet(path) {
        const links = [...document.querySelectorAll('link[rel="stylesheet"]')];
        const link = links.find((l) => new URL(l.href, location.href).pathname === path);
        if (!link) { location.reload(); return; }
        const fresh = link.cloneNode();
        fresh.href = `${path}?t=${Date.now()}`;
        fresh.addEventListener("load", () => link.remove(), { once: true });
        fresh.addEventListener("error", () => location.reload(), { once: true });
        link.after(fresh);
      }

      const source = new EventSource("/__runnel/reload");
      source.onmessage = (message) => {
        const event = JSON.parse(message.data);
        switch (event.type) {
          case "hello":
            if (instance && instance !== event.instance) location.reload();
            instance = event.instance;
            break;
          case "css": clearError(); swapStylesheet(event.path); break;
          case "reload": location.reload(); break;
          case "error": showError(event); break;
        }
      };
      window.__runnelReload = { get instance() { return instance; } };
    })();
    """#
}
