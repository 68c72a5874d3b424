import Foundation
import ReelModel
import ReelTensor

/// One committed VAE reference case made by `Deploy/reference/make_vae_fixtures.py`:
/// a model folder with `vae/` plus decode and encode inputs and diffusers' outputs.
struct VAEFixture: CustomStringConvertible, Sendable {
    let name: String
    let directory: String

    var description: String { name }
    var folder: URL { URL(fileURLWithPath: directory + "/model") }
    func file(_ name: String) -> String { directory + "/" + name }
    var hasTiling: Bool { FileManager.default.fileExists(atPath: file("tiled_decode_inputs.safetensors")) }

    func tensor(_ file: String, _ name: String) throws -> Tensor {
        try SafeTensorsFile(path: self.file(file)).tensor(name)
    }

    /// The `enable_tiling` arguments the tiled reference was made with.
    func tiling() throws -> VAETiling {
        struct Case: Decodable {
            struct Tiling: Decodable {
                let tile_sample_min_height: Int, tile_sample_min_width: Int
                let tile_sample_stride_height: Int, tile_sample_stride_width: Int
            }
            let tiling: Tiling
        }
        let t = try JSONDecoder().decode(Case.self, from: Data(contentsOf: URL(fileURLWithPath: file("case.json")))).tiling
        return VAETiling(
            tileHeight: t.tile_sample_min_height, tileWidth: t.tile_sample_min_width,
            strideHeight: t.tile_sample_stride_height, strideWidth: t.tile_sample_stride_width)
    }

    static var root: String { FixtureCase.root + "/vae" }

    static var all: [VAEFixture] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: root + "/" + $0 + "/case.json") }.sorted()
            .map { VAEFixture(name: $0, directory: root + "/" + $0) }
    }
}
