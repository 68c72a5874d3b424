import ReelPlan
import ReelTensor
import ReelWire

/// The initial noise a shard starts from when its assignment sets
/// `initial_noise`: drawn here from the job's seed over the shard's box, exactly
/// as the coordinator would have (``LatentNoise``), so block 0 of a generation
/// costs the coordinator nothing and the wire no noise.
struct InitialNoise: Sendable {
    let noise: LatentNoise
    let box: LatentBox

    /// The most values a box may hold (1 GiB of float32), far above any latent a
    /// message could carry, so a bad box is refused instead of allocated.
    static let maxValues = 1 << 28

    /// Checks the assignment's box against the whole latent it names.
    init(seed: UInt64, box wire: Reel_V1_LatentBox) throws(WorkerError) {
        let fields = [wire.frameLength, wire.rowLength, wire.columnLength, wire.channels, wire.latentFrames, wire.latentRows, wire.latentColumns]
        guard fields.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else {
            throw WorkerError(.invalidInput, "initial noise: box \(Self.describe(wire)) has a length or extent of 0 or over 2^20")
        }
        let within = wire.frameStart < wire.latentFrames && wire.frameLength <= wire.latentFrames
            && (wire.framesCyclic || wire.frameStart + wire.frameLength <= wire.latentFrames)
            && wire.rowStart + wire.rowLength <= wire.latentRows && wire.columnStart + wire.columnLength <= wire.latentColumns
        guard within else {
            throw WorkerError(.invalidInput, "initial noise: box \(Self.describe(wire)) is not inside its latent")
        }
        // Four extents of up to 2^20 overflow 64 bits: multiply with checks.
        let count = Tensor.elementCount(of: [wire.channels, wire.frameLength, wire.rowLength, wire.columnLength].map(Int.init))
        let whole = Tensor.elementCount(of: [wire.channels, wire.latentFrames, wire.latentRows, wire.latentColumns].map(Int.init))
        guard let count, let whole, count <= Self.maxValues, whole <= Int.max / 4 else {
            throw WorkerError(.invalidInput, "initial noise: box \(Self.describe(wire)) holds more than \(Self.maxValues) values")
        }
        let channels = Int(wire.channels)
        box = LatentBox(
            frames: Span(start: Int(wire.frameStart), length: Int(wire.frameLength), axisLength: Int(wire.latentFrames), isCyclic: wire.framesCyclic),
            rows: Span(start: Int(wire.rowStart), length: Int(wire.rowLength), axisLength: Int(wire.latentRows)),
            columns: Span(start: Int(wire.columnStart), length: Int(wire.columnLength), axisLength: Int(wire.latentColumns)),
            channels: channels)
        noise = LatentNoise(
            seed: seed, shape: LatentShape(channels: channels, frames: Int(wire.latentFrames), height: Int(wire.latentRows), width: Int(wire.latentColumns)))
    }

    /// The noise over the box, `(C, t, h, w)`: megabytes of Philox and Box–Muller,
    /// so it is drawn on the compute thread, never the one that serves messages.
    func latents() throws(WorkerError) -> Tensor {
        do {
            return try Tensor(shape: [box.channels, box.frames.length, box.rows.length, box.columns.length], storage: noise.values(in: box))
        } catch {
            throw WorkerError(.internalError, "initial noise over \(box): \(error)")
        }
    }

    /// `frames 3+21/41, rows 0+60/60, columns 0+104/104, 16 channels`.
    static func describe(_ w: Reel_V1_LatentBox) -> String {
        "frames \(w.frameStart)+\(w.frameLength)/\(w.latentFrames)\(w.framesCyclic ? " (cyclic)" : ""), "
            + "rows \(w.rowStart)+\(w.rowLength)/\(w.latentRows), columns \(w.columnStart)+\(w.columnLength)/\(w.latentColumns), \(w.channels) channels"
    }
}

/// Where a shard's latents come from: sent with the assignment, or drawn here.
enum LatentStart: Sendable {
    case latents(Tensor)
    case noise(InitialNoise)

    /// The task's latents until the compute thread draws the noise.
    var placeholder: Tensor {
        if case .latents(let tensor) = self { return tensor }
        return Tensor(zeros: [0])
    }
}
