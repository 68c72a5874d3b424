import ReelPlan
import ReelWire

/// What the `inputs` lane needs to build a source encoding's assignment: the
/// source's blob (read there) and how the worker conforms it.
struct SourceAssignmentOrder: Sendable {
    var peer: PeerID
    var job: Int64
    var encoding: Int
    var token: Int
    var model: String
    var sourceSHA: String
    var kind: ConditioningSource.Kind
    /// The conformed size in pixels (the item's box, or the frame).
    var width: Int
    var height: Int
    var fit: SourceFit
    var firstFrame: Int
    var frameCount: Int
    var fps: Int
    /// Whether the worker encodes it in later form (`SourceAssignment.later_form`).
    var form: SourceForm = .first
}
