import Foundation
import ReelPlan
import ReelWorker
import Testing

/// What a worker makes of a model folder's `reel.json`: the model's geometry says how
/// its transformer draws latent frame 0 (so the coordinator encodes its sources in
/// later form), and the file is part of the model's digest (two workers that would
/// read its latents differently never share a clip).
@Suite struct ReelFolderWorkerTests {
    @Test func reelJSONReachesTheGeometryAndTheDigest() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("reel-folder-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: models) }
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Models/demo").path, toPath: models + "/demo")
        let later = ModelExecutor(directory: models)
        #expect(try later.models().first { $0.name == "demo" }?.firstLatentForm == .later)
        let digest = later.digest(model: "demo")
        try FileManager.default.removeItem(atPath: models + "/demo/reel.json")
        let plain = ModelExecutor(directory: models)
        #expect(try plain.models().first { $0.name == "demo" }?.firstLatentForm == nil)
        #expect(!digest.isEmpty && plain.digest(model: "demo") != digest)
    }
}
