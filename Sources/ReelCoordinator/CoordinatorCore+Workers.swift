import Foundation
import ReelPlan
import ReelStore
import ReelWire

/// Registration, liveness and departure of workers.
extension CoordinatorCore {
    mutating func hello(peer: PeerID, _ hello: Reel_V1_Hello, at time: LoopTime) -> [CoordinatorAction] {
        let name = hello.workerName
        guard Self.isValidName(name) else {
            return [
                .refuse(peer, .invalid, "worker name '\(name.prefix(80))' must be 1–64 letters, digits, '.', '-' or '_'"),
                reject(peer, "hello with invalid worker name"),
            ]
        }
        guard hello.protocolVersion == WireProtocol.version else {
            return [
                .refuse(peer, .protocolVersion, "protocol version \(hello.protocolVersion) is not supported; this coordinator speaks \(WireProtocol.version)"),
                reject(peer, "hello with protocol version \(hello.protocolVersion)"),
            ]
        }
        guard (1 ... 65536).contains(hello.cores), (1 ... 65536).contains(hello.threads), (1 ... 64).contains(hello.slots) else {
            return [
                .refuse(peer, .invalid, "cores (\(hello.cores)), threads (\(hello.threads)) and slots (\(hello.slots)) must be at least 1 (slots at most 64)"),
                reject(peer, "hello from \(name) with cores \(hello.cores), threads \(hello.threads), slots \(hello.slots)"),
            ]
        }
        var actions: [CoordinatorAction] = []
        let now = time.instant
        let bootID = String(hello.bootID.prefix(64))
        var previous = workers[peer]
        if let (otherPeer, other) = workers.first(where: { $0.value.name == name }), otherPeer != peer {
            if !bootID.isEmpty, other.bootID == bootID {
                // The same process on a new connection: it keeps its entry.
                previous = workers.removeValue(forKey: otherPeer)
            } else if now - other.lastSeen < config.heartbeatTimeout {
                // A live worker keeps its name. The refusal is not final for the
                // newcomer: it tries again later, and takes over once the other is silent.
                return [
                    .refuse(peer, .duplicateName, "a worker named '\(name)' is already connected from \(other.host); give this one another --name"),
                    reject(peer, "duplicate worker name \(name)"),
                ]
            } else {
                actions += workerLost(otherPeer, reason: "replaced by a new connection with the same name", at: time)
            }
        }
        var models: [String: ModelGeometry] = [:]
        var warmups: [String: Int] = [:]
        var digests: [String: String] = [:]
        for info in hello.modelInfos {
            guard let geometry = Self.geometry(info), (try? geometry.validate()) != nil else {
                actions.append(reject(peer, "worker \(name) offers model '\(info.name.prefix(80))' with an invalid geometry; ignored"))
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
                return actions + [
                    .refuse(
                        peer, .invalid,
                        "model '\(model)' on this worker has digest \(digest), but worker '\(other.name)' serves it with digest \(theirs): give the two checkpoints different folder names, or copy the same folder to both"),
                    reject(peer, "worker \(name): model '\(model)' digest \(digest) differs from \(other.name)'s \(theirs)"),
                ]
            }
        }
        let kinds = Set(hello.kinds)
        var worker = ConnectedWorker(
            name: name, peer: peer, bootID: bootID, host: String(hello.host.prefix(255)), cores: Int(hello.cores),
            threads: Int(hello.threads), slots: Int(hello.slots), models: models,
            canDenoise: kinds.isEmpty || kinds.contains(.denoise),
            canDecode: (kinds.isEmpty || kinds.contains(.decode)) && warmups.values.contains { $0 > 0 },
            lastSeen: now, leasesExtended: now)
        worker.decodeWarmup = warmups
        worker.modelDigests = digests
        worker.textEncoders = Set(hello.modelInfos.filter { $0.textEncoder && models[$0.name] != nil }.map(\.name))
        worker.canEncode = kinds.contains(.encodePrompt) && !worker.textEncoders.isEmpty
        worker.canEncodeSources = kinds.contains(.encodeSource)
        worker.runsEmptyBlocks = hello.runsEmptyBlocks
        worker.encodesLaterForm = hello.encodesLaterForm
        worker.pools = Array(Set(hello.pools.filter(JobRequest.isPoolName).prefix(32))).sorted()
        if worker.pools.count != hello.pools.count {
            actions.append(reject(peer, "worker \(name) names pools that are not pool names (or repeats one); kept \(worker.pools)"))
        }
        if let previous, previous.bootID == bootID, !bootID.isEmpty {
            // The same process saying hello again (it thought us silent): it keeps
            // what it runs and the embeddings it holds, and nothing is re-recorded.
            // Assignments still being built keep their order, and one that handed work
            // back still takes nothing until a heartbeat says it has room.
            worker.running = previous.running
            worker.embeddings = previous.embeddings
            // (Builds answer to the peer they were ordered for: only its own outbox waits for them.)
            if previous.peer == peer { worker.outbox = previous.outbox }
            worker.refusing = previous.refusing
            worker.shardsDone = previous.shardsDone
            worker.recentDone = previous.recentDone
            workers[peer] = worker
            return actions + [.tally(.reregistration), .log(.warning, "worker said hello again", ["worker": "\(name)"]), .welcome(peer, name: name)]
        }
        // It counts as connected once the database has it.
        registering[peer] = worker
        return actions + [.registerWorker(peer, worker, at: time.stamp)]
    }

    /// The database answered a registration.
    mutating func workerRegistered(_ peer: PeerID, outcome: StoreOutcome) -> [CoordinatorAction] {
        guard var worker = registering.removeValue(forKey: peer) else { return [] }
        guard outcome == .committed else {
            // Registration is an upsert: the worker says hello again (as for any
            // coordinator that does not know it, not a final refusal) and it is tried again.
            return [
                .log(.error, "cannot register worker", ["worker": "\(worker.name)", "outcome": "\(outcome)"]),
                .refuse(peer, .notRegistered, "the coordinator could not record this worker yet; send hello again"),
            ]
        }
        // Leases the database holds in its name (a coordinator restarted while it
        // worked) count as sent to it now: if its heartbeats do not list them within
        // a heartbeat timeout, it never got them, and they are lost then rather than
        // when the lease runs out.
        for (work, holder) in leases() where holder == worker.name && worker.running[work] == nil {
            worker.running[work] = worker.lastSeen
        }
        workers[peer] = worker
        let models = worker.models.keys.sorted()
        return [
            .welcome(peer, name: worker.name),
            .log(.info, "worker joined", ["worker": "\(worker.name)", "host": "\(worker.host)", "slots": "\(worker.slots)", "models": "\(models)"]),
            .appendEvent(job: nil, shard: nil, worker: worker.name, kind: "worker_joined", detail: "host \(worker.host), \(worker.slots) slots, models \(models)"),
        ]
    }

    mutating func heartbeat(peer: PeerID, running reported: [Reel_V1_WorkItem], at time: LoopTime, freeSlots: Int? = nil) -> [CoordinatorAction] {
        // Its registration is on its way to the database: the welcome follows.
        guard registering[peer] == nil else { return [] }
        guard var worker = workers[peer] else {
            // Typically a worker that outlived a coordinator restart: ask it to register again.
            return [.refuse(peer, .notRegistered, "unknown worker: send hello again")]
        }
        worker.lastSeen = time.instant
        if let freeSlots, freeSlots > 0 { worker.refusing = false }
        var actions = reconcile(&worker, reported: reported, at: time)
        workers[peer] = worker
        actions += extendLeases(of: peer, at: time)
        return actions
    }

    /// Makes the worker's running set what it says it runs: current leases it runs
    /// (also after a coordinator restart) are its running work; items it was sent
    /// more than a heartbeat timeout ago and no longer lists are lost (the message
    /// or the work went missing), so their slots and leases do not leak; work of
    /// stale attempts still fills a slot until it ends.
    mutating func reconcile(_ worker: inout ConnectedWorker, reported: [Reel_V1_WorkItem], at time: LoopTime) -> [CoordinatorAction] {
        let now = time.instant
        var stale = 0
        var listed = Set<WorkRef>()
        for item in reported.prefix(256) {
            // Every kind a worker runs, encodings included: one missing here reads as
            // "not running" and is taken away after the heartbeat timeout.
            guard let work = Self.work(item) else {
                stale += 1
                continue
            }
            let current = isCurrent(work, token: Int(item.attempt), for: worker)
            if current {
                listed.insert(work)
                if worker.running[work] == nil { worker.running[work] = now }
            } else {
                stale += 1
            }
        }
        worker.staleBusy = stale
        var actions: [CoordinatorAction] = []
        for (work, sent) in worker.running where !listed.contains(work) && now - sent > config.heartbeatTimeout {
            worker.running[work] = nil
            actions.append(.log(.warning, "worker no longer runs an item it was sent", ["worker": "\(worker.name)", "work": "\(work)"]))
            actions += loseWork(work, worker: worker.name, reason: "\(worker.name) does not have \(work)", at: time)
        }
        return actions
    }

    mutating func goodbye(peer: PeerID, reason: String, at time: LoopTime) -> [CoordinatorAction] {
        guard let worker = workers[peer] else { return [] }
        let reason = reason.prefix(200)
        return [.log(.info, "worker left", ["worker": "\(worker.name)", "reason": "\(reason)"])]
            + workerLost(peer, reason: "worker left: \(reason)", state: .gone, at: time)
    }

    /// Workers silent for the heartbeat timeout are lost; so are leases of workers
    /// that never came back after a coordinator restart.
    mutating func checkWorkers(at time: LoopTime) -> [CoordinatorAction] {
        let now = time.instant
        var actions = pull(intake.expire(now: now), at: time)
        for (peer, worker) in workers where now - worker.lastSeen > config.heartbeatTimeout {
            actions.append(.log(.warning, "worker lost", ["worker": "\(worker.name)"]))
            actions += workerLost(peer, reason: "no heartbeat for \(config.heartbeatTimeout)", at: time)
        }
        guard now - startedAt > config.heartbeatTimeout else { return actions }
        let registered = Set(workers.values.map(\.name))
        for (work, holder) in leases() where !registered.contains(holder) {
            actions += loseWork(work, worker: holder, reason: "worker \(holder) did not come back", at: time)
        }
        return actions
    }

    /// Every leased item and the worker holding it.
    func leases() -> [(work: WorkRef, holder: String)] {
        var held: [(WorkRef, String)] = []
        for (id, job) in jobs {
            for (shard, record) in job.shards {
                if let holder = record.machine.state.holder { held.append((.shard(job: id, shard), holder)) }
            }
            for (index, machine) in (job.decode?.machines ?? []).enumerated() {
                if let holder = machine.state.holder { held.append((.chunk(job: id, index), holder)) }
            }
            if let holder = job.encoding?.machine.state.holder { held.append((.encoding(job: id), holder)) }
        }
        return held
    }

    /// Everything `peer` held goes back to the queue (or fails its job when out of
    /// attempts), except results being recorded, whose outcome decides.
    mutating func workerLost(_ peer: PeerID, reason: String, state: WorkerStateName = .lost, at time: LoopTime) -> [CoordinatorAction] {
        guard let worker = workers.removeValue(forKey: peer) else { return [] }
        var actions = pull(intake.peerGone(peer, now: time.instant), at: time)
        for work in worker.running.keys { actions += loseWork(work, worker: worker.name, reason: reason, at: time) }
        actions.append(.setWorkerState(name: worker.name, state))
        actions.append(.appendEvent(job: nil, shard: nil, worker: worker.name, kind: state == .gone ? "worker_left" : "worker_lost", detail: reason))
        return actions
    }

    func workerStateRecorded(name: String, state: WorkerStateName, outcome: StoreOutcome) -> [CoordinatorAction] {
        switch outcome {
        case .committed: return []
        case .stale:
            // No row to change (never registered here, or already in that state).
            return [.log(.debug, "worker state unchanged", ["worker": "\(name)", "state": "\(state)"])]
        case .failed(let error), .unknown(let error):
            // The row only informs `reel workers`; the next registration or loss writes it again.
            return [.log(.error, "cannot record worker state", ["worker": "\(name)", "error": "\(error)"])]
        }
    }

    /// The loop itself was not listening (a stopped process, a starved CPU):
    /// nobody's silence during the gap is evidence against them.
    mutating func loopPaused(gap: Duration, at time: LoopTime) -> [CoordinatorAction] {
        guard gap > config.heartbeatTimeout / 2 else { return [] }
        for peer in workers.keys { workers[peer]?.lastSeen = time.instant }
        return [.log(.warning, "event loop paused", ["ms": "\(gap.milliseconds)"])]
    }

    /// A live worker's leases run on. In memory every heartbeat extends them; the
    /// database hears of it a few times per lease, not on every heartbeat.
    mutating func extendLeases(of peer: PeerID, at time: LoopTime) -> [CoordinatorAction] {
        guard let worker = workers[peer], !worker.running.isEmpty else { return [] }
        for work in worker.running.keys {
            guard var machine = machine(of: work), case .leased(_, let attempt, _) = machine.state else { continue }
            if case .extendLease = machine.heartbeat(from: worker.name, attempt: attempt, now: time.stamp) { setMachine(machine, of: work) }
        }
        guard time.instant - worker.leasesExtended >= config.policy.leaseDuration / 4 else { return [] }
        workers[peer]?.leasesExtended = time.instant
        return [.extendLeases(worker: worker.name, now: time.stamp, until: time.stamp.advanced(by: config.policy.leaseDuration))]
    }

    func leasesExtended(worker: String, outcome: StoreOutcome) -> [CoordinatorAction] {
        switch outcome {
        case .committed, .stale: return []
        case .failed(let error), .unknown(let error):
            // Extending is idempotent and is asked again a quarter lease later; a
            // lease that lapses meanwhile is found by the reconciler.
            return [.log(.error, "cannot extend leases", ["worker": "\(worker)", "error": "\(error)"])]
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
            textTokens: Int(info.textTokens), textDim: Int(info.textDim), firstLatentForm: info.firstLatentLaterForm ? .later : nil)
    }
}
