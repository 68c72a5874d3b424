/// One place that knows where tensor headers live in each body, so encoding (which
/// fills them) and decoding (which checks them) cannot disagree.
extension Reel_V1_Envelope {
    /// Visits every tensor-header field of the body: `path` names it
    /// (`shard_assignment.latents`), `required` says whether the message is invalid
    /// without it, and `header` is `nil` when absent. A header the visitor leaves
    /// non-nil is written back.
    typealias TensorHeaderVisitor = (
        _ path: String, _ required: Bool, _ header: inout Reel_V1_TensorHeader?
    ) throws(WireError) -> Void

    mutating func visitTensorHeaders(_ visit: TensorHeaderVisitor) throws(WireError) {
        switch body {
        case .shardAssignment(var message)?:
            // A shard that starts from the initial noise draws it on the worker.
            if message.initialNoise, message.hasLatents { throw .invalidTensor(name: "shard_assignment.latents", reason: "present although initial_noise is set") }
            try Self.visit(&message, \.latents, \.hasLatents, "shard_assignment.latents", required: !message.initialNoise, visit)
            if message.hasEmbeds {
                var embeds = message.embeds
                // A negative prompt is only meaningful beside its positive one.
                try Self.visit(
                    &embeds, \.positive, \.hasPositive, "shard_assignment.embeds.positive",
                    required: embeds.hasNegative, visit)
                try Self.visit(&embeds, \.negative, \.hasNegative, "shard_assignment.embeds.negative", required: false, visit)
                message.embeds = embeds
            }
            for index in message.conditioning.indices {
                try Self.visit(
                    &message.conditioning[index], \.known, \.hasKnown, "shard_assignment.conditioning[\(index)].known", required: true, visit)
            }
            // A timeline prompt's embeddings are positive only (the negative rides in `embeds`).
            for i in message.timeline.indices where message.timeline[i].hasEmbeds {
                var embeds = message.timeline[i].embeds
                if embeds.hasNegative { throw .invalidTensor(name: "shard_assignment.timeline[\(i)].embeds.negative", reason: "present; a timeline prompt carries no negative embeddings") }
                try Self.visit(&embeds, \.positive, \.hasPositive, "shard_assignment.timeline[\(i)].embeds.positive", required: false, visit)
                message.timeline[i].embeds = embeds
            }
            body = .shardAssignment(message)
        case .shardResult(var message)?:
            try Self.visit(&message, \.latents, \.hasLatents, "shard_result.latents", required: true, visit)
            body = .shardResult(message)
        case .decodeAssignment(var message)?:
            try Self.visit(&message, \.latents, \.hasLatents, "decode_assignment.latents", required: true, visit)
            body = .decodeAssignment(message)
        case .promptResult(var message)?:
            try Self.visit(&message, \.positive, \.hasPositive, "prompt_result.positive", required: true, visit)
            try Self.visit(&message, \.negative, \.hasNegative, "prompt_result.negative", required: false, visit)
            // A timeline's later prompts: each element is a tensor (the count is checked against the assignment).
            for i in message.later.indices {
                var header: Reel_V1_TensorHeader? = message.later[i]
                try visit("prompt_result.later[\(i)]", true, &header)
                if let header { message.later[i] = header }
            }
            body = .promptResult(message)
        case .sourceResult(var message)?:
            try Self.visit(&message, \.latents, \.hasLatents, "source_result.latents", required: true, visit)
            body = .sourceResult(message)
        case .hello?, .decodeResult?, .welcome?, .refusal?, .heartbeat?, .goodbye?, .shardFailure?, .cancel?, .resultOffer?, .resultPull?,
            .promptAssignment?, .sourceAssignment?, nil:
            break
        }
    }

    private static func visit<Message>(
        _ message: inout Message,
        _ field: WritableKeyPath<Message, Reel_V1_TensorHeader>,
        _ has: KeyPath<Message, Bool>,
        _ path: String,
        required: Bool,
        _ visit: TensorHeaderVisitor
    ) throws(WireError) {
        var header = message[keyPath: has] ? message[keyPath: field] : nil
        try visit(path, required, &header)
        if let header { message[keyPath: field] = header }
    }
}
