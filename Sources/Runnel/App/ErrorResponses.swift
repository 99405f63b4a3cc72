import HTTPServer

/// Where every error becomes a response, whoever raised it (a route, the security policy,
/// the router, the server's parser): JSON `{"error": {"code", "message", …}}` on the API,
/// plain text elsewhere, with the error's headers and the security headers.
enum ErrorResponses {
    static func response(for error: HTTPError, path: String?) -> Response {
        var response: Response
        if path.map(isAPI) ?? false {
            let fields: [(String, JSON)] = [("code", .string(error.code)), ("message", .string(error.message))]
                + error.details.map { ($0.name, .string($0.value)) }
            response = Response(status: error.status, headers: ["Content-Type": "application/json"],
                                body: JSON.object([("error", .object(fields))]).bytes)
        } else {
            response = Response.text(error.message + "\n", status: error.status)
        }
        for field in error.headers { response.headers[field.name] = field.value }
        SecurityHeaders.apply(to: &response)
        return response
    }

    /// The paths whose clients are programs: errors there are JSON.
    static func isAPI(_ path: String) -> Bool { path.hasPrefix("/api/") }
}
