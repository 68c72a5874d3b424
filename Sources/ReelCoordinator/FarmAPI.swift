import Foundation
import ReelPlan
import ReelTensor

/// The coordinator's HTTP JSON API, as plain values shared by the server and the
/// CLI's client. Keys are snake_case on the wire.
public enum FarmAPI {
    /// `POST /v1/jobs`: a job and, optionally, its text-encoder outputs.
    public struct SubmitRequest: Codable, Sendable {
        public var request: JobRequest
        /// `(L, D)` prompt embeddings; absent means "embed `request.prompt` with the stand-in".
        public var promptEmbeds: EncodedTensor?
        public var negativePromptEmbeds: EncodedTensor?

        public init(request: JobRequest, promptEmbeds: EncodedTensor? = nil, negativePromptEmbeds: EncodedTensor? = nil) {
            self.request = request
            self.promptEmbeds = promptEmbeds
            self.negativePromptEmbeds = negativePromptEmbeds
        }
    }

    /// A float32 tensor in JSON: its shape and its little-endian bytes in base64.
    public struct EncodedTensor: Codable, Sendable {
        public var shape: [Int]
        public var data: Data

        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            data = Data(LittleEndianFloats.bytes(values))
        }

        /// The most elements a submitted tensor may have (1 GiB of float32).
        public static let maxElements = 1 << 28

        /// The values, after checking that the byte count matches the shape.
        public func values(name: String) throws(APIError) -> [Float] {
            guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 && $0 <= 1 << 24 }) else {
                throw .badRequest("\(name) has shape \(shape); expected positive dimensions")
            }
            // Three extents of 2²⁴ already overflow an Int: the product is checked.
            guard let count = Tensor.elementCount(of: shape), count <= Self.maxElements else {
                throw .badRequest("\(name) has shape \(shape); at most \(Self.maxElements) elements are accepted")
            }
            guard data.count == count * 4 else {
                throw .badRequest("\(name) has \(data.count) bytes; shape \(shape) needs \(count * 4)")
            }
            return data.withUnsafeBytes { LittleEndianFloats.values($0) }
        }
    }

    /// `POST /v1/jobs` answer.
    public struct Submitted: Codable, Sendable {
        public var id: Int64
    }

    /// A job's history (``JobStatus/history``), in seconds.
    public struct History: Codable, Sendable, Equatable {
        /// Submission to the first lease.
        public var queueSeconds: Double?
        /// First lease to the move to decoding.
        public var renderSeconds: Double?
        /// The move to decoding to the end.
        public var decodeSeconds: Double?
        /// Work items put back after a failed or lost lease.
        public var retries: Int
        /// Distinct workers whose results were stored.
        public var workersUsed: Int
        /// The workers' own compute time (loading and running the model) summed over stored items.
        public var computeSeconds: Double

        public init(
            queueSeconds: Double?, renderSeconds: Double?, decodeSeconds: Double?, retries: Int, workersUsed: Int, computeSeconds: Double
        ) {
            self.queueSeconds = queueSeconds
            self.renderSeconds = renderSeconds
            self.decodeSeconds = decodeSeconds
            self.retries = retries
            self.workersUsed = workersUsed
            self.computeSeconds = computeSeconds
        }
    }

    /// One line of `GET /v1/jobs`, and the head of `GET /v1/jobs/:id`.
    public struct JobStatus: Codable, Sendable {
        public var id: Int64
        public var name: String?
        public var model: String
        public var state: String
        public var run: Int
        public var reason: String?
        /// Shards by state name.
        public var shards: [String: Int]
        public var shardTotal: Int
        /// Decode chunks by state name (empty until the job decodes).
        public var decodeChunkStates: [String: Int]?
        /// Done shards over all shards, then decoded chunks, in [0, 1].
        public var progress: Double
        public var frames: Int
        public var fps: Int
        public var width: Int
        public var height: Int
        public var windows: Int
        public var latentsSha256: String?
        public var videoSha256: String?
        public var createdAt: Date?
        public var finishedAt: Date?
        /// When the job's embeddings, latents and video were deleted under the
        /// result retention policy (`--keep-results-days`); absent while kept.
        public var expiredAt: Date?
        /// Where the prompt embeddings came from: "stand-in", "file", "encoded on
        /// a worker", "encoded on a worker (cached)"; absent for older jobs.
        public var embeddings: String? = nil
        /// Why an unfinished job cannot make progress now, when it waits on something
        /// other than workers' slots: its prompt encoding, or a required pool that no
        /// connected worker is in.
        public var waiting: String? = nil
        /// The worker pool the job requires; absent: any worker.
        public var pool: String? = nil
        /// True when the job renders a still (its result is a PNG); absent for videos.
        public var still: Bool? = nil
        /// Where the job's time went and what it took of the workers; in
        /// `GET /v1/jobs/:id` only (a listing leaves it out).
        public var history: History? = nil
    }

    /// One line of `GET /v1/workers`.
    public struct WorkerStatus: Codable, Sendable {
        public var name: String
        public var host: String
        public var state: String
        public var cores: Int
        public var threads: Int
        public var slots: Int
        public var running: [String]
        public var models: [String]
        public var lastSeenAt: Date?
        public var shardsDone: Int
        /// The pools it belongs to.
        public var pools: [String]? = nil
        /// Since when it is quarantined (never leased to, until `reel workers release NAME`), and why.
        public var quarantinedAt: Date? = nil
        public var quarantineReason: String? = nil
        /// Its recent speed: shards stored per minute over its last ten (absent before two).
        public var shardsPerMinute: Double? = nil
    }

    /// `GET /v1/health`: answered by the event loop itself, so an answer proves
    /// the loop turns; `ok` is false (HTTP 503) when the database is unreachable.
    public struct Health: Codable, Sendable {
        public var ok: Bool
        /// "ok", or why the database cannot be used.
        public var database: String
        public var workers: Int
        public var activeJobs: Int
        /// The longest pause between two turns of the loop since it started.
        public var longestLoopGapMs: Double
        /// CPU time the loop's thread has used since it started.
        public var loopCpuMs: Double
        /// Hellos from workers that were already registered (0 on a healthy farm).
        public var reregistrations: Int
        public var rejectedMessages: Int
        public var shardsCompleted: Int
        /// Results waiting on the `records` lane (storing and committing).
        public var recordBacklog: Int
        /// Results finished on workers and waiting to be pulled.
        public var resultsWaiting: Int
    }

    /// Every error answer: `{"error": "..."}` with a status code.
    public struct ErrorBody: Codable, Sendable {
        public var error: String
    }

    /// JSON as the API writes it.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }

    /// JSON as the API reads it.
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .iso8601
        return d
    }
}

/// What the API answers instead of a result: a status code and a sentence.
public enum APIError: Error, CustomStringConvertible, Sendable, Equatable {
    case badRequest(String)
    case notFound(String)
    case conflict(String)
    /// What was asked for existed and was deleted (a video under the retention policy).
    case gone(String)
    case unavailable(String)
    case internalError(String)

    public var description: String {
        switch self {
        case .badRequest(let m), .notFound(let m), .conflict(let m), .gone(let m), .unavailable(let m), .internalError(let m): return m
        }
    }

    /// The HTTP status code.
    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .notFound: return 404
        case .conflict: return 409
        case .gone: return 410
        case .unavailable: return 503
        case .internalError: return 500
        }
    }
}
