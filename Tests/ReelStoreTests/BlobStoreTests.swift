import Foundation
import ReelHash
import ReelStore
import ReelTensor
import Testing

@Suite struct BlobStoreTests {
    private func withStore(_ body: (BlobStore) throws -> Void) throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("reel-blobs-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(try BlobStore(directory: directory))
    }

    @Test func roundTripIsContentAddressedAndIdempotent() throws {
        try withStore { store in
            let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let key = try store.put(bytes)
            #expect(key == SHA256.hex(SHA256.hash(bytes)))
            #expect(try store.path(of: key).path.hasSuffix("/\(key.prefix(2))/\(key)"))
            #expect(store.contains(key))
            #expect(try store.get(key) == bytes)
            #expect(try store.put(bytes) == key)
            let shelf = try store.path(of: key).deletingLastPathComponent().path
            #expect(try FileManager.default.contentsOfDirectory(atPath: shelf) == [key], "no temporary left behind")
            #expect(try store.get(try store.put([])) == [])
        }
    }

    /// Blobs of a megabyte and more are written past the page cache (`O_DIRECT`)
    /// in aligned pieces: lengths that are not a multiple of the alignment or of
    /// the piece come back whole, byte for byte, read by `get` and by `map`.
    @Test func largeBlobsWrittenDirectlyComeBackWhole() throws {
        try withStore { store in
            for count in [1 << 20, (1 << 20) + 12_345, 2 * (1 << 20) + 4096 + 7] {
                let bytes = (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) }
                let key = try store.put(bytes)
                #expect(try store.get(key) == bytes, "\(count) bytes")
                let attributes = try FileManager.default.attributesOfItem(atPath: try store.path(of: key).path)
                #expect((attributes[.size] as? Int) == count, "no padding left on \(count) bytes")
                let mapped = try BlobStore(directory: store.directory).map(key)
                #expect(mapped.bytes.elementsEqual(bytes), "mapped, \(count) bytes")
                let shelf = try store.path(of: key).deletingLastPathComponent().path
                #expect(try FileManager.default.contentsOfDirectory(atPath: shelf).filter { $0.hasPrefix(".tmp") }.isEmpty, "no temporary left behind")
            }
        }
    }

    @Test func corruptionIsDetectedAndNamesTheFile() throws {
        try withStore { store in
            let key = try store.put(Array("latents".utf8))
            let file = try store.path(of: key)
            try Data("latentz".utf8).write(to: file)
            do throws(StoreError) {
                _ = try store.get(key)
                Issue.record("corrupt blob returned")
            } catch {
                guard case .blobCorrupt(let path, let expected, let actual) = error else { Issue.record("\(error)"); return }
                #expect(path == file.path && expected == key && actual == SHA256.hex(SHA256.hash(Array("latentz".utf8))))
            }
            // A put of the true bytes repairs a damaged blob of another size.
            try Data("latentzz".utf8).write(to: file)
            #expect(try store.put(Array("latents".utf8)) == key)
            #expect(try store.get(key) == Array("latents".utf8))
        }
    }

    /// A mapped blob reads the stored bytes in place; one this process did not
    /// write is hash-checked on its first mapping, so damage is reported.
    @Test func mappingReadsInPlaceAndChecksBlobsFromElsewhere() throws {
        try withStore { store in
            let values: [Float] = (0 ..< 50_000).map { Float($0) * 0.5 - 7 }
            let key = try store.putFloats(values)
            let mapped = try store.map(key)
            withExtendedLifetime(mapped) { #expect(Array(mapped.floats) == values) }
            let empty = try store.map(try store.put([]))
            withExtendedLifetime(empty) { #expect(empty.bytes.isEmpty) }
            // Another store over the same directory (a restarted coordinator) has
            // not checked the blob: damage is found before any byte is used.
            let file = try store.path(of: key)
            var bytes = try Data(contentsOf: file)
            bytes[100] ^= 0xff
            try bytes.write(to: file)
            let restarted = try BlobStore(directory: store.directory)
            do throws(StoreError) {
                _ = try restarted.map(key)
                Issue.record("a damaged blob was mapped")
            } catch {
                guard case .blobCorrupt(let path, let expected, _) = error else { Issue.record("\(error)"); return }
                #expect(path == file.path && expected == key)
            }
        }
    }

    @Test func missingRemovedAndInvalidKeys() throws {
        try withStore { store in
            let key = try store.put([1, 2, 3])
            #expect(try store.remove(key))
            #expect(!(try store.remove(key)))
            #expect(!store.contains(key))
            do throws(StoreError) {
                _ = try store.get(key)
                Issue.record("removed blob returned")
            } catch {
                guard case .blobNotFound(key, _) = error else { Issue.record("\(error)"); return }
            }
            for bad in ["../../etc/passwd", String(key.uppercased()), String(key.dropLast())] {
                #expect(!store.contains(bad))
                do throws(StoreError) {
                    _ = try store.get(bad)
                    Issue.record("key '\(bad)' accepted")
                } catch {
                    #expect(error == .invalidBlobKey(bad))
                }
            }
        }
    }
}
