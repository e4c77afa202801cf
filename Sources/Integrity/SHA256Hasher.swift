import COpenSSL

/// Incremental SHA-256 through OpenSSL's EVP interface (SHA-NI where the CPU has it).
///
/// Feed it bytes as they stream past with `update`, then call `finalize` once.
/// Not thread-safe: one hasher belongs to one stream.
public final class SHA256Hasher {
    private let context: OpaquePointer
    private var finalized = false

    public init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("OpenSSL: EVP_MD_CTX_new failed (out of memory)") }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { fatalError("OpenSSL: SHA-256 unavailable") }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds `count` bytes at `pointer` to the hash.
    public func update(_ pointer: UnsafeRawPointer, count: Int) {
        precondition(!finalized, "SHA256Hasher used after finalize")
        guard count > 0 else { return }
        EVP_DigestUpdate(context, pointer, count)
    }

    /// Adds the bytes of a buffer to the hash.
    public func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        update(base, count: buffer.count)
    }

    /// Adds the bytes of any contiguous byte collection (`[UInt8]`, `Data`, …).
    public func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// Finishes the hash and returns the 32-byte digest. The hasher cannot be used afterwards.
    public func finalize() -> [UInt8] {
        precondition(!finalized, "SHA256Hasher finalized twice")
        finalized = true
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return Array(out.prefix(Int(length)))
    }

    /// The lowercase hex form of `finalize()`.
    public func finalizeHex() -> String { Hex.encode(finalize()) }

    /// Hashes a whole small buffer in one call (manifests, configs — never blobs).
    public static func hex<Bytes: Sequence>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }
}
