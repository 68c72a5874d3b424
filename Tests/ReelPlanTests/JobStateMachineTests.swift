import PropertyBased
import Testing
import ReelPlan

@Suite struct JobStateMachineTests {
    @Test func happyPath() {
        var job = JobStateMachine()
        #expect(job.state == .queued)
        #expect(job.start() == .startShards(attempt: 1))
        #expect(job.shardsDone() == .decode)
        #expect(job.state == .decoding(attempt: 1))
        #expect(job.decoded() == .publish)
        #expect(job.state == .succeeded && job.state.isFinal)
    }

    @Test func failureAndRetryCountAttempts() {
        var job = JobStateMachine(state: .running(attempt: 1))
        #expect(job.fail(reason: "shard r3/b2 out of attempts") == .abort(reason: "shard r3/b2 out of attempts"))
        #expect(job.state == .failed(attempt: 1, reason: "shard r3/b2 out of attempts"))
        #expect(!job.state.isFinal)
        #expect(job.retry() == .resumeShards(attempt: 2))
        #expect(job.state == .running(attempt: 2))
        _ = job.shardsDone()
        _ = job.fail(reason: "decode")
        #expect(job.state == .failed(attempt: 2, reason: "decode"))
        #expect(job.retry() == .resumeShards(attempt: 3))
    }

    @Test(arguments: [JobState.queued, .running(attempt: 1), .decoding(attempt: 2), .failed(attempt: 1, reason: "x")])
    func cancelFromAnyNonFinalState(state: JobState) {
        var job = JobStateMachine(state: state)
        #expect(job.cancel() == .cancelShards)
        #expect(job.state == .cancelled)
    }

    @Test(arguments: [JobState.succeeded, .cancelled])
    func finalStatesRejectEverything(state: JobState) {
        var job = JobStateMachine(state: state)
        let actions = [job.start(), job.shardsDone(), job.decoded(), job.fail(reason: "x"), job.retry(), job.cancel()]
        for action in actions {
            guard case .rejected(let rejection) = action else {
                Issue.record("\(state.name) accepted \(action)")
                continue
            }
            #expect(rejection.state == state.name.rawValue)
            #expect(!rejection.description.isEmpty)
        }
        #expect(job.state == state)
    }

    @Test func illegalEventsAreRejectedNotTrapped() {
        var job = JobStateMachine()
        for action in [job.shardsDone(), job.decoded(), job.retry()] {
            guard case .rejected = action else {
                Issue.record("queued accepted \(action)")
                continue
            }
        }
        #expect(job.state == .queued)
        #expect(JobState.Name.allCases.map(\.rawValue) == ["queued", "running", "decoding", "succeeded", "failed", "cancelled"])
    }

    @Test func randomEventSequencesOnlyFollowDocumentedEdges() async {
        let allowed: Set<String> = [
            "queued>running", "running>decoding", "decoding>succeeded", "queued>failed", "running>failed",
            "decoding>failed", "failed>running", "queued>cancelled", "running>cancelled", "decoding>cancelled",
            "failed>cancelled",
        ]
        await propertyCheck(input: Gen.int(in: 0...5).array(of: 1...30)) { events in
            var job = JobStateMachine()
            for event in events {
                let before = job.state
                let action: JobStateMachine.Action
                switch event {
                case 0: action = job.start()
                case 1: action = job.shardsDone()
                case 2: action = job.decoded()
                case 3: action = job.fail(reason: "x")
                case 4: action = job.retry()
                default: action = job.cancel()
                }
                if case .rejected = action {
                    #expect(job.state == before)
                } else {
                    let edge = "\(before.name.rawValue)>\(job.state.name.rawValue)"
                    #expect(allowed.contains(edge), "undocumented transition \(edge)")
                }
            }
        }
    }
}
