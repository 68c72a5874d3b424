import Foundation

/// Progress and messages go to stderr so stdout stays machine-readable.
func printErr(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
