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
        print("""

          \(paint("runnel \(RunnelApp.version)", "1;36"))  ready in \(String(format: "%.1f", milliseconds)) ms

          ➜  Local:    \(paint(url, "36"))
             Mode:     \(mode)
             Backend:  \(app.configuration.backend)\(others.isEmpty ? "" : "  (also: \(others.joined(separator: ", ")))")

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

    func accessLine(_ entry: AccessLogEntry) {
        let ms = Double(entry.duration.components.attoseconds) / 1e15 + Double(entry.duration.components.seconds) * 1000
        let statusColour = entry.status >= 500 ? "31" : entry.status >= 400 ? "33" : "32"
        print("\(paint(entry.method, "1")) \(entry.target) \(paint(String(entry.status), statusColour)) \(entry.bytes)B \(String(format: "%.1f", ms))ms")
        fflush(nil)
    }
}
