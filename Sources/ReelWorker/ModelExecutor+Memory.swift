import Foundation
import ReelModel
import ReelTensor

extension ModelExecutor {
    /// What holding `model`'s text encoder beside its transformer and VAE takes,
    /// from the safetensors headers (nothing is loaded); nil when the folder has no
    /// text encoder.
    public func promptEncodingMemory(model: String, limitBytes: Int) throws(WorkerError) -> PromptEncodingMemory? {
        guard hasTextEncoder(model: model), !model.contains("/") else { return nil }
        let path = (directory as NSString).appendingPathComponent(model)
        do throws(ModelError) {
            // As stored, as the worker loads it (see PromptEncoders).
            let encoder = try TextEncoderFolder(path: path).residentBytes(storage: .asStored)
            var shards = 0
            for part in ["transformer", "vae"] {
                let directory = (path as NSString).appendingPathComponent(part)
                guard FileManager.default.fileExists(atPath: directory) else { continue }
                let checkpoint: Checkpoint
                do { checkpoint = try Checkpoint(directory: directory, baseName: ModelFolder.weightsBaseName) } catch { throw .weights(error) }
                // The engine keeps these in float32 whatever the file's dtype.
                shards += checkpoint.names.reduce(0) { $0 + 4 * (checkpoint.entry($1)?.shape.reduce(1, *) ?? 0) }
            }
            return PromptEncodingMemory(model: model, limitBytes: limitBytes, encoderBytes: encoder, shardBytes: shards)
        } catch {
            throw WorkerError(error)
        }
    }
}
