import COpenSSL
import Integrity

/// A private key that signs. PEM in and out is PKCS#8, optionally encrypted (AES-256-CBC).
public struct SigningKey: Sendable {
    let key: OwnedKey
    public var type: KeyType { key.type! }

    /// Makes a new random key.
    public static func generate(_ type: KeyType) throws -> SigningKey {
        let id = type == .ed25519 ? EVP_PKEY_ED25519 : EVP_PKEY_EC
        guard let context = EVP_PKEY_CTX_new_id(id, nil) else { throw SigningError.openssl("cannot create a key context") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw SigningError.openssl("cannot start key generation") }
        if type == .ecdsaP256, EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) != 1 {
            throw SigningError.openssl("cannot select the P-256 curve")
        }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen(context, &generated) == 1, let generated else { throw SigningError.openssl("key generation failed") }
        return SigningKey(key: OwnedKey(generated))
    }

    /// Reads a PEM private key (PKCS#8, or traditional EC); `passphrase` for encrypted ones.
    public init(pem: [UInt8], passphrase: String? = nil) throws {
        let bio = try MemoryBIO(pem)
        let read: OpaquePointer? =
            passphrase.map { phrase in
                phrase.withCString { PEM_read_bio_PrivateKey(bio.pointer, nil, nil, UnsafeMutableRawPointer(mutating: $0)) }
            } ?? PEM_read_bio_PrivateKey(bio.pointer, nil, { _, _, _, _ in 0 }, nil)
        guard let read else {
            throw SigningError.openssl(
                passphrase == nil
                    ? "not a readable private key (is it encrypted? give the passphrase)" : "cannot read the private key (wrong passphrase?)")
        }
        key = OwnedKey(read)
        guard key.type != nil else { throw SigningError(message: key.unsupportedReason) }
    }

    init(key: OwnedKey) { self.key = key }

    /// PKCS#8 PEM; encrypted with AES-256-CBC when a passphrase is given.
    public func pem(passphrase: String? = nil) throws -> [UInt8] {
        let bio = try MemoryBIO()
        let ok: Int32
        if let passphrase {
            ok = passphrase.withCString { phrase in
                PEM_write_bio_PKCS8PrivateKey(bio.pointer, key.pointer, EVP_aes_256_cbc(), nil, 0, nil, UnsafeMutableRawPointer(mutating: phrase))
            }
        } else {
            ok = PEM_write_bio_PKCS8PrivateKey(bio.pointer, key.pointer, nil, nil, 0, nil, nil)
        }
        guard ok == 1 else { throw SigningError.openssl("cannot write the private key") }
        return bio.contents()
    }

    /// The public half.
    public var publicKey: VerifyingKey { VerifyingKey(key: key) }

    /// Signs a message: ECDSA P-256 over its SHA-256 (DER signature), or Ed25519 (64 bytes).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw SigningError.openssl("out of memory") }
        defer { EVP_MD_CTX_free(context) }
        let digest = type == .ed25519 ? nil : EVP_sha256()
        guard EVP_DigestSignInit(context, nil, digest, nil, key.pointer) == 1 else { throw SigningError.openssl("cannot start signing") }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw SigningError.openssl("cannot size the signature") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw SigningError.openssl("signing failed") }
        let bytes = Array(signature.prefix(length))
        return type == .ecdsaP256 ? try ECDSASignature.lowS(bytes) : bytes
    }
}

/// Signatures over large files, computed from a SHA-256 digest taken while streaming (see
/// `VerifyingKey.verify(_:sha256Digest:)` in Integrity for the forms).
extension SigningKey {
    public func sign(sha256Digest digest: [UInt8]) throws -> [UInt8] {
        precondition(digest.count == 32, "a SHA-256 digest is 32 bytes")
        if type == .ed25519 { return try sign(digest) }
        guard let context = EVP_PKEY_CTX_new(key.pointer, nil) else { throw SigningError.openssl("out of memory") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_sign_init(context) == 1, EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1 else {
            throw SigningError.openssl("cannot start signing")
        }
        var length = 0
        guard EVP_PKEY_sign(context, nil, &length, digest, digest.count) == 1 else { throw SigningError.openssl("cannot size the signature") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_sign(context, &signature, &length, digest, digest.count) == 1 else { throw SigningError.openssl("signing failed") }
        return try ECDSASignature.lowS(Array(signature.prefix(length)))
    }
}
