extension VideoWriter {
    /// Encoder settings. The defaults aim at masters kept for later editing, not at
    /// the smallest file: CRF 18 is x264's "visually lossless" point.
    public struct Options: Sendable, Equatable {
        /// Which encoder to use.
        public enum Codec: Sendable, Equatable {
            /// H.264 via libx264; falls back to `.mpeg4` with a warning on stderr when
            /// this libavcodec was built without libx264.
            case h264
            /// MPEG-4 part 2 via libavcodec's built-in `mpeg4` encoder (always present).
            case mpeg4
        }

        /// The x264 presets, fastest first.
        public static let presets = [
            "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo",
        ]

        /// Encoder preference. Default `.h264`.
        public var codec: Codec
        /// libx264 constant rate factor, 0 (lossless) … 51; lower is better. Default 18.
        public var crf: Double
        /// libx264 speed/size trade-off, one of `presets`. Default `medium`.
        public var preset: String
        /// Fixed quantizer for the `mpeg4` encoder, 1 (best) … 31; 2 keeps smooth
        /// content above 35 dB PSNR. Default 2.
        public var mpeg4Quantizer: Int
        /// Seconds between keyframes (random-access points for seeking and cutting). Default 2.
        public var keyframeInterval: Double
        /// Tags written into the container.
        public var metadata: VideoMetadata
        /// Encode a segment that `VideoSegmentJoiner` can join to others made the same
        /// way (see `VideoSegmentEncoder.configure`). Set only by `VideoSegmentEncoder`.
        var joinableSegment = false
        /// Tests only: x264 without its SIMD code (see `VideoSegmentEncoder`).
        var x264WithoutSIMD = false

        /// All parameters default to the values documented on each property.
        public init(
            codec: Codec = .h264, crf: Double = 18, preset: String = "medium", mpeg4Quantizer: Int = 2,
            keyframeInterval: Double = 2, metadata: VideoMetadata = VideoMetadata()
        ) {
            self.codec = codec
            self.crf = crf
            self.preset = preset
            self.mpeg4Quantizer = mpeg4Quantizer
            self.keyframeInterval = keyframeInterval
            self.metadata = metadata
        }

        /// - Throws: `MediaError.invalidArgument` naming the bad option and its range.
        func validate() throws {
            guard crf.isFinite, (0...51).contains(crf) else {
                throw MediaError.invalidArgument("crf \(crf) is out of range: expected 0…51 (lower is better, 18 default)")
            }
            guard Self.presets.contains(preset) else {
                throw MediaError.invalidArgument(
                    "unknown x264 preset '\(preset)': expected one of \(Self.presets.joined(separator: ", "))")
            }
            guard (1...31).contains(mpeg4Quantizer) else {
                throw MediaError.invalidArgument("mpeg4 quantizer \(mpeg4Quantizer) is out of range: expected 1…31")
            }
            guard keyframeInterval.isFinite, keyframeInterval > 0 else {
                throw MediaError.invalidArgument("keyframe interval \(keyframeInterval) s must be positive")
            }
        }
    }

    /// The encoder actually used for `preference`, given which encoders exist.
    /// Separate from libav so the fallback rule is testable where libx264 is installed.
    static func chooseEncoder(
        for preference: Options.Codec, isAvailable: (String) -> Bool
    ) -> (name: String, fellBack: Bool)? {
        switch preference {
        case .h264:
            if isAvailable("libx264") { return ("libx264", false) }
            return isAvailable("mpeg4") ? ("mpeg4", true) : nil
        case .mpeg4:
            return isAvailable("mpeg4") ? ("mpeg4", false) : nil
        }
    }

    /// yuv420p stores chroma at half resolution, so both dimensions must be even.
    /// - Throws: `MediaError.invalidSize` naming the offending value and the nearest valid sizes.
    static func validateSize(width: Int, height: Int) throws {
        // Positive, and small enough for libav's Int32 sizes (and `width + 1` below).
        try RGBFrame.checkSize(width: width, height: height)
        var problems: [String] = []
        if width % 2 != 0 { problems.append("width \(width) is odd") }
        if height % 2 != 0 { problems.append("height \(height) is odd") }
        if !problems.isEmpty {
            let down = "\(width - width % 2)×\(height - height % 2)"
            let up = "\(width + width % 2)×\(height + height % 2)"
            let nearest = [down, up].filter { !$0.hasPrefix("0×") && !$0.hasSuffix("×0") }
            throw MediaError.invalidSize(
                width: width, height: height,
                reason: problems.joined(separator: " and ")
                    + "; yuv420p video needs even width and height (nearest valid: "
                    + nearest.joined(separator: " or ") + ")")
        }
        guard width <= 16384, height <= 16384 else {
            throw MediaError.invalidSize(width: width, height: height, reason: "at most 16384 per side is supported")
        }
    }
}
