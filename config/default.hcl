# Tresor's default configuration, used by scripts/start: a single server on
# loopback, keeping its (encrypted) data under .tresor/data.
# For anything but a laptop, enable TLS: set tls_cert_file and tls_key_file
# and remove tls_disable.
storage "file" {
  path = ".tresor/data"
}

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
}

api_addr  = "http://127.0.0.1:8200"
log_level = "info"
