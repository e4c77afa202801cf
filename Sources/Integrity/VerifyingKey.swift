import COpenSSL

/// A public key that verifies signatures. PEM in and out is SubjectPublicKeyInfo (`openssl pkey -pubout`).
public struct VerifyingKey: Sendable {
    let key: OwnedKey
    public var type: KeyType { key.type! }

    package init(key: OwnedKey) { self.key = key }

    /// Reads exactly one PEM `PUBLIC KEY` block: a second key, or anything but white space around
    /// the block, is refused rather than silently ignored. Only P-256 and Ed25519 keys are accepted.
    public init(pem: [UInt8]) throws {
        let block = try PEMBlock.single(in: pem, label: "PUBLIC KEY")
        let bio = try MemoryBIO(block)
        guard let read = PEM_read_bio_PUBKEY(bio.pointer, nil, nil, nil) else { throw SigningError.openssl("not a PEM public key") }
        key = OwnedKey(read)
        guard key.type != nil else { throw SigningError(message: key.unsupportedReason) }
    }

    /// SubjectPublicKeyInfo PEM.
    public func pem() throws -> [UInt8] {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PUBKEY(bio.pointer, key.pointer) == 1 else { throw SigningError.openssl("cannot write the public key") }
        return bio.contents()
    }

    /// The DER SubjectPublicKeyInfo.
    public func der() throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(key.pointer, &out)
        guard length > 0, let out else { throw SigningError.openssl("cannot encode the public key") }
        defer { airgap_openssl_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// `sha256:<hex>` of the DER public key: what `keygen` prints and `inspect` shows.
    public func fingerprint() throws -> String { "sha256:" + SHA256Hasher.hex(of: try der()) }

    /// Whether `signature` is this key's signature of `message`.
    public func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context); ERR_clear_error() }
        let digest = type == .ed25519 ? nil : EVP_sha256()
        guard EVP_DigestVerifyInit(context, nil, digest, nil, key.pointer) == 1 else { return false }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }
}

/// An OpenSSL memory BIO.
package final class MemoryBIO {
    package let pointer: OpaquePointer

    package init(_ bytes: [UInt8]? = nil) throws {
        guard let bio = BIO_new(BIO_s_mem()) else { throw SigningError.openssl("out of memory") }
        pointer = bio
        if let bytes, !bytes.isEmpty { _ = BIO_write(bio, bytes, Int32(bytes.count)) }
    }

    deinit { BIO_free(pointer) }

    package func contents() -> [UInt8] {
        var data: UnsafeMutablePointer<CChar>?
        let length = airgap_bio_get_mem_data(pointer, &data)
        guard length > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}
