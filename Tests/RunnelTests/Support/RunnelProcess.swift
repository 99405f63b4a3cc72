import Foundation
import XCTest

/// The built `runnel` binary run as a user runs it, its output collected line by line.
final class RunnelProcess: @unchecked Sendable {
    // Safe: `output` is only touched under `lock`; the process is driven from the test.
    let process = Process()
    private let lock = NSLock()
    private var output = ""
    private let outputChanged = NSCondition()

    /// The binary next to the test bundle (`swift build` puts them in one folder).
    static var builtBinary: URL {
        (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent().appendingPathComponent("runnel")
    }

    init(binary: URL = RunnelProcess.builtBinary, arguments: [String], directory: URL? = nil, environment: [String: String]? = nil) throws {
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.outputChanged.lock()
            self.lock.lock()
            self.output += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
            self.outputChanged.broadcast()
            self.outputChanged.unlock()
        }
        try process.run()
    }

    var text: String { lock.lock(); defer { lock.unlock() }; return output }

    /// Waits until the output contains `needle` (or the process ends, or `timeout`).
    func waitFor(_ needle: String, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        outputChanged.lock()
        defer { outputChanged.unlock() }
        while !text.contains(needle) {
            if !process.isRunning && !text.contains(needle) {
                // One last look: the final bytes may land just after exit.
                _ = outputChanged.wait(until: Date().addingTimeInterval(0.2))
                return text.contains(needle)
            }
            if !outputChanged.wait(until: deadline) { return text.contains(needle) }
        }
        return true
    }

    /// The port from the `runnel: listening on http://HOST:PORT/` line.
    func waitForPort(timeout: TimeInterval = 10) -> Int? {
        guard waitFor("listening on http://", timeout: timeout) else { return nil }
        let line = text.split(separator: "\n").first { $0.contains("listening on http://") } ?? ""
        return line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "/ \r"))) }
    }

    /// The exit status of a process that ends by itself.
    func exitStatus() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    func terminate() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
