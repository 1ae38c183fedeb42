listen = "{{ env "NOMAD_PORT_http" }}"
alloc  = "${NOMAD_ALLOC_ID}"
