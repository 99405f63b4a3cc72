import HTTPServer

/// The page routes: `/` from the index template, the files of `Frontend/`, the 404 page,
/// and in dev mode the hot-reload client and its event stream (README "Other routes").
struct Site: Sendable {
    let files: StaticFiles
    let pages: Pages
    let reloadHub: ReloadHub?
    let heartbeat: Duration

    func install(into router: inout Router) {
        router.add(.get, "/") { request in
            do throws(TemplateError) {
                return StaticFiles.serve(try pages.page("index.html"), for: request)
            } catch {
                return Self.templateFailure(error, reloads: reloadHub != nil)
            }
        }
        if let reloadHub {
            router.add(.get, ReloadClient.path) { _ in
                Response(status: .ok, headers: ["Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"],
                         body: Array(ReloadClient.source.utf8))
            }
            router.add(.get, ReloadClient.eventsPath) { _ in reloadHub.response(heartbeat: heartbeat) }
        }
        router.fallback = { request in
            if let response = try files.response(for: request) { return response }
            return notFound(request)
        }
    }

    /// The most characters of a missing path the 404 page repeats: enough to spot a typo,
    /// while a long path is neither echoed back whole nor costly to render.
    static let maxEchoedPathLength = 80

    /// The 404 page, rendered per request without gzip or ETag (it names the path).
    private func notFound(_ request: Request) -> Response {
        do {
            let body = try pages.render("404.html", extra: ["path": .text(Self.echoed(path: request.path))])
            return Response(status: .notFound, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"], body: body)
        } catch {
            return .text("not found\n", status: .notFound)
        }
    }

    /// `path` cut to ``maxEchoedPathLength`` characters, an ellipsis marking the cut (the
    /// template escapes it).
    static func echoed(path: some StringProtocol) -> String {
        let head = path.prefix(maxEchoedPathLength)
        return head.endIndex == path.endIndex ? String(head) : head + "…"
    }

    /// A broken template answers 500 with where it broke, escaped (the overlay says the same).
    private static func templateFailure(_ error: TemplateError, reloads: Bool) -> Response {
        let html = "<!doctype html><meta charset=utf-8><title>Template error</title><pre>Runnel: template error\n\n"
            + TemplateValue.escapingHTML(error.description) + "</pre>\n" + (reloads ? ReloadClient.scriptTag : "")
        return Response(status: .internalServerError, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"],
                        body: Array(html.utf8))
    }
}
