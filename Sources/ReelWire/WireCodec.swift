import Foundation
import ReelHash
import ReelTensor
import SwiftProtobuf

/// Turns an envelope plus tensors into the frames of one ZeroMQ message and back.
///
/// Layout (see `Protos/README.md`): frame 0 is the protobuf `Envelope`; frames 1…n
/// each hold one tensor as raw little-endian float32, described by exactly one
/// `TensorHeader` in the body naming its `frame_index`.
///
/// Decoding is strict because the coordinator must survive any peer's garbage:
/// every structural fault is a specific ``WireError`` and nothing a peer sends can
/// crash the receiver or make it allocate beyond ``WireLimits``.
public enum WireCodec {
    /// The frames for `envelope` and `tensors`.
    ///
    /// Each tensor header in the body is matched to the tensor with the same `name`
    /// and gets its dtype, shape, `byte_length`, `sha256` and `frame_index` filled in;
    /// tensor frames follow in the order of `tensors`. A `protocol_version` left at 0
    /// becomes ``WireProtocol/version``.
    ///
    /// Throws ``WireError/cannotEncode(reason:)`` when a header names no given tensor,
    /// a tensor is named by no header (or two), or two tensors share a name, and
    /// ``WireError/missingTensor(field:)`` when the body lacks a required header — so
    /// it never produces a message ``decode(_:limits:)`` would reject for its layout.
    public static func encode(_ envelope: Reel_V1_Envelope, tensors: [WireTensor]) throws(WireError) -> [Data] {
        var envelope = envelope
        if envelope.protocolVersion == 0 { envelope.protocolVersion = WireProtocol.version }
        var indexByName: [String: Int] = [:]
        for (index, tensor) in tensors.enumerated() {
            guard indexByName.updateValue(index, forKey: tensor.name) == nil else {
                throw .cannotEncode(reason: "two tensors are named '\(tensor.name)'")
            }
        }
        var frames = [Data](repeating: Data(), count: tensors.count + 1)
        var used = Set<Int>()
        try envelope.visitTensorHeaders { path, required, header throws(WireError) in
            guard var filled = header else {
                if required { throw .missingTensor(field: path) }
                return
            }
            guard let index = indexByName[filled.name] else {
                let given = tensors.map { "'\($0.name)'" }.joined(separator: ", ")
                throw .cannotEncode(reason: "\(path) names tensor '\(filled.name)', not among the tensors given [\(given)]")
            }
            guard used.insert(index).inserted else {
                throw .cannotEncode(reason: "tensor '\(filled.name)' is named by more than one header")
            }
            let bytes = tensors[index].littleEndianBytes
            filled.dtype = .f32
            filled.shape = tensors[index].shape.map { UInt64($0) }
            filled.byteLength = UInt64(bytes.count)
            filled.sha256 = Data(bytes.withUnsafeBytes { SHA256.hash($0) })
            filled.frameIndex = UInt32(index + 1)
            frames[index + 1] = bytes
            header = filled
        }
        if let unused = tensors.indices.first(where: { !used.contains($0) }) {
            throw .cannotEncode(reason: "tensor '\(tensors[unused].name)' is not named by any header of the body")
        }
        do {
            frames[0] = try envelope.serializedBytes()
        } catch {
            throw .cannotEncode(reason: "protobuf serialization failed: \(error)")
        }
        return frames
    }

    /// Frame 0 of `frames`, with the message's framing checked: at least one frame,
    /// frame count and total size within `limits`, an `Envelope` that parses, the
    /// protocol version, and a body this version knows. Tensor frames are not
    /// checked: that is ``decode(_:limits:)``'s job, which a receiver runs where
    /// hashing the tensors does not hold up anything else.
    public static func decodeEnvelope(_ frames: [Data], limits: WireLimits = WireLimits()) throws(WireError) -> Reel_V1_Envelope {
        guard let first = frames.first else { throw .emptyMessage }
        guard frames.count <= limits.maxFrames else {
            throw .tooManyFrames(count: frames.count, limit: limits.maxFrames)
        }
        let total = frames.reduce(0) { $0 + $1.count }
        guard total <= limits.maxMessageBytes else {
            throw .messageTooLarge(bytes: total, limit: limits.maxMessageBytes)
        }
        let envelope: Reel_V1_Envelope
        do {
            envelope = try Reel_V1_Envelope(serializedBytes: first)
        } catch {
            throw .malformedEnvelope(reason: "\(error)")
        }
        guard envelope.protocolVersion == WireProtocol.version else {
            throw .protocolVersionMismatch(received: envelope.protocolVersion, expected: WireProtocol.version)
        }
        guard envelope.body != nil else {
            if envelope.unknownFields.data.isEmpty { throw .missingBody }
            throw .unknownBody(fieldNumber: firstFieldNumber(envelope.unknownFields.data))
        }
        return envelope
    }

    /// A decode result's segment is present and matches its SHA-256 (part of
    /// ``decode(_:limits:)``; separate for receivers that read only the envelope).
    public static func checkSegment(_ result: Reel_V1_DecodeResult) throws(WireError) {
        guard !result.segment.isEmpty else { throw .invalidSegment(reason: "decode_result.segment is empty") }
        guard result.frameCount >= 1 else { throw .invalidSegment(reason: "decode_result.frame_count is 0") }
        let digest = result.segment.withUnsafeBytes { SHA256.hash($0) }
        guard result.segmentSha256.elementsEqual(digest) else {
            throw .invalidSegment(
                reason: "decode_result.segment_sha256 is \(SHA256.hex(Array(result.segmentSha256.prefix(64)))), the segment hashes to \(SHA256.hex(digest))")
        }
    }

    /// The message in `frames` (as received, without a ROUTER's routing id), or the
    /// first thing wrong with it.
    ///
    /// Checks, in order: at least one frame; frame count and total size within
    /// `limits`; frame 0 parses as an `Envelope`; its protocol version is
    /// ``WireProtocol/version``; it has a body this version knows; every required
    /// tensor header is present; each header names an existing frame that no other
    /// header names, has dtype F32, a shape of rank 1…8 with no zero dimension and
    /// within the size limit, `byte_length` = elements × 4 = the frame's size, and
    /// the frame's SHA-256; every tensor frame is named by a header.
    public static func decode(_ frames: [Data], limits: WireLimits = WireLimits()) throws(WireError) -> WireMessage {
        var envelope = try decodeEnvelope(frames, limits: limits)
        if case .decodeResult(let result)? = envelope.body { try checkSegment(result) }
        var tensors = [WireTensor?](repeating: nil, count: frames.count)
        var namedBy = [String?](repeating: nil, count: frames.count)
        try envelope.visitTensorHeaders { path, required, header throws(WireError) in
            guard let header else {
                if required { throw .missingTensor(field: path) }
                return
            }
            let label = header.name.isEmpty ? path : "\(path) ('\(header.name.prefix(64))')"
            let index = Int(header.frameIndex)
            guard index >= 1, index < frames.count else {
                throw .tensorFrameMissing(tensor: label, frameIndex: index, frameCount: frames.count)
            }
            if let other = namedBy[index] {
                throw .frameReferencedTwice(frameIndex: index, tensors: [other, label])
            }
            namedBy[index] = label
            tensors[index] = try checkedTensor(header, label: label, frame: frames[index], limits: limits)
        }
        if let orphan = (1..<frames.count).first(where: { namedBy[$0] == nil }) {
            throw .unreferencedFrame(frameIndex: orphan)
        }
        return WireMessage(envelope: envelope, tensors: tensors.dropFirst().compactMap { $0 })
    }

    /// The tensor in `frame` once it matches every field of `header`.
    private static func checkedTensor(
        _ header: Reel_V1_TensorHeader, label: String, frame: Data, limits: WireLimits
    ) throws(WireError) -> WireTensor {
        guard header.dtype == .f32 else { throw .unsupportedDType(tensor: label, dtype: header.dtype.rawValue) }
        let elements = try WireTensor.elementCount(
            header.shape, tensor: label, maxElements: UInt64(max(limits.maxMessageBytes, 0) / 4))
        let expected = elements * 4
        guard header.byteLength == expected else {
            throw .byteLengthMismatch(tensor: label, shape: header.shape, expected: expected, declared: header.byteLength)
        }
        guard frame.count == expected else {
            throw .frameSizeMismatch(tensor: label, declared: header.byteLength, frameBytes: frame.count)
        }
        let digest = frame.withUnsafeBytes { SHA256.hash($0) }
        guard header.sha256.elementsEqual(digest) else {
            throw .checksumMismatch(
                tensor: label, declared: SHA256.hex(Array(header.sha256.prefix(64))), computed: SHA256.hex(digest))
        }
        return WireTensor(name: header.name, checkedShape: header.shape.map { Int($0) }, littleEndianBytes: frame)
    }

    /// The field number of the first field in protobuf-encoded `bytes` (its tag is
    /// a varint: number << 3 | wire type), or `nil` if the tag cannot be read.
    private static func firstFieldNumber(_ bytes: Data) -> Int? {
        var tag: UInt64 = 0
        for (position, byte) in bytes.prefix(10).enumerated() {
            tag |= UInt64(byte & 0x7f) << (7 * UInt64(position))
            if byte & 0x80 == 0 { return Int(exactly: tag >> 3) }
        }
        return nil
    }
}
