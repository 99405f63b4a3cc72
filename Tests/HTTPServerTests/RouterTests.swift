import HTTPServer
import XCTest

final class RouterTests: XCTestCase {
    private func request(_ method: HTTPMethod, _ target: String) -> Request {
        Request(head: RequestHead(method: method, target: target, headers: ["Host": "h"]))
    }

    private var router: Router {
        var router = Router()
        router.add(.get, "/a") { _ in .text("a") }
        router.add(.post, "/a", maxBodySize: 10) { _ in .text("posted") }
        router.fallback = { request in .text("fallback \(request.path)") }
        return router
    }

    func testExactPathThenMethod() async throws {
        let get = try await router.handle(request(.get, "/a?x=1"))
        XCTAssertEqual(get.body.bytes, Array("a".utf8))
        let post = try await router.handle(request(.post, "/a"))
        XCTAssertEqual(post.body.bytes, Array("posted".utf8))
        XCTAssertEqual(router.maxBodySize(for: request(.post, "/a").head), 10)
    }

    func testHeadUsesTheGetRoute() async throws {
        let head = try await router.handle(request(.head, "/a"))
        XCTAssertEqual(head.body.bytes, Array("a".utf8))
    }

    func testWrongMethodIs405WithAllow() async {
        do {
            _ = try await router.handle(request(.delete, "/a"))
            XCTFail("405 expected")
        } catch let error as HTTPError {
            XCTAssertEqual(error.status, .methodNotAllowed)
            XCTAssertEqual(error.headers["Allow"], "GET, HEAD, POST")
        } catch {
            XCTFail("\(error)")
        }
    }

    func testUnknownPathsGoToTheFallbackForGetOnly() async throws {
        let fallback = try await router.handle(request(.get, "/x/y"))
        XCTAssertEqual(fallback.body.bytes, Array("fallback /x/y".utf8))
        do {
            _ = try await router.handle(request(.post, "/x/y"))
            XCTFail("405 expected")
        } catch let error as HTTPError {
            XCTAssertEqual(error.status, .methodNotAllowed)
        }
        XCTAssertEqual(router.maxBodySize(for: request(.post, "/x/y").head), ServerConfiguration.defaultMaxBodySize,
                       "unknown routes read the body, so the answer is 404/405, not 413")
    }
}

extension ResponseBody {
    var bytes: [UInt8]? { if case .bytes(let bytes) = self { return bytes } else { return nil } }
}
