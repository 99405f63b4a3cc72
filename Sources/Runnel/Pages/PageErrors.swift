import HTTPServer

/// The page routes' errors. Like the API's, they are plain ``HTTPError``s, rendered by
/// ``ErrorResponses``: on a page path a 404 becomes the 404 page, a 5xx the error page.
extension HTTPError {
    /// Nothing at `path`: no route and no file.
    static func pageNotFound(_ path: String) -> HTTPError {
        HTTPError(.notFound, "no route or file at \(Pages.echoed(path: path))", code: "not_found")
    }

    /// A template that does not render: where it broke and why (the dev overlay says the same).
    static func templateFailed(_ error: TemplateError) -> HTTPError {
        HTTPError(.internalServerError, "template error\n\n\(error.description)", code: "template_error")
    }
}
