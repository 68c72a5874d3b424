import ArgumentParser
import Foundation
import ReelPlan

/// A job file's conditioning sources given as local files: an item's source may say
/// `"file": "PATH"` (relative to the job file's folder, or absolute) instead of, or
/// beside, its `"digest"`. The CLI reads each file, puts its SHA-256 in `digest` (a
/// `digest` given beside `file` must match it) and drops `file`, so what is sent and
/// stored is the request as the API defines it; the files are then uploaded.
enum JobFileSources {
    /// `json` (a job file's bytes) with every `file` replaced by its digest, and the
    /// files it named, in item order (index of the item, path, digest).
    static func resolve(_ json: Data, jobFile: String) throws -> (json: Data, files: [(item: Int, source: LocalSource)]) {
        guard var object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            // Not an object: the decoder's own message says what is wrong.
            return (json, [])
        }
        guard var items = object["conditioning"] as? [Any] else { return (json, []) }
        let folder = URL(fileURLWithPath: jobFile).deletingLastPathComponent()
        var files: [(item: Int, source: LocalSource)] = []
        for (index, value) in items.enumerated() {
            guard var item = value as? [String: Any], var source = item["source"] as? [String: Any], let named = source["file"] else { continue }
            guard let file = named as? String, !file.isEmpty else {
                throw ValidationError("job file \(jobFile): conditioning item \(index + 1)'s source \"file\" must be a path (text)")
            }
            let path = file.hasPrefix("/") ? file : folder.appendingPathComponent(file).path
            let data = try LocalSource.read(path)
            let digest = LocalSource.digest(of: data)
            if let given = source["digest"] {
                guard (given as? String) == digest else {
                    throw ValidationError(
                        "job file \(jobFile): conditioning item \(index + 1) gives digest \(given) but its file '\(path)' has sha256 \(digest): "
                            + "drop \"digest\" (the file names it) or fix it")
                }
            }
            source["digest"] = digest
            source.removeValue(forKey: "file")
            item["source"] = source
            items[index] = item
            files.append((index, LocalSource(file: path, digest: digest)))
        }
        guard !files.isEmpty else { return (json, []) }
        object["conditioning"] = items
        return (try JSONSerialization.data(withJSONObject: object), files)
    }

    /// Checks each file against the item that names it, as `reel plan`'s flags are
    /// checked (``LocalSource/check(_:kind:job:fit:first:frames:)``): decodable as its
    /// kind, long enough for its frames.
    static func check(_ files: [(item: Int, source: LocalSource)], request: JobRequest, temporalStride: Int) throws {
        let job: JobSpec
        do { job = try request.spec(temporalStride: temporalStride) } catch { throw ValidationError(error.description) }
        for (index, local) in files {
            guard let item = request.conditioning?[index] else { continue }
            _ = try LocalSource.check(
                local.file, kind: item.source.kind, job: item.box.map { JobSpec(frames: job.frames, fps: job.fps, width: $0.width, height: $0.height) } ?? job,
                fit: item.fit ?? .crop, first: item.source.firstFrame ?? 0, frames: item.source.pixelFrames)
        }
    }
}
