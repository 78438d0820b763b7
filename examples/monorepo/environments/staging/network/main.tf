terraform {
  # Local state keeps the example offline; a real repository would use an s3 or azurerm backend.
  backend "local" {
    path = "terraform.tfstate"
  }
}

module "network" {
  source = "../../../modules/network"

  name = "staging"
  cidr = "10.10.0.0/16"
  subnets = {
    a = "10.10.1.0/24"
    b = "10.10.2.0/24"
  }
}

output "vpc_name" {
  value = module.network.vpc_name
}

output "subnet_cidrs" {
  value = module.network.subnet_cidrs
}
