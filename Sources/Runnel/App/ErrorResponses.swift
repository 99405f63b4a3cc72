import HTTPServer

/// Where every error becomes a response, whoever raised it (a route, the security policy,
/// the router, the server's parser): on the provider endpoints the provider's own error
/// JSON (``ProviderFormat``), JSON `{"error": {"code", "message", …}}` on the API, plain
/// text elsewhere, with the error's headers and the security headers.
enum ErrorResponses {
    static func response(for error: HTTPError, path: String?) -> Response {
        var response: Response
        if let format = path.flatMap(ProviderFormat.init(path:)) {
            response = Response(status: error.status, headers: ["Content-Type": "application/json"], body: format.errorBody(error).bytes)
        } else if path.map(isAPI) ?? false {
            let fields: [(String, JSON)] = [("code", .string(error.code)), ("message", .string(error.message))]
                + error.details.map { ($0.name, .string($0.value)) }
            response = Response(status: error.status, headers: ["Content-Type": "application/json"],
                                body: JSON.object([("error", .object(fields))]).bytes)
        } else if error.status == .unauthorized {
            response = Response(status: error.status, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"],
                                body: Array(loginPage.utf8))
        } else {
            response = Response.text(error.message + "\n", status: error.status)
        }
        for field in error.headers { response.headers[field.name] = field.value }
        SecurityHeaders.apply(to: &response)
        return response
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

    /// The paths whose clients are programs: errors there are JSON.
    static func isAPI(_ path: String) -> Bool { path.hasPrefix("/api/") || ProviderFormat(path: path) != nil }
}
