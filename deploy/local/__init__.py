"""The real local fleet: Apache Kafka from Maven Central and Kubernetes control planes built from Go modules.

Nothing here is a stand-in: the broker is Apache Kafka's own server, the clusters are kube-apiserver,
kube-controller-manager and kube-scheduler over etcd, with kwok playing the kubelets.
"""
