/// A `reel submit` failure found while it runs (a source file, an upload, the job):
/// printed as its message alone, without the usage text a ``ValidationError`` gets.
struct SubmitError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
