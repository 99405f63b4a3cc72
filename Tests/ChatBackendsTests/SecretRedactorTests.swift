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
}
