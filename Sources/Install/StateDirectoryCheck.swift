import Bundle
import Foundation
import Integrity

/// What every command reading the state directory checks first, against the signed `bundle.json`:
/// the directory is this user's and writable by no one else; no state file is a link; charts,
/// values files and site-value declarations have their signed size and SHA-256; `relocation.json`
/// is exactly what push writes for the registry and project it names. Errors name the file.
enum StateDirectoryCheck {
    /// Files of the state directory no command follows through a link.
    static let stateFiles = [BundlePaths.index, "relocation.json", "journal.jsonl", "deploy-state.json", "deploy", "charts"]

    /// The state directory is a directory of this user (or root) that no other user can write in.
    static func ownership(_ state: String) throws {
        var status = stat()
        guard stat(state, &status) == 0 else {
            throw InstallError.io("cannot read the state directory \(state): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw InstallError.bundle("the state directory \(state) is not a directory") }
        guard status.st_uid == geteuid() || status.st_uid == 0 else {
            throw InstallError.bundle(
                "the state directory \(state) belongs to user id \(status.st_uid), not to this user (\(geteuid())) or root: refused, as its owner could change what deploy installs"
            )
        }
        guard status.st_mode & 0o022 == 0 else {
            throw InstallError.bundle(
                "the state directory \(state) can be written by other users (mode \(String(status.st_mode & 0o777, radix: 8))): make it private (chmod 700 \(state))"
            )
        }
    }

    /// Every check above except the ownership (see `ownership`).
    static func check(_ state: String, index: BundleIndex) throws {
        for name in stateFiles {
            if let problem = StateFiles.linkProblem(state + "/" + name) { throw InstallError.bundle(problem) }
        }
        let entries = Dictionary(index.entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var signed = Set<String>()
        for component in index.components {
            signed.formUnion([component.chart].compactMap { $0 } + (component.values ?? []))
        }
        if entries[BundlePaths.siteValues] != nil || FileManager.default.fileExists(atPath: state + "/" + BundlePaths.siteValues) {
            signed.insert(BundlePaths.siteValues)
        }
        // The bundle's own tools (files/tools/PLATFORM/helm) are run from the state directory.
        for entry in index.entries where entry.path.hasPrefix(BundlePaths.files + "tools/") {
            var status = stat()
            if lstat(state + "/" + entry.path, &status) == 0 { signed.insert(entry.path) }
        }
        for path in signed.sorted() {
            let file = state + "/" + path
            guard let entry = entries[path] else {
                throw InstallError.bundle("\(file) is not listed in the signed bundle.json: refused (run airgap-install push again)")
            }
            try checkFile(file, against: entry)
        }
        try checkRelocation(state, index: index)
    }

    /// `file` has the size and SHA-256 of `entry`, and is a regular file reached without a link.
    static func checkFile(_ file: String, against entry: BundleIndex.Entry) throws {
        if let problem = StateFiles.linkProblem(file) { throw InstallError.bundle(problem) }
        let hex: String, size: Int64
        do { (hex, size) = try SHA256Hasher.hashFile(atPath: file) } catch {
            throw InstallError.bundle("\(file) cannot be read (\(error)); run airgap-install push again")
        }
        guard size == entry.size, hex == entry.sha256 else {
            throw InstallError.bundle(
                "\(file) differs from the signed bundle.json (SHA-256 \(hex), \(size) bytes; signed: \(entry.sha256), \(entry.size) bytes): the state directory was changed after push; run airgap-install push again"
            )
        }
    }

    /// `relocation.json` exactly as push writes it for this bundle, registry and project.
    static func checkRelocation(_ state: String, index: BundleIndex) throws {
        let path = state + "/relocation.json"
        guard let bytes = try StateFiles.read(path) else {
            throw InstallError.bundle("\(state) has no relocation.json: the push of this bundle did not finish; run it again")
        }
        let map = try RelocationMap.decode(bytes, path: path)
        let target = PushTarget(registry: map.registry, project: map.project, harborAPI: "", credential: nil)
        let expected: RelocationMap
        do { expected = BundlePusher.relocationMap(try RelocationPlan(index: index, target: target), index: index, target: target) } catch {
            throw InstallError.bundle(
                "\(path) names registry \(map.registry) and project \(map.project), where this bundle cannot be pushed: \(error)")
        }
        guard map != expected else { return }
        let found = Set(map.images), wanted = Set(expected.images)
        let why: String
        if map.bundle != expected.bundle {
            why = "it is for bundle \(map.bundle), not \(expected.bundle)"
        } else if let extra = map.images.first(where: { !wanted.contains($0) }) {
            why = "it maps \(extra.source) to \(extra.target) at \(extra.digest), which push never wrote for this bundle"
        } else if let missing = expected.images.first(where: { !found.contains($0) }) {
            why = "it does not map \(missing.source) (\(missing.digest)) to \(missing.target)"
        } else {
            why = "it is not what push wrote (\(map.apiVersion) \(map.kind), images in another order)"
        }
        throw InstallError.bundle(
            "\(path) does not match the signed bundle.json and the registry it was pushed to (\(map.registry), project \(map.project)): \(why); run airgap-install push again"
        )
    }
}
