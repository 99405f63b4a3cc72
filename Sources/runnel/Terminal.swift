import Foundation
import HTTPServer
import Runnel

/// What `runnel` prints: the banner, notes, errors and the access log, coloured on a TTY.
struct Terminal: Sendable {
    let isTTY: Bool

    private func paint(_ text: String, _ code: String) -> String {
        isTTY ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func banner(app: RunnelApp, startup: Duration) {
        let host = app.configuration.host.contains(":") ? "[\(app.configuration.host)]" : app.configuration.host
        let url = "http://\(host):\(app.port ?? 0)/"
        let milliseconds = Double(startup.components.attoseconds) / 1e15 + Double(startup.components.seconds) * 1000
        let mode = app.mode == .dev
            ? "dev (files from \(app.configuration.root), hot reload \(app.configuration.hotReload ? "on" : "off"))"
            : "embedded"
        let others = app.backendNames.dropFirst()
        let instance = app.configuration.instance.map { "  (instance \($0): reply ids start with \($0).)" } ?? ""
        var access = ""
        if let token = app.accessToken {
            access = token.isGenerated
                ? "\n     Login:    \(paint(loginURL(app: app, token: token), "36"))  (a token made at start: pass --access-token to keep one)"
                : "\n     Access:   token required (--access-token); log in at \(url)?token=…"
        }
        print("""

          \(paint("runnel \(RunnelApp.version)", "1;36"))  ready in \(String(format: "%.1f", milliseconds)) ms

          ➜  Local:    \(paint(url, "36"))
             Mode:     \(mode)\(instance)
             Backend:  \(app.configuration.backend)\(others.isEmpty ? "" : "  (also: \(others.joined(separator: ", ")))")\(access)

        runnel: listening on \(url)
        """)
        fflush(nil)
    }

    func note(_ text: String) {
        print(paint(text, "33"))
        fflush(nil)
    }

    func fail(_ text: String) -> Never {
        FileHandle.standardError.write(Data("runnel: \(text)\n".utf8))
        exit(1)
    }

    /// `http://HOST:PORT/?token=…`, as Jupyter prints it; a wildcard bind is named by the
    /// machine's host name, which other machines can use.
    private func loginURL(app: RunnelApp, token: AccessToken) -> String {
        var host = app.configuration.host
        if ["0.0.0.0", "::", "[::]"].contains(host) { host = ProcessInfo.processInfo.hostName }
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        return "http://\(host):\(app.port ?? 0)/?token=\(token.value)"
    }

    func accessLine(_ entry: AccessLogEntry, format: LogFormat) {
        switch format {
        case .text: print(AccessLogLine.text(entry, paint: paint))
        case .json: print(AccessLogLine.json(entry))
        }
        fflush(nil)
    }
}
