/// Merges helmfile values as helmfile does (mergo with override): maps merge key by key, a later
/// value replaces an earlier one, lists are replaced whole, and a later null leaves an earlier
/// value in place.
enum ValuesMerge {
    static func merge(_ base: TemplateValue, _ over: TemplateValue) -> TemplateValue {
        switch (base, over) {
        case (_, .null): return base
        case (.map(var pairs), .map(let overPairs)):
            for (key, value) in overPairs {
                if let index = pairs.firstIndex(where: { $0.key == key }) {
                    pairs[index].value = merge(pairs[index].value, value)
                } else {
                    pairs.append((key, value))
                }
            }
            return .map(pairs)
        default: return over
        }
    }

    /// `value` with the scalar at dotted `path` replaced by `replacement` (nil: the path is not there).
    static func replacing(_ path: [String], in value: TemplateValue, with replacement: TemplateValue) -> TemplateValue? {
        guard let first = path.first, case .map(var pairs) = value, let index = pairs.firstIndex(where: { $0.key == first }) else { return nil }
        if path.count == 1 {
            pairs[index].value = replacement
        } else {
            guard let inner = replacing(Array(path.dropFirst()), in: pairs[index].value, with: replacement) else { return nil }
            pairs[index].value = inner
        }
        return .map(pairs)
    }

    /// The value at dotted `path` (nil: not there).
    static func lookup(_ path: [String], in value: TemplateValue) -> TemplateValue? {
        path.reduce(Optional(value)) { current, key in current?[key] }
    }
}
