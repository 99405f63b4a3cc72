import Foundation
import HTTPServer
import Synchronization

/// The rendered templates (`/` from `Templates/index.html`, the 404 page): each rendered
/// once per template version and kept as an ``Asset``, so gzip and ETags come with it.
final class Pages: Sendable {
    let templates: AssetStore
    /// The values every template may use (title, version, mode, backends…).
    let values: [String: TemplateValue]
    /// Trusted HTML put before `</body>` of every page (the hot-reload client in dev).
    let bodyEnd: String?
    /// Rendered pages, and a generation bumped by ``forget()``: a render that raced a
    /// template change is not cached over the newer page.
    private let rendered = Mutex<(pages: [String: Asset], generation: Int)>(([:], 0))

    init(templates: AssetStore, values: [String: TemplateValue], bodyEnd: String?) {
        self.templates = templates
        self.values = values
        self.bodyEnd = bodyEnd
    }

    /// The page rendered from `file` (e.g. `index.html`), with `extra` values.
    func page(_ file: String, extra: [String: TemplateValue] = [:]) throws(TemplateError) -> Asset {
        let key = extra.isEmpty ? file : ""
        let (cached, generation) = rendered.withLock { ($0.pages[key], $0.generation) }
        if !key.isEmpty, let cached { return cached }
        guard let source = templates.asset(at: file) else {
            throw TemplateError(file: "Templates/\(file)", line: 1, message: "template not found")
        }
        let template = try Template.parse(String(decoding: source.bytes, as: UTF8.self), file: "Templates/\(file)")
        var html = try template.render(values.merging(extra) { $1 })
        if let bodyEnd {
            if let close = html.range(of: "</body>", options: .backwards) {
                html.insert(contentsOf: bodyEnd, at: close.lowerBound)
            } else {
                html += bodyEnd
            }
        }
        let asset = Asset(path: file, bytes: Array(html.utf8))
        if !key.isEmpty {
            rendered.withLock { if $0.generation == generation { $0.pages[key] = asset } }
        }
        return asset
    }

    /// Renders every template once, so a broken one is reported as soon as it is saved.
    func validate() -> TemplateError? {
        forget()
        do {
            _ = try page("index.html")
            _ = try page("404.html", extra: ["path": .text("/")])
            return nil
        } catch {
            return error
        }
    }

    /// Drops the rendered pages (a template changed).
    func forget() {
        templates.invalidateAll()
        rendered.withLock { $0.pages = [:]; $0.generation += 1 }
    }
}
