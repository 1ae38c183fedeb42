job "interp" {
  group "g" {
    task "t" {
      driver = "raw_exec"

      config {
        command = "/bin/echo"
        args = [
          "${NOMAD_ALLOC_ID}",
          "${attr.unique.hostname}",
          "${node.datacenter}",
          "${meta.foo}",
          "${NOMAD_PORT_http}",
          "${env.HOME}",
          "--port=${NOMAD_PORT_http}",
          "${ node.unique.name }-${NOMAD_ALLOC_INDEX}",
          "$${NOMAD_ESCAPED}",
          "plain $NOMAD_ALLOC_ID",
          "${DROVER_ALLOC_ID}",
          "${env["PATH"]}",
          "${some_unknown_root.x}",
          "${1 + 2}",
        ]
        script = <<EOT
#!/bin/sh
echo "alloc ${NOMAD_ALLOC_ID} on ${attr.unique.hostname}"
echo $HOME
EOT
        indented = <<-EOT
          port=${NOMAD_PORT_http}
            dc=${node.datacenter}
          EOT
        nested = {
          key = "${meta.key}"
          list = ["${NOMAD_TASK_NAME}"]
        }
        bare = attr.kernel.name
      }

      env {
        ADDR = "${NOMAD_IP_http}:${NOMAD_PORT_http}"
        PATH = "${env.PATH}:/opt/bin"
      }

      meta {
        host = "${attr.unique.hostname}"
      }
    }
  }
}
