import HTTPServer

/// Where every error becomes a response, whoever raised it (a route, the security policy,
/// the router, the server's parser), shaped for whoever reads that path (README "Errors"):
/// - the provider endpoints: the provider's own error JSON (``ProviderFormat``);
/// - the API (`/api/*`) and the inspector's JSON routes: JSON `{"error": {"code", "message", …}}`;
/// - any other path is a page a person may be reading: 401 the login page, 404 the 404
///   page naming the path, a 5xx a small HTML page with the message (and, in dev mode, the
///   hot-reload client, so the page reloads once the cause is fixed); anything else, and an
///   error raised before the request's path was read, plain text.
///
/// Every one carries the error's headers and the security headers. Routes never build an
/// error response themselves: they throw an ``HTTPError`` and this renders it.
struct ErrorResponses: Sendable {
    /// The templates: the 404 page comes from `Templates/404.html`, and what pages put
    /// before `</body>` (the hot-reload client in dev mode) ends the error page too.
    let pages: Pages

    func response(for error: HTTPError, path: String?) -> Response {
        var response = body(for: error, path: path)
        for field in error.headers { response.headers[field.name] = field.value }
        SecurityHeaders.apply(to: &response)
        return response
    }

    private func body(for error: HTTPError, path: String?) -> Response {
        if let format = path.flatMap(ProviderFormat.init(path:)) {
            return Response(status: error.status, headers: ["Content-Type": "application/json"], body: format.errorBody(error).bytes)
        }
        if let path, Self.isAPI(path) || path.hasPrefix(InspectorAPI.path + "/") {
            let fields: [(String, JSON)] = [("code", .string(error.code)), ("message", .string(error.message))]
                + error.details.map { ($0.name, .string($0.value)) }
            return Response(status: error.status, headers: ["Content-Type": "application/json"],
                            body: JSON.object([("error", .object(fields))]).bytes)
        }
        if error.status == .unauthorized {
            return Self.html(Self.loginPage, status: error.status, cache: "no-store")
        }
        if let path, error.status == .notFound, let page = try? pages.notFoundPage(path: path) {
            // Rendered per request (it names the path), so without gzip or ETag.
            return Response(status: error.status, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"], body: page)
        }
        if path != nil, error.status.code >= 500 {
            return Self.html(errorPage(error), status: error.status, cache: "no-cache")
        }
        return Response.text(error.message + "\n", status: error.status)
    }

    /// A page for a failure of the server's own (a broken template, a limit reached): the
    /// message, escaped, as it is; no script or style inline (the CSP allows none).
    private func errorPage(_ error: HTTPError) -> String {
        "<!doctype html><meta charset=utf-8><title>\(error.status.code) \(TemplateValue.escapingHTML(error.status.reason)) · Runnel</title>"
            + "<pre>Runnel: " + TemplateValue.escapingHTML(error.message) + "</pre>\n" + (pages.bodyEnd ?? "")
    }

    private static func html(_ page: String, status: HTTPStatus, cache: String) -> Response {
        Response(status: status, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": cache], body: Array(page.utf8))
    }

    /// What a browser without the access token sees: a form that logs in the way the
    /// banner's URL does (`/?token=…`). No script or style: the CSP allows none inline.
    static let loginPage = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Runnel: log in</title></head>
        <body><main><h1>Runnel</h1>
        <p>This server needs its access token. Open the login URL it printed when it started, or paste the token here.</p>
        <form method="get" action="/"><label>Token <input name="token" type="password" autocomplete="current-password" required autofocus></label>
        <button type="submit">Log in</button></form></main></body></html>

        """

    /// The API's paths, whose clients are programs: errors there are JSON, and the
    /// security policy applies the API's rules (origins, CORS, request rate) to them.
    static func isAPI(_ path: String) -> Bool { path.hasPrefix("/api/") || ProviderFormat(path: path) != nil }
}
