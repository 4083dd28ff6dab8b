# Tresor's default configuration, used by scripts/start: a single server on
# loopback on integrated (raft) storage, keeping its (encrypted) data under
# .tresor/data. It is a one-node raft cluster: other nodes can join it.
# For anything but a laptop, enable TLS: set tls_cert_file and tls_key_file
# and remove tls_disable.
storage "raft" {
  path    = ".tresor/data"
  node_id = "tresor-1"
}

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
}

api_addr     = "http://127.0.0.1:8200"
cluster_addr = "http://127.0.0.1:8201"
log_level    = "info"
