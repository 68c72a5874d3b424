import Foundation
import ReelModel
import ReelTensor

/// Prompts encoded with a model folder's own umT5 text encoder.
extension ModelExecutor {
    /// Whether `model`'s folder has `tokenizer/` and `text_encoder/` (a real
    /// text encoder, so its prompts are never given to the stand-in embedder).
    public func hasTextEncoder(model: String) -> Bool {
        let path = (directory as NSString).appendingPathComponent(model)
        let files = ["tokenizer/spiece.model", "text_encoder/config.json"]
        return files.allSatisfy { FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent($0)) }
    }

    /// Whether the encoder of `model` is already in memory.
    public func textEncoderLoaded(model: String) -> Bool { promptEncoders.isLoaded(encoderKey(model)) }

    public func encodePrompt(_ task: PromptTask) throws(WorkerError) -> EncodedPrompts {
        guard hasTextEncoder(model: task.model), !task.model.contains("/") else {
            throw WorkerError(.modelNotFound, "model '\(task.model)' in \(directory) has no tokenizer/spiece.model and text_encoder/config.json")
        }
        let path = (directory as NSString).appendingPathComponent(task.model)
        do throws(ModelError) {
            let (encoder, loaded) = try promptEncoders.encoder(key: encoderKey(task.model), path: path)
            guard encoder.model.config.d_model == task.textDim else {
                throw ModelError.inputShape(
                    name: "text_encoder/config.json d_model", expected: "\(task.textDim), the transformer's text_dim",
                    actual: [encoder.model.config.d_model])
            }
            var outputs: [Tensor] = []
            var tokens: [Int] = [], truncated: [Int] = []
            let texts: [(String, String, Bool)] =
                [(task.prompt, "the prompt", false)] + (task.negativePrompt.map { [($0, "the negative prompt", true)] } ?? [])
            for (text, what, allowEmpty) in texts {
                let encoded = try encoder.model.encodePrompt(
                    text, tokenizer: encoder.folder.tokenizer, maxLength: task.maxTokens, allowEmpty: allowEmpty, what: what)
                outputs.append(encoded.embeddings)
                tokens.append(encoded.tokens.length)
                truncated.append(encoded.tokens.truncatedPieces)
            }
            var result = EncodedPrompts(
                positive: outputs[0], negative: task.negativePrompt != nil ? outputs[1] : nil, loaded: loaded, tokens: tokens, truncated: truncated)
            // One at a time, as the prompt is: batching them would pad them together
            // and change the bits a window inside one prompt's span must share with
            // a job of that prompt alone.
            for (index, text) in task.laterPrompts.enumerated() {
                let encoded = try encoder.model.encodePrompt(
                    text, tokenizer: encoder.folder.tokenizer, maxLength: task.maxTokens, allowEmpty: false, what: "timeline prompt \(index + 1)")
                result.later.append(encoded.embeddings)
                result.tokens.append(encoded.tokens.length)
                result.laterTruncated.append(encoded.tokens.truncatedPieces)
            }
            return result
        } catch {
            switch error {
            case .text, .inputShape: throw WorkerError(.invalidInput, "model '\(task.model)': \(error.description)")
            default: throw WorkerError(error)
            }
        }
    }

    /// Encoders are kept per checkpoint digest (per folder when it has none).
    private func encoderKey(_ model: String) -> String {
        let digest = digest(model: model)
        return digest.isEmpty ? "folder:" + model : digest
    }
}
