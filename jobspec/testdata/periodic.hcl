# A nightly backup: a periodic batch job that never overlaps itself.
job "backup" {
  type = "batch"

  periodic {
    crons            = ["0 3 * * *", "30 15 * * 6"]
    prohibit_overlap = true
    time_zone        = "Europe/Paris"
  }

  group "backup" {
    task "dump" {
      driver = "raw_exec"

      config {
        command = "/usr/local/bin/pg-backup"
        args    = ["--target", "/srv/backups/${NOMAD_JOB_ID}"]
      }

      resources {
        cpu    = 250
        memory = 256
      }
    }
  }
}
