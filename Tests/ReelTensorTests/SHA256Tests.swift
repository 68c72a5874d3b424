import ReelHash
import Testing

@testable import ReelTensor

/// Digests from FIPS 180-2's examples (and Python's hashlib for the float bytes).
@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func publishedVectors(message: String, digest: String) {
        #expect(SHA256.hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func millionAs() {
        let digest = SHA256.hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
        #expect(digest == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// `hashlib.sha256(struct.pack('<37f', *[i * 0.5 - 3 for i in range(37)]))`.
    @Test func littleEndianFloats() {
        let values = (0..<37).map { Float($0) * 0.5 - 3 }
        #expect(
            SHA256.hex(SHA256.hash(littleEndian: values))
                == "e95cc03c48a2117be0448413104fa32d1d95c34fa083cf9238d40850fd463a02")
    }

    /// Feeding the message in pieces of any size gives the one-shot digest.
    @Test func incrementalUpdatesMatchOneShot() {
        var random = SeededRandom(seed: 7)
        let message = (0..<1000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let expected = SHA256.hash(message)
        for piece in [1, 3, 63, 64, 65, 200] {
            var hasher = SHA256()
            var offset = 0
            while offset < message.count {
                let end = min(offset + piece, message.count)
                hasher.update(Array(message[offset..<end]))
                offset = end
            }
            #expect(hasher.finalize() == expected, "pieces of \(piece) bytes")
        }
    }

    /// libcrypto's SHA-256 equals the portable reference on messages of every
    /// length around the block and padding boundaries, one-shot and in pieces.
    @Test func fastHashEqualsTheNaiveReference() {
        var random = SeededRandom(seed: 11)
        let message = (0..<5000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, 4999] {
            var naive = NaiveSHA256()
            naive.update(Array(message[0..<length]))
            #expect(SHA256.hash(Array(message[0..<length])) == naive.finalize(), "\(length) bytes")
        }
        var naive = NaiveSHA256()
        var fast = SHA256()
        for start in stride(from: 0, to: 5000, by: 77) {
            let piece = Array(message[start..<min(start + 77, 5000)])
            naive.update(piece)
            fast.update(piece)
        }
        #expect(fast.finalize() == naive.finalize())
        var published = NaiveSHA256()
        published.update(Array("abc".utf8))
        #expect(SHA256.hex(published.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hexDigestRecognition() {
        #expect(SHA256.isHexDigest(SHA256.hex(SHA256.hash([1, 2, 3]))))
        #expect(!SHA256.isHexDigest("ABC"))
        #expect(!SHA256.isHexDigest(String(repeating: "g", count: 64)))
    }
}
