import BundlePacking
import Foundation
import Integrity
import TestSupport
import Testing

/// Keys and signatures checked both ways against the real `openssl` command.
@Suite("Signing keys and signatures interoperate with openssl")
struct SigningInteropTests {
    let dir: String
    init() throws { dir = try TestPaths.scratch("signing") }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) }

    @Test(arguments: KeyType.allCases)
    func ourSignaturesVerifyWithOpenSSL(type: KeyType) throws {
        let key = try SigningKey.generate(type)
        let message = Array("bundle.json contents \(type)".utf8)
        let signature = try key.sign(message)
        #expect(key.publicKey.verify(signature, for: message))
        #expect(!key.publicKey.verify(signature, for: message + [0]))
        #expect(!(try SigningKey.generate(type)).publicKey.verify(signature, for: message))

        let pub = try write(try key.publicKey.pem(), "pub.pem")
        let msg = try write(message, "msg"), sig = try write(signature, "sig")
        let check =
            type == .ed25519
            ? ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", msg, "-sigfile", sig]
            : ["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, msg]
        let result = try Shell.run(check)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Verified") || result.stdout.contains("Signature Verified Successfully"))

        // The fingerprint is sha256 of the DER public key, as openssl and sha256sum compute it.
        let der = try Shell.check(["sh", "-c", "openssl pkey -pubin -in '\(pub)' -outform DER | sha256sum"]).stdout
        #expect(try key.publicKey.fingerprint() == "sha256:" + der.prefix(64))
    }

    @Test(arguments: KeyType.allCases)
    func openSSLSignaturesVerifyWithUs(type: KeyType) throws {
        let keyPath = dir + "/key.pem", pubPath = dir + "/pub.pem"
        let message = try write(Array("signed by openssl".utf8), "msg")
        if type == .ed25519 {
            try Shell.check(["openssl", "genpkey", "-algorithm", "ed25519", "-out", keyPath])
            try Shell.check(["openssl", "pkeyutl", "-sign", "-inkey", keyPath, "-rawin", "-in", message, "-out", dir + "/sig"])
        } else {
            try Shell.check(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyPath])
            try Shell.check(["openssl", "dgst", "-sha256", "-sign", keyPath, "-out", dir + "/sig", message])
        }
        try Shell.check(["openssl", "pkey", "-in", keyPath, "-pubout", "-out", pubPath])
        let publicKey = try VerifyingKey(pem: try read("pub.pem"))
        #expect(publicKey.type == type)
        #expect(publicKey.verify(try read("sig"), for: try read("msg")))
        // The private key openssl made signs with us too.
        let privateKey = try SigningKey(pem: try read("key.pem"))
        #expect(publicKey.verify(try privateKey.sign([1, 2, 3]), for: [1, 2, 3]))
    }

    @Test func encryptedKeysNeedTheirPassphrase() throws {
        let key = try SigningKey.generate(.ecdsaP256)
        let pem = try key.pem(passphrase: "correct horse")
        #expect(String(decoding: pem, as: UTF8.self).contains("ENCRYPTED PRIVATE KEY"))
        let path = try write(pem, "enc.pem")
        // openssl reads it with the passphrase.
        try Shell.check(["openssl", "pkey", "-in", path, "-passin", "pass:correct horse", "-noout"])
        let reread = try SigningKey(pem: pem, passphrase: "correct horse")
        #expect(try reread.publicKey.fingerprint() == (try key.publicKey.fingerprint()))
        #expect(throws: SigningError.self) { try SigningKey(pem: pem, passphrase: "wrong") }
        #expect(throws: SigningError.self) { try SigningKey(pem: pem) }
        #expect(throws: SigningError.self) { try VerifyingKey(pem: Array("garbage".utf8)) }
    }

    @Test func ed25519IsDeterministic() throws {
        let key = try SigningKey.generate(.ed25519)
        #expect(try key.sign([9, 9]) == (try key.sign([9, 9])))
        #expect(try key.sign([9, 9]).count == 64)
    }
}
