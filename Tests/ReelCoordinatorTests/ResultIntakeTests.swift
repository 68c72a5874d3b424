import ReelPlan
import ReelWire
import Testing

@testable import ReelCoordinator

/// The rules of pulling results, with no sockets: at most `capacity` pulled and
/// unsettled at once, offers pulled in the order they came, and places given back
/// when a result is stored, rejected, lost with its worker, or never arrives.
@Suite struct ResultIntakeTests {
    let a = PeerID([1, 1]), b = PeerID([2, 2]), c = PeerID([3, 3])
    let t0 = ContinuousClock.now

    func offer(_ peer: PeerID, _ region: Int, attempt: Int = 1) -> ResultIntake.Offer {
        .init(peer: peer, work: .shard(job: 7, ShardID(region: region, block: 0)), attempt: attempt)
    }

    @Test func pullsAtMostCapacityInOfferOrder() {
        var intake = ResultIntake(capacity: 2, arrivalTimeout: .seconds(5))
        #expect(intake.offered(offer(a, 0), now: t0) == [offer(a, 0)])
        #expect(intake.offered(offer(b, 1), now: t0) == [offer(b, 1)])
        // Eight workers finishing together: only two are in memory at once.
        for region in 2 ..< 8 { #expect(intake.offered(offer(c, region), now: t0).isEmpty) }
        #expect(intake.pulled.count == 2 && intake.waiting.count == 6)
        let arrived1 = intake.arrived(offer(a, 0).work, attempt: 1, from: a)
        #expect(arrived1)
        // Arrival alone frees nothing: the bytes are in memory until stored.
        #expect(intake.pulled.count == 2)
        #expect(intake.settled(offer(a, 0).work, now: t0) == [offer(c, 2)])
        #expect(intake.settled(offer(b, 1).work, now: t0) == [offer(c, 3)])
        #expect(intake.pulled.count == 2 && intake.waiting.count == 4)
    }

    @Test func repeatedOffersPullOnceAndNewerAttemptsReplaceOlder() {
        var intake = ResultIntake(capacity: 1, arrivalTimeout: .seconds(5))
        #expect(intake.offered(offer(a, 0), now: t0) == [offer(a, 0)])
        // Offered again after a reconnect: already pulled, nothing more.
        #expect(intake.offered(offer(a, 0), now: t0).isEmpty)
        #expect(intake.offered(offer(b, 1, attempt: 1), now: t0).isEmpty)
        #expect(intake.offered(offer(b, 1, attempt: 1), now: t0).isEmpty)
        #expect(intake.waiting == [offer(b, 1, attempt: 1)])
        #expect(intake.offered(offer(c, 1, attempt: 2), now: t0).isEmpty)
        #expect(intake.waiting == [offer(c, 1, attempt: 2)])
    }

    @Test func unsolicitedResultsAreNotCounted() {
        var intake = ResultIntake(capacity: 1, arrivalTimeout: .seconds(5))
        #expect(intake.offered(offer(a, 0), now: t0) == [offer(a, 0)])
        let arrived2 = intake.arrived(offer(a, 5).work, attempt: 1, from: a)
        #expect(!arrived2)
        let arrived3 = intake.arrived(offer(a, 0).work, attempt: 2, from: a)
        #expect(!arrived3)
        let arrived4 = intake.arrived(offer(a, 0).work, attempt: 1, from: b)
        #expect(!arrived4)
        #expect(intake.settled(offer(a, 5).work, now: t0).isEmpty)
        #expect(intake.pulled.count == 1)
    }

    @Test func aLostWorkerGivesUpItsWaitingAndUnarrivedPulls() {
        var intake = ResultIntake(capacity: 2, arrivalTimeout: .seconds(5))
        #expect(intake.offered(offer(a, 0), now: t0).count == 1)
        #expect(intake.offered(offer(a, 1), now: t0).count == 1)
        #expect(intake.offered(offer(a, 2), now: t0).isEmpty)
        #expect(intake.offered(offer(b, 3), now: t0).isEmpty)
        let arrived5 = intake.arrived(offer(a, 0).work, attempt: 1, from: a)
        #expect(arrived5)
        // a's result 0 arrived and is being stored: it keeps its place until then.
        #expect(intake.peerGone(a, now: t0) == [offer(b, 3)])
        #expect(Set(intake.pulled.keys) == [offer(a, 0).work, offer(b, 3).work])
        #expect(intake.waiting.isEmpty)
    }

    @Test func pullsThatNeverArriveExpire() {
        var intake = ResultIntake(capacity: 1, arrivalTimeout: .seconds(5))
        #expect(intake.offered(offer(a, 0), now: t0).count == 1)
        #expect(intake.offered(offer(b, 1), now: t0).isEmpty)
        #expect(intake.expire(now: t0 + .seconds(4)).isEmpty)
        #expect(intake.expire(now: t0 + .seconds(6)) == [offer(b, 1)])
        let arrived6 = intake.arrived(offer(b, 1).work, attempt: 1, from: b)
        #expect(arrived6)
        // An arrived result never expires: its bytes are held until stored.
        #expect(intake.expire(now: t0 + .seconds(60)).isEmpty)
        #expect(intake.pulled.count == 1)
    }
}
