import Foundation

/// The one JSON encoding of the format: sorted keys, no escaped slashes, two-space indent.
public enum BundleCodec {
    public static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(value)) + [0x0a]
    }
}
