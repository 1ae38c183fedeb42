job {
}
job "x" "y" {
}
