import ReelPlan
import Testing

/// `REEL_TEST_FAULTS` is read the same way by the coordinator, the worker and the CLI.
@Suite struct TestFaultsTests {
    @Test func namesAreTrimmedAndEmptyOnesIgnored() {
        let faults = TestFaults(" poison-results , ,hold-from-step:4,\tno-decode ")
        #expect(faults.names == ["poison-results", "hold-from-step:4", "no-decode"])
        #expect(faults.contains("poison-results") && faults.contains("no-decode"))
        #expect(!faults.contains("hold-from-step"), "a fault with a number is not named bare")
        #expect(faults.number(of: "hold-from-step") == 4)
        #expect(TestFaults(nil).names.isEmpty && TestFaults("").names.isEmpty)
    }

    @Test func aNumberMustBeAWholeNumberAtLeastZero() {
        for value in ["verify-from-block:-1", "verify-from-block:x", "verify-from-block:", "verify-from-block"] {
            #expect(TestFaults(value).number(of: "verify-from-block") == nil, "\(value)")
        }
        #expect(TestFaults("verify-from-block:-1").mentions("verify-from-block"), "named, though not valid: the CLI refuses it")
        #expect(!TestFaults("verify-from-blocks:2").mentions("verify-from-block"))
        #expect(TestFaults("a, verify-from-block: 3").number(of: "verify-from-block") == nil, "no space inside a fault")
        #expect(TestFaults("verify-from-block:0").number(of: "verify-from-block") == 0)
    }
}
