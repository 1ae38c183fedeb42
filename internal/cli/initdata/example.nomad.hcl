# example: a service job to start from, written by "drover job init".
#
# It runs two instances of a small shell loop under the raw_exec driver,
# which "drover agent -dev" enables, so you can try it right away:
#
#   drover agent -dev &
#   drover job plan example.nomad.hcl     # what would change
#   drover job run example.nomad.hcl
#   drover job status example
#   drover alloc logs -f <alloc-id>
#   drover job stop example
#
# Every block below is part of Nomad's job specification; drover reads the
# file unchanged. Values in ${...} that only the client knows (ports, the
# allocation ID, node attributes) are filled in when the task starts.

# A variable can be set with -var 'greeting=hi', a -var-file, or the
# environment ($DROVER_VAR_greeting or $NOMAD_VAR_greeting).
variable "greeting" {
  type        = string
  default     = "hello"
  description = "What each instance prints."
}

# The job ID must be unique in its namespace; "drover job run" with the
# same ID updates the job (and "drover job history" lists its versions).
job "example" {
  # Where and how the job runs. "service" jobs run until stopped; "batch"
  # jobs run to completion; "system" jobs run one instance on every node.
  type        = "service"
  datacenters = ["*"]

  # constraint restricts the nodes the job may run on, e.g.
  #
  #   constraint {
  #     attribute = "${attr.kernel.name}"
  #     value     = "linux"
  #   }

  # update controls how a new version replaces running allocations: here
  # one at a time, each healthy for 10s before the next.
  update {
    max_parallel     = 1
    min_healthy_time = "10s"
    healthy_deadline = "3m"
    auto_revert      = false
  }

  # A group is a set of tasks placed together on one node; count is how
  # many instances of it run.
  group "web" {
    count = 2

    # A dynamic port, chosen by the scheduler on each node. Tasks see it
    # as $NOMAD_PORT_http.
    network {
      port "http" {
        to = 8080
      }
    }

    # A service registers the group's instances for discovery, with health
    # checks. This task does not listen on its port, so it is left out:
    #
    #   service {
    #     name     = "example-web"
    #     port     = "http"
    #     provider = "nomad"
    #
    #     check {
    #       type     = "http"
    #       path     = "/health"
    #       interval = "10s"
    #       timeout  = "2s"
    #     }
    #   }

    # What to do when a task fails: restart it up to twice in 30 minutes,
    # 15s apart, then give up on the allocation.
    restart {
      attempts = 2
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    # Scratch space shared by the group's tasks (alloc/ in each task).
    ephemeral_disk {
      size = 300 # MB
    }

    task "server" {
      driver = "raw_exec"

      # The driver's own settings. "$NOMAD_ALLOC_ID" without braces is
      # plain text here; the shell expands it from the task's environment.
      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do echo \"$GREETING from $NOMAD_ALLOC_ID\"; sleep 5; done"]
      }

      env {
        GREETING = var.greeting
      }

      # template renders a file into the task directory before it starts,
      # and artifact downloads one, e.g.
      #
      #   template {
      #     data        = "greeting = {{ env \"GREETING\" }}\n"
      #     destination = "local/app.conf"
      #   }
      #
      #   artifact {
      #     source      = "https://example.com/app.tar.gz"
      #     destination = "local/app"
      #   }

      # What the scheduler reserves for the task on its node.
      resources {
        cpu    = 100 # MHz
        memory = 64  # MB
      }

      # stdout and stderr are kept in alloc/logs, rotated by size.
      logs {
        max_files     = 5
        max_file_size = 10 # MB
      }

      # How long the task has to stop after its kill_signal before it is
      # killed.
      kill_timeout = "10s"
    }
  }
}
