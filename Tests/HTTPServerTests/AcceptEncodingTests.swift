import XCTest
import HTTPServer

final class AcceptEncodingTests: XCTestCase {
    func testPlainListsThatNameGzip() {
        XCTAssertTrue(AcceptEncoding.allowsGzip("gzip"))
        XCTAssertTrue(AcceptEncoding.allowsGzip("gzip, deflate, br, zstd"))
        XCTAssertTrue(AcceptEncoding.allowsGzip("br;q=1.0, gzip;q=0.8, *;q=0.1"))
        XCTAssertTrue(AcceptEncoding.allowsGzip("x-gzip"))
    }

    func testCaseAndWhitespaceDoNotMatter() {
        XCTAssertTrue(AcceptEncoding.allowsGzip("GZip"))
        XCTAssertTrue(AcceptEncoding.allowsGzip("  deflate ,\tgzip ; Q = 0.5 "))
        XCTAssertFalse(AcceptEncoding.allowsGzip("GZIP;Q=0"))
    }

    func testZeroWeightRefuses() {
        XCTAssertFalse(AcceptEncoding.allowsGzip("gzip;q=0"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("gzip;q=0.000"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("gzip;q=0, *"), "explicit gzip beats the wildcard")
        XCTAssertTrue(AcceptEncoding.allowsGzip("gzip;q=0.001"))
        XCTAssertTrue(AcceptEncoding.allowsGzip("gzip;q=1, *;q=0"), "explicit gzip beats the wildcard")
    }

    func testWildcard() {
        XCTAssertTrue(AcceptEncoding.allowsGzip("*"))
        XCTAssertTrue(AcceptEncoding.allowsGzip("*;q=0.5"))
        XCTAssertTrue(AcceptEncoding.allowsGzip("br, *;q=0.5"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("*;q=0"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("identity, *;q=0"))
    }

    func testNoGzipOffered() {
        XCTAssertFalse(AcceptEncoding.allowsGzip(nil))
        XCTAssertFalse(AcceptEncoding.allowsGzip(""))
        XCTAssertFalse(AcceptEncoding.allowsGzip("identity"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("br, deflate"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("gzipper, xgzip"))
    }

    func testMalformedWeightsAreIgnored() {
        XCTAssertFalse(AcceptEncoding.allowsGzip("gzip;q=abc"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("gzip;q=1.5"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("gzip;q=0.1234"))
        XCTAssertFalse(AcceptEncoding.allowsGzip("gzip;q="))
        XCTAssertTrue(AcceptEncoding.allowsGzip("gzip;q=abc, *"), "the wildcard still applies")
        XCTAssertTrue(AcceptEncoding.allowsGzip(",,gzip,,"))
        XCTAssertTrue(AcceptEncoding.allowsGzip("gzip;level=9"), "parameters other than q are ignored")
    }
}
