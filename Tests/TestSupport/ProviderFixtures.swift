import Foundation

/// Providers' exact stream bytes, kept as files in `Tests/Fixtures/Providers/` so that the
/// XCTests (through ``FakeUpstream``) and the SDK tests (`Tests/SDK/run.py`, through its
/// Python fake provider) replay the very same bytes.
public enum ProviderFixtures {
    /// `Tests/Fixtures/Providers/`, found from this file's own path.
    public static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/Providers", isDirectory: true)

    /// The file `name` as text, byte for byte (line endings included).
    public static func text(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: folder.appendingPathComponent(name)), as: UTF8.self)
    }
}
