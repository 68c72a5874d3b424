import Foundation
import ReelModel
import ReelTensor

/// One committed reference case made by `Deploy/reference/make_dit_fixtures.py`
/// with PyTorch + diffusers: a model folder plus inputs and diffusers' outputs.
struct FixtureCase: CustomStringConvertible, Sendable {
    let name: String
    let directory: String

    var description: String { name }
    var modelPath: String { directory + "/model" }
    func file(_ name: String) -> String { directory + "/" + name }
    var hasSampling: Bool { FileManager.default.fileExists(atPath: file("sample_inputs.safetensors")) }

    struct Settings: Decodable {
        let steps: Int?
        let guidance: Float?
        let shift: Double?
    }

    func settings() throws -> Settings {
        try JSONDecoder().decode(Settings.self, from: Data(contentsOf: URL(fileURLWithPath: file("case.json"))))
    }

    func tensor(_ file: String, _ name: String) throws -> Tensor {
        try SafeTensorsFile(path: self.file(file)).tensor(name)
    }

    static var root: String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path
    }

    static var all: [FixtureCase] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: root + "/" + $0 + "/case.json") }.sorted()
            .map { FixtureCase(name: $0, directory: root + "/" + $0) }
    }
}

/// Prints `maxdiff` as the style guide asks and returns it relative to max|ref|.
func relativeMaxdiff(_ label: String, _ ours: Tensor, _ reference: Tensor) -> Float {
    let diff = ours.maxAbsDifference(reference)
    let relative = diff / max(reference.maxAbs, 1e-30)
    print("\(label): maxdiff \(diff), max|ref| \(reference.maxAbs), relative \(relative)")
    return relative
}
