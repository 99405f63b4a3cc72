import Foundation
import XCTest

/// A throwaway project root with `Frontend/` and `Templates/`, plus the files an attacker
/// would like to read next to it.
struct SiteFixture {
    let root: URL
    /// A script long enough to be gzip'd.
    static let appJS = String(repeating: "export function greet(name) { return `Hello, ${name}!`; }\n", count: 20)
    static let indexTemplate = """
        <!doctype html>
        <html><head><title>{{title}}</title><link rel="stylesheet" href="/style.css"></head>
        <body data-mode="{{mode}}"><script type="application/json" id="config">{{backends}}</script>
        </body></html>
        """

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-site-\(UUID().uuidString)")
        let frontend = root.appendingPathComponent("Frontend")
        try FileManager.default.createDirectory(at: frontend.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Templates"), withIntermediateDirectories: true)
        try write("Frontend/app.js", Self.appJS)
        try write("Frontend/style.css", "body { color: black; }\n")
        try write("Frontend/tiny.txt", "hi")
        try write("Frontend/.env", "OPENAI_API_KEY=sk-secret")
        try write("Frontend/.git/config", "[core] secret")
        try write("secret.txt", "outside the root")
        try write("Templates/index.html", Self.indexTemplate)
        try write("Templates/404.html", "<!doctype html><title>{{title}}</title><body><h1>Nothing at {{path}}</h1></body>")
        try FileManager.default.createSymbolicLink(
            atPath: frontend.appendingPathComponent("escape.txt").path, withDestinationPath: root.appendingPathComponent("secret.txt").path)
    }

    func write(_ relative: String, _ text: String) throws {
        try Data(text.utf8).write(to: root.appendingPathComponent(relative))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
