import Foundation
import ReelModel
import Testing

/// A model folder's `reel.json`: absent is Wan 2.1's defaults; what it may say, and
/// the errors for what it may not.
@Suite struct ReelFolderConfigTests {
    static func folder(_ json: String?) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-folder-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let json { try json.write(toFile: dir + "/reel.json", atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func absentOrFirstIsWansAndLaterIsRead() throws {
        #expect(try ReelFolderConfig.load(folder: Self.folder(nil)) == ReelFolderConfig(firstLatentIsLater: false))
        #expect(try ReelFolderConfig.load(folder: Self.folder(#"{"first_latent_form": "first"}"#)).firstLatentIsLater == false)
        #expect(try ReelFolderConfig.load(folder: Self.folder(#"{"first_latent_form": "later"}"#)).firstLatentIsLater == true)
    }

    @Test func badValuesAndUnknownKeysNameTheFileAndKey() throws {
        for (json, key) in [(#"{"first_latent_form": "last"}"#, "first_latent_form"), (#"{"first_latent_from": "later"}"#, "first_latent_from"),
                            (#"{"first_latent_form": 1}"#, "first_latent_form"), ("[1]", "(file)")] {
            let dir = try Self.folder(json)
            #expect {
                try ReelFolderConfig.load(folder: dir)
            } throws: { error in
                guard case .invalidConfig(let path, let named, _) = error as? ModelError else { return false }
                return path == dir + "/reel.json" && named == key
            }
        }
    }

    @Test func theShippedDemoModelDrawsItsFirstLatentFrameInLaterForm() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        #expect(try ReelFolderConfig.load(folder: root.appendingPathComponent("Models/demo").path).firstLatentIsLater)
    }
}
