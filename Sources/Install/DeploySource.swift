import Bundle
import ChartFormat
import Foundation
import Integrity
import Rendering

/// What deploy works from: the state directory `push` filled, for the bundle the admin names
/// (whose `bundle.json` must be byte for byte the one push verified).
public struct DeploySource: Sendable {
    public struct Component: Sendable {
        public var name: String
        public var namespace: String
        public var releaseName: String
        public var optional: Bool
        /// The chart archive in the state directory.
        public var chart: String
        /// Values files in the state directory (templates), merged in order.
        public var values: [String]
        /// The site values its values files take.
        public var uses: Set<String>
        /// Images its charts name that are never pulled (the manifest's `images.exclude`).
        public var excludedImages: [String]

        /// `entry` with its files in `stateDirectory`; `read` gives a values file's bytes and the
        /// name errors give it, by its path in the bundle.
        init(
            _ entry: BundleIndex.Component, namespace: String, chart: String, stateDirectory: String,
            read: (String) throws -> (file: String, bytes: [UInt8])
        ) throws {
            values = (entry.values ?? []).map { stateDirectory + "/" + $0 }
            uses = []
            for path in entry.values ?? [] {
                let (file, bytes) = try read(path)
                do { uses.formUnion(try ValuesTemplate.expressions(in: String(decoding: bytes, as: UTF8.self), file: file).map(\.name)) } catch {
                    throw InstallError.bundle("\(error)")
                }
            }
            (name, self.namespace, releaseName, optional) = (entry.name, namespace, entry.releaseName ?? entry.name, entry.optional ?? false)
            (self.chart, excludedImages) = (stateDirectory + "/" + chart, entry.excludedImages ?? [])
        }
    }

    public var stateDirectory: String
    public var index: BundleIndex
    public var declarations: [SiteValueDeclaration]
    public var components: [Component]
    public var relocation: String { stateDirectory + "/relocation.json" }

    /// The state directory for `bundle`, checked against its `bundle.json` (`StateDirectoryCheck`),
    /// whose signature is verified again with `keys` when given.
    public static func open(bundle: String, stateDirectory: String?, keys: [VerifyingKey] = []) throws -> DeploySource {
        let signed: BundleVerifier.SignedIndex
        do { signed = try BundleVerifier(keys: keys).readSignedIndex(bundle) } catch let error as BundleError
            where !keys.isEmpty && error.kind == .verification
        {
            throw InstallError.verification("\(error)")
        } catch { throw InstallError.io("\(error)") }
        // push refused such names when it verified the signature; checked again, as deploy trusts no file it did not sign.
        if let problem = signed.index.namesProblem() { throw InstallError.bundle("\(bundle): bundle.json \(problem)") }
        let state = try stateDirectory ?? PushOptions.defaultStateDirectory(name: signed.index.name, version: signed.index.version)
        try StateDirectoryCheck.ownership(state)
        guard let pushed = try StateFiles.read(state + "/" + BundlePaths.index, limit: BundleVerifier.indexLimit) else {
            throw InstallError.bundle(
                "\(state) holds no pushed bundle: run airgap-install push for \(bundle) first (or give the --state-dir push used)")
        }
        guard pushed == signed.indexBytes else {
            throw InstallError.bundle(
                "\(state)/\(BundlePaths.index) is not the bundle.json of \(bundle) (another bundle was pushed there, or it was changed): push this bundle first"
            )
        }
        try StateDirectoryCheck.check(state, index: signed.index)
        return try load(stateDirectory: state, index: signed.index)
    }

    static func load(stateDirectory state: String, index: BundleIndex) throws -> DeploySource {
        let declarations = try declarations(StateFiles.read(state + "/" + BundlePaths.siteValues))
        guard !index.components.isEmpty else { throw InstallError.bundle("the bundle lists no components to deploy (it was packed without build)") }
        let components = try index.components.map { entry in
            guard let chart = entry.chart, let namespace = entry.namespace else {
                throw InstallError.bundle("component \"\(entry.name)\" of the bundle has no chart or namespace")
            }
            return try Component(entry, namespace: namespace, chart: chart, stateDirectory: state) { path in
                let file = state + "/" + path
                guard let bytes = try StateFiles.read(file, limit: BoundedYAML.Limits.chartValues.maximumBytes) else {
                    throw InstallError.io("cannot read \(file)")
                }
                return (file, bytes)
            }
        }
        return DeploySource(stateDirectory: state, index: index, declarations: declarations, components: components)
    }

    /// The declarations of `deploy/site-values.json` (none when the bundle has no such entry).
    static func declarations(_ bytes: [UInt8]?) throws -> [SiteValueDeclaration] {
        guard let bytes else { return [] }
        do { return try JSONDecoder().decode([SiteValueDeclaration].self, from: Data(bytes)) } catch {
            throw InstallError.bundle("\(BundlePaths.siteValues) of the bundle is not a list of site values: \(error)")
        }
    }

    /// Reads and checks the admin's site values against this bundle.
    public func siteValues(_ file: String) throws -> SiteValues {
        try SiteValues.load(
            file, declarations: declarations, components: components.map { ($0.name, $0.optional) },
            uses: Dictionary(components.map { ($0.name, $0.uses) }, uniquingKeysWith: { first, _ in first }))
    }
}
