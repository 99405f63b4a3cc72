import ChatBackends

/// The configured backends by name, and the one used when a request names none.
struct BackendSet: Sendable {
    let all: [any ChatBackend]
    let defaultName: String

    init(_ backends: [any ChatBackend], defaultName: String) {
        self.all = backends
        self.defaultName = defaultName
    }

    var names: [String] { all.map(\.name) }

    func backend(named name: String?) -> (any ChatBackend)? {
        let wanted = name ?? defaultName
        return all.first { $0.name == wanted }
    }

    /// `{"default": "mock", "backends": [{"name", "model", "kind"}]}` for `/api/backends`
    /// and the page's configuration.
    var listing: JSON {
        .object([("default", .string(defaultName)), ("backends", backendsJSON)])
    }

    var backendsJSON: JSON {
        .array(all.map { .object([("name", .string($0.name)), ("model", .string($0.model)), ("kind", .string($0.kind))]) })
    }
}
