import Foundation
import TestSupport
import Testing

/// The vendor/site split (ADR 0001), held on the package description itself: every target of
/// Package.swift is of exactly one class, the site tool's module closure holds no vendor-only
/// module (no chart resolution, upstream pulls, packing, signing or build pipeline), the vendor
/// tool's none that is site-only, and a shared module imports only shared ones.
@Suite("Package graph: the site tool links no vendor-only module")
struct PackageGraphTests {
    /// Every target that is not a test, by class: the one list (Package.swift's top comment says
    /// the same). A new target is added here, to exactly one of the three.
    static let shared: Set<String> = [
        "CArchive", "COpenSSL", "CZstd", "CZlib", "RecordGitCommit", "Outcomes", "System", "Integrity", "OCI", "Registry", "TarStream",
        "ChartFormat", "Bundle", "Transfer", "Rendering", "BundleCommands", "CommandOptions", "Terminal", "ToolVersion",
    ]
    static let vendorOnly: Set<String> = ["ChartResolution", "ImagePull", "BundlePacking", "BuildPipeline", "HelmfileImport", "airgap-bundle"]
    static let siteOnly: Set<String> = ["Install", "BundleServer", "airgap-install"]

    /// A target as `swift package dump-package` describes it.
    struct Target {
        var name: String
        var isTest: Bool
        /// The names of the targets of this package it depends on (products of other packages left out).
        var dependencies: [String]
    }

    /// The package's targets, read from `swift package dump-package` (it runs offline). A scratch
    /// path of its own keeps it clear of the lock that the `swift test` running this holds.
    static func targets() throws -> [String: Target] {
        let scratch = try TestPaths.scratch("dump-package")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result = try Shell.check(["swift", "package", "--package-path", TestPaths.repository, "--scratch-path", scratch, "dump-package"])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        guard let package = json as? [String: Any], let list = package["targets"] as? [[String: Any]] else {
            throw TestSupportError("swift package dump-package printed no \"targets\" list")
        }
        var targets: [String: Target] = [:]
        for entry in list {
            guard let name = entry["name"] as? String, let type = entry["type"] as? String else {
                throw TestSupportError("a target in dump-package's output has no name or type: \(entry)")
            }
            // TestSupport is a plain target, but only tests use it: it lives under Tests/.
            let isTest = type == "test" || (entry["path"] as? String)?.hasPrefix("Tests/") == true
            let dependencies = (entry["dependencies"] as? [[String: Any]] ?? []).compactMap { dependency in
                ((dependency["byName"] ?? dependency["target"]) as? [Any])?.first as? String
            }
            targets[name] = Target(name: name, isTest: isTest, dependencies: dependencies)
        }
        // `byName` also names products of other packages (Yams): only this package's targets count.
        let names = Set(targets.keys)
        for name in names { targets[name]?.dependencies.removeAll { !names.contains($0) } }
        return targets
    }

    /// Every module `root` links, with the shortest chain of dependencies that reaches each
    /// (`root → … → module`).
    static func closure(of root: String, in targets: [String: Target]) -> [String: [String]] {
        var paths = [root: [root]]
        var queue = [root]
        while !queue.isEmpty {
            let name = queue.removeFirst()
            for dependency in targets[name]?.dependencies ?? [] where paths[dependency] == nil {
                paths[dependency] = paths[name]! + [dependency]
                queue.append(dependency)
            }
        }
        return paths
    }

    /// The chains from `root` that end in a module of `forbidden`, one a line, sorted.
    static func violations(from root: String, reaching forbidden: Set<String>, in targets: [String: Target]) -> [String] {
        closure(of: root, in: targets).filter { forbidden.contains($0.key) }.map { $0.value.joined(separator: " → ") }.sorted()
    }

    @Test func everyTargetHasExactlyOneClass() throws {
        let targets = try Self.targets()
        var problems: [String] = []
        for (name, target) in targets.sorted(by: { $0.key < $1.key }) where !target.isTest {
            let classes = [("shared", Self.shared), ("vendor-only", Self.vendorOnly), ("site-only", Self.siteOnly)]
                .filter { $0.1.contains(name) }.map(\.0)
            if classes.count != 1 {
                problems.append(
                    classes.isEmpty
                        ? "\(name) has no class: add it to shared, vendorOnly or siteOnly in PackageGraphTests (and Package.swift's top comment)"
                        : "\(name) is in more than one class: \(classes.joined(separator: ", "))")
            }
        }
        for name in Self.shared.union(Self.vendorOnly).union(Self.siteOnly).sorted() {
            if targets[name] == nil { problems.append("\(name) is classified but Package.swift has no such target") }
            if targets[name]?.isTest == true { problems.append("\(name) is a test target: tests have no class") }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(targets["airgap-install"] != nil && targets["airgap-bundle"] != nil, "both executables are in the package")
    }

    @Test func theSiteExecutableReachesNoVendorOnlyModule() throws {
        let reached = Self.violations(from: "airgap-install", reaching: Self.vendorOnly, in: try Self.targets())
        #expect(reached.isEmpty, "airgap-install links vendor-only code:\n\(reached.joined(separator: "\n"))")
    }

    @Test func theVendorExecutableReachesNoSiteOnlyModule() throws {
        let reached = Self.violations(from: "airgap-bundle", reaching: Self.siteOnly, in: try Self.targets())
        #expect(reached.isEmpty, "airgap-bundle links site-only code:\n\(reached.joined(separator: "\n"))")
    }

    @Test func aSharedModuleImportsOnlySharedModules() throws {
        let targets = try Self.targets()
        let reached = Self.shared.sorted().flatMap { Self.violations(from: $0, reaching: Self.vendorOnly.union(Self.siteOnly), in: targets) }
        #expect(reached.isEmpty, "a shared module links a module of one side only:\n\(reached.joined(separator: "\n"))")
    }
}
