job "hello" {
  grup "web" {
  }
  group "web" {
    cuont = 2
    task "t" {
      drivr = "mock"
      resources {
        memroy = 10
      }
      logs = {}
      env "x" {}
    }
  }
}
