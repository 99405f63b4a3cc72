import XCTest
@testable import ChatBackends

final class SecretRedactorTests: XCTestCase {
    func testExactSecretsAreRemoved() {
        XCTAssertEqual(SecretRedactor.redact("bad key abcdefgh12345678 given", secrets: ["abcdefgh12345678"]), "bad key [redacted] given")
    }

    func testKeyShapedWordsAreRemovedEvenWhenNotOurs() {
        XCTAssertEqual(SecretRedactor.redact("Incorrect API key provided: sk-proj-********************abcd.", secrets: []),
                       "Incorrect API key provided: [redacted]")
        XCTAssertEqual(SecretRedactor.redact("key=AIzaSyA1234567890abcdefghijk", secrets: []), "key=[redacted]")
    }

    func testOrdinaryWordsStay() {
        let text = "Use sk-learn or the task-runner; short key x stays."
        XCTAssertEqual(SecretRedactor.redact(text, secrets: ["x"]), text)
    }

    func testSecretsAreFoundInAnyCase() {
        let key = "ZQ7Secret-Key-0123456789"
        XCTAssertEqual(SecretRedactor.redact("invalid header: bearer zq7secret-key-0123456789", secrets: [key]), "invalid header: bearer [redacted]")
        XCTAssertEqual(SecretRedactor.redact("KEY ZQ7SECRET-KEY-0123456789. zQ7sEcReT-kEy-0123456789", secrets: [key]), "KEY [redacted]. [redacted]")
        XCTAssertEqual(SecretRedactor.redact("é zq7secret-key-0123456789é", secrets: [key]), "é [redacted]é", "UTF-8 around a match stays intact")
    }

    func testKeyShapedWordsAreFoundInAnyCase() {
        XCTAssertEqual(SecretRedactor.redact("AUTHORIZATION: BEARER SK-PROJ-ABCDEF1234567890", secrets: []), "AUTHORIZATION: BEARER [redacted]")
        XCTAssertEqual(SecretRedactor.redact("key=aizasya1234567890abcdefghijk", secrets: []), "key=[redacted]")
    }
}
