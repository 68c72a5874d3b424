import Foundation
import Testing

/// Deploy/'s unit files, manifests, compose file and Dockerfile, checked by the
/// real tools through Deploy/check-deploy.sh (systemd-analyze verify,
/// kubernetes-validate --strict, docker-compose config; Deploy/install-deps.sh
/// installs them).
@Suite struct DeployFilesTests {
    @Test func deployFilesPassTheirValidators() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("Deploy/check-deploy.sh")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(output)
        #expect(process.terminationStatus == 0, "\(output)")
        for tool in ["systemd-analyze verify passed", "kubernetes-validate --strict passed", "docker-compose config passed"] {
            #expect(output.contains(tool), "\(output)")
        }
    }
}
