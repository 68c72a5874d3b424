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
        let now = ContinuousClock.now
        let bootID = String(hello.bootID.prefix(64))
        var previous = workers[peer]
        if let (otherPeer, other) = workers.first(where: { $0.value.name == name }), otherPeer != peer {
            if !bootID.isEmpty, other.bootID == bootID {
                // The same process on a new connection: it keeps its entry.
                previous = workers.removeValue(forKey: otherPeer)
            } else if now - other.lastSeen < config.heartbeatTimeout {
                // A live worker keeps its name. The refusal is not final for the
                // newcomer: it tries again later, and takes over once the other is silent.
                refuse(peer, .duplicateName, "a worker named '\(name)' is already connected from \(other.host); give this one another --name")
                reject(peer: peer, "duplicate worker name \(name)")
                return
            } else {
                workerLost(otherPeer, reason: "replaced by a new connection with the same name")
            }
        }
        var models: [String: ModelGeometry] = [:]
        var warmups: [String: Int] = [:]
        var digests: [String: String] = [:]
        for info in hello.modelInfos {
            guard let geometry = Self.geometry(info), (try? geometry.validate()) != nil else {
                reject(peer: peer, "worker \(name) offers model '\(info.name.prefix(80))' with an invalid geometry; ignored")
                continue
            }
            models[info.name] = geometry
            warmups[info.name] = Int(min(info.decodeWarmupFrames, 4096))
            digests[info.name] = String(info.digest.prefix(64))
        }
        // A model is its name and its digest: a worker holding another checkpoint
        // under a name the farm already renders with would mix two models in a clip.
        for (model, digest) in digests where !digest.isEmpty {
            if let other = workers.values.first(where: { $0.name != name && !($0.modelDigests[model] ?? "").isEmpty && $0.modelDigests[model] != digest }) {
                let theirs = other.modelDigests[model] ?? ""
                refuse(
                    peer, .invalid,
                    "model '\(model)' on this worker has digest \(digest), but worker '\(other.name)' serves it with digest \(theirs): give the two checkpoints different folder names, or copy the same folder to both")
                reject(peer: peer, "worker \(name): model '\(model)' digest \(digest) differs from \(other.name)'s \(theirs)")
                return
            }
        }
        let kinds = Set(hello.kinds)
        let slots = Int(hello.slots)
        var worker = ConnectedWorker(
            name: name, peer: peer, bootID: bootID, host: String(hello.host.prefix(255)), cores: Int(hello.cores),
            threads: Int(hello.threads), slots: slots, models: models,
            canDenoise: kinds.isEmpty || kinds.contains(.denoise),
            canDecode: (kinds.isEmpty || kinds.contains(.decode)) && warmups.values.contains { $0 > 0 },
            lastSeen: now, leasesExtended: now)
        worker.decodeWarmup = warmups
        worker.modelDigests = digests
        if let previous, previous.bootID == bootID, !bootID.isEmpty {
            // The same process saying hello again (it thought us silent): it keeps
            // what it runs and the embeddings it holds, and nothing is re-recorded.
            worker.running = previous.running
            worker.embeddings = previous.embeddings
            worker.shardsDone = previous.shardsDone
            workers[peer] = worker
            statistics.reregistrations += 1
            logger.warning("worker said hello again", metadata: ["worker": "\(name)"])
            welcome(peer, name: name)
            return
        }
        do {
            try store.registerWorker(
                name: name, host: worker.host, cores: worker.cores, threads: worker.threads, slots: slots,
                models: models.keys.sorted(), at: clock.now)
        } catch {
            logger.error("cannot register worker", metadata: ["worker": "\(name)", "error": "\(error)"])
            refuse(peer, .invalid, "the coordinator could not record this worker; try again")
            return
        }
        workers[peer] = worker
        welcome(peer, name: name)
        logger.info(
            "worker joined",
            metadata: ["worker": "\(name)", "host": "\(worker.host)", "slots": "\(slots)", "models": "\(models.keys.sorted())"])
        record(worker: name, kind: "worker_joined", "host \(worker.host), \(slots) slots, models \(models.keys.sorted())")
    }

    private func welcome(_ peer: PeerID, name: String) {
        var welcome = Reel_V1_Welcome()
        welcome.heartbeatIntervalMs = UInt32(config.heartbeatInterval.milliseconds)
        welcome.heartbeatTimeoutMs = UInt32(config.heartbeatTimeout.milliseconds)
        welcome.maxMessageBytes = UInt64(config.maxMessageBytes)
        welcome.workerName = name
        var envelope = Reel_V1_Envelope()
        envelope.body = .welcome(welcome)
        send(envelope, to: peer)
    }

    func handleHeartbeat(peer: PeerID, _ heartbeat: Reel_V1_Heartbeat) {
        guard var worker = workers[peer] else {
            // Typically a worker that outlived a coordinator restart: ask it to register again.
            refuse(peer, .notRegistered, "unknown worker: send hello again")
            return
        }
        let now = ContinuousClock.now
        worker.lastSeen = now
        reconcile(&worker, reported: heartbeat.running, now: now)
        workers[peer] = worker
        extendLeases(of: peer, now: now)
    }

    /// Makes the worker's running set what it says it runs: current leases it runs
    /// (also after a coordinator restart) are its running work; items it was sent
    /// more than a heartbeat timeout ago and no longer lists are lost (the message
    /// or the work went missing), so their slots and leases do not leak; work of
    /// stale attempts still fills a slot until it ends.
    func reconcile(_ worker: inout ConnectedWorker, reported: [Reel_V1_WorkItem], now: ContinuousClock.Instant) {
        var stale = 0
        var listed = Set<WorkRef>()
        for item in reported.prefix(256) {
            let id = Int64(clamping: item.jobID)
            let work: WorkRef =
                item.kind == .decode
                ? .chunk(job: id, Int(item.chunk)) : .shard(job: id, ShardID(region: Int(item.region), block: Int(item.block)))
            let current = machine(of: work)?.state.holder == worker.name && token(of: work) == Int(item.attempt)
            if current {
                listed.insert(work)
                if worker.running[work] == nil { worker.running[work] = now }
            } else {
                stale += 1
            }
        }
        worker.staleBusy = stale
        for (work, sent) in worker.running where !listed.contains(work) && now - sent > config.heartbeatTimeout {
            worker.running[work] = nil
            logger.warning("worker no longer runs an item it was sent", metadata: ["worker": "\(worker.name)", "work": "\(work)"])
            loseWork(work, worker: worker.name, reason: "\(worker.name) does not have \(work)")
        }
    }

    func handleGoodbye(peer: PeerID, _ goodbye: Reel_V1_Goodbye) {
        guard let worker = workers[peer] else { return }
        logger.info("worker left", metadata: ["worker": "\(worker.name)", "reason": "\(goodbye.reason.prefix(200))"])
        workerLost(peer, reason: "worker left: \(goodbye.reason.prefix(200))", state: .gone)
    }

    /// Workers silent for the heartbeat timeout are lost; so are leases of workers
    /// that never came back after a coordinator restart.
    func checkWorkers(now: ContinuousClock.Instant) {
        pull(intake.expire(now: now))
        for (peer, worker) in workers where now - worker.lastSeen > config.heartbeatTimeout {
            logger.warning("worker lost", metadata: ["worker": "\(worker.name)"])
            workerLost(peer, reason: "no heartbeat for \(config.heartbeatTimeout)")
        }
        guard now - startedAt > config.heartbeatTimeout else { return }
        let registered = Set(workers.values.map(\.name))
        for (id, job) in jobs {
            for (shard, record) in job.shards {
                if let holder = record.machine.state.holder, !registered.contains(holder) {
                    loseWork(.shard(job: id, shard), worker: holder, reason: "worker \(holder) did not come back")
                }
            }
            if let decode = job.decode {
                for (index, machine) in decode.machines.enumerated() {
                    if let holder = machine.state.holder, !registered.contains(holder) {
                        loseWork(.chunk(job: id, index), worker: holder, reason: "worker \(holder) did not come back")
                    }
                }
            }
        }
    }

    /// Everything `peer` held goes back to the queue (or fails its job when out of attempts).
    func workerLost(_ peer: PeerID, reason: String, state: WorkerStateName = .lost) {
        guard let worker = workers.removeValue(forKey: peer) else { return }
        pull(intake.peerGone(peer, now: .now))
        for work in worker.running.keys { loseWork(work, worker: worker.name, reason: reason) }
        do { _ = try store.setWorkerState(name: worker.name, to: state) } catch {
            logger.error("cannot record worker state", metadata: ["worker": "\(worker.name)", "error": "\(error)"])
        }
        record(worker: worker.name, kind: state == .gone ? "worker_left" : "worker_lost", reason)
    }

    func sendHeartbeats() {
        var heartbeat = Reel_V1_Heartbeat()
        heartbeat.sentUnixMs = UInt64(clock.now.milliseconds)
        var envelope = Reel_V1_Envelope()
        envelope.body = .heartbeat(heartbeat)
        guard let frames = try? WireCodec.encode(envelope, tensors: []) else { return }
        for peer in workers.keys { send(frames: frames, to: peer) }
        let names = workers.values.map(\.name), now = clock.now, store = queryStore, logger = logger
        queries.submit {
            do { _ = try store.value.touchWorkers(names: names, at: now) } catch {
                logger.error("cannot record heartbeats", metadata: ["error": "\(error)"])
            }
            return .none
        }
    }

    /// A live worker's leases run on. In memory every heartbeat extends them; the
    /// database hears of it a few times per lease, not on every heartbeat.
    func extendLeases(of peer: PeerID, now: ContinuousClock.Instant) {
        guard let worker = workers[peer], !worker.running.isEmpty else { return }
        let stamp = clock.now
        for work in worker.running.keys {
            guard var machine = machine(of: work), case .leased(_, let attempt, _) = machine.state else { continue }
            if case .extendLease = machine.heartbeat(from: worker.name, attempt: attempt, now: stamp) { setMachine(machine, of: work) }
        }
        guard now - worker.leasesExtended >= config.policy.leaseDuration / 4 else { return }
        workers[peer]?.leasesExtended = now
        do { _ = try store.extendLeases(worker: worker.name, now: stamp, until: stamp.advanced(by: config.policy.leaseDuration)) } catch {
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
        // Products the coordinator allocates: the stand-in embedder's textTokens × textDim
        // floats per prompt, and latentChannels floats per latent pixel of a whole clip
        // (the final blend). A worker's claim must not make a submission exhaust memory.
        guard UInt64(info.textTokens) * UInt64(info.textDim) <= 1 << 24, info.latentChannels <= 1 << 10 else { return nil }
        return ModelGeometry(
            name: info.name, latentChannels: Int(info.latentChannels), temporalStride: Int(info.temporalStride),
            spatialStride: Int(info.spatialStride),
            patch: PatchSize(frames: Int(info.patchFrames), height: Int(info.patchHeight), width: Int(info.patchWidth)),
            layers: Int(info.layers), width: Int(info.width), ffnWidth: Int(info.ffnWidth), heads: Int(info.heads),
            textTokens: Int(info.textTokens), textDim: Int(info.textDim))
    }
}
