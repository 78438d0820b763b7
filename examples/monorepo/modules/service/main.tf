# A service: a deployment, its database, and an optional cache.
variable "name" {
  type = string
}

variable "image" {
  type = string
}

variable "replicas" {
  type    = number
  default = 2
}

variable "vpc_name" {
  type = string
}

variable "db_engine_version" {
  type = string
}

variable "enable_cache" {
  type    = bool
  default = true
}

resource "terraform_data" "deployment" {
  input = {
    name     = var.name
    image    = var.image
    replicas = var.replicas
    network  = var.vpc_name
  }
}

# A new engine version cannot be applied in place: the database is replaced.
resource "terraform_data" "database" {
  input            = { name = "${var.name}-db", network = var.vpc_name }
  triggers_replace = [var.db_engine_version]
}

resource "terraform_data" "cache" {
  count = var.enable_cache ? 1 : 0
  input = { name = "${var.name}-cache", network = var.vpc_name }
}

output "endpoint" {
  value = "https://${var.name}.${var.vpc_name}.internal"
}
