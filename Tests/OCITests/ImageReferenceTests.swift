import OCI
import Testing

@Suite("Image references are normalized as Docker does")
struct ImageReferenceTests {
    @Test(
        "normalizes",
        arguments: [
            ("nginx", "docker.io/library/nginx:latest"),
            ("nginx:1.27", "docker.io/library/nginx:1.27"),
            ("library/nginx", "docker.io/library/nginx:latest"),
            ("docker.io/nginx", "docker.io/library/nginx:latest"),
            ("index.docker.io/library/nginx:1", "docker.io/library/nginx:1"),
            ("bitnami/keycloak:24.0.5", "docker.io/bitnami/keycloak:24.0.5"),
            ("localhost/x", "localhost/x:latest"),
            ("localhost:5000/x", "localhost:5000/x:latest"),
            ("quay.io/prometheus/node-exporter:v1.8.2", "quay.io/prometheus/node-exporter:v1.8.2"),
            ("nvcr.io/nvidia/gpu-operator:v24.3.0", "nvcr.io/nvidia/gpu-operator:v24.3.0"),
            ("127.0.0.1:5000/a/b/c:t_1.2-x", "127.0.0.1:5000/a/b/c:t_1.2-x"),
            ("[::1]:5000/app", "[::1]:5000/app:latest"),
            ("a__b/c-d--e/f.g:TAG", "docker.io/a__b/c-d--e/f.g:TAG"),
        ])
    func normalizes(input: String, expected: String) throws {
        #expect(try ImageReference(parsing: input).description == expected)
    }

    @Test func keepsTagAndDigest() throws {
        let hex = String(repeating: "ab", count: 32)
        let reference = try ImageReference(parsing: "host:5000/a/b:tag@sha256:\(hex)")
        #expect(reference.registry == "host:5000")
        #expect(reference.repository == "a/b")
        #expect(reference.tag == "tag")
        #expect(reference.digest?.hex == hex)
        #expect(reference.manifestReference == "sha256:\(hex)")
        // A digest alone gets no "latest".
        let pinned = try ImageReference(parsing: "nginx@sha256:\(hex)")
        #expect(pinned.tag == nil)
        #expect(pinned.description == "docker.io/library/nginx@sha256:\(hex)")
        #expect(pinned.apiHost == "registry-1.docker.io")
    }

    @Test(
        "rejects with a reason",
        arguments: [
            ("", "empty"),
            ("Nginx", "lowercase"),
            ("docker.io/Library/nginx", "lowercase"),
            ("nginx:", "tag after ':' is empty"),
            ("nginx:-bad", "tag \"-bad\" is invalid"),
            ("nginx:" + String(repeating: "a", count: 129), "longer than 128"),
            ("nginx@sha256:abc", "64 lowercase hex"),
            ("nginx@md5:" + String(repeating: "a", count: 32), "unsupported digest algorithm"),
            ("nginx@sha256:" + String(repeating: "A", count: 64), "64 lowercase hex"),
            ("a//b", "empty path component"),
            ("a/-b", "path component \"-b\""),
            ("a/b_", "path component \"b_\""),
            ("a/b...c", "path component \"b...c\""),
            ("host:99999/a", "port"),
            ("ho_st.com/a", "not a valid host"),
            ("nginx latest", "whitespace"),
            ("docker://nginx", "without a scheme"),
            (String(repeating: "ab", count: 32), "image ID"),
        ])
    func rejects(input: String, reason: String) {
        do {
            let parsed = try ImageReference(parsing: input)
            Issue.record("accepted \"\(input)\" as \(parsed)")
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
            #expect(error.description.contains("invalid image reference"))
        }
    }
}
