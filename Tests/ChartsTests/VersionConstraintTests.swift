import ChartResolution
import Rendering
import Testing

@Suite("Chart version constraints as Helm reads them")
struct VersionConstraintTests {
    let versions = ["0.9.0", "1.0.0", "1.2.0", "1.2.3", "1.2.9", "1.3.0", "1.10.1", "2.0.0-rc.1", "2.0.0", "2.1.0", "v4.7.0", "4.6.2"].compactMap(
        SemanticVersion.init)

    @Test(
        "picks the highest satisfying version",
        arguments: [
            ("^1.2", "1.10.1"), ("^1.2.3", "1.10.1"), ("~1.2.3", "1.2.9"), ("~1.2", "1.2.9"), ("~1", "1.10.1"),
            (">=1.0 <2.0", "1.10.1"), (">=1.0, <1.3", "1.2.9"), ("1.2.x", "1.2.9"), ("1.2", "1.2.9"), ("*", "v4.7.0"),
            ("v4.7.0", "v4.7.0"), ("4.7.0", "v4.7.0"), ("=1.2.3", "1.2.3"), ("1.0 - 1.2", "1.2.9"), ("1.0 - 1.2.3", "1.2.3"),
            ("^0.9", "0.9.0"), ("^1 || ^4", "v4.7.0"), (">2.0.0-rc.0 <2.0.1", "2.0.0"), ("2.0.0-rc.1", "2.0.0-rc.1"), ("!=2.1.0 ^2", "2.0.0"),
            (">1.2", "v4.7.0"), ("<=1.2", "1.2.9"), ("<1.2", "1.0.0"),
        ])
    func picks(constraint: String, expected: String) throws {
        let parsed = try VersionConstraint(parsing: constraint)
        #expect(parsed.best(of: versions)?.original == expected)
    }

    @Test func prereleasesNeedToBeAskedFor() throws {
        #expect(!(try VersionConstraint(parsing: ">=1.0")).matches(SemanticVersion("2.0.0-rc.1")!))
        #expect(try VersionConstraint(parsing: ">=2.0.0-rc.0").matches(SemanticVersion("2.0.0-rc.1")!))
        #expect(SemanticVersion("1.0.0-alpha")! < SemanticVersion("1.0.0-alpha.1")!)
        #expect(SemanticVersion("1.0.0-alpha.beta")! < SemanticVersion("1.0.0-beta")!)
        #expect(SemanticVersion("1.0.0-rc.1")! < SemanticVersion("1.0.0")!)
        #expect(SemanticVersion("1.0.0-2")! < SemanticVersion("1.0.0-10")!)
        #expect(SemanticVersion("1.0.0+build.5") == SemanticVersion("1.0.0"))
    }

    @Test("rejects nonsense", arguments: ["", "abc", ">=", "1.2.3.4", "^x.y", "1 - ", "~>"])
    func rejects(constraint: String) {
        #expect(throws: VersionConstraintError.self) { try VersionConstraint(parsing: constraint) }
    }
}
