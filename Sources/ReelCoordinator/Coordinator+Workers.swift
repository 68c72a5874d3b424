import Foundation
import ReelPlan
import ReelStore
import ReelWire

/// Registration, liveness and departure of workers.
extension Coordinator {
    func handleHello(peer: PeerID, _ hello: Reel_V1_Hello) {
        let name = hello.workerName
        guard Self.isValidName(name) else {
            refuse(peer, .invalid, "worker name '\(name.prefix(80))' must be 1–64 letters, digits, '.', '-' or '_'")
            reject(peer: peer, "hello with invalid worker name")
            return
        }
        guard hello.protocolVersion == WireProtocol.version else {
            refuse(peer, .protocolVersion, "protocol version \(hello.protocolVersion) is not supported; this coordinator speaks \(WireProtocol.version)")
            reject(peer: peer, "hello with protocol version \(hello.protocolVersion)")
            return
        }
        guard (1 ... 65536).contains(hello.cores), (1 ... 65536).contains(hello.threads), (1 ... 64).contains(hello.slots) else {
            refuse(peer, .invalid, "cores (\(hello.cores)), threads (\(hello.threads)) and slots (\(hello.slots)) must be at least 1 (slots at most 64)")
            reject(peer: peer, "hello from \(name) with cores \(hello.cores), threads \(hello.threads), slots \(hello.slots)")
            return
        }
        let now = Timestamp.now
        if let (otherPeer, other) = workers.first(where: { $0.value.name == name }), otherPeer != peer {
            // A live worker keeps its name; a silent one is being replaced by its restart.
            if now.milliseconds - other.lastSeen.milliseconds < config.heartbeatTimeout.milliseconds {
                refuse(peer, .duplicateName, "a worker named '\(name)' is already connected; give this one another --name")
                reject(peer: peer, "duplicate worker name \(name)")
                return
            }
            workerLost(otherPeer, reason: "replaced by a new connection with the same name", now: now)
        }
        var models: [String: ModelGeometry] = [:]
        var warmups: [String: Int] = [:]
        for info in hello.modelInfos {
            guard let geometry = Self.geometry(info), (try? geometry.validate()) != nil else {
                reject(peer: peer, "worker \(name) offers model '\(info.name.prefix(80))' with an invalid geometry; ignored")
                continue
            }
            models[info.name] = geometry
            warmups[info.name] = Int(min(info.decodeWarmupFrames, 4096))
        }
        let kinds = Set(hello.kinds)
        let slots = Int(hello.slots)
        let previous = workers[peer]
        var worker = ConnectedWorker(
            name: name, peer: peer, host: String(hello.host.prefix(255)), cores: Int(hello.cores), threads: Int(hello.threads),
            slots: slots, models: models, canDenoise: kinds.isEmpty || kinds.contains(.denoise),
            canDecode: kinds.isEmpty || kinds.contains(.decode), lastSeen: now)
        worker.decodeWarmup = warmups
        // A re-sent hello on the same connection keeps what the worker still runs.
        worker.running = previous?.running ?? []
        do {
            try store.registerWorker(
                name: name, host: worker.host, cores: worker.cores, threads: worker.threads, slots: slots,
                models: models.keys.sorted(), at: now)
        } catch {
            logger.error("cannot register worker", metadata: ["worker": "\(name)", "error": "\(error)"])
            refuse(peer, .invalid, "the coordinator could not record this worker; try again")
            return
        }
        workers[peer] = worker
        var welcome = Reel_V1_Welcome()
        welcome.heartbeatIntervalMs = UInt32(config.heartbeatInterval.milliseconds)
        welcome.heartbeatTimeoutMs = UInt32(config.heartbeatTimeout.milliseconds)
        welcome.maxMessageBytes = UInt64(config.maxMessageBytes)
        welcome.workerName = name
        var envelope = Reel_V1_Envelope()
        envelope.body = .welcome(welcome)
        send(envelope, to: peer)
        logger.info(
            "worker joined",
            metadata: ["worker": "\(name)", "host": "\(worker.host)", "slots": "\(slots)", "models": "\(models.keys.sorted())"])
        record(worker: name, kind: "worker_joined", "host \(worker.host), \(slots) slots, models \(models.keys.sorted())")
    }

    func handleHeartbeat(peer: PeerID, _ heartbeat: Reel_V1_Heartbeat) {
        guard var worker = workers[peer] else {
            // Typically a worker that outlived a coordinator restart: ask it to register again.
            refuse(peer, .notRegistered, "unknown worker: send hello again")
            return
        }
        let now = Timestamp.now
        worker.lastSeen = now
        reconcile(&worker, reported: heartbeat.running)
        workers[peer] = worker
        extendLeases(of: worker, now: now)
    }

    /// Matches what the worker says it runs with what it holds here: current leases
    /// it runs (after a coordinator restart) become its running work again; work of
    /// stale attempts still fills a slot until it ends.
    func reconcile(_ worker: inout ConnectedWorker, reported: [Reel_V1_WorkItem]) {
        var stale = 0
        for item in reported.prefix(256) {
            let id = Int64(clamping: item.jobID)
            let work: WorkRef
            let current: Bool
            switch item.kind {
            case .decode:
                work = .chunk(job: id, Int(item.chunk))
                if let decode = jobs[id]?.decode, decode.chunks.indices.contains(Int(item.chunk)),
                    case .leased(let holder, _, _) = decode.machines[Int(item.chunk)].state
                {
                    current = holder == worker.name && decode.tokens[Int(item.chunk)] == Int(item.attempt)
                } else {
                    current = false
                }
            default:
                let shard = ShardID(region: Int(item.region), block: Int(item.block))
                work = .shard(job: id, shard)
                if let record = jobs[id]?.shards[shard], case .leased(let holder, _, _) = record.machine.state {
                    current = holder == worker.name && record.token == Int(item.attempt)
                } else {
                    current = false
                }
            }
            if current { worker.running.insert(work) } else { stale += 1 }
        }
        worker.staleBusy = stale
    }

    func handleGoodbye(peer: PeerID, _ goodbye: Reel_V1_Goodbye) {
        guard let worker = workers[peer] else { return }
        logger.info("worker left", metadata: ["worker": "\(worker.name)", "reason": "\(goodbye.reason.prefix(200))"])
        workerLost(peer, reason: "worker left: \(goodbye.reason.prefix(200))", now: .now, state: .gone)
    }

    /// Workers silent for the heartbeat timeout are lost; so are leases of workers
    /// that never came back after a coordinator restart.
    func checkWorkers(now: Timestamp) {
        let timeout = config.heartbeatTimeout.milliseconds
        for (peer, worker) in workers where now.milliseconds - worker.lastSeen.milliseconds > timeout {
            logger.warning("worker lost", metadata: ["worker": "\(worker.name)"])
            workerLost(peer, reason: "no heartbeat for \(timeout) ms", now: now)
        }
        guard now.milliseconds - startedAt.milliseconds > timeout else { return }
        let registered = Set(workers.values.map(\.name))
        for (id, job) in jobs {
            for (shard, record) in job.shards {
                if case .leased(let holder, _, _) = record.machine.state, !registered.contains(holder) {
                    loseShard(job: id, shard: shard, worker: holder, reason: "worker \(holder) did not come back", now: now)
                }
            }
            if let decode = job.decode {
                for (index, machine) in decode.machines.enumerated() {
                    if case .leased(let holder, _, _) = machine.state, !registered.contains(holder) {
                        loseChunk(job: id, chunk: index, worker: holder, reason: "worker \(holder) did not come back", now: now)
                    }
                }
            }
        }
    }

    /// Everything `peer` held goes back to the queue (or fails its job when out of attempts).
    func workerLost(_ peer: PeerID, reason: String, now: Timestamp, state: WorkerStateName = .lost) {
        guard let worker = workers.removeValue(forKey: peer) else { return }
        for work in worker.running {
            switch work {
            case .shard(let job, let shard): loseShard(job: job, shard: shard, worker: worker.name, reason: reason, now: now)
            case .chunk(let job, let chunk): loseChunk(job: job, chunk: chunk, worker: worker.name, reason: reason, now: now)
            }
        }
        do { _ = try store.setWorkerState(name: worker.name, to: state) } catch {
            logger.error("cannot record worker state", metadata: ["worker": "\(worker.name)", "error": "\(error)"])
        }
        record(worker: worker.name, kind: state == .gone ? "worker_left" : "worker_lost", reason)
    }

    func sendHeartbeats(now: Timestamp) {
        var heartbeat = Reel_V1_Heartbeat()
        heartbeat.sentUnixMs = UInt64(now.milliseconds)
        var envelope = Reel_V1_Envelope()
        envelope.body = .heartbeat(heartbeat)
        for peer in workers.keys { send(envelope, to: peer) }
        do { _ = try store.touchWorkers(names: workers.values.map(\.name), at: now) } catch {
            logger.error("cannot record heartbeats", metadata: ["error": "\(error)"])
        }
    }

    /// A live worker's leases run on: one heartbeat extends all of them.
    func extendLeases(of worker: ConnectedWorker, now: Timestamp) {
        let until = now.advanced(by: config.policy.leaseDuration)
        for work in worker.running {
            switch work {
            case .shard(let job, let shard):
                guard var record = jobs[job]?.shards[shard] else { continue }
                guard case .leased(_, let attempt, _) = record.machine.state else { continue }
                if case .extendLease = record.machine.heartbeat(from: worker.name, attempt: attempt, now: now) {
                    jobs[job]?.shards[shard] = record
                }
            case .chunk(let job, let chunk):
                guard var machine = jobs[job]?.decode?.machines[chunk] else { continue }
                guard case .leased(_, let attempt, _) = machine.state else { continue }
                if case .extendLease = machine.heartbeat(from: worker.name, attempt: attempt, now: now) {
                    jobs[job]?.decode?.machines[chunk] = machine
                }
            }
        }
        guard !worker.running.isEmpty else { return }
        do { _ = try store.extendLeases(worker: worker.name, now: now, until: until) } catch {
            logger.error("cannot extend leases", metadata: ["worker": "\(worker.name)", "error": "\(error)"])
        }
    }

    static func isValidName(_ name: String) -> Bool {
        (1 ... 64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }
    }

    static func geometry(_ info: Reel_V1_ModelInfo) -> ModelGeometry? {
        guard isValidName(info.name) else { return nil }
        let values = [
            info.latentChannels, info.temporalStride, info.spatialStride, info.patchFrames, info.patchHeight, info.patchWidth,
            info.layers, info.width, info.ffnWidth, info.heads, info.textTokens, info.textDim,
        ]
        guard values.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else { return nil }
        return ModelGeometry(
            name: info.name, latentChannels: Int(info.latentChannels), temporalStride: Int(info.temporalStride),
            spatialStride: Int(info.spatialStride),
            patch: PatchSize(frames: Int(info.patchFrames), height: Int(info.patchHeight), width: Int(info.patchWidth)),
            layers: Int(info.layers), width: Int(info.width), ffnWidth: Int(info.ffnWidth), heads: Int(info.heads),
            textTokens: Int(info.textTokens), textDim: Int(info.textDim))
    }
}
