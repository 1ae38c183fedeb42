environment = "prod"
resources = {
  cpu    = 400
  memory = 512
}
extra_env = {
  FEATURE_X = "on"
}
