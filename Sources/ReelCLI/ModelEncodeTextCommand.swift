import ArgumentParser
import Foundation
import ReelModel
import ReelTensor
import ReelText

struct ModelEncodeTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-text",
        abstract: "Encode a prompt with the folder's umT5 text encoder, as WanPipeline.encode_prompt does.",
        discussion: """
            Reads DIR/tokenizer/spiece.model and DIR/text_encoder/ (config.json and safetensors, \
            sharded or not). Writes prompt_embeds and negative_prompt_embeds, each [1,512,D] float32: \
            the encoder's output for the prompt's tokens, zeros after them. The negative prompt \
            defaults to "", WanPipeline's default. The file is what `reel submit --prompt-embeds` \
            and `--negative-prompt-embeds` read.
            """)

    @Argument(help: "Model folder (diffusers layout) with tokenizer/ and text_encoder/.")
    var folder: String
    @Option(help: "The prompt.")
    var prompt: String
    @Option(help: "The negative prompt (default: empty, as WanPipeline).")
    var negativePrompt: String = ""
    @Option(help: "Output safetensors file.")
    var output: String
    @Option(help: "Weights in memory: 'stored' keeps each tensor's dtype (BF16 stays BF16), 'bf16' rounds F32 weights to BF16 on load (half the memory).")
    var weights: String = UMT5WeightStorage.asStored.rawValue
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard UMT5WeightStorage(rawValue: weights) != nil else {
            throw ValidationError("--weights must be \(UMT5WeightStorage.allCases.map(\.rawValue).joined(separator: " or ")), got '\(weights)'")
        }
        // Swift decodes arguments leniently (bad bytes become U+FFFD), so the raw bytes are checked.
        for (i, argument) in Self.rawArguments().enumerated() {
            do { _ = try UMT5Tokenizer.decodeUTF8(argument, what: "command-line argument \(i)") } catch { throw ValidationError(error.description) }
        }
        try checkWritable(output)
    }

    func run() throws {
        try compute.apply {
            let folder = try TextEncoderFolder(path: folder)
            let model = try folder.load(storage: UMT5WeightStorage(rawValue: weights)!)
            var tensors = [SafeTensorsWriter.Item]()
            for (name, text, what, allowEmpty) in [
                ("prompt_embeds", prompt, "the prompt", false), ("negative_prompt_embeds", negativePrompt, "the negative prompt", true),
            ] {
                let encoded = try model.encodePrompt(text, tokenizer: folder.tokenizer, allowEmpty: allowEmpty, what: what)
                if encoded.tokens.truncatedPieces > 0 {
                    printErr(
                        "warning: \(what) has \(encoded.tokens.truncatedPieces + UMT5Tokenizer.maxLength) tokens with </s>; "
                            + "its last \(encoded.tokens.truncatedPieces) were cut to fit \(UMT5Tokenizer.maxLength), as WanPipeline does")
                }
                printErr("\(what): \(encoded.tokens.length) tokens (with </s>)")
                tensors.append(.init(name, encoded.embeddings))
            }
            try SafeTensorsWriter.write(tensors, to: output)
            printErr("wrote prompt_embeds and negative_prompt_embeds to \(output); pass it to `reel submit --prompt-embeds \(output) --negative-prompt-embeds \(output)`")
        }
    }

    /// The command line's arguments as bytes, before Swift's lenient decoding.
    static func rawArguments() -> [[UInt8]] {
        (0 ..< Int(CommandLine.argc)).compactMap { i in
            CommandLine.unsafeArgv[i].map { Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0))) }
        }
    }
}
