import BundlePacking
import Foundation
import Integrity
import TestSupport
import Testing

/// Only P-256 and Ed25519 keys are accepted, one per file with nothing around it, and ECDSA
/// signatures have exactly one accepted form (minimal DER, low S). Keys come from real `openssl`.
@Suite("Keys are strict and ECDSA signatures canonical")
struct KeyStrictnessTests {
    let dir: String
    init() throws { dir = try TestPaths.scratch("keys") }

    func opensslKey(_ name: String, _ generate: [String]) throws -> (privatePEM: [UInt8], publicPEM: [UInt8]) {
        let key = dir + "/" + name + ".key", pub = dir + "/" + name + ".pub"
        try Shell.check(generate + ["-out", key])
        try Shell.check(["openssl", "pkey", "-in", key, "-pubout", "-out", pub])
        return (Array(try Data(contentsOf: URL(fileURLWithPath: key))), Array(try Data(contentsOf: URL(fileURLWithPath: pub))))
    }

    @Test(arguments: ["prime192v1", "secp384r1", "secp256k1", "secp521r1"])
    func otherCurvesAreRefused(curve: String) throws {
        let (privatePEM, publicPEM) = try opensslKey(curve, ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(curve)"])
        #expect { try VerifyingKey(pem: publicPEM) } throws: { "\($0)".contains("unsupported EC curve") }
        #expect { try SigningKey(pem: privatePEM) } throws: { "\($0)".contains("unsupported EC curve") }
    }

    @Test func rsaAndPrime256v1FromOpenSSL() throws {
        let (_, rsa) = try opensslKey("rsa", ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
        #expect { try VerifyingKey(pem: rsa) } throws: { "\($0)".contains("unsupported key type") }
        let (privatePEM, publicPEM) = try opensslKey("p256", ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        #expect(try VerifyingKey(pem: publicPEM).type == .ecdsaP256)
        #expect(try SigningKey(pem: privatePEM).type == .ecdsaP256)
    }

    @Test func aPublicKeyFileHoldsOneKeyAndNothingElse() throws {
        let first = try SigningKey.generate(.ecdsaP256).publicKey.pem()
        let second = try SigningKey.generate(.ed25519).publicKey.pem()
        #expect(try VerifyingKey(pem: Array("\n\n".utf8) + first + Array("\n  \n".utf8)).type == .ecdsaP256)
        #expect { try VerifyingKey(pem: first + Array("garbage after the key\n".utf8)) } throws: { "\($0)".contains("trailing data") }
        #expect { try VerifyingKey(pem: first + second) } throws: { "\($0)".contains("more than one") }
        #expect { try VerifyingKey(pem: second + first) } throws: { "\($0)".contains("more than one") }
        #expect { try VerifyingKey(pem: Array("note: vendor key\n".utf8) + first) } throws: { "\($0)".contains("before") }
        #expect { try VerifyingKey(pem: Array("not a key".utf8)) } throws: { "\($0)".contains("not a PEM") }
    }

    @Test func ecdsaSignaturesAreAlwaysLowSAndHighSIsDetected() throws {
        let key = try SigningKey.generate(.ecdsaP256)
        var sawHighFromOpenSSL = false
        for round in 0..<64 {
            let message = Array("message \(round)".utf8)
            let ours = try key.sign(message)
            #expect(ECDSASignature.canonicalProblem(ours) == nil)
            #expect(
                ECDSASignature.canonicalProblem(
                    try key.sign(
                        sha256Digest: {
                            let h = SHA256Hasher(); h.update(message); return h.finalize()
                        }())) == nil)
            // openssl signs without normalizing: about half its signatures are high-S, which
            // openssl itself accepts and we must report.
            let keyFile = dir + "/ec.key", messageFile = dir + "/m", signatureFile = dir + "/s"
            try Data(try key.pem()).write(to: URL(fileURLWithPath: keyFile))
            try Data(message).write(to: URL(fileURLWithPath: messageFile))
            try Shell.check(["openssl", "dgst", "-sha256", "-sign", keyFile, "-out", signatureFile, messageFile])
            let theirs = Array(try Data(contentsOf: URL(fileURLWithPath: signatureFile)))
            #expect(key.publicKey.verify(theirs, for: message))
            if let problem = ECDSASignature.canonicalProblem(theirs) {
                #expect(problem.contains("low-S"))
                sawHighFromOpenSSL = true
                break
            }
        }
        #expect(sawHighFromOpenSSL, "64 openssl signatures were all low-S (chance 2^-64)")
        #expect(ECDSASignature.canonicalProblem([0x30, 0x02, 0x01, 0x00]) != nil)
    }
}
