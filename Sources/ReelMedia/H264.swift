/// Just enough of the H.264 bitstream syntax to tell what a packet holds without
/// decoding it (ITU-T H.264 §7.3.1 NAL units, ISO/IEC 14496-15 §5.3 `avcC`).
enum H264 {
    /// `nal_unit_type` of a coded slice of an IDR picture.
    static let idrSlice: UInt8 = 5

    /// The NAL unit types in one packet, in order, or nil when the packet is malformed.
    /// - Parameter avcC: the stream's extradata. MP4 stores NAL units behind big-endian
    ///   lengths whose size `avcC` gives; without an `avcC` (first byte 1) the packet is
    ///   taken to be Annex B, with `00 00 01` start codes.
    static func nalUnitTypes(in packet: UnsafeBufferPointer<UInt8>, avcC: [UInt8]) -> [UInt8]? {
        guard avcC.count >= 7, avcC[0] == 1 else { return annexBTypes(in: packet) }
        let lengthSize = Int(avcC[4] & 3) + 1
        var types: [UInt8] = []
        var offset = 0
        while offset < packet.count {
            guard offset + lengthSize <= packet.count else { return nil }
            let length = packet[offset..<offset + lengthSize].reduce(0) { $0 << 8 | Int($1) }
            offset += lengthSize
            guard length > 0, offset + length <= packet.count else { return nil }
            types.append(packet[offset] & 0x1F)
            offset += length
        }
        return types
    }

    private static func annexBTypes(in packet: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var types: [UInt8] = []
        var i = 0
        while i + 3 < packet.count {
            if packet[i] == 0, packet[i + 1] == 0, packet[i + 2] == 1 {
                types.append(packet[i + 3] & 0x1F)
                i += 3
            } else {
                i += 1
            }
        }
        return types.isEmpty ? nil : types
    }
}
