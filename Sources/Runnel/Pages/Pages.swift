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
    private let rendered = Mutex<[String: Asset]>([:])

    init(templates: AssetStore, values: [String: TemplateValue], bodyEnd: String?) {
        self.templates = templates
        self.values = values
        self.bodyEnd = bodyEnd
    }

    /// The page rendered from `file` (e.g. `index.html`), with `extra` values.
    func page(_ file: String, extra: [String: TemplateValue] = [:]) throws(TemplateError) -> Asset {
        let key = extra.isEmpty ? file : ""
        if !key.isEmpty, let cached = rendered.withLock({ $0[key] }) { return cached }
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
        if !key.isEmpty { rendered.withLock { $0[key] = asset } }
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
        rendered.withLock { $0 = [:] }
    }
}
