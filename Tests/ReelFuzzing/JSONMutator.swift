import Foundation

/// Damage done to a valid JSON document's values rather than its bytes, so the
/// result still parses and reaches the checks behind the parser: numbers at the
/// edges of `Int` and `Double`, negative and zero sizes, wrong types, missing keys,
/// lists that are too long or empty.
public enum JSONMutator {
    /// Values that break size arithmetic or type assumptions (computed: `[Any]` is
    /// not `Sendable`, so it cannot be a stored global).
    public static var hostileValues: [Any] {
        [
            0, -1, 1, 2, 3, 7, 1 << 20, 1 << 31, 1 << 32, (1 << 62) + 1, Int.max, Int.min, Int.max - 1,
            9.3e18, -9.3e18, 1e300, -1e300, 0.5, -0.0, 1e-300,
            "", "F32", "BF16", "I64", "x", String(repeating: "9", count: 40),
            true, false, NSNull(),
            [Any](), [0], [-1], [Int.max, Int.max], [1 << 32, 1 << 32, 1 << 32], [Int.max, 0, Int.max],
            Array(repeating: 2, count: 70), [1.5], ["a"], [String: Any](),
        ]
    }

    /// `object` (a `JSONSerialization` tree) after 1 to `maxEdits` edits.
    public static func mutate(_ object: Any, using random: inout FuzzRandom, maxEdits: Int = 3) -> Any {
        var out = object
        for _ in 0 ..< Int.random(in: 1 ... maxEdits, using: &random) { out = edit(out, using: &random) }
        return out
    }

    /// `object` serialized, then 0 or more byte edits (a third of the time), so
    /// the parser itself is fuzzed too.
    public static func bytes(_ object: Any, using random: inout FuzzRandom) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])) ?? Data("{}".utf8)
        let bytes = [UInt8](data)
        return random.oneIn(3) ? ByteMutator.mutate(bytes, using: &random, maxEdits: 2) : bytes
    }

    /// One edit at a random depth: walks into a random child, or changes this node.
    private static func edit(_ node: Any, using random: inout FuzzRandom) -> Any {
        if var object = node as? [String: Any], !object.isEmpty {
            let key = random.pick(object.keys.sorted())
            switch Int.random(in: 0 ..< 8, using: &random) {
            case 0: object[key] = nil
            case 1: object[key] = random.pick(hostileValues)
            case 2: object[key + "_"] = random.pick(hostileValues)
            default: object[key] = edit(object[key] ?? NSNull(), using: &random)
            }
            return object
        }
        if var array = node as? [Any], !array.isEmpty {
            let i = Int.random(in: 0 ..< array.count, using: &random)
            switch Int.random(in: 0 ..< 6, using: &random) {
            case 0: array.remove(at: i)
            case 1: array.append(array[i])
            case 2: array[i] = random.pick(hostileValues)
            default: array[i] = edit(array[i], using: &random)
            }
            return array
        }
        return random.pick(hostileValues)
    }
}
