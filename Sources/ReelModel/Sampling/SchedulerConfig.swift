import Foundation

/// `scheduler/scheduler_config.json`: the flow-matching settings Reel samples with.
///
/// `FlowMatchEulerDiscreteScheduler` configs are read key by key; options that
/// change the schedule in ways not implemented are rejected by name. Wan 2.1's
/// published folders ship a `UniPCMultistepScheduler` with `use_flow_sigmas`;
/// for those the `flow_shift` is taken and sampling uses flow-matching Euler,
/// which the returned notes say.
public struct SchedulerConfig: Sendable, Equatable {
    public var numTrainTimesteps = 1000
    public var shift = 1.0

    public init(numTrainTimesteps: Int = 1000, shift: Double = 1.0) {
        self.numTrainTimesteps = numTrainTimesteps
        self.shift = shift
    }

    /// Reads `path`; `notes` are things the user should know (never errors).
    public static func load(path: String) throws(ModelError) -> (config: SchedulerConfig, notes: [String]) {
        let object = try ConfigFile.readObject(path: path)
        let r = ConfigFile.Reader(path: path, object: object)
        var c = SchedulerConfig()
        var notes = [String]()
        let cls = try r.string("_class_name", default: "FlowMatchEulerDiscreteScheduler") ?? "FlowMatchEulerDiscreteScheduler"
        c.numTrainTimesteps = try r.int("num_train_timesteps") ?? 1000
        switch cls {
        case "FlowMatchEulerDiscreteScheduler":
            c.shift = try r.double("shift") ?? 1.0
            for key in ["use_dynamic_shifting", "invert_sigmas", "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "stochastic_sampling"] {
                if try r.bool(key) == true {
                    throw .unsupportedOption(path: path, key: key, value: "true", supported: "Reel's flow-matching Euler sampler implements the default false")
                }
            }
            if let terminal = try r.double("shift_terminal") {
                throw .unsupportedOption(path: path, key: "shift_terminal", value: "\(terminal)", supported: "expected null")
            }
        case "UniPCMultistepScheduler":
            guard try r.bool("use_flow_sigmas") == true, let flowShift = try r.double("flow_shift") else {
                throw .unsupportedOption(
                    path: path, key: "_class_name", value: cls,
                    supported: "only flow-matching schedules (use_flow_sigmas true with flow_shift) can be sampled")
            }
            c.shift = flowShift
            notes.append("\(path): UniPCMultistepScheduler found; sampling with flow-matching Euler at flow_shift \(flowShift)")
        default:
            throw .unsupportedOption(
                path: path, key: "_class_name", value: cls, supported: "expected FlowMatchEulerDiscreteScheduler")
        }
        guard c.numTrainTimesteps > 1 else {
            throw .invalidConfig(path: path, key: "num_train_timesteps", reason: "must be at least 2, got \(c.numTrainTimesteps)")
        }
        guard c.shift > 0, c.shift.isFinite else {
            throw .invalidConfig(path: path, key: "shift", reason: "must be a positive number, got \(c.shift)")
        }
        return (c, notes)
    }

    /// The JSON diffusers writes for `FlowMatchEulerDiscreteScheduler(num_train_timesteps, shift)`.
    public func jsonObject(diffusersVersion: String = "0.42.1") -> [String: Any] {
        [
            "_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": diffusersVersion,
            "num_train_timesteps": numTrainTimesteps, "shift": shift, "use_dynamic_shifting": false,
            "base_shift": 0.5, "max_shift": 1.15, "base_image_seq_len": 256, "max_image_seq_len": 4096,
            "invert_sigmas": false, "shift_terminal": NSNull(), "use_karras_sigmas": false,
            "use_exponential_sigmas": false, "use_beta_sigmas": false, "time_shift_type": "exponential",
            "stochastic_sampling": false,
        ]
    }
}

