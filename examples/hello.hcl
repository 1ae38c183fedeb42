# hello: the smallest useful drover service.
#
# One instance of a shell loop that prints its allocation ID every two
# seconds. Run it on a dev agent:
#
#   drover agent -dev &            # server + client, raw_exec enabled
#   drover job run examples/hello.hcl
#   drover job status hello
#   drover alloc logs -f <alloc-id>   # "hello from 3f6c..." every 2 s
#   drover job stop hello
#
# $NOMAD_ALLOC_ID (no braces) is plain text to HCL: the shell expands it when
# the task runs, from the environment drover gives every task.
job "hello" {
  type        = "service"
  datacenters = ["*"]

  group "hello" {
    count = 1

    task "hello" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do echo \"hello from $NOMAD_ALLOC_ID\"; sleep 2; done"]
      }

      resources {
        cpu    = 50 # MHz
        memory = 32 # MB
      }
    }
  }
}
