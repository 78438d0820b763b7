terraform {
  # Local state keeps the example offline; a real repository would use an s3 or azurerm backend.
  backend "local" {
    path = "terraform.tfstate"
  }
}

module "network" {
  source = "../../../modules/network"

  name = "production"
  cidr = "10.20.0.0/16"
  subnets = {
    a = "10.20.1.0/24"
    b = "10.20.2.0/24"
  }
}

output "vpc_name" {
  value = module.network.vpc_name
}

output "subnet_cidrs" {
  value = module.network.subnet_cidrs
}
