# mock: a job for the mock driver, which runs nothing: its task "runs" for
# run_for and then exits successfully. Useful to try scheduling, restarts and
# rolling updates without real processes.
#
#   drover job run examples/mock.hcl
job "mock" {
  type = "service"

  group "mock" {
    count = 3

    task "sleeper" {
      driver = "mock"

      config {
        run_for = "30s"
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
