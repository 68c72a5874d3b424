import Foundation
import ReelPlan
import ReelStore
import ReelWire

/// The messages of worker registration and liveness that ``CoordinatorCore``
/// asks for (the decisions are in `CoordinatorCore+Workers.swift`).
extension Coordinator {
    func welcome(_ peer: PeerID, name: String) {
        var welcome = Reel_V1_Welcome()
        welcome.heartbeatIntervalMs = UInt32(config.heartbeatInterval.milliseconds)
        welcome.heartbeatTimeoutMs = UInt32(config.heartbeatTimeout.milliseconds)
        welcome.maxMessageBytes = UInt64(config.maxMessageBytes)
        welcome.workerName = name
        var envelope = Reel_V1_Envelope()
        envelope.body = .welcome(welcome)
        send(envelope, to: peer)
    }

    /// Heartbeats `peers`, and stamps the workers' rows on the `queries` lane.
    func sendHeartbeats(to peers: [PeerID], names: [String]) {
        var heartbeat = Reel_V1_Heartbeat()
        heartbeat.sentUnixMs = UInt64(clock.now.milliseconds)
        var envelope = Reel_V1_Envelope()
        envelope.body = .heartbeat(heartbeat)
        let frames: [Data]
        do { frames = try WireCodec.encode(envelope, tensors: []) } catch {
            logger.error("cannot encode a heartbeat", metadata: ["error": "\(error)"])
            return
        }
        for peer in peers { send(frames: frames, to: peer) }
        let now = clock.now, store = queryStore, logger = logger
        queries.submit {
            do {
                let stamped = try store.value.touchWorkers(names: names, at: now)
                // A worker whose row is missing is seen again at its next hello.
                if stamped < names.count { logger.debug("heartbeat stamped fewer workers than connected", metadata: ["stamped": "\(stamped)", "connected": "\(names.count)"]) }
            } catch {
                logger.error("cannot record heartbeats", metadata: ["error": "\(error)"])
            }
            return .none
        }
    }
}
