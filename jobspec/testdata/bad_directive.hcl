job "d" {
  group "g" {
    task "t" {
      driver = "mock"
      env {
        A = "%{ if attr.x == "y" }yes%{ endif }"
        B = "${upper("x")}"
        C = "${missing_fn(NOMAD_ALLOC_ID)}"
      }
    }
  }
}
