import Foundation
import ReelCoordinator
import ReelPlan
import Testing

/// The dashboard in a real browser: headless Chromium (Debian's `chromium`) loads
/// `/dashboard?job=ID` from a `reel coordinator` while a `reel worker` renders the
/// job, and its DOM, dumped after the page's scripts ran, shows the grid, cells
/// changing state, the job reaching succeeded and the video element's source.
/// The strip of preview stills has one per segment once the job is done.
/// Screenshots at 1280, 1920 and 390 px go to `.build/dashboard/` (not in git).
@Suite(.serialized, .farmSlot) struct DashboardBrowserTests {
    @Test func theGridFillsInAndTheVideoPlays() async throws {
        let chromium = "/usr/bin/chromium"
        try #require(FileManager.default.isExecutableFile(atPath: chromium), "chromium is missing: run Deploy/install-deps.sh")
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("w1")
        try await farm.waitForWorkers(1)
        // Thirty-two step blocks that wait on each other: long enough to be seen unfinished.
        var request = TestFarm.request(frames: 97)
        request.plan.steps = 64
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        // Without a token the page holds no data and asks for one.
        let anonymous = try await Self.dom(chromium, "http://127.0.0.1:\(farm.httpPort)/dashboard", profile: farm.directory.appendingPathComponent("anonymous"))
        #expect(anonymous.contains("<form id=\"login\">"), "the sign-in form is shown")
        #expect(Self.attribute("data-cells-total", in: anonymous) == "0")
        // A read token in the URL's fragment, which the page keeps as a cookie.
        let token = try await farm.client.createToken(name: "dashboard", scope: .read).token
        let url = "http://127.0.0.1:\(farm.httpPort)/dashboard?job=\(id)#token=\(token)"
        let shots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/dashboard")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)

        let early = try await Self.dom(chromium, url, profile: farm.directory, budget: 1500)
        let total = try #require(Self.attribute("data-cells-total", in: early).flatMap { Int($0) })
        let status = try await farm.client.job(id)
        #expect(total == status.shardTotal, "the grid has a cell per shard")
        let earlyStates = Self.cellStates(early)
        #expect(earlyStates.count == total)
        try await Self.screenshot(chromium, url, width: 1280, to: shots.appendingPathComponent("dashboard-1280.png"), profile: farm.directory)

        var late = early
        try await farm.waitUntil(timeout: .seconds(120)) {
            late = try await Self.dom(chromium, url, profile: farm.directory)
            return Self.attribute("data-job-state", in: late) == "succeeded"
        }
        let lateStates = Self.cellStates(late)
        print("dashboard: \(total) cells; early \(Dictionary(grouping: earlyStates, by: { $0 }).mapValues(\.count)), late \(Dictionary(grouping: lateStates, by: { $0 }).mapValues(\.count))")
        #expect(earlyStates.contains { $0 != "done" }, "the first look saw unfinished shards")
        #expect(lateStates.count == total && lateStates.allSatisfy { $0 == "done" }, "every cell turned done")
        #expect(late.contains(#"<video id="video" controls="" preload="metadata" src="/v1/jobs/\#(id)/video">"#), "the video element points at the video")
        // The strip: a still per segment, each pointing at its preview, named by its frame.
        let previews = try await farm.client.previews(id)
        // (The page's script, also in the dump, holds the markup's text but no number.)
        let figures = late.components(separatedBy: "<figure data-chunk=\"").dropFirst().filter { $0.first?.isNumber == true }.count
        print("dashboard: \(figures) preview stills for \(previews.count) segments")
        #expect(!previews.isEmpty && figures == previews.count, "a still per finished segment")
        for preview in previews {
            #expect(late.contains(#"<img src="/v1/jobs/\#(id)/previews/\#(preview.chunk)" alt="frame \#(preview.frameBegin)""#), "still \(preview.chunk)")
        }
        #expect(late.contains(">w1<"), "the workers table lists the worker")
        #expect(late.contains(#"<div class="stats" id="history">"#) && late.contains("Compute"), "the job's history is shown")
        for width in [1920, 390] {
            try await Self.screenshot(chromium, url, width: width, to: shots.appendingPathComponent("dashboard-\(width).png"), profile: farm.directory)
        }
    }

    static func chromiumArguments(profile: URL, budget: Int = 4000) -> [String] {
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        // --virtual-time-budget: the page's scripts and timers run this long (virtual ms) before the dump.
        [
            "40", "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=\(profile.appendingPathComponent("chromium").path)", "--virtual-time-budget=\(budget)",
        ]
    }

    /// The DOM after the page's scripts ran (Chromium under `timeout 40`, so a page
    /// that never settles fails the test instead of hanging it).
    static func dom(_ chromium: String, _ url: String, profile: URL, budget: Int = 4000) async throws -> String {
        try await run("/usr/bin/timeout", chromiumArguments(profile: profile, budget: budget) + ["--dump-dom", url])
    }

    static func screenshot(_ chromium: String, _ url: String, width: Int, to file: URL, profile: URL) async throws {
        let height = width < 600 ? 1600 : 1000
        _ = try await run("/usr/bin/timeout", chromiumArguments(profile: profile) + ["--screenshot=\(file.path)", "--window-size=\(width),\(height)", url])
        #expect(FileManager.default.fileExists(atPath: file.path), "no screenshot at \(file.path)")
    }

    /// Chromium's own log lines (GPU, D-Bus) are noise here: standard error is dropped.
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await ToolRun.run(executable, arguments, mergingStandardError: false).output
    }

    static func attribute(_ name: String, in dom: String) -> String? {
        guard let range = dom.range(of: name + "=\"") else { return nil }
        return String(dom[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The grid's cells' states, in order (the page's script, also in the DOM, names none).
    static func cellStates(_ dom: String) -> [String] {
        let states: Set<String> = ["pending", "ready", "leased", "done", "failed", "cancelled"]
        return dom.components(separatedBy: "class=\"cell s-").dropFirst().compactMap { attribute("data-state", in: $0) }.filter(states.contains)
    }
}
