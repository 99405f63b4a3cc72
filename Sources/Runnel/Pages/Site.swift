import HTTPServer

/// The page routes: `/` from the index template, the files of `Frontend/`, and in dev mode
/// the hot-reload client and its event stream (README "Other routes"). What fails here is
/// thrown: ``ErrorResponses`` renders the 404 page and the template error page.
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
                throw HTTPError.templateFailed(error)
            }
        }
        if let reloadHub {
            router.add(.get, ReloadClient.path) { _ in
                Response(status: .ok, headers: ["Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"],
                         body: Array(ReloadClient.source.utf8))
            }
            router.add(.get, ReloadClient.eventsPath) { _ in try reloadHub.response(heartbeat: heartbeat) }
        }
        router.fallback = { request in
            if let response = try files.response(for: request) { return response }
            throw HTTPError.pageNotFound(request.path)
        }
    }
}
