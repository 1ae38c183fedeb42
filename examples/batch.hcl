# batch: a batch job that runs once to completion.
#
#   drover job run examples/batch.hcl
#   drover job status batch        # the allocation ends "complete"
#
# A batch task that exits 0 is done and is not restarted.
job "batch" {
  type = "batch"

  group "batch" {
    count = 1

    task "say" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"batch job ran in allocation $NOMAD_ALLOC_ID\"; exit 0"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
