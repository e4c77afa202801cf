/// Orders one helmfile's releases as `needs:` requires, otherwise keeping file order: the
/// earliest release whose needs are all placed goes next (a stable topological sort).
enum ReleaseOrder {
    static func sorted(_ releases: [ImportedRelease], file: String) throws -> [ImportedRelease] {
        func key(_ release: ImportedRelease) -> String { release.namespace + "/" + release.name }
        func resolve(_ need: String, of release: ImportedRelease) throws -> Int {
            let parts = need.split(separator: "/").map(String.init)
            let matches = releases.indices.filter {
                parts.count == 1 ? releases[$0].name == parts[0] : key(releases[$0]) == parts.suffix(2).joined(separator: "/")
            }
            guard let index = matches.first else {
                throw HelmfileImportError(file: file, line: 0, "release \(release.name) needs \(need), which this helmfile does not declare")
            }
            return index
        }
        var dependencies: [[Int]] = []
        for release in releases { dependencies.append(try release.needs.map { try resolve($0, of: release) }) }
        var placed = [Bool](repeating: false, count: releases.count)
        var order: [ImportedRelease] = []
        while order.count < releases.count {
            guard let next = releases.indices.first(where: { !placed[$0] && dependencies[$0].allSatisfy { placed[$0] } }) else {
                let stuck = releases.indices.filter { !placed[$0] }.map { releases[$0].name }
                throw HelmfileImportError(file: file, line: 0, "needs: form a cycle among \(stuck.joined(separator: ", "))")
            }
            placed[next] = true
            order.append(releases[next])
        }
        return order
    }
}
