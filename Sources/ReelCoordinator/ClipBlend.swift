import Foundation
import ReelPlan
import ReelStore
import ReelTensor

/// The finished latents of a job, blended from the last block's outputs one span
/// of frames at a time straight into a blob, so the coordinator never holds the
/// clip: at most the outputs of the windows that overlap the current span.
///
/// Each position's value is the same weighted sum, over the same regions in the
/// same order, as a blend of the whole clip at once, so the bytes, and
/// `latents_sha256`, are the same whatever the span.
enum ClipBlend {
    /// Blends `outputs` (region → the blob of its last-block output) over the
    /// clip into a `[C, F, H, W]` float32 little-endian blob; returns its SHA-256.
    static func blend(plan: Plan, outputs: [Int: String], blobs: BlobStore, spanFrames: Int) throws -> String {
        let latent = plan.latent
        let frames = latent.frames, plane = latent.height * latent.width
        let file = try blobs.temporaryFile()
        var adopted = false
        defer { if !adopted { try? FileManager.default.removeItem(at: file) } }
        let fd = open(file.path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.fileSystem(path: file.path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var loaded: [Int: MappedBlob] = [:]
        let step = max(1, spanFrames)
        for start in stride(from: 0, to: frames, by: step) {
            let count = min(step, frames - start)
            let box = LatentBox(
                frames: Span(start: start, length: count, axisLength: frames, isCyclic: plan.config.loop),
                rows: .whole(latent.height), columns: .whole(latent.width), channels: latent.channels)
            let needed = Set(plan.regions.filter { $0.box.overlaps(box) }.map(\.index))
            // Regions behind the span are done with: windows only move forward.
            for region in Array(loaded.keys) where !needed.contains(region) { loaded[region] = nil }
            for region in needed where loaded[region] == nil {
                guard let sha = outputs[region] else { throw PlanError.missingOutput(region: region) }
                loaded[region] = try blobs.map(sha)
            }
            var values = [Float](repeating: 0, count: box.count)
            try withExtendedLifetime(loaded) {
                try values.withUnsafeMutableBufferPointer { output in
                    try plan.blend(sources: loaded.mapValues(\.floats), into: box, output: output)
                }
            }
            let run = count * plane
            var failure: (any Error)?
            values.withUnsafeBytes { raw in
                for c in 0 ..< latent.channels where failure == nil {
                    let piece = UnsafeRawBufferPointer(rebasing: raw[(c * run * 4) ..< ((c + 1) * run * 4)])
                    do { try BlobStore.writeRange(piece, to: fd, at: (c * frames + start) * plane * 4, path: file.path) } catch {
                        failure = error
                    }
                }
            }
            if let failure { throw failure }
        }
        let sha = try blobs.adopt(file)
        adopted = true
        return sha
    }

    /// Latent frames `frames` (ranges taken one after another) of every channel of
    /// the finished latents blob `sha`: `[C, n, H, W]` for the n frames of the
    /// ranges together, read without reading the rest.
    static func read(_ sha: String, latent: LatentShape, frames: [Range<Int>], blobs: BlobStore) throws -> [Float] {
        let plane = latent.height * latent.width
        let count = frames.reduce(0) { $0 + $1.count }
        var values: [Float] = []
        values.reserveCapacity(latent.channels * count * plane)
        for c in 0 ..< latent.channels {
            for range in frames where !range.isEmpty {
                let start = (c * latent.frames + range.lowerBound) * plane * 4
                let bytes = try blobs.readRange(sha, bytes: start ..< start + range.count * plane * 4)
                values.append(contentsOf: bytes.withUnsafeBytes { LittleEndianFloats.values($0) })
            }
        }
        return values
    }
}
