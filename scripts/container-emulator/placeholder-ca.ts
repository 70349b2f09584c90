/**
 * The CA certificate the ClusterManager fake reports for a cluster unless one is given: a real,
 * parseable self-signed X.509 certificate (ECDSA P-256, CN "container-emulator placeholder CA",
 * valid for 100 years) whose private key was thrown away when it was made. It only lets a client
 * build a kubeconfig; nothing can be verified against it. Give a cluster the local Kubernetes
 * server's CA (`caCertificatePem`) when a client must really connect.
 */
export const PLACEHOLDER_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBwDCCAWWgAwIBAgIUXDhwF6+zogXeP4VkJ2DD3BbkH4wwCgYIKoZIzj0EAwIw
LDEqMCgGA1UEAwwhY29udGFpbmVyLWVtdWxhdG9yIHBsYWNlaG9sZGVyIENBMCAX
DTI2MTEzMDE2MDQ1NFoYDzIxMjYxMTA2MTYwNDU0WjAsMSowKAYDVQQDDCFjb250
YWluZXItZW11bGF0b3IgcGxhY2Vob2xkZXIgQ0EwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAS2uXry9ZGGoljKpFitc5uuFV6Y20Eoy4Y+gPs9bYSdM6j+/FjcYwjj
RsKhxv7HHdGXvZoTuECDWNrXtO+h8679o2MwYTAdBgNVHQ4EFgQUMkt6w+KUsyB3
VkAyg559sKbBOywwHwYDVR0jBBgwFoAUMkt6w+KUsyB3VkAyg559sKbBOywwDwYD
VR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSQAwRgIh
ANJCatHlnwl9Tnbo+PZ4XU0hWjFSSqwov4xjUAE/r4WsAiEAqJ7ys9yPtOWTiZ6n
sVaPE0x2qQQocipAH/C/laa2xdI=
-----END CERTIFICATE-----
`;
