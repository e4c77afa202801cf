import COpenSSL

/// A keyed tag of a chunk of bytes (GMAC: AES-128-GCM over the chunk as associated data, no
/// plaintext), under a key drawn at random when it is created and never written anywhere.
///
/// For checking that bytes read again are the bytes read before, at a fraction of SHA-256's cost
/// (GHASH runs on the CPU's carry-less multiply). Sound only while the tags stay secret: whoever
/// changes the bytes must not see a tag nor the key (they live in this process's memory alone), so
/// a changed chunk matches its recorded tag with probability at most (its length in 16-byte
/// blocks) / 2^128. Not a digest: a tag means nothing outside the process that made it.
public struct ChunkAuthenticator: Sendable {
    private let key: [UInt8]

    public init() {
        var generator = SystemRandomNumberGenerator()
        key = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The 16-byte tag of `bytes` as the chunk at `position` (the nonce: a chunk's tag differs
    /// from the same bytes' tag at another place).
    public func tag(_ bytes: UnsafeRawBufferPointer, at position: Int64) -> [UInt8] {
        guard let context = EVP_CIPHER_CTX_new() else { fatalError("OpenSSL: EVP_CIPHER_CTX_new failed (out of memory)") }
        defer { EVP_CIPHER_CTX_free(context) }
        var nonce = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: UInt64(bitPattern: position).bigEndian) { nonce.replaceSubrange(0..<8, with: $0) }
        guard EVP_EncryptInit_ex(context, EVP_aes_128_gcm(), nil, key, nonce) == 1 else { fatalError("OpenSSL: AES-128-GCM unavailable") }
        var written: Int32 = 0
        var rest = bytes
        while let base = rest.baseAddress, !rest.isEmpty {
            let count = min(rest.count, 1 << 30)
            guard EVP_EncryptUpdate(context, nil, &written, base.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1 else {
                fatalError("OpenSSL: GMAC update failed")
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[count...])
        }
        var tag = [UInt8](repeating: 0, count: 16)
        var none = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptFinal_ex(context, &none, &written) == 1, EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else {
            fatalError("OpenSSL: GMAC tag failed")
        }
        return tag
    }
}
