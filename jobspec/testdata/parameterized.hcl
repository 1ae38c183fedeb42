# A parameterized job: a template dispatched with a payload and metadata,
# like `nomad job dispatch -meta video=x.mp4 transcode input.json`.
job "transcode" {
  type = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["video"]
    meta_optional = ["profile", "priority"]
  }

  group "transcode" {
    task "ffmpeg" {
      driver = "raw_exec"

      dispatch_payload {
        file = "input.json"
      }

      config {
        command = "/usr/bin/ffmpeg-wrapper"
        args    = ["--input", "${NOMAD_META_video}", "--profile", "${NOMAD_META_profile}", "--spec", "local/input.json"]
      }

      resources {
        cores  = 2
        memory = 2048
      }
    }
  }
}
