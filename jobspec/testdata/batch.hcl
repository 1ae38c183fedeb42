# A one-off batch job: a data import that retries on failure and is
# rescheduled elsewhere once if its node fails it.
job "import-users" {
  type        = "batch"
  datacenters = ["*"]

  reschedule {
    attempts       = 1
    interval       = "1h"
    delay          = "30s"
    delay_function = "constant"
    unlimited      = false
  }

  group "import" {
    restart {
      attempts = 2
      interval = "10m"
      delay    = "15s"
      mode     = "fail"
    }

    ephemeral_disk {
      size = 2048
    }

    task "import" {
      driver = "raw_exec"

      config {
        command = "/usr/local/bin/import"
        args    = ["--source", "s3://exports/users.csv", "--batch-size", "500"]
      }

      env {
        IMPORT_DRY_RUN = "false"
      }

      resources {
        cpu    = 1000
        memory = 1024
      }

      logs {
        max_files     = 5
        max_file_size = 20
      }
    }
  }
}
