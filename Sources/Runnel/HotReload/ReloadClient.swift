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

      function showError(event) {
        let overlay = document.getElementById(OVERLAY_ID);
        if (!overlay) {
          overlay = document.createElement("div");
          overlay.id = OVERLAY_ID;
          overlay.setAttribute("role", "alert");
          overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(20,0,0,.88);" +
            "color:#ffd7d7;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:32px;white-space:pre-wrap;overflow:auto";
          document.body.appendChild(overlay);
        }
        const where = event.file ? `${event.file}${event.line ? ":" + event.line : ""}\n\n` : "";
        overlay.textContent = `Runnel: template error\n\n${where}${event.message || ""}\n\nFix the file and save: this page updates by itself.`;
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
