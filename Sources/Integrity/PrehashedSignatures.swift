import COpenSSL

/// Signatures over large files, computed from a SHA-256 digest taken while streaming.
///
/// ECDSA P-256: the signature of the file itself (ECDSA signs the SHA-256 digest), exactly what
/// `openssl dgst -sha256 -sign` and cosign's `sign-blob` produce. Ed25519 cannot sign a prehash
/// in OpenSSL 3.0, so for Ed25519 keys the signed message is the 32-byte SHA-256 digest of the
/// file (verify with `openssl dgst -sha256 -binary -out FILE.sha256 FILE` and
/// `openssl pkeyutl -verify -rawin -in FILE.sha256 …`; see docs/security-guide.md).
extension VerifyingKey {
    public func verify(_ signature: [UInt8], sha256Digest digest: [UInt8]) -> Bool {
        guard digest.count == 32 else { return false }
        if type == .ed25519 { return verify(signature, for: digest) }
        guard let context = EVP_PKEY_CTX_new(key.pointer, nil) else { return false }
        defer { EVP_PKEY_CTX_free(context); ERR_clear_error() }
        guard EVP_PKEY_verify_init(context) == 1, EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1 else { return false }
        return EVP_PKEY_verify(context, signature, signature.count, digest, digest.count) == 1
    }
}
