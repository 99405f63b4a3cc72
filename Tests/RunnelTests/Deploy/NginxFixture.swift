import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A real nginx (Debian's `nginx-light`, which `make deps-test` installs) run as a child
/// of the test, in the foreground, with its own temporary prefix, in front of Runnel on
/// loopback. Its site is the README's own (the first ```nginx block, or the one for
/// several instances), with only the ports changed: what the README shows is what is tested.
final class NginxFixture {
    static let binary = "/usr/sbin/nginx"
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The README's first fenced block of `language` (that contains `marker`, when given).
    static func readmeBlock(_ language: String, containing marker: String? = nil) throws -> String {
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        var rest = readme.startIndex..<readme.endIndex
        while let open = readme.range(of: "```\(language)\n", range: rest),
              let close = readme.range(of: "```\n", range: open.upperBound..<readme.endIndex) {
            let block = String(readme[open.upperBound..<close.lowerBound])
            if marker.map(block.contains) ?? true { return block }
            rest = close.upperBound..<readme.endIndex
        }
        throw Failure(description: "README.md has no ```\(language) block\(marker.map { " with '\($0)'" } ?? "")")
    }

    let port: Int
    let prefix: URL
    private let process = Process()

    /// The site as the README shows it, pointed at these ports.
    static func site(listen port: Int, upstreams: [Int]) throws -> String {
        let text = try readmeBlock("nginx")
        guard text.contains("    server 127.0.0.1:8080;\n"), text.contains("    listen 80;\n") else {
            throw Failure(description: "the README's nginx site no longer has the lines this fixture rewrites (server 127.0.0.1:8080; listen 80;)")
        }
        let servers = upstreams.map { "    server 127.0.0.1:\($0);\n" }.joined()
        return text.replacingOccurrences(of: "    server 127.0.0.1:8080;\n", with: servers)
            .replacingOccurrences(of: "    listen 80;\n", with: "    listen 127.0.0.1:\(port);\n")
    }

    /// The README's site for several instances (the block with the `map` on reply ids),
    /// its instances `a` (README port 8081) and `b` (8082) at these ports.
    static func instancesSite(listen port: Int, a: Int, b: Int) throws -> String {
        let text = try readmeBlock("nginx", containing: "map $uri $runnel_reply_upstream")
        for line in ["    server 127.0.0.1:8081;\n", "    server 127.0.0.1:8082;\n", "    listen 80;\n", "~^/api/replies/a\\.", "~^/api/replies/b\\."] {
            guard text.contains(line) else {
                throw Failure(description: "the README's site for several instances no longer has the line this fixture relies on: \(line)")
            }
        }
        return text.replacingOccurrences(of: "127.0.0.1:8081;", with: "127.0.0.1:\(a);")
            .replacingOccurrences(of: "127.0.0.1:8082;", with: "127.0.0.1:\(b);")
            .replacingOccurrences(of: "    listen 80;\n", with: "    listen 127.0.0.1:\(port);\n")
    }

    init(site: (Int) throws -> String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw XCTSkip("no \(Self.binary): `make deps-test` installs nginx-light")
        }
        port = try Self.freePort()
        prefix = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        let path = prefix.path
        try site(port).write(to: prefix.appendingPathComponent("site.conf"), atomically: true, encoding: .utf8)
        // One process, no daemon: it is the test's child, and as root it never switches
        // to a user that could not write the prefix.
        try """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(path)/nginx.pid;
            error_log \(path)/error.log info;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(path)/client_body;
                proxy_temp_path \(path)/proxy;
                fastcgi_temp_path \(path)/fastcgi;
                uwsgi_temp_path \(path)/uwsgi;
                scgi_temp_path \(path)/scgi;
                include \(path)/site.conf;
            }

            """.write(to: prefix.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-p", path, "-c", "\(path)/nginx.conf", "-e", "\(path)/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port) {
            guard process.isRunning, Date() < deadline else {
                throw XCTSkip("nginx did not start: \(errorLog)")
            }
            usleep(10_000)
        }
    }

    var errorLog: String { (try? String(contentsOf: prefix.appendingPathComponent("error.log"), encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: prefix)
    }

    /// A port the kernel just had free (bound to 0, read back, closed).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw XCTSkip("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
