extension ConditioningItem {
    /// The one form shared by every equivalent way of writing the item: the place as a
    /// latent frame, an image without a frame range, a video's first frame explicit, no
    /// strength on a pin. Nil when the item is invalid in a way ``ConditioningPlan``
    /// reports (it validates before canonicalising).
    public func canonical(temporalStride stride: Int) -> ConditioningItem? {
        var item = self
        switch (frame, latentFrame) {
        case (let f?, nil):
            guard stride >= 1, f >= 0, f % stride == 0 else { return nil }
            item.latentFrame = f / stride
        case (nil, let l?): item.latentFrame = l
        default: return nil
        }
        item.frame = nil
        if item.fit == .crop { item.fit = nil }
        if item.join == false { item.join = nil }
        if item.source.kind == .video { item.source.firstFrame = item.source.firstFrame ?? 0 }
        return item
    }

    /// A total order on canonical items (time, then source, then the rest), so that a
    /// list of items has one canonical order whatever order the user wrote them in.
    static func precedes(_ a: ConditioningItem, _ b: ConditioningItem) -> Bool {
        let ka = a.sortKey, kb = b.sortKey
        if ka.numbers != kb.numbers { return ka.numbers.lexicographicallyPrecedes(kb.numbers) }
        if ka.texts != kb.texts { return ka.texts.lexicographicallyPrecedes(kb.texts) }
        return (a.strength ?? -1) < (b.strength ?? -1)
    }

    private var sortKey: (numbers: [Int], texts: [String]) {
        let box = self.box.map { [1, $0.y, $0.x, $0.height, $0.width] } ?? [0, 0, 0, 0, 0]
        let range = [source.firstFrame ?? -1, source.frameCount ?? -1]
        return ([latentFrame ?? frame ?? -1] + box + range, [source.digest, source.kind.rawValue, mode.rawValue, (fit ?? .crop).rawValue, join == true ? "join" : ""])
    }
}

extension JobRequest {
    /// The conditioning items in canonical form and order, duplicates removed; empty
    /// when the request has none. The coordinator stores requests with this list in
    /// place of the submitted one (see ``canonicalizingConditioning(temporalStride:)``),
    /// so the stored JSON — and any hash of it — is the same for equivalent requests.
    /// Items that cannot be canonicalised are kept as written, for validation to name.
    public func canonicalConditioning(temporalStride stride: Int) -> [ConditioningItem] {
        let items = (conditioning ?? []).map { $0.canonical(temporalStride: stride) ?? $0 }
        var unique: [ConditioningItem] = []
        for item in items.sorted(by: ConditioningItem.precedes) where unique.last != item { unique.append(item) }
        return unique
    }

    /// The request with ``canonicalConditioning(temporalStride:)`` in place (nil when empty).
    public func canonicalizingConditioning(temporalStride stride: Int) -> JobRequest {
        var request = self
        let items = canonicalConditioning(temporalStride: stride)
        request.conditioning = items.isEmpty ? nil : items
        return request
    }
}
