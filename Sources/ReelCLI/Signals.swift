import Dispatch
import Foundation
import ReelFarm

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM set `flag` instead of killing the process, so workers can
/// finish or hand back their shards and the farm can shut down in order.
enum Signals {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func install(setting flag: StopFlag) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { flag.set() }
            source.resume()
            sources.append(source)
        }
    }
}
