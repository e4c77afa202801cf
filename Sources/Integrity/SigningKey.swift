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
    package init(message: String) { self.message = message }
    public var description: String { message }

    package static func openssl(_ what: String) -> SigningError {
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
/// `@unchecked Sendable`: OpenSSL keys are immutable once made and safe to use from several
/// threads at once (OpenSSL 3 reference-counts them atomically), which the compiler cannot see.
package final class OwnedKey: @unchecked Sendable {
    package let pointer: OpaquePointer
    package init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// The key's type when it is one the format uses; nil for every other (RSA, other curves).
    package var type: KeyType? {
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
    package var unsupportedReason: String {
        if EVP_PKEY_get_base_id(pointer) == EVP_PKEY_EC {
            return "unsupported EC curve \(curveName ?? "(unknown)"): only P-256 (prime256v1) and Ed25519 keys are accepted"
        }
        return "unsupported key type: only ECDSA P-256 and Ed25519 keys are accepted"
    }
}
