import CLibAV

/// Converts libav frames between pixel formats and sizes with libswscale, reusing one
/// `SwsContext` while the source stays the same (`sws_getCachedContext`).
///
/// Filters: area averaging when shrinking in both directions (it is the one that does
/// not alias when downsampling a lot, e.g. 1080p → 128 px conditioning frames), bicubic
/// otherwise. `ACCURATE_RND` and full-resolution chroma make the same-size
/// YUV ↔ RGB round trip as exact as libswscale can.
final class FrameScaler {
    let width: Int
    let height: Int
    let format: AVPixelFormat
    /// The destination, allocated once with libav's alignment and padding so swscale's
    /// SIMD paths may over-read/-write rows safely.
    private let destination: UnsafeMutablePointer<AVFrame>
    private var context: OpaquePointer?

    /// `colorspace`: libswscale coefficients (`SWS_CS_*`) used when the destination is
    /// YUV; `fullRange` its range. Ignored for RGB destinations.
    private let destinationColorspace: Int32
    private let destinationFullRange: Bool
    /// `SWS_BITEXACT`: the same output whichever SIMD code this CPU runs.
    private let bitExact: Bool

    init(width: Int, height: Int, format: AVPixelFormat,
         colorspace: Int32 = SWS_CS_ITU709, fullRange: Bool = false, bitExact: Bool = false) throws {
        guard let frame = av_frame_alloc() else {
            throw MediaError.invalidArgument("out of memory allocating a \(width)×\(height) frame")
        }
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = format.rawValue
        let status = av_frame_get_buffer(frame, 0)
        guard status >= 0 else {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
            throw MediaError.invalidArgument(
                "cannot allocate a \(width)×\(height) frame: \(LibAV.errorString(status))")
        }
        self.width = width
        self.height = height
        self.format = format
        self.destination = frame
        self.destinationColorspace = colorspace
        self.destinationFullRange = fullRange
        self.bitExact = bitExact
    }

    deinit {
        sws_freeContext(context)
        var frame: UnsafeMutablePointer<AVFrame>? = destination
        av_frame_free(&frame)
    }

    /// Scales `source` into the internal destination frame and returns it; the frame is
    /// reused by the next call, and is made writable first because an encoder may still
    /// hold a reference to the previous contents.
    func scale(_ source: UnsafePointer<AVFrame>, path: String) throws -> UnsafeMutablePointer<AVFrame> {
        let srcFormat = AVPixelFormat(source.pointee.format)
        guard sws_isSupportedInput(srcFormat) != 0 else {
            throw MediaError.unsupportedPixelFormat(path: path, format: LibAV.pixelFormatName(source.pointee.format))
        }
        let srcWidth = source.pointee.width
        let srcHeight = source.pointee.height
        let shrinking = Int(srcWidth) > width && Int(srcHeight) > height
        let flags = (shrinking ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP
            | (bitExact ? SWS_BITEXACT : 0)
        context = sws_getCachedContext(
            context, srcWidth, srcHeight, srcFormat, Int32(width), Int32(height), format, flags, nil, nil, nil)
        guard let context else {
            throw MediaError.unsupportedPixelFormat(path: path, format: LibAV.pixelFormatName(source.pointee.format))
        }
        setColorspace(context, source: source.pointee)

        let writable = av_frame_make_writable(destination)
        guard writable >= 0 else {
            throw MediaError.invalidArgument("cannot reuse the conversion frame: \(LibAV.errorString(writable))")
        }
        let mutableSource = UnsafeMutablePointer(mutating: source)
        let srcData = UnsafeRawPointer(reel_frame_data(mutableSource)!)
            .assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
        let lines = sws_scale(
            context, srcData, reel_frame_linesize(mutableSource), 0, srcHeight,
            reel_frame_data(destination), reel_frame_linesize(destination))
        guard lines > 0 else {
            throw MediaError.corrupt(path: path, reason: "libswscale could not convert the frame (\(lines))")
        }
        return destination
    }

    /// Tells swscale which YUV matrix and range each side uses. Decoders report both on
    /// the frame; where they say nothing, libswscale's default (BT.601) is what every
    /// libav-based player assumes too. The `yuvj*` formats are full range by definition.
    private func setColorspace(_ context: OpaquePointer, source: AVFrame) {
        let srcTable = sws_getCoefficients(Self.swsColorspace(source.colorspace))
        let srcFormatName = LibAV.pixelFormatName(source.format)
        let srcFull = source.color_range == AVCOL_RANGE_JPEG || srcFormatName.hasPrefix("yuvj")
        let dstTable = sws_getCoefficients(destinationColorspace)
        // Returns -1 for RGB↔RGB, where there is nothing to set; that is fine.
        _ = sws_setColorspaceDetails(
            context, srcTable, srcFull ? 1 : 0, dstTable, destinationFullRange ? 1 : 0, 0, 1 << 16, 1 << 16)
    }

    static func swsColorspace(_ space: AVColorSpace) -> Int32 {
        switch space {
        case AVCOL_SPC_BT709: return SWS_CS_ITU709
        case AVCOL_SPC_FCC: return SWS_CS_FCC
        case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M
        case AVCOL_SPC_BT2020_NCL, AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020
        default: return SWS_CS_DEFAULT
        }
    }
}

extension FrameScaler {
    /// Copies an RGB24 frame (this scaler's destination) into a tightly packed `RGBFrame`.
    static func rgbFrame(from frame: UnsafeMutablePointer<AVFrame>) -> RGBFrame {
        let width = Int(frame.pointee.width)
        let height = Int(frame.pointee.height)
        let rowBytes = width * 3
        let stride = Int(reel_frame_linesize(frame)[0])
        let source = reel_frame_data(frame)[0]!
        let pixels = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { out, count in
            for y in 0..<height {
                (out.baseAddress! + y * rowBytes).update(from: source + y * stride, count: rowBytes)
            }
            count = rowBytes * height
        }
        return RGBFrame(uncheckedWidth: width, height: height, pixels: pixels)
    }

    /// An RGB24 AVFrame holding a copy of `frame`, in libav-allocated (aligned, padded)
    /// memory so swscale may read it with SIMD. Caller frees it.
    static func avFrame(from frame: RGBFrame) throws -> UnsafeMutablePointer<AVFrame> {
        guard let av = av_frame_alloc() else {
            throw MediaError.invalidArgument("out of memory allocating a \(frame.width)×\(frame.height) frame")
        }
        av.pointee.width = Int32(frame.width)
        av.pointee.height = Int32(frame.height)
        av.pointee.format = AV_PIX_FMT_RGB24.rawValue
        let status = av_frame_get_buffer(av, 0)
        guard status >= 0 else {
            var f: UnsafeMutablePointer<AVFrame>? = av
            av_frame_free(&f)
            throw MediaError.invalidArgument(
                "cannot allocate a \(frame.width)×\(frame.height) frame: \(LibAV.errorString(status))")
        }
        copy(frame, into: av)
        return av
    }

    /// Copies packed RGB24 rows into an (already writable) RGB24 AVFrame of the same size.
    static func copy(_ frame: RGBFrame, into av: UnsafeMutablePointer<AVFrame>) {
        let rowBytes = frame.width * 3
        let stride = Int(reel_frame_linesize(av)[0])
        let target = reel_frame_data(av)[0]!
        frame.pixels.withUnsafeBufferPointer { src in
            for y in 0..<frame.height {
                (target + y * stride).update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
            }
        }
    }
}
