import XCTest

extension XCTestCase {
    /// Calls `stop` with `resource` when the test ends, then lets go of it.
    ///
    /// XCTest on Linux keeps every test case until the process exits (`XCTest.testRun` and
    /// `XCTestRun.test` retain each other), and with it the teardown blocks it ran: a block
    /// that captured `resource` would keep it, and all it holds, alive to the end, where
    /// LeakSanitizer could not tell it from a leak (README "Tests": `make test-sanitize`).
    public func stopAtTearDown<Resource: AnyObject & Sendable>(
        _ resource: Resource, _ stop: @escaping @Sendable (Resource) async -> Void
    ) {
        let slot = TearDownSlot(resource)
        addTeardownBlock {
            guard let resource = slot.take() else { return }
            await stop(resource)
        }
    }
}

/// The resource a teardown block stops and then drops.
// @unchecked Sendable: `resource` is set at creation and taken once, by the teardown block,
// which XCTest runs after the test body has returned.
private final class TearDownSlot<Resource: AnyObject>: @unchecked Sendable {
    private var resource: Resource?

    init(_ resource: Resource) { self.resource = resource }

    func take() -> Resource? {
        defer { resource = nil }
        return resource
    }
}
