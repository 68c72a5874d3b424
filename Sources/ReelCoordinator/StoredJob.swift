import Foundation
import ReelPlan

/// What the `jobs.spec` column holds: the request and the model geometry it was
/// planned with, so a restarted coordinator rebuilds the identical plan without
/// waiting for a worker to describe the model again.
struct StoredJob: Codable, Sendable {
    var request: JobRequest
    var model: ModelGeometry
    /// Warm-up latent frames per decode chunk (the VAE's receptive field).
    var decodeWarmup: Int?
    /// Where the prompt embeddings came from (absent in jobs stored before it was recorded).
    var embeddings: EmbeddingsSource? = nil
    /// Blob SHA-256 of the embeddings of a prompt timeline's prompts after the first
    /// (``JobTimeline``); nil without a timeline.
    var timelineEmbeds: [String]? = nil

    func json() throws -> String {
        String(decoding: try FarmAPI.encoder().encode(self), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> StoredJob {
        try FarmAPI.decoder().decode(StoredJob.self, from: Data(text.utf8))
    }
}
