import Bundle
import Foundation
import Rendering

/// What `setup` needs before the push, kept while `verify` reads the archive: the site-value
/// declarations and the values files (1 MiB each, 16 MiB in all), used only once all verified.
public struct SetupCapture: BundleEntrySink {
    public static let entryLimit = 1 << 20
    public static let totalLimit = 16 << 20

    public private(set) var kept: [String: [UInt8]] = [:]
    private var wanted = Set<String>()
    private var current: String?
    private var buffer: [UInt8] = []
    private var total = 0
    private let progress: @Sendable (_ total: Int64, _ done: Int64) -> Void
    private var entriesSize: Int64 = 0
    private var done: Int64 = 0

    public init(progress: @escaping @Sendable (_ total: Int64, _ done: Int64) -> Void) { self.progress = progress }

    public mutating func prepare(_ signed: BundleVerifier.SignedIndex) throws {
        wanted = Set([BundlePaths.siteValues] + signed.index.components.flatMap { $0.values ?? [] })
        entriesSize = signed.index.entriesSize
        progress(entriesSize, 0)
    }

    public mutating func begin(_ entry: BundleIndex.Entry) throws {
        current = nil
        buffer = []
        guard wanted.contains(entry.path) else { return }
        guard entry.size <= Int64(Self.entryLimit), total + Int(entry.size) <= Self.totalLimit else {
            throw InstallError.bundle(
                "\(entry.path) of the bundle is larger than setup reads (\(Self.entryLimit) bytes each, \(Self.totalLimit) in all)")
        }
        current = entry.path
        total += Int(entry.size)
    }

    public mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        done += Int64(chunk.count)
        progress(entriesSize, done)
        guard current != nil else { return }
        guard buffer.count + chunk.count <= Self.entryLimit else { throw InstallError.bundle("\(current!) of the bundle is longer than it says") }
        buffer.append(contentsOf: chunk)
    }

    public mutating func finish(_ entry: BundleIndex.Entry) throws {
        if let path = current { kept[path] = buffer }
        current = nil
        buffer = []
    }

    public mutating func abandon() {
        kept = [:]
        buffer = []
    }
}

extension DeploySource {
    /// The bundle as deploy will see it once pushed, from what `SetupCapture` kept. No charts yet:
    /// only `Preflight.run` and the site values may use it before the push.
    public static func beforePush(index: BundleIndex, kept: [String: [UInt8]], stateDirectory: String) throws -> DeploySource {
        let declarations = try declarations(kept[BundlePaths.siteValues])
        let components = try index.components.map { entry in
            try Component(entry, namespace: entry.namespace ?? entry.name, chart: entry.chart ?? "", stateDirectory: stateDirectory) { file in
                guard let data = kept[file] else { throw InstallError.bundle("the bundle lists \(file) but holds no such entry") }
                return (file, data)
            }
        }
        return DeploySource(stateDirectory: stateDirectory, index: index, declarations: declarations, components: components)
    }

    /// The declared values a switched-on component uses, or none does (as `SiteValues` decides).
    public func needed(disabled: Set<String>) -> Set<String> {
        let used = Set(components.flatMap(\.uses))
        let needed = Set(components.filter { !disabled.contains($0.name) }.flatMap(\.uses))
        return Set(declarations.map(\.name).filter { needed.contains($0) || !used.contains($0) })
    }
}
