import Foundation
import Install
import OCI
import Rendering
import Testing
import Yams

/// `post-render --image-pull-secret NAME`: every pod spec it hands on names the Secret once,
/// after the chart's own entries, whatever the workload kind.
@Suite("Image pull secrets in every pod spec the post-renderer rewrites")
struct PodSpecPullSecretsTests {
    static let manifest = """
        ---
        # Source: c/templates/pod.yaml
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers: [{name: a, image: "nginx:1.27"}]
        ---
        # Source: c/templates/deployment.yaml
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        spec:
          template:
            spec:
              imagePullSecrets: [{name: vendor-secret}]
              containers: [{name: a, image: "nginx:1.27"}]
        ---
        # Source: c/templates/statefulset.yaml
        {apiVersion: apps/v1, kind: StatefulSet, metadata: {name: s},
         spec: {template: {spec: {imagePullSecrets: [{name: airgap-registry}], containers: [{name: a, image: "nginx:1.27"}]}}}}
        ---
        # Source: c/templates/daemonset.yaml
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: ds}
        spec: {template: {spec: {containers: [{name: a, image: "nginx:1.27"}]}}}
        ---
        # Source: c/templates/replicaset.yaml
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: rs}
        spec: {template: {spec: {containers: [{name: a, image: "nginx:1.27"}]}}}
        ---
        # Source: c/templates/job.yaml
        apiVersion: batch/v1
        kind: Job
        metadata: {name: j}
        spec: {template: {spec: {containers: [{name: a, image: "nginx:1.27"}]}}}
        ---
        # Source: c/templates/cronjob.yaml
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: cj}
        spec:
          schedule: "0 * * * *"
          jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: "nginx:1.27"}]}}}}
        ---
        # Source: c/templates/configmap.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cm}
        data: {spec: "x"}
        """

    static let paths = [
        "Pod": ["spec"], "Deployment": ["spec", "template", "spec"], "StatefulSet": ["spec", "template", "spec"],
        "DaemonSet": ["spec", "template", "spec"], "ReplicaSet": ["spec", "template", "spec"], "Job": ["spec", "template", "spec"],
        "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    ]

    @Test func everyWorkloadKindNamesTheSecretOnceAfterItsOwnEntries() throws {
        let relocation = try DeployPlanTests.nginxRelocation(registry: "h:5000")
        let output = try ImageRewriter(relocation: relocation, imagePullSecret: "airgap-registry").rewrite(Self.manifest)
        var secrets: [String: [String]] = [:]
        for document in try Yams.load_all(yaml: output) {
            let object = try #require(document as? [String: Any])
            let kind = try #require(object["kind"] as? String)
            guard let path = Self.paths[kind] else {
                #expect(object["imagePullSecrets"] == nil && (object["data"] as? [String: String]) == ["spec": "x"], "\(kind)")
                continue
            }
            var node: Any? = object
            for key in path { node = (node as? [String: Any])?[key] }
            let spec = try #require(node as? [String: Any], "\(kind)")
            secrets[kind] = (spec["imagePullSecrets"] as? [[String: String]] ?? []).compactMap { $0["name"] }
            #expect((spec["containers"] as? [[String: String]])?.first?["image"] == "h:5000/p/library/nginx:1.27", "\(kind)")
        }
        #expect(
            secrets == [
                "Pod": ["airgap-registry"], "Deployment": ["vendor-secret", "airgap-registry"], "StatefulSet": ["airgap-registry"],
                "DaemonSet": ["airgap-registry"], "ReplicaSet": ["airgap-registry"], "Job": ["airgap-registry"], "CronJob": ["airgap-registry"],
            ])
        // Without the flag nothing is added: the StatefulSet's own entry is the only one.
        let plain = try ImageRewriter(relocation: relocation).rewrite(Self.manifest)
        #expect(plain.components(separatedBy: "airgap-registry").count == 2, "\(plain)")
    }
}
