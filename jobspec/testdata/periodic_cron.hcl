# The older periodic form: one cron string (deprecated in favour of crons),
# disabled for now.
job "report" {
  type = "batch"

  periodic {
    cron    = "@daily"
    enabled = false
  }

  group "report" {
    task "report" {
      driver = "mock"
    }
  }
}
