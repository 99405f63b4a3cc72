import Foundation
import HTTPServer
import Sockets

/// The rendered templates (`/` from `Templates/index.html`, the 404 page). A page without
/// per-request values is rendered once per template version and kept as an ``Asset``, so
/// gzip and ETags come with it; a page with them (the 404 naming its path) is rendered from
/// the parsed template kept the same way, and is not compressed: it is small, and gzip at
/// level 9 per request is what made a 404 cost fifteen times a file.
final class Pages: Sendable {
    let templates: AssetStore
    /// The values every template may use (title, version, mode, backends…).
    let values: [String: TemplateValue]
    /// Trusted HTML put before `</body>` of every page (the hot-reload client in dev).
    let bodyEnd: String?
    /// Rendered pages and parsed templates, and a generation bumped by ``forget()``: a
    /// render that raced a template change is not cached over the newer page.
    private let cache = Lock<(pages: [String: Asset], templates: [String: Template], generation: Int)>(([:], [:], 0))

    init(templates: AssetStore, values: [String: TemplateValue], bodyEnd: String?) {
        self.templates = templates
        self.values = values
        self.bodyEnd = bodyEnd
    }

    /// The page rendered from `file` (e.g. `index.html`), with the shared values only.
    func page(_ file: String) throws(TemplateError) -> Asset {
        let (cached, generation) = cache.withLock { ($0.pages[file], $0.generation) }
        if let cached { return cached }
        let asset = Asset(path: file, bytes: try render(file))
        cache.withLock { if $0.generation == generation { $0.pages[file] = asset } }
        return asset
    }

    /// The HTML of `file` rendered with `extra` values besides the shared ones.
    func render(_ file: String, extra: [String: TemplateValue] = [:]) throws(TemplateError) -> [UInt8] {
        var html = try template(file).render(extra.isEmpty ? values : values.merging(extra) { $1 })
        if let bodyEnd {
            if let close = html.range(of: "</body>", options: .backwards) {
                html.insert(contentsOf: bodyEnd, at: close.lowerBound)
            } else {
                html += bodyEnd
            }
        }
        return Array(html.utf8)
    }

    private func template(_ file: String) throws(TemplateError) -> Template {
        let (cached, generation) = cache.withLock { ($0.templates[file], $0.generation) }
        if let cached { return cached }
        guard let source = templates.asset(at: file) else {
            throw TemplateError(file: "Templates/\(file)", line: 1, message: "template not found")
        }
        let template = try Template.parse(String(decoding: source.bytes, as: UTF8.self), file: "Templates/\(file)")
        cache.withLock { if $0.generation == generation { $0.templates[file] = template } }
        return template
    }

    /// The most characters of a missing path the 404 page repeats: enough to spot a typo,
    /// while a long path is neither echoed back whole nor costly to render.
    static let maxEchoedPathLength = 80

    /// The 404 page naming `path` (its first ``maxEchoedPathLength`` characters, escaped).
    func notFoundPage(path: some StringProtocol) throws(TemplateError) -> [UInt8] {
        try render("404.html", extra: ["path": .text(Self.echoed(path: path))])
    }

    /// `path` cut to ``maxEchoedPathLength`` characters, an ellipsis marking the cut.
    static func echoed(path: some StringProtocol) -> String {
        let head = path.prefix(maxEchoedPathLength)
        return head.endIndex == path.endIndex ? String(head) : head + "…"
    }

    /// Renders every template once, so a broken one is reported as soon as it is saved.
    func validate() -> TemplateError? {
        forget()
        do {
            _ = try page("index.html")
            _ = try notFoundPage(path: "/")
            return nil
        } catch {
            return error
        }
    }

    /// Drops the rendered pages and parsed templates (a template changed).
    func forget() {
        templates.invalidateAll()
        cache.withLock { $0.pages = [:]; $0.templates = [:]; $0.generation += 1 }
    }
}
