import Foundation
import TestSupport
import XCTest

/// The `runnel` executable as a user meets it: options, errors, ports, the embedded UI.
final class RunnelBinaryTests: XCTestCase {
    private func emptyDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    func testHelpVersionAndBadOptions() throws {
        let help = try RunnelProcess(arguments: ["--help"])
        XCTAssertEqual(help.exitStatus(), 0)
        XCTAssertTrue(help.waitFor("--strict-port"))
        let version = try RunnelProcess(arguments: ["--version"])
        XCTAssertEqual(version.exitStatus(), 0)
        XCTAssertTrue(version.waitFor("runnel 0."))
        let bad = try RunnelProcess(arguments: ["--port", "http"])
        XCTAssertEqual(bad.exitStatus(), 1)
        XCTAssertTrue(bad.waitFor("runnel: --port takes a whole number from 0 to 65535, not 'http'"), bad.text)
        let unknown = try RunnelProcess(arguments: ["--backend", "nope", "--port", "0"])
        XCTAssertEqual(unknown.exitStatus(), 1)
        XCTAssertTrue(unknown.waitFor("backend 'nope' is not configured"), unknown.text)
        let instance = try RunnelProcess(arguments: ["--instance", "Node_1", "--port", "0"])
        XCTAssertEqual(instance.exitStatus(), 1)
        XCTAssertTrue(instance.waitFor("--instance takes 1 to 32 of a-z, 0-9 and '-', not 'Node_1'"), instance.text)
    }

    /// `--mocks DIR` (README "Mock scenarios"): a bad file named as the user named the
    /// folder, with its line; the good one answers; a missing folder stops the start.
    func testMocksFolderReportsABadFileByLineAndServesTheOthers() throws {
        let directory = try emptyDirectory()
        let mocks = directory.appendingPathComponent("mocks")
        try FileManager.default.createDirectory(at: mocks, withIntermediateDirectories: true)
        try Data("trigger: exact ping\nttft_ms: 0\n--- reply\npong\n".utf8).write(to: mocks.appendingPathComponent("ping.txt"))
        try Data("trigger: exact x\n\nfault: drop after many\n--- reply\nx\n".utf8).write(to: mocks.appendingPathComponent("bad.txt"))
        let server = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--quiet", "--mocks", "mocks"], directory: directory)
        defer { _ = server.terminate() }
        let port = try XCTUnwrap(server.waitForPort(), server.text)
        XCTAssertTrue(server.text.contains("runnel: mocks/bad.txt:3: 'after' must be a whole number"), server.text)
        XCTAssertTrue(server.text.contains("runnel: --mocks: read 1 scenario from mocks"), server.text)
        let client = try TestClient(port: port)
        let body = #"{"message": "ping"}"#
        try client.send("POST /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        let reply = try client.readResponse()
        XCTAssertTrue(reply.text.contains(#""full_response":"pong""#), reply.text)

        let missing = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--mocks", "nowhere"], directory: directory)
        XCTAssertEqual(missing.exitStatus(), 1)
        XCTAssertTrue(missing.waitFor("--mocks: 'nowhere' is not a folder"), missing.text)
    }

    func testAMistypedOptionGetsADidYouMean() throws {
        let typo = try RunnelProcess(arguments: ["--prot", "9000"])
        XCTAssertEqual(typo.exitStatus(), 1)
        XCTAssertTrue(typo.waitFor("runnel: unknown option '--prot'; did you mean --port?"), typo.text)
        let inline = try RunnelProcess(arguments: ["--backnd=echo"])
        XCTAssertEqual(inline.exitStatus(), 1)
        XCTAssertTrue(inline.waitFor("unknown option '--backnd'; did you mean --backend?"), inline.text)
        let far = try RunnelProcess(arguments: ["--frobnicate"])
        XCTAssertEqual(far.exitStatus(), 1)
        XCTAssertTrue(far.waitFor("unknown option '--frobnicate' (see runnel --help)"), far.text)
    }

    func testAnUnresolvableHostSaysSoAndSuggestsAddresses() throws {
        let bad = try RunnelProcess(arguments: ["--host", "nosuchhost.invalid", "--port", "0", "--embedded"])
        XCTAssertEqual(bad.exitStatus(), 1)
        XCTAssertTrue(bad.waitFor("cannot resolve the host 'nosuchhost.invalid'"), bad.text)
        XCTAssertTrue(bad.text.contains("--host 127.0.0.1") && bad.text.contains("--host 0.0.0.0"), bad.text)
    }

    func testAPrivilegedPortAsAnOrdinaryUserSaysItNeedsRoot() throws {
        // As root (CI) the bind would succeed: drop to nobody for this one run.
        var binary = RunnelProcess.builtBinary
        var arguments = ["--port", "80", "--strict-port", "--embedded"]
        if getuid() == 0 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw XCTSkip("root without setpriv") }
            arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", binary.path] + arguments
            binary = URL(fileURLWithPath: "/usr/bin/setpriv")
        }
        let unprivileged = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8)
        guard Int(unprivileged.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1024 > 80 else {
            throw XCTSkip("this kernel lets anyone bind port 80")
        }
        let low = try RunnelProcess(binary: binary, arguments: arguments)
        XCTAssertEqual(low.exitStatus(), 1)
        XCTAssertTrue(low.waitFor("runnel: port 80 needs root (ports below 1024 are privileged); use a port above 1023"), low.text)
    }

    func testEmbeddedBinaryServesTheWholeUIAloneInAnEmptyDirectory() throws {
        let directory = try emptyDirectory()
        let copy = directory.appendingPathComponent("runnel")
        try FileManager.default.copyItem(at: RunnelProcess.builtBinary, to: copy)
        let server = try RunnelProcess(binary: copy, arguments: ["--port", "0", "--quiet"], directory: directory)
        defer { _ = server.terminate() }
        let port = try XCTUnwrap(server.waitForPort(), server.text)
        XCTAssertTrue(server.text.contains("embedded"), "no Frontend/ here: embedded mode")

        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let index = try client.readResponse()
        XCTAssertEqual(index.status, 200)
        XCTAssertTrue(index.text.contains("<script type=\"module\" src=\"/app.js\"></script>"))
        XCTAssertFalse(index.text.contains("__runnel/client.js"), "no hot reload when embedded")
        // Every file, those in subfolders too (`inspector/`).
        let files = try FileManager.default.subpathsOfDirectory(atPath: repository.appendingPathComponent("Frontend").path)
        for file in files where !file.hasPrefix(".") && !file.contains("/.") {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: repository.appendingPathComponent("Frontend/\(file)").path, isDirectory: &isFolder),
                  !isFolder.boolValue else { continue }
            try client.send("GET /\(file) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200, file)
            XCTAssertEqual(Data(response.body), try Data(contentsOf: repository.appendingPathComponent("Frontend/\(file)")), "\(file) is the current file")
        }
        try client.send("POST /api/message HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 37\r\n\r\n{\"message\":\"hi there\",\"backend\":\"echo\"}".replacingOccurrences(of: "37", with: "39"))
        XCTAssertTrue(try client.readResponse().text.contains("\"full_response\":\"hi there\""))
    }

    func testBusyPortMovesOnUnlessStrict() throws {
        let first = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--quiet"])
        defer { _ = first.terminate() }
        let port = try XCTUnwrap(first.waitForPort(), first.text)
        let second = try RunnelProcess(arguments: ["--port", String(port), "--embedded", "--quiet"])
        defer { _ = second.terminate() }
        let moved = try XCTUnwrap(second.waitForPort(), second.text)
        XCTAssertGreaterThan(moved, port, "the next free port (port + 1 unless that is taken too)")
        XCTAssertTrue(second.text.contains("runnel: port \(port) in use, trying \(port + 1)"))
        let strict = try RunnelProcess(arguments: ["--port", String(port), "--strict-port", "--embedded"])
        XCTAssertEqual(strict.exitStatus(), 1)
        XCTAssertTrue(strict.waitFor("port \(port) is in use"), strict.text)
    }

    func testSighupStopsGracefullyAndEndsStreamsWithShuttingDown() throws {
        let server = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--quiet", "--shutdown-grace-seconds", "0"])
        defer { _ = server.terminate() }
        let port = try XCTUnwrap(server.waitForPort(), server.text)
        let client = try TestClient(port: port)
        let json = #"{"message":"/hang","conversation_id":"hup"}"#
        try client.send("POST /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)")
        XCTAssertEqual(try client.readResponse(bodyless: true).status, 200)
        kill(server.process.processIdentifier, SIGHUP)
        let rest = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(rest.contains("shutting_down"), "the stream was told why it ended: \(rest)")
        XCTAssertTrue(rest.hasSuffix("0\r\n\r\n"), "and its chunked body ended")
        XCTAssertEqual(server.exitStatus(), 0, "a clean exit after SIGHUP")
        XCTAssertTrue(server.text.contains("shutting down"))
    }

    func testSigtermStopsGracefully() throws {
        let server = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--quiet"])
        _ = try XCTUnwrap(server.waitForPort(), server.text)
        XCTAssertEqual(server.terminate(), 0, "a clean exit after SIGTERM")
        XCTAssertTrue(server.text.contains("shutting down"))
    }
}
