import Foundation
import Integrity

extension BundleIndex {
    /// Decodes `bundle.json` and checks everything a reader relies on before using it: sizes are
    /// not negative and add up without overflow, every entry name is one `pack` could write, no
    /// two names collide on a case-insensitive or normalizing file system, digests are well formed,
    /// and the fields printed to a terminal hold no control characters.
    /// With `names` (a signature was verified, or `pack` checks what it writes), the names too
    /// (`namesProblem`); without a key, `inspect` still shows a bundle with bad names, escaped.
    static func decodeChecked(_ bytes: [UInt8], archive: String, names: Bool) throws -> BundleIndex {
        let index: BundleIndex
        do { index = try JSONDecoder().decode(BundleIndex.self, from: Data(bytes)) } catch {
            throw BundleError.verification("\(archive): bundle.json is malformed: \(error.humanDescription)")
        }
        if let problem = index.firstProblem() ?? (names ? index.namesProblem() : nil) {
            throw BundleError.verification("\(archive): bundle.json \(problem)")
        }
        return index
    }

    /// The first reason this index cannot be trusted as a description of an archive, or nil.
    /// `pack` checks its own index with it too, so it never writes what `verify` refuses.
    package func firstProblem() -> String? {
        guard BundlePaths.formatVersions.contains(formatVersion) else {
            return
                "has format version \(formatVersion), which is not supported (this tool reads versions \(BundlePaths.formatVersions.lowerBound) and \(BundlePaths.formatVersions.upperBound))"
        }
        for (field, value) in [("name", name), ("version", version), ("created", created)] {
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                return "has a control character in its \(field) field"
            }
            if value.utf8.count > 256 { return "has a \(field) of \(value.utf8.count) bytes, more than 256" }
        }
        var total: Int64 = 0
        for entry in entries {
            if let problem = EntryNamePolicy.problem(with: entry.path) { return "lists an entry that \(problem)" }
            if entry.path == BundlePaths.index || entry.path == BundlePaths.indexSignature { return "lists \(entry.path) among the entries" }
            guard entry.size >= 0 else { return "gives entry \(entry.path) a negative size (\(entry.size))" }
            let (sum, overflow) = total.addingReportingOverflow(entry.size)
            guard !overflow else { return "lists entry sizes that add up to more than \(Int64.max) bytes" }
            total = sum
            guard entry.sha256.utf8.count == 64, entry.sha256.utf8.allSatisfy(Hex.isLowercaseDigit) else {
                return "gives entry \(entry.path) a SHA-256 that is not 64 lowercase hex digits"
            }
        }
        var exact = Set<[UInt8]>()
        for entry in entries where !exact.insert(Array(entry.path.utf8)).inserted { return "lists entry \(entry.path) twice" }
        if let (first, second) = EntryNamePolicy.firstCollision(in: entries.map(\.path)) {
            return "lists entries \(first) and \(second), which differ only by case or Unicode normalization"
        }
        let otherSizes =
            charts.map { ("chart \($0.path)", $0.size) } + images.map { ("image \($0.reference)", $0.size) }
            + files.map { ("file \($0.path)", $0.size) }
        for (what, size) in otherSizes where size < 0 { return "gives \(what) a negative size (\(size))" }
        return nil
    }
}

extension BundleIndexSignature {
    /// The most bytes `bundle.json.sig` may have: a signature, a fingerprint and a few words.
    static let sizeLimit = 4096

    /// The key type this signature's `algorithm` names, or nil for any other value.
    var keyType: KeyType? {
        switch algorithm {
        case Self.algorithmName(for: .ecdsaP256): return .ecdsaP256
        case Self.algorithmName(for: .ed25519): return .ed25519
        default: return nil
        }
    }

    package static func algorithmName(for type: KeyType) -> String { type == .ed25519 ? "ed25519" : "ecdsa-p256-sha256" }

    /// Decodes `bundle.json.sig` and insists it is byte for byte what `pack` writes: no extra
    /// keys, no other spacing or order, an algorithm this format uses.
    static func decodeCanonical(_ bytes: [UInt8], archive: String) throws -> BundleIndexSignature {
        func fail(_ why: String) -> BundleError { .verification("\(archive): \(BundlePaths.indexSignature) \(why)") }
        let signature: BundleIndexSignature
        do { signature = try JSONDecoder().decode(BundleIndexSignature.self, from: Data(bytes)) } catch {
            throw BundleError.verification("\(archive): \(BundlePaths.indexSignature) is malformed: \(error.humanDescription)")
        }
        guard signature.keyType != nil else {
            throw fail("names algorithm \"\(signature.algorithm.prefix(40))\"; this format signs with ecdsa-p256-sha256 or ed25519 only")
        }
        guard try BundleCodec.encode(signature) == bytes else {
            throw fail("is not exactly what pack writes (extra keys, other spacing or order): refused, so no unsigned bytes ride along")
        }
        return signature
    }
}
