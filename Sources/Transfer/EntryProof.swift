import Integrity
import Synchronization

/// What the server knows about one entry's bytes in the archive: a chain that hashes the entry's
/// 256 KiB chunks in order — each chunk's own SHA-256, and the entry's data into one running
/// SHA-256 — until the last chunk, where the entry's digest is compared with `bundle.json`'s. Then
/// the entry is proven, and every chunk's recorded digest is known good for the rest of the run:
/// any later read of a chunk from the file (a cache miss, a Range request) is checked against it.
///
/// Reads extend the chain as they go (the first to need a chunk hashes it; the others find its
/// digest recorded, or the chunk itself in the cache), so many clients reading one entry at the
/// same time hash it about once. A chain that fails (a changed header, a chunk that differs from
/// its recorded digest before the proof, a wrong entry digest) is thrown away and a new
/// generation starts; reads begun under the old one fail.
struct EntryProof {
    var generation = 0
    /// SHA-256 of the entry's chunks from its first on, as far as the chain has hashed them.
    var chunkDigests: [[UInt8]] = []
    /// The entry's data hashed so far (nil once proven).
    var hasher: SHA256Hasher? = SHA256Hasher()
    var proven = false

    mutating func reset() {
        generation += 1
        chunkDigests = []
        hasher = SHA256Hasher()
        proven = false
    }
}

/// One entry's proof behind a lock, and how many responses read the entry now (a chunk of an
/// entry more than one reads is worth caching).
final class EntryState: Sendable {
    let proof = Mutex(EntryProof())
    let readers = Atomic<Int>(0)
}

extension SHA256Hasher {
    /// SHA-256 of one buffer.
    static func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
