import COpenSSL

/// The signature algorithms the bundle format uses.
public enum KeyType: String, Sendable, CaseIterable {
    /// ECDSA over P-256 with SHA-256; signatures are DER (what cosign and `openssl dgst` use).
    case ecdsaP256 = "ecdsa-p256"
    /// Ed25519; signatures are the raw 64 bytes, deterministic.
    case ed25519
}

/// A failure inside OpenSSL or with key material, with OpenSSL's own reason attached.
public struct SigningError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    static func openssl(_ what: String) -> SigningError {
        let code = ERR_get_error()
        var reason = ""
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reason = ": " + String(cString: buffer)
        }
        ERR_clear_error()
        return SigningError(message: what + reason)
    }
}

/// Owns an OpenSSL `EVP_PKEY`.
// @unchecked: the pointer is set once and the key is only read after (OpenSSL allows concurrent
// use of a key that is not changed); an `OpaquePointer` is never `Sendable`.
final class OwnedKey: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// The key's type when it is one the format uses; nil for every other (RSA, other curves).
    var type: KeyType? {
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_ED25519: return .ed25519
        case EVP_PKEY_EC: return curveName == SN_X9_62_prime256v1 ? .ecdsaP256 : nil
        default: return nil
        }
    }

    /// OpenSSL's short name of an EC key's curve (`prime256v1`, `secp384r1`, `secp256k1`, …).
    var curveName: String? {
        var name = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_group_name(pointer, &name, name.count, &length) == 1 else { ERR_clear_error(); return nil }
        return String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Why the key cannot be used, in words, when `type` is nil.
    var unsupportedReason: String {
        if EVP_PKEY_get_base_id(pointer) == EVP_PKEY_EC {
            return "unsupported EC curve \(curveName ?? "(unknown)"): only P-256 (prime256v1) and Ed25519 keys are accepted"
        }
        return "unsupported key type: only ECDSA P-256 and Ed25519 keys are accepted"
    }
}

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
