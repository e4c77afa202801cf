import COpenSSL

/// ECDSA P-256 signatures in their one canonical form: strict DER with `s` in the lower half of
/// the group order. ECDSA lets anyone turn a valid `(r, s)` into a second valid `(r, n - s)`;
/// accepting only low-S (and only minimal DER) means a signed bundle has exactly one signature.
public enum ECDSASignature {
    /// The low-S form of a DER signature (unchanged when already low).
    package static func lowS(_ der: [UInt8]) throws -> [UInt8] {
        try withParsed(der) { signature, r, s, order in
            let half = BN_new(), flipped = BN_new()
            defer { BN_free(half); BN_free(flipped) }
            guard let half, let flipped, BN_rshift1(half, order) == 1 else { throw SigningError.openssl("out of memory") }
            guard BN_cmp(s, half) > 0 else { return der }
            guard BN_sub(flipped, order, s) == 1, let newR = BN_dup(r), let newS = BN_dup(flipped) else {
                throw SigningError.openssl("out of memory")
            }
            guard ECDSA_SIG_set0(signature, newR, newS) == 1 else {
                BN_free(newR)
                BN_free(newS)
                throw SigningError.openssl("cannot normalize the signature")
            }
            return try encode(signature)
        }
    }

    /// Whether `der` is a minimal DER P-256 signature with a low `s`; the reason when it is not.
    public static func canonicalProblem(_ der: [UInt8]) -> String? {
        do {
            return try withParsed(der) { signature, _, s, order in
                guard try encode(signature) == der else { return "it is not in minimal DER form" }
                let half = BN_new()
                defer { BN_free(half) }
                guard let half, BN_rshift1(half, order) == 1 else { throw SigningError.openssl("out of memory") }
                return BN_cmp(s, half) > 0 ? "it is not in low-S form (s is above half the group order, a malleated signature)" : nil
            }
        } catch {
            return "it is not a DER ECDSA signature"
        }
    }

    private static func withParsed<T>(
        _ der: [UInt8], _ body: (OpaquePointer, OpaquePointer, OpaquePointer, OpaquePointer) throws -> T
    ) throws -> T {
        defer { ERR_clear_error() }
        guard der.count <= 80 else { throw SigningError(message: "not a P-256 signature: \(der.count) bytes") }
        var cursor: UnsafePointer<UInt8>? = nil
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            cursor = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let signature = parsed else { throw SigningError.openssl("not a DER ECDSA signature") }
        defer { ECDSA_SIG_free(signature) }
        guard let group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1) else { throw SigningError.openssl("no P-256 group") }
        defer { EC_GROUP_free(group) }
        guard let order = EC_GROUP_get0_order(group), let r = ECDSA_SIG_get0_r(signature), let s = ECDSA_SIG_get0_s(signature) else {
            throw SigningError.openssl("cannot read the signature")
        }
        return try body(signature, r, s, order)
    }

    private static func encode(_ signature: OpaquePointer) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_ECDSA_SIG(signature, &out)
        guard length > 0, let out else { throw SigningError.openssl("cannot encode the signature") }
        defer { airgap_openssl_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }
}
