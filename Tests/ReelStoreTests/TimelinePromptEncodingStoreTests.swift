import Foundation
import ReelPlan
import ReelStore
import Testing

/// The timeline prompt encodings migration: a prompt timeline's later prompts ride on the job's one
/// `prompt_encodings` row; the commit stores one blob per later prompt beside the
/// prompt's, and the schema refuses a done row without them, too many prompts,
/// and blobs that are not SHA-256.
@Suite struct TimelinePromptEncodingStoreTests {
    typealias Encodings = PromptEncodingStoreTests

    static func makeJob(_ store: FarmStore, later: [String], key: String = sha(40)) throws -> Int64 {
        try store.createJob(
            name: "timeline", model: "tiny", spec: "{}", shards: Encodings.shards,
            encoding: PromptEncodingRequest(prompt: "a red kite", negativePrompt: nil, cacheKey: key, laterPrompts: later))
    }

    @Test func theLaterPromptsAndTheirBlobsAreStoredOnTheEncoding() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, later: ["a blue kite", "a \"green\" kite, [sic]"])
        let claimed = try #require(try Encodings.claim(store, "w1").first)
        #expect(claimed.laterPrompts == ["a blue kite", "a \"green\" kite, [sic]"] && claimed.laterSHAs == nil)
        // The current lease only.
        #expect(try !store.completePromptEncoding(
            job: id, attempt: 9, worker: "w1", model: "tiny", promptSHA: sha(1), negativeSHA: nil, laterSHAs: [sha(2), sha(3)],
            readyShards: Encodings.shards.filter { $0.block == 0 }))
        #expect(try store.promptEncoding(job: id)?.laterSHAs == nil)
        #expect(try store.completePromptEncoding(
            job: id, attempt: 1, worker: "w1", model: "tiny", promptSHA: sha(1), negativeSHA: nil, laterSHAs: [sha(2), sha(3)],
            readyShards: Encodings.shards.filter { $0.block == 0 }))
        let done = try #require(try store.promptEncoding(job: id))
        #expect(done.status.state == .done && done.status.outputSHA == sha(1) && done.laterSHAs == [sha(2), sha(3)])
        #expect(try store.job(id: id)?.promptEmbedsSHA == sha(1))
        // The cache remembers the first prompt's embeddings, which are a one-prompt job's.
        #expect(try store.cachedEmbeddings(key: sha(40)) == CachedEmbeddings(promptSHA: sha(1), negativeSHA: nil))
        // A job without a timeline has no later prompts, and stays valid when done.
        let plain = try Encodings.makeJob(store, negative: nil, key: sha(41))
        let row = try #require(try Encodings.claim(store, "w2").first { $0.job == plain })
        #expect(row.laterPrompts.isEmpty)
        #expect(try store.completePromptEncoding(
            job: plain, attempt: 1, worker: "w2", model: "tiny", promptSHA: sha(4), negativeSHA: nil, readyShards: []))
        #expect(try store.promptEncoding(job: plain)?.laterSHAs == [])
    }

    @Test func theSchemaRefusesBrokenLaterPrompts() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, later: ["a blue kite", "a green kite"])
        _ = try #require(try Encodings.claim(store, "w1").first)
        // Done needs one blob per later prompt.
        for blobs in [nil, "[\"\(sha(2))\"]"] as [String?] {
            let missing = expectServerError("23514") { () throws(StoreError) in
                try store.connection.execute(
                    """
                    UPDATE prompt_encodings SET state = 'done', lease_expires_at_ms = NULL, output_sha256 = $2, later_sha256 = $3::jsonb
                    WHERE job_id = $1
                    """, [.int64(id), .text(sha(1)), blobs.map { .json($0) } ?? .null])
            }
            if case .server(_, _, _, _, let violated)? = missing { #expect(violated == "prompt_encodings_done_has_later_embeddings") }
        }
        // Blobs are SHA-256.
        let notHex = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE prompt_encodings SET later_sha256 = '[\"blue\", 3]'::jsonb WHERE job_id = $1", [.int64(id)])
        }
        if case .server(_, _, _, _, let violated)? = notHex { #expect(violated == "prompt_encodings_later_sha256_are_blobs") }
        // At most 16 later prompts, each a text.
        let many = (0..<17).map { "\"p\($0)\"" }.joined(separator: ",")
        for prompts in ["[\(many)]", "[\"a\", 1]", "{\"a\": 1}"] {
            let refused = expectServerError("23514") { () throws(StoreError) in
                try store.connection.execute("UPDATE prompt_encodings SET later_prompts = $2::jsonb WHERE job_id = $1", [.int64(id), .json(prompts)])
            }
            if case .server(_, _, _, _, let violated)? = refused { #expect(violated == "prompt_encodings_later_prompts_are_texts") }
        }
    }
}
