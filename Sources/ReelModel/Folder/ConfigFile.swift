import Foundation

/// Reads diffusers' JSON config files with typed, named errors.
enum ConfigFile {
    static func readObject(path: String) throws(ModelError) -> [String: Any] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .missingFile(path: path, hint: "a diffusers model folder has this config; is the folder complete?")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .missingFile(path: path, hint: (error as NSError).localizedDescription)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidConfig(path: path, key: "(file)", reason: "is not a JSON object")
        }
        return object
    }

    /// Typed access to keys; absent or null keys read as nil.
    struct Reader {
        let path: String
        let object: [String: Any]

        func value(_ key: String) -> Any? {
            guard let v = object[key], !(v is NSNull) else { return nil }
            return v
        }

        func number(_ key: String, _ kind: String) throws(ModelError) -> NSNumber? {
            guard let v = value(key) else { return nil }
            guard let n = v as? NSNumber, !Self.isBoolean(n) else {
                throw .invalidConfig(path: path, key: key, reason: "must be \(kind), got \(v)")
            }
            return n
        }

        /// JSON `true`/`false` arrive as NSNumbers too (and on Linux every 0/1
        /// NSNumber casts to Bool), so the stored C type tells them apart.
        static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

        func int(_ key: String) throws(ModelError) -> Int? {
            guard let n = try number(key, "an integer") else { return nil }
            guard let i = Int(exactly: n.doubleValue) else {
                throw .invalidConfig(path: path, key: key, reason: "must be an integer, got \(n)")
            }
            return i
        }

        func float(_ key: String) throws(ModelError) -> Float? {
            try number(key, "a number").map { Float($0.doubleValue) }
        }

        func double(_ key: String) throws(ModelError) -> Double? {
            try number(key, "a number").map { $0.doubleValue }
        }

        func bool(_ key: String) throws(ModelError) -> Bool? {
            guard let v = value(key) else { return nil }
            guard let n = v as? NSNumber, Self.isBoolean(n) else { throw .invalidConfig(path: path, key: key, reason: "must be true or false, got \(v)") }
            return n.boolValue
        }

        func string(_ key: String, default fallback: String?) throws(ModelError) -> String? {
            guard object[key] != nil else { return fallback }
            guard let v = value(key) else { return nil }
            guard let s = v as? String else { throw .invalidConfig(path: path, key: key, reason: "must be a string, got \(v)") }
            return s
        }

        func intArray(_ key: String) throws(ModelError) -> [Int]? {
            try array(key, "integers") { n in Self.isBoolean(n) ? nil : Int(exactly: n.doubleValue) }
        }

        func doubleArray(_ key: String) throws(ModelError) -> [Double]? {
            try array(key, "numbers") { n in Self.isBoolean(n) ? nil : n.doubleValue }
        }

        func boolArray(_ key: String) throws(ModelError) -> [Bool]? {
            try array(key, "true/false values") { n in Self.isBoolean(n) ? n.boolValue : nil }
        }

        /// A JSON list whose every element `convert` accepts.
        private func array<T>(_ key: String, _ kind: String, _ convert: (NSNumber) -> T?) throws(ModelError) -> [T]? {
            guard let v = value(key) else { return nil }
            guard let a = v as? [Any] else { throw .invalidConfig(path: path, key: key, reason: "must be a list of \(kind), got \(v)") }
            var out = [T]()
            for e in a {
                guard let n = e as? NSNumber, let converted = convert(n) else {
                    throw .invalidConfig(path: path, key: key, reason: "must be a list of \(kind), got \(a)")
                }
                out.append(converted)
            }
            return out
        }
    }

    /// Writes `object` as pretty, key-sorted JSON (the diffusers look).
    static func write(_ object: [String: Any], to path: String) throws(ModelError) {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .missingFile(path: path, hint: "cannot write: \((error as NSError).localizedDescription)")
        }
    }
}
