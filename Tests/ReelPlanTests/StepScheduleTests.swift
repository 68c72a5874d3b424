import PropertyBased
import Testing
import ReelPlan

@Suite struct StepScheduleTests {
    @Test func fiftyStepsEveryFiveIsTenEqualBlocks() throws {
        let schedule = try StepSchedule(steps: 50, blendEvery: 5)
        #expect(schedule.blocks.map(\.count) == Array(repeating: 5, count: 10))
        #expect(schedule.blocks.first?.start == 0 && schedule.blocks.last?.end == 50)
    }

    @Test func shorterFirstAndLastBlocks() throws {
        let schedule = try StepSchedule(steps: 50, blendEvery: 5, firstBlock: 2, lastBlock: 3)
        #expect(schedule.blocks.map(\.count) == [2] + Array(repeating: 5, count: 9) + [3])
    }

    @Test func aRemainderIsSpreadOverTheMiddleBlocksNotLeftAsATinyOne() throws {
        // 52 − 5 − 5 = 42 middle steps in ⌈42/5⌉ = 9 blocks: six of 5 and three of 4.
        let schedule = try StepSchedule(steps: 52, blendEvery: 5)
        #expect(schedule.blocks.map(\.count) == [5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 5])
    }

    @Test func fewStepsMakeOneOrTwoBlocks() throws {
        #expect(try StepSchedule(steps: 5, blendEvery: 5).blocks.map(\.steps) == [0..<5])
        #expect(try StepSchedule(steps: 8, blendEvery: 5).blocks.map(\.steps) == [0..<5, 5..<8])
        #expect(try StepSchedule(steps: 1, blendEvery: 1).blocks.map(\.steps) == [0..<1])
    }

    @Test func badStepSettings() {
        #expect(throws: PlanError.notPositive(.steps, value: 0)) { try StepSchedule(steps: 0, blendEvery: 1) }
        #expect(throws: PlanError.outOfRange(.blendEvery, value: 9, valid: 1...8)) { try StepSchedule(steps: 8, blendEvery: 9) }
        #expect(throws: PlanError.notPositive(.blendEvery, value: -1)) { try StepSchedule(steps: 8, blendEvery: -1) }
    }

    @Test func blocksCoverEveryStepOnceAndRespectTheirLimits() async {
        await propertyCheck(input: Gen.int(in: 1...200), Gen.int(in: 1...30), Gen.int(in: 1...30), Gen.int(in: 1...30)) {
            steps, every, first, last in
            let k = min(every, steps)
            let schedule = try StepSchedule(steps: steps, blendEvery: k, firstBlock: min(first, k), lastBlock: min(last, k))
            let blocks = schedule.blocks
            #expect(blocks.first?.start == 0 && blocks.last?.end == steps)
            for (i, block) in blocks.enumerated() {
                #expect(block.index == i && block.count >= 1 && block.count <= k)
                if i > 0 { #expect(block.start == blocks[i - 1].end) }
            }
            if blocks.count >= 2 {
                #expect(blocks[0].count == min(first, k))
                if blocks.count >= 3 { #expect(blocks.last!.count == min(last, k)) }
                // Middle blocks differ by at most one step.
                let middle = blocks.dropFirst().dropLast().map(\.count)
                if let lo = middle.min(), let hi = middle.max() { #expect(hi - lo <= 1) }
            }
        }
    }
}
