# update, migrate and reschedule at job level and again in a group; the
# group's blocks are merged with the job's by Canonicalize.
job "policies" {
  update {
    max_parallel      = 2
    health_check      = "task_states"
    min_healthy_time  = "30s"
    healthy_deadline  = "10m"
    progress_deadline = "20m"
    auto_revert       = true
    auto_promote      = true
    canary            = 2
  }

  migrate {
    max_parallel     = 3
    health_check     = "task_states"
    min_healthy_time = "20s"
    healthy_deadline = "4m"
  }

  reschedule {
    attempts       = 3
    interval       = "1h"
    delay          = "1m"
    delay_function = "fibonacci"
    max_delay      = "2h"
  }

  group "web" {
    count = 2

    update {
      max_parallel = 1
      health_check = "manual"
    }

    migrate {
      max_parallel = 1
    }

    reschedule {
      attempts = 5
      interval = "30m"
      delay    = "10s"
    }

    task "t" {
      driver = "mock"
    }
  }

  group "worker" {
    task "t" {
      driver = "mock"
    }
  }
}
